//! Turning samples into printed figures, and the few readings of the machine and the
//! process the report needs.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::load::{Run, Sample};

/// The `p`th percentile of sorted microseconds, in milliseconds.
pub fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

/// p50 and p99 of microseconds, in milliseconds.
pub fn p50_p99_of(mut micros: Vec<u64>) -> (f64, f64) {
    micros.sort_unstable();
    (percentile(&micros, 50.0), percentile(&micros, 99.0))
}

/// p50 and p99 latency of samples, in milliseconds.
pub fn p50_p99<'a>(samples: impl Iterator<Item = &'a Sample>) -> (f64, f64) {
    p50_p99_of(samples.map(|s| s.micros).collect())
}

/// (VmRSS, VmHWM) of a process in MiB.
pub fn memory(pid: u32) -> (f64, f64) {
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

/// Cores, CPU model, memory and OS, for the report's header.
pub fn machine() -> String {
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

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Today in UTC, as days since the Unix epoch.
pub fn today() -> i32 {
    now_ms().div_euclid(86_400_000) as i32
}

/// `YYYY-MM-DD` of a day since the Unix epoch (proleptic Gregorian, UTC).
pub fn date(day: i32) -> String {
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

/// `a / b` as `1.23x`.
pub fn ratio(a: f64, b: f64) -> String {
    format!("{:.2}x", a / b)
}

/// How a target comes out.
pub fn met(yes: bool) -> &'static str {
    if yes { "met" } else { "MISSED" }
}

/// Prints a run and its baseline, with their ratio against a target.
pub fn report_rates(name: &str, run: &Run, base_name: &str, base: &Run, target: &str, min: f64) {
    for (name, run) in [(name, run), (base_name, base)] {
        let (p50, p99) = p50_p99(run.samples.iter());
        println!(
            "   {name:<28} {:>8.0} req/s  p50 {p50:.2} ms  p99 {p99:.2} ms  ({} ok, {} not 2xx, {} transport errors, {:.1} s)",
            run.rate(),
            run.ok(),
            run.not_ok(),
            run.transport_errors,
            run.elapsed.as_secs_f64()
        );
    }
    let r = run.rate() / base.rate();
    println!("   ratio {r:.2}x — target {target}: {}", met(r >= min));
}

/// The bytes of the files under `dir`.
pub fn dir_size(dir: &Path) -> u64 {
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
