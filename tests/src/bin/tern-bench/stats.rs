//! Statistics: a provider with three years of daily counters, queried over the full range and
//! over 30 days, against `GET /healthz` on the same connection; plus the store's range scan
//! alone, timed in this process.

use std::path::Path;
use std::time::Instant;

use tern_daemon::store::{DayCounters, Writes};
use tern_tests::daemon::Options;

use crate::figures::{date, met, p50_p99_of, ratio, today};
use crate::ternd::{start, stop, with_store};

/// Requests per statistics figure.
const REQUESTS: usize = 1000;
/// Untimed requests before each figure.
const WARM_UP: usize = 20;
/// Days of counters: three years with a leap day, the API maximum.
const DAYS: i32 = 1096;

/// What the phase measured: (p50, p99) in milliseconds.
pub struct StatsFigures {
    full: (f64, f64),
    full_bytes: usize,
    scan: (f64, f64),
    month: (f64, f64),
    healthz: (f64, f64),
}

/// Writes the counters into the stopped daemon's store, then starts it and times the queries.
pub async fn run(ternd: &Path, options: &Options, provider_id: &str) -> StatsFigures {
    let pid: u64 = provider_id.parse().unwrap();
    let last = today();
    let first = last - (DAYS - 1);
    let scan = with_store(&options.data_dir, move |store| {
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
        // What a 3-year stats request would cost in the store without ternd's counter
        // cache: sled's range scan and the decoding of each day.
        let micros = (0..REQUESTS)
            .map(|_| {
                let began = Instant::now();
                let days = store
                    .scan_counters(pid, first, last)
                    .expect("counters read");
                assert_eq!(days.len(), DAYS as usize);
                began.elapsed().as_micros() as u64
            })
            .collect();
        p50_p99_of(micros)
    })
    .await;
    let (daemon, _) = start(ternd, options).await;
    let admin = daemon.admin();
    let query = |from: i32| {
        format!(
            "/v1/providers/{provider_id}/stats?from={}&to={}",
            date(from),
            date(last)
        )
    };
    let check = admin.get(&query(first)).await;
    assert_eq!(check.status, 200, "{}", check.text());
    assert_eq!(check.json()["days"], DAYS, "{}", check.text());
    let sequential = |path: String| {
        let admin = admin.clone();
        async move {
            // Untimed warm-up: the connection, sled's page cache, the allocator.
            for _ in 0..WARM_UP {
                admin.get(&path).await;
            }
            let mut micros = Vec::with_capacity(REQUESTS);
            for _ in 0..REQUESTS {
                let began = Instant::now();
                let answer = admin.get(&path).await;
                micros.push(began.elapsed().as_micros() as u64);
                assert_eq!(answer.status, 200, "{}", answer.text());
            }
            p50_p99_of(micros)
        }
    };
    let figures = StatsFigures {
        full: sequential(query(first)).await,
        full_bytes: check.body.len(),
        scan,
        month: sequential(query(last - 29)).await,
        healthz: sequential("/healthz".to_owned()).await,
    };
    stop(daemon).await;
    figures
}

impl StatsFigures {
    /// Prints the phase's figures.
    pub fn print(&self) {
        let (full, scan, month, healthz) = (self.full, self.scan, self.month, self.healthz);
        println!(
            "== Stats: GET /v1/providers/{{id}}/stats, {REQUESTS} sequential requests on one \
             connection after {WARM_UP} untimed, {DAYS} days of counters"
        );
        println!(
            "   {DAYS} days: p50 {:.3} ms  p99 {:.3} ms  ({} bytes of JSON) — target p99 < 1 ms: {}",
            full.0,
            full.1,
            self.full_bytes,
            met(full.1 < 1.0)
        );
        println!(
            "   the store's range scan + decode alone, uncached, in process: p50 {:.3} ms  p99 {:.3} ms",
            scan.0, scan.1
        );
        println!("   30 days:   p50 {:.3} ms  p99 {:.3} ms", month.0, month.1);
        println!(
            "   baseline GET /healthz: p50 {:.3} ms  p99 {:.3} ms; 3-year p50 ratio {}",
            healthz.0,
            healthz.1,
            ratio(full.0, healthz.0)
        );
        println!();
    }
}
