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
//! The phases, one module each: the send path (`send`), callback ingest (`ingest`), memory
//! (read here, between the others), per-provider statistics over three years of daily
//! counters (`stats`), and start-up with many message records in the store (`startup`).
//!
//! Client, mocks and daemon share the machine's cores, so every ratio is "ternd plus the load
//! generator" against "baseline plus the same load generator".

mod args;
mod figures;
mod ingest;
mod load;
mod send;
mod startup;
mod stats;
mod ternd;

use std::time::Duration;

use serde_json::{Value, json};
use tern_tests::fixtures::{mock_twilio, twilio_config};

use figures::{machine, memory, met};
use load::{CONCURRENCY, addr_of};

#[tokio::main]
async fn main() {
    let args = args::parse_args();
    let secs = Duration::from_secs(args.secs);
    let data = tempfile::tempdir().expect("temporary data directory");
    let opts = ternd::options(data.path(), &args.plugin_dir);

    println!("tern-bench: release ternd on loopback");
    println!("machine: {}", machine());
    println!(
        "load: {CONCURRENCY} keep-alive HTTP/1.1 connections, {} s per timed phase; the load \
         generator, the mocks and ternd share the machine's cores",
        args.secs
    );
    println!();

    // Start-up with an empty store, and idle memory.
    let (daemon, empty_start) = ternd::start(&args.ternd, &opts).await;
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

    let sends = send::run(
        send::SendTarget {
            admin: addr_of(&daemon.admin_url),
            token: &daemon.token,
            provider_id: &provider_id,
            callback_url: &callback_url,
            mock: mock.addr,
            pid: daemon.pid(),
        },
        secs,
    )
    .await;

    let mut peak_hwm = f64::NAN;
    let ingest = ingest::run(
        &sends.sids,
        &callback_url,
        addr_of(&daemon.callback_url),
        daemon.pid(),
        secs,
        || peak_hwm = memory(daemon.pid()).1,
    )
    .await;
    let stats = admin
        .get(&format!("/v1/providers/{provider_id}/stats"))
        .await
        .json();
    let delivered = stats["totals"]["delivered"].as_u64().unwrap_or(0);
    ternd::stop(daemon).await;

    let stats = stats::run(&args.ternd, &opts, &provider_id).await;
    let startup = startup::run(&args.ternd, &opts, &provider_id, args.records).await;

    sends.print();
    ingest.print(delivered);
    println!("== Memory (ternd, /proc/<pid>/status)");
    println!(
        "   idle after start, plugins loaded [{}]: VmRSS {idle_rss:.1} MiB (VmHWM {idle_hwm:.1} MiB) \
         — target ≤ 32 MiB: {}",
        names.join(", "),
        met(idle_rss <= 32.0)
    );
    println!("   peak after send + ingest phases: VmHWM {peak_hwm:.1} MiB");
    println!(
        "   idle after start with {} message records: VmRSS {:.1} MiB",
        args.records,
        startup.idle_rss()
    );
    println!();
    stats.print();
    startup.print(empty_start);
}
