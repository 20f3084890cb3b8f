//! `tern-bench`: measures a release `ternd` on loopback and prints each figure next to a
//! baseline measured in the same run.
//!
//! ```sh
//! cargo build --release && cargo run --release -p tern-tests --bin tern-bench
//! ```
//!
//! Options: `--ternd PATH` (default: `target/release/ternd`), `--plugin-dir DIR` (default: the
//! directory of the `ternd` binary), `--records N` (message records in the store for the
//! start-up figure, default 1000000), `--secs S` (length of each timed load phase, default 10).
//!
//! The phases: the send path (`POST /v1/messages` through ternd to a mock Twilio, against the
//! same client posting straight to the mock), callback ingest (signed Twilio status callbacks,
//! against a bare hyper server in this process), memory, per-provider statistics over three
//! years of daily counters, and start-up with many message records in the store.
//!
//! Client, mocks and daemon share the machine's cores, so every ratio is "ternd plus the load
//! generator" against "baseline plus the same load generator".

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tern_daemon::store::{DayCounters, MessageRecord, Store, Writes};
use tern_tests::daemon::{Daemon, Options};
use tern_tests::fixtures::{
    ACCOUNT_SID, AUTH_TOKEN, basic_auth, mock_twilio, path_of, twilio_config, twilio_signature,
};

/// Connections (and requests in flight) in every load phase.
const CONCURRENCY: usize = 32;
/// Requests per statistics figure.
const STATS_REQUESTS: usize = 200;
/// Days of counters for the statistics figure: three years with a leap day, the API maximum.
const STATS_DAYS: i32 = 1096;
/// Message records written per store batch.
const BATCH: usize = 10_000;

struct Args {
    ternd: PathBuf,
    plugin_dir: PathBuf,
    records: usize,
    secs: u64,
}

fn parse_args() -> Args {
    let root = tern_tests::workspace_root();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        root.join(target)
    };
    let mut ternd = target
        .join("release")
        .join(format!("ternd{}", std::env::consts::EXE_SUFFIX));
    let mut plugin_dir = None;
    let mut records = 1_000_000;
    let mut secs = 10;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "--ternd" => ternd = PathBuf::from(value()),
            "--plugin-dir" => plugin_dir = Some(PathBuf::from(value())),
            "--records" => records = value().parse().unwrap_or_else(|_| usage("--records N")),
            "--secs" => secs = value().parse().unwrap_or_else(|_| usage("--secs S")),
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if !(1..=20).contains(&secs) {
        usage("--secs must be between 1 and 20");
    }
    let plugin_dir = plugin_dir.unwrap_or_else(|| {
        ternd
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    });
    if !ternd.is_file() {
        usage(&format!(
            "no ternd at {}; run `cargo build --release` first",
            ternd.display()
        ));
    }
    Args {
        ternd,
        plugin_dir,
        records,
        secs,
    }
}

fn usage(problem: &str) -> ! {
    if !problem.is_empty() {
        eprintln!("tern-bench: {problem}");
    }
    eprintln!(
        "usage: tern-bench [--ternd PATH] [--plugin-dir DIR] [--records N] [--secs S]\n\
         build first: cargo build --release"
    );
    std::process::exit(if problem.is_empty() { 0 } else { 64 })
}

// ---------------------------------------------------------------------------------------------
// Load generation: CONCURRENCY keep-alive HTTP/1.1 connections, each sending its next request
// as soon as the previous answer is read.

/// Builds request number `i` (path, headers, body).
type MakeRequest = Arc<dyn Fn(u64) -> hyper::Request<Full<Bytes>> + Send + Sync>;

struct Sample {
    index: u64,
    status: u16,
    micros: u64,
    body: Option<Bytes>,
}

struct Run {
    elapsed: Duration,
    samples: Vec<Sample>,
    transport_errors: u64,
}

impl Run {
    fn ok(&self) -> usize {
        self.samples
            .iter()
            .filter(|s| (200..300).contains(&s.status))
            .count()
    }

    fn rate(&self) -> f64 {
        self.ok() as f64 / self.elapsed.as_secs_f64()
    }

    fn not_ok(&self) -> usize {
        self.samples.len() - self.ok()
    }
}

