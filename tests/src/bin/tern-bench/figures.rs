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

/// CPU time a process has used so far, (user, system) in seconds; this process for `None`.
///
/// Throughput ratios move with whatever else the shared cores run; CPU time per request
/// moves much less, so each load phase prints it beside its rates.
pub fn cpu_secs(pid: Option<u32>) -> (f64, f64) {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces: utime and
    // stime are the 12th and 13th, in clock ticks (100 per second on Linux).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let secs = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(f64::NAN, |ticks| ticks / 100.0)
    };
    (secs(11), secs(12))
}

/// CPU used during a run, by ternd and by this process (load generator and mocks).
#[derive(Clone, Copy)]
pub struct CpuUse {
    /// ternd's (user, system) CPU seconds; `None` when ternd was not involved.
    pub ternd: Option<(f64, f64)>,
    /// This process's CPU seconds, user and system together.
    pub bench: f64,
}

impl CpuUse {
    /// Runs `f` and measures the CPU it took in `ternd` (if given) and in this process.
    pub async fn measure<T>(
        ternd: Option<u32>,
        f: impl std::future::Future<Output = T>,
    ) -> (T, CpuUse) {
        let ternd_before = ternd.map(|p| cpu_secs(Some(p)));
        let bench_before = cpu_secs(None);
        let out = f.await;
        let ternd_after = ternd.map(|p| cpu_secs(Some(p)));
        let bench_after = cpu_secs(None);
        let cpu = CpuUse {
            ternd: ternd_before
                .zip(ternd_after)
                .map(|(b, a)| (a.0 - b.0, a.1 - b.1)),
            bench: (bench_after.0 + bench_after.1) - (bench_before.0 + bench_before.1),
        };
        (out, cpu)
    }

    /// Microseconds of CPU per answered request, for the report.
    pub fn per_request(&self, run: &Run) -> String {
        let per = |secs: f64| secs * 1e6 / run.samples.len().max(1) as f64;
        match self.ternd {
            Some((user, system)) => format!(
                "ternd {:.0} µs (user {:.0}, system {:.0}) + load generator and mocks {:.0} µs",
                per(user + system),
                per(user),
                per(system),
                per(self.bench)
            ),
            None => format!("load generator and server {:.0} µs", per(self.bench)),
        }
    }
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

/// A run, the CPU it took, and its name in the report.
pub struct Measured<'a> {
    /// The name.
    pub name: &'a str,
    /// The run.
    pub run: &'a Run,
    /// Its CPU.
    pub cpu: CpuUse,
}

/// Prints a run and its baseline, with their ratio against a target, and the CPU time per
/// request of each.
pub fn report_rates(run: Measured<'_>, base: Measured<'_>, target: &str, min: f64) {
    for m in [&run, &base] {
        let (p50, p99) = p50_p99(m.run.samples.iter());
        println!(
            "   {:<28} {:>8.0} req/s  p50 {p50:.2} ms  p99 {p99:.2} ms  ({} ok, {} not 2xx, {} transport errors, {:.1} s)",
            m.name,
            m.run.rate(),
            m.run.ok(),
            m.run.not_ok(),
            m.run.transport_errors,
            m.run.elapsed.as_secs_f64()
        );
    }
    let r = run.run.rate() / base.run.rate();
    println!("   ratio {r:.2}x — target {target}: {}", met(r >= min));
    println!(
        "   CPU per request: {}; baseline: {}",
        run.cpu.per_request(run.run),
        base.cpu.per_request(base.run)
    );
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
