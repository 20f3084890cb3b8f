//! Callback ingest: signed Twilio status callbacks for the messages the send phase created,
//! against a bare hyper server in this process answering the same requests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use tern_tests::fixtures::{ACCOUNT_SID, AUTH_TOKEN, path_of, twilio_signature};

use crate::figures::{CpuUse, Measured, p50_p99, report_rates};
use crate::load::{MakeRequest, Run, bare_server, load};

/// What the phase measured.
pub struct IngestFigures {
    /// Through ternd.
    pub ternd: Run,
    /// The bare hyper server.
    pub bare: Run,
    /// The CPU each took.
    pub cpu: (CpuUse, CpuUse),
    /// Distinct messages: requests `0..first_time` are each a message's first callback.
    pub first_time: u64,
}

/// One signed `delivered` status callback per message, prepared before the clock starts so
/// that signing costs the load generator nothing; request `i` is for `sids[i % n]`.
fn prepare(sids: &[String], callback_url: &str) -> Arc<Vec<(Bytes, String)>> {
    Arc::new(
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
                let signature = twilio_signature(AUTH_TOKEN, callback_url, &params);
                let body: String = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(params)
                    .finish();
                (Bytes::from(body), signature)
            })
            .collect(),
    )
}

/// Runs ternd's half against `callback_addr`, then the bare server's, for `secs` each.
pub async fn run(
    sids: &[String],
    callback_url: &str,
    callback_addr: SocketAddr,
    pid: u32,
    secs: Duration,
    after_ternd: impl FnOnce(),
) -> IngestFigures {
    let prepared = prepare(sids, callback_url);
    assert!(!prepared.is_empty(), "the send phase recorded no message");
    let path = path_of(callback_url).to_owned();
    let callbacks = |addr: SocketAddr| -> MakeRequest {
        let prepared = prepared.clone();
        let path = path.clone();
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
    let (ternd, ternd_cpu) = CpuUse::measure(
        Some(pid),
        load(
            callback_addr,
            callbacks(callback_addr),
            u64::MAX,
            secs,
            false,
        ),
    )
    .await;
    after_ternd();
    let bare_addr = bare_server().await;
    let (bare, bare_cpu) = CpuUse::measure(
        None,
        load(bare_addr, callbacks(bare_addr), u64::MAX, secs, false),
    )
    .await;
    IngestFigures {
        ternd,
        bare,
        cpu: (ternd_cpu, bare_cpu),
        first_time: prepared.len() as u64,
    }
}

impl IngestFigures {
    /// Prints the phase's figures; `delivered` is what ternd counted afterwards.
    pub fn print(&self, delivered: u64) {
        println!("== Callback ingest: signed Twilio status callbacks (delivered)");
        report_rates(
            Measured {
                name: "ternd",
                run: &self.ternd,
                cpu: self.cpu.0,
            },
            Measured {
                name: "bare hyper (read body, 200)",
                run: &self.bare,
                cpu: self.cpu.1,
            },
            "ingest ≥ 0.5x bare hyper",
            0.5,
        );
        let n = self.first_time;
        let is_first = |s: &&crate::load::Sample| s.index < n;
        let ok = |s: &&crate::load::Sample| (200..300).contains(&s.status);
        let first: Vec<_> = self
            .ternd
            .samples
            .iter()
            .filter(is_first)
            .filter(ok)
            .collect();
        let total = self.ternd.ok();
        println!(
            "   first-time events: {} of {total} answered callbacks ({:.1}%); the rest repeat a \
             delivered status (duplicates, changing nothing)",
            first.len(),
            100.0 * first.len() as f64 / total.max(1) as f64
        );
        // Requests are issued in index order, so the first-time ones come first; the rates
        // of the two kinds split the run where the last first-time answer arrived.
        let split = first.iter().map(|s| s.done_micros).max().unwrap_or(0);
        let secs = |micros: u64| micros as f64 / 1e6;
        let elapsed = self.ternd.elapsed.as_micros() as u64;
        let repeats = total - first.len();
        println!(
            "   first-time events: {:.0} req/s over the first {:.1} s; duplicates: {:.0} req/s over the remaining {:.1} s",
            first.len() as f64 / secs(split).max(1e-6),
            secs(split),
            repeats as f64 / secs(elapsed.saturating_sub(split)).max(1e-6),
            secs(elapsed.saturating_sub(split)),
        );
        let first_ms = p50_p99(self.ternd.samples.iter().filter(|s| s.index < n));
        let repeat_ms = p50_p99(self.ternd.samples.iter().filter(|s| s.index >= n));
        println!(
            "   latency first-time p50 {:.2} ms p99 {:.2} ms; duplicates p50 {:.2} ms p99 {:.2} ms",
            first_ms.0, first_ms.1, repeat_ms.0, repeat_ms.1
        );
        println!("   delivered counted by ternd afterwards: {delivered}");
        println!();
    }
}