/// Runs requests `0..max` (or until `limit` has passed) against `addr`.
async fn load(
    addr: SocketAddr,
    make: MakeRequest,
    max: u64,
    limit: Duration,
    keep_bodies: bool,
) -> Run {
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + limit;
    let mut workers = Vec::new();
    for _ in 0..CONCURRENCY {
        let make = make.clone();
        let next = next.clone();
        let errors = errors.clone();
        workers.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut sender = None;
            loop {
                if Instant::now() >= deadline {
                    break;
                }
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= max {
                    break;
                }
                if sender.is_none() {
                    sender = connect(addr).await;
                    if sender.is_none() {
                        errors.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                }
                let request = make(index);
                let began = Instant::now();
                let s = sender.as_mut().unwrap();
                let answer = match s.ready().await {
                    Ok(()) => s.send_request(request).await,
                    Err(err) => Err(err),
                };
                let response = match answer {
                    Ok(response) => response,
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        sender = None;
                        continue;
                    }
                };
                let status = response.status().as_u16();
                let body = match response.into_body().collect().await {
                    Ok(body) => body.to_bytes(),
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        sender = None;
                        continue;
                    }
                };
                let micros = began.elapsed().as_micros() as u64;
                samples.push(Sample {
                    index,
                    status,
                    micros,
                    body: keep_bodies.then_some(body),
                });
            }
            samples
        }));
    }
    let mut samples = Vec::new();
    for worker in workers {
        samples.extend(worker.await.expect("load worker"));
    }
    Run {
        elapsed: start.elapsed(),
        samples,
        transport_errors: errors.load(Ordering::Relaxed),
    }
}

async fn connect(addr: SocketAddr) -> Option<hyper::client::conn::http1::SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    stream.set_nodelay(true).ok()?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(connection);
    Some(sender)
}

/// A bare hyper server: reads the body and answers 200 with an empty body.
async fn bare_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|req: hyper::Request<Incoming>| async {
                    let _ = req.into_body().collect().await;
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::new())))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

fn addr_of(url: &str) -> SocketAddr {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split('/').next().unwrap();
    host.parse().expect("a loopback address with a port")
}

// ---------------------------------------------------------------------------------------------
// Figures.

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

/// p50 and p99 in milliseconds.
fn p50_p99<'a>(samples: impl Iterator<Item = &'a Sample>) -> (f64, f64) {
    let mut micros: Vec<u64> = samples.map(|s| s.micros).collect();
    micros.sort_unstable();
    (percentile(&micros, 50.0), percentile(&micros, 99.0))
}

/// (VmRSS, VmHWM) of a process in MiB.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown".to_owned(), |(_, m)| m.trim().to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .map_or("?".to_owned(), |v| v.trim().to_owned());
    format!(
        "{cores} cores ({model}), {mem} RAM, {}",
        std::env::consts::OS
    )
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn today() -> i32 {
    now_ms().div_euclid(86_400_000) as i32
}

/// `YYYY-MM-DD` of a day since the Unix epoch (proleptic Gregorian, UTC).
fn date(day: i32) -> String {
    let z = day as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn ratio(a: f64, b: f64) -> String {
    format!("{:.2}x", a / b)
}

// ---------------------------------------------------------------------------------------------

fn options(data: &Path, plugins: &Path) -> Options {
    Options {
        data_dir: data.to_path_buf(),
        plugin_dir: plugins.to_path_buf(),
        args: Vec::new(),
        // Warnings only, except the two lines that say where the listeners are.
        env: vec![("RUST_LOG".into(), "warn,tern_daemon::server=info".into())],
    }
}

/// Starts ternd and waits until `/healthz` answers; returns it and the time that took.
async fn start(ternd: &Path, options: &Options) -> (Daemon, Duration) {
    let began = Instant::now();
    let daemon = {
        let (ternd, options) = (ternd.to_path_buf(), options.clone());
        tokio::task::spawn_blocking(move || Daemon::start_binary(&ternd, &options))
            .await
            .expect("ternd starts")
    };
    let health = tern_tests::http::Api::new(&daemon.admin_url, None);
    loop {
        if health.get("/healthz").await.status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    (daemon, began.elapsed())
}

async fn stop(daemon: Daemon) {
    let (status, log) = tokio::task::spawn_blocking(move || daemon.stop())
        .await
        .unwrap();
    assert!(status.success(), "ternd stopped with {status}:\n{log}");
}

/// Runs `f` on the store of a stopped daemon.
async fn with_store<T: Send + 'static>(
    data: &Path,
    f: impl FnOnce(&Store) -> T + Send + 'static,
) -> T {
    let data = data.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let store = Store::open(&data).expect("store opens");
        let out = f(&store);
        store.flush_blocking().expect("store flushed");
        out
    })
    .await
    .unwrap()
}

