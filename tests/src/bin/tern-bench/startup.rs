//! Start-up with many message records: written straight into the stopped daemon's store, then
//! the time from spawning ternd until `/healthz` answers, and its memory once idle.

use std::path::Path;
use std::time::{Duration, Instant};

use tern_daemon::store::{MessageRecord, Writes};
use tern_tests::daemon::Options;

use crate::figures::{dir_size, memory, now_ms, ratio, today};
use crate::ternd::{start, stop, with_store};

/// Message records written per store batch.
const BATCH: usize = 10_000;

/// What the phase measured.
pub struct StartupFigures {
    records: usize,
    write_time: Duration,
    db_bytes: u64,
    start: Duration,
    idle_rss: f64,
}

/// Writes `records` messages for `provider_id`, then starts and stops ternd.
pub async fn run(
    ternd: &Path,
    options: &Options,
    provider_id: &str,
    records: usize,
) -> StartupFigures {
    let pid: u64 = provider_id.parse().unwrap();
    let began = Instant::now();
    with_store(&options.data_dir, move |store| {
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
    let write_time = began.elapsed();
    let db_bytes = dir_size(&options.data_dir.join("db"));
    let (daemon, start_time) = start(ternd, options).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (idle_rss, _) = memory(daemon.pid());
    stop(daemon).await;
    StartupFigures {
        records,
        write_time,
        db_bytes,
        start: start_time,
        idle_rss,
    }
}

impl StartupFigures {
    /// Idle RSS after this start, in MiB.
    pub fn idle_rss(&self) -> f64 {
        self.idle_rss
    }

    /// Prints the phase's figures beside the start on an empty store.
    pub fn print(&self, empty_start: Duration) {
        println!("== Start-up: spawn until /healthz answers 200");
        println!(
            "   empty store: {:.0} ms",
            empty_start.as_secs_f64() * 1000.0
        );
        println!(
            "   {} message records ({:.0} MiB on disk, written in {:.1} s): {:.0} ms ({})",
            self.records,
            self.db_bytes as f64 / (1024.0 * 1024.0),
            self.write_time.as_secs_f64(),
            self.start.as_secs_f64() * 1000.0,
            ratio(self.start.as_secs_f64(), empty_start.as_secs_f64())
        );
    }
}