#[tokio::main]
async fn main() {
    let args = parse_args();
    let secs = Duration::from_secs(args.secs);
    let data = tempfile::tempdir().expect("temporary data directory");
    let opts = options(data.path(), &args.plugin_dir);

    println!("tern-bench: release ternd on loopback");
    println!("machine: {}", machine());
    println!(
        "load: {CONCURRENCY} keep-alive HTTP/1.1 connections, {} s per timed phase; the load \
         generator, the mocks and ternd share the machine's cores",
        args.secs
    );
    println!();

    // Start-up with an empty store, and idle memory.
    let (daemon, empty_start) = start(&args.ternd, &opts).await;
    let admin = daemon.admin();
    let plugins = admin.get("/v1/plugins").await.json();
    let names: Vec<String> = plugins["plugins"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (idle_rss, idle_hwm) = memory(daemon.pid());

    // A Twilio provider pointed at a loopback mock Twilio.
    let mock = mock_twilio().await;
    let created = admin
        .post(
            "/v1/providers",
            json!({"name": "bench", "plugin": "twilio", "config": twilio_config(&mock.url())}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let provider: Value = created.json();
    let provider_id = provider["id"].as_str().unwrap().to_owned();
    let callback_url = provider["callback_url"].as_str().unwrap().to_owned();

    // --- Send path -----------------------------------------------------------------------
    let admin_addr = addr_of(&daemon.admin_url);
    let auth = format!("Bearer {}", daemon.token);
    let send_body = |i: u64| format!("+1415{:07}", i % 10_000_000);
    let make: MakeRequest = {
        let (auth, provider_id) = (auth.clone(), provider_id.clone());
        Arc::new(move |i| {
            let body = json!({"to": send_body(i), "body": "Benchmark message", "provider_id": provider_id});
            hyper::Request::post("/v1/messages")
                .header("host", admin_addr.to_string())
                .header("authorization", &auth)
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body.to_string())))
                .unwrap()
        })
    };
    let sends = load(admin_addr, make, u64::MAX, secs, true).await;
    let mut sids: Vec<String> = sends
        .samples
        .iter()
        .filter(|s| s.status == 201)
        .filter_map(|s| {
            let body: Value = serde_json::from_slice(s.body.as_ref()?).ok()?;
            body["provider_message_id"].as_str().map(str::to_owned)
        })
        .collect();
    sids.sort();
    sids.dedup();

    let mock_path = format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json");
    let make: MakeRequest = {
        let callback_url = callback_url.clone();
        let basic = basic_auth(AUTH_TOKEN);
        let host = mock.addr.to_string();
        Arc::new(move |i| {
            let to = send_body(i);
            let form: String = form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("To", to.as_str()),
                    ("From", "+14155552345"),
                    ("Body", "Benchmark message"),
                    ("StatusCallback", callback_url.as_str()),
                ])
                .finish();
            hyper::Request::post(mock_path.as_str())
                .header("host", &host)
                .header("authorization", &basic)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Full::new(Bytes::from(form)))
                .unwrap()
        })
    };
    let direct = load(mock.addr, make, u64::MAX, secs, false).await;

    // --- Callback ingest -----------------------------------------------------------------
    // One signed `delivered` status callback per message, prepared before the clock starts
    // so that signing costs the load generator nothing; request i is for sids[i % n].
    let prepared: Arc<Vec<(Bytes, String)>> = Arc::new(
        sids.iter()
            .map(|sid| {
                let params = [
                    ("AccountSid", ACCOUNT_SID),
                    ("ApiVersion", "2010-04-01"),
                    ("From", "+14155552345"),
                    ("MessageSid", sid.as_str()),
                    ("MessageStatus", "delivered"),
                    ("SmsSid", sid.as_str()),
                    ("SmsStatus", "delivered"),
                    ("To", "+14155550100"),
                ];
                let signature = twilio_signature(AUTH_TOKEN, &callback_url, &params);
                let body: String = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(params)
                    .finish();
                (Bytes::from(body), signature)
            })
            .collect(),
    );
    assert!(!prepared.is_empty(), "the send phase recorded no message");
    let callback_addr = addr_of(&daemon.callback_url);
    let callback_path = path_of(&callback_url).to_owned();
    let callbacks = |addr: SocketAddr| -> MakeRequest {
        let prepared = prepared.clone();
        let path = callback_path.clone();
        Arc::new(move |i| {
            let (body, signature) = &prepared[(i % prepared.len() as u64) as usize];
            hyper::Request::post(path.as_str())
                .header("host", addr.to_string())
                .header("content-type", "application/x-www-form-urlencoded")
                .header("x-twilio-signature", signature)
                .body(Full::new(body.clone()))
                .unwrap()
        })
    };
    let ingest = load(
        callback_addr,
        callbacks(callback_addr),
        u64::MAX,
        secs,
        false,
    )
    .await;
    let (_, peak_hwm) = memory(daemon.pid());
    let bare_addr = bare_server().await;
    let bare = load(bare_addr, callbacks(bare_addr), u64::MAX, secs, false).await;
    let n = prepared.len() as u64;
    let first_time = ingest
        .samples
        .iter()
        .filter(|s| s.index < n && (200..300).contains(&s.status))
        .count();
    let stats = admin
        .get(&format!("/v1/providers/{provider_id}/stats"))
        .await
        .json();
    let delivered = stats["totals"]["delivered"].as_u64().unwrap_or(0);

    // --- Statistics over three years -----------------------------------------------------
    stop(daemon).await;
    let pid: u64 = provider_id.parse().unwrap();
    let last = today();
    let first = last - (STATS_DAYS - 1);
    let scan = with_store(data.path(), move |store| {
        let counters = (first..=last)
            .map(|day| {
                let k = (day - first) as u64;
                let c = DayCounters {
                    sent: 1000 + k,
                    send_errors: k % 7,
                    delivered: 900 + k,
                    failed: k % 11,
                    clicked: 50 + k % 13,
                    replied: k % 5,
                    unmatched: k % 3,
                };
                (pid, day, c)
            })
            .collect();
        store
            .commit(&Writes {
                messages: Vec::new(),
                counters,
            })
            .expect("counters written");
        // The store's share of a 3-year stats request: the range scan and decoding alone.
        let mut micros: Vec<u64> = (0..STATS_REQUESTS)
            .map(|_| {
                let began = Instant::now();
                let days = store.counters(pid, first, last).expect("counters read");
                assert_eq!(days.len(), STATS_DAYS as usize);
                began.elapsed().as_micros() as u64
            })
            .collect();
        micros.sort_unstable();
        (percentile(&micros, 50.0), percentile(&micros, 99.0))
    })
    .await;
    let (daemon, _) = start(&args.ternd, &opts).await;
    let admin = daemon.admin();
    let full = format!(
        "/v1/providers/{provider_id}/stats?from={}&to={}",
        date(first),
        date(last)
    );
    let month = format!(
        "/v1/providers/{provider_id}/stats?from={}&to={}",
        date(last - 29),
        date(last)
    );
    let check = admin.get(&full).await;
    assert_eq!(check.status, 200, "{}", check.text());
    assert_eq!(check.json()["days"], STATS_DAYS, "{}", check.text());
    let full_bytes = check.body.len();
    let sequential = |path: String| {
        let admin = admin.clone();
        async move {
            // Untimed warm-up: the connection, sled's page cache, the allocator.
            for _ in 0..20 {
                admin.get(&path).await;
            }
            let mut micros = Vec::with_capacity(STATS_REQUESTS);
            for _ in 0..STATS_REQUESTS {
                let began = Instant::now();
                let answer = admin.get(&path).await;
                micros.push(began.elapsed().as_micros() as u64);
                assert_eq!(answer.status, 200, "{}", answer.text());
            }
            micros.sort_unstable();
            (percentile(&micros, 50.0), percentile(&micros, 99.0))
        }
    };
    let stats_full = sequential(full).await;
    let stats_month = sequential(month).await;
    let healthz = sequential("/healthz".to_owned()).await;
    stop(daemon).await;

    // --- Start-up with many message records ----------------------------------------------
    let records = args.records;
    let write_began = Instant::now();
    with_store(data.path(), move |store| {
        let sent_at = now_ms();
        let day = today();
        let mut written = 0;
        while written < records {
            let count = BATCH.min(records - written);
            let messages = (written..written + count)
                .map(|i| MessageRecord {
                    id: store.next_id().expect("id"),
                    provider_id: pid,
                    campaign_id: None,
                    to: format!("+1{:010}", 2_000_000_000 + i as u64),
                    provider_message_id: format!("SM{:032x}", 0xbe0c_0000_0000_u64 + i as u64),
                    sent_at,
                    day,
                    flags: 0,
                    events: Vec::new(),
                })
                .collect();
            store
                .commit(&Writes {
                    messages,
                    counters: Vec::new(),
                })
                .expect("messages written");
            written += count;
        }
    })
    .await;
    let write_time = write_began.elapsed();
    let db_size = dir_size(&data.path().join("db"));
    let (daemon, full_start) = start(&args.ternd, &opts).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (loaded_rss, _) = memory(daemon.pid());
    stop(daemon).await;

    // --- Report --------------------------------------------------------------------------
    println!("== Send path: POST /v1/messages -> twilio plugin -> mock Twilio (201 + sid)");
    report_rates(
        "ternd",
        &sends,
        "direct to the mock",
        &direct,
        "send path ≥ 0.4x direct",
        0.4,
    );
    println!(
        "   {} distinct message records created for the ingest phase",
        sids.len()
    );
    println!();
    println!("== Callback ingest: signed Twilio status callbacks (delivered)");
    report_rates(
        "ternd",
        &ingest,
        "bare hyper (read body, 200)",
        &bare,
        "ingest ≥ 0.5x bare hyper",
        0.5,
    );
    let first_ms = p50_p99(ingest.samples.iter().filter(|s| s.index < n));
    let repeat_ms = p50_p99(ingest.samples.iter().filter(|s| s.index >= n));
    println!(
        "   first-time events: {first_time} of {} answered callbacks ({:.1}%); the rest repeat a \
         delivered status (duplicates, changing nothing)",
        ingest.ok(),
        100.0 * first_time as f64 / ingest.ok().max(1) as f64
    );
    println!(
        "   latency first-time p50 {:.2} ms p99 {:.2} ms; duplicates p50 {:.2} ms p99 {:.2} ms",
        first_ms.0, first_ms.1, repeat_ms.0, repeat_ms.1
    );
    println!("   delivered counted by ternd afterwards: {delivered}");
    println!();
    println!("== Memory (ternd, /proc/<pid>/status)");
    println!(
        "   idle after start, plugins loaded [{}]: VmRSS {idle_rss:.1} MiB (VmHWM {idle_hwm:.1} MiB) \
         — target ≤ 32 MiB: {}",
        names.join(", "),
        met(idle_rss <= 32.0)
    );
    println!("   peak after send + ingest phases: VmHWM {peak_hwm:.1} MiB");
    println!("   idle after start with {records} message records: VmRSS {loaded_rss:.1} MiB");
    println!();
    println!(
        "== Stats: GET /v1/providers/{{id}}/stats, {STATS_REQUESTS} sequential requests on one \
         connection after 20 untimed, {STATS_DAYS} days of counters"
    );
    println!(
        "   {STATS_DAYS} days: p50 {:.3} ms  p99 {:.3} ms  ({full_bytes} bytes of JSON) — target \
         p99 < 1 ms: {}",
        stats_full.0,
        stats_full.1,
        met(stats_full.1 < 1.0)
    );
    println!(
        "   of which the store's range scan + decode, in process: p50 {:.3} ms  p99 {:.3} ms",
        scan.0, scan.1
    );
    println!(
        "   30 days:   p50 {:.3} ms  p99 {:.3} ms",
        stats_month.0, stats_month.1
    );
    println!(
        "   baseline GET /healthz: p50 {:.3} ms  p99 {:.3} ms; 3-year p50 ratio {}",
        healthz.0,
        healthz.1,
        ratio(stats_full.0, healthz.0)
    );
    println!();
    println!("== Start-up: spawn until /healthz answers 200");
    println!(
        "   empty store: {:.0} ms",
        empty_start.as_secs_f64() * 1000.0
    );
    println!(
        "   {records} message records ({:.0} MiB on disk, written in {:.1} s): {:.0} ms ({})",
        db_size as f64 / (1024.0 * 1024.0),
        write_time.as_secs_f64(),
        full_start.as_secs_f64() * 1000.0,
        ratio(full_start.as_secs_f64(), empty_start.as_secs_f64())
    );
}

fn met(yes: bool) -> &'static str {
    if yes { "met" } else { "MISSED" }
}

fn report_rates(name: &str, run: &Run, base_name: &str, base: &Run, target: &str, min: f64) {
    let (p50, p99) = p50_p99(run.samples.iter());
    let (b50, b99) = p50_p99(base.samples.iter());
    println!(
        "   {name:<28} {:>8.0} req/s  p50 {p50:.2} ms  p99 {p99:.2} ms  ({} ok, {} not 2xx, {} transport errors, {:.1} s)",
        run.rate(),
        run.ok(),
        run.not_ok(),
        run.transport_errors,
        run.elapsed.as_secs_f64()
    );
    println!(
        "   {base_name:<28} {:>8.0} req/s  p50 {b50:.2} ms  p99 {b99:.2} ms  ({} ok, {} not 2xx, {} transport errors, {:.1} s)",
        base.rate(),
        base.ok(),
        base.not_ok(),
        base.transport_errors,
        base.elapsed.as_secs_f64()
    );
    let r = run.rate() / base.rate();
    println!("   ratio {r:.2}x — target {target}: {}", met(r >= min));
}

fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
