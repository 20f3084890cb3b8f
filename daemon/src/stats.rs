//! Provider statistics: totals, rates, daily averages and a zero-filled daily series, from
//! the per-day counters, with the formulas of the design document.
//!
//! Events count on the day their message was sent, so over any range delivered <= sent and
//! the rates stay within 0-100%. Callbacks about unknown messages count as `unmatched` on the
//! day they arrive and enter no rate.

use std::fmt::Write;

use serde::Serialize;
use tern_plugin_api::payload::Callbacks;

use crate::clock::{Calendar, Day, date_of, parse_date};
use crate::providers::{ProviderError, Providers};
use crate::store::{DayCounters, Store, StoreError};

/// The longest range served, in days: three years, leap day included.
pub const MAX_DAYS: i32 = 3 * 365 + 1;
/// The range when none is given: the last 30 days, today included.
pub const DEFAULT_DAYS: i32 = 30;

/// Why stats could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// A bad `from`/`to`.
    #[error("{field}: {message}")]
    Invalid {
        /// `from` or `to`.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The provider does not exist.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A provider's statistics over a range of days.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// The provider.
    pub provider_id: String,
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, inclusive.
    pub to: String,
    /// Number of days in the range.
    pub days: u32,
    /// Which callbacks the provider's configuration enables (decides the rates' meaning).
    pub callbacks: Callbacks,
    /// Sums over the range.
    pub totals: Totals,
    /// delivered / sent * 100, or 0 without delivery callbacks.
    pub delivery_rate: f64,
    /// sent / days.
    pub daily_avg_sent: f64,
    /// delivered / days.
    pub daily_avg_delivered: f64,
    /// clicked / delivered * 100 with delivery callbacks, else clicked / sent * 100.
    pub ctr: f64,
    /// One point per day, zero-filled.
    pub series: Vec<Point>,
}

/// Sums over a range.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Totals {
    /// Accepted by the provider.
    pub sent: u64,
    /// Delivered.
    pub delivered: u64,
    /// Failed after acceptance.
    pub failed: u64,
    /// Refused or not sent.
    pub send_errors: u64,
    /// send_errors + failed.
    pub errors: u64,
    /// Clicked.
    pub clicked: u64,
    /// Replied.
    pub replied: u64,
    /// Callbacks about messages Tern does not know.
    pub unmatched: u64,
}

/// One day of the series.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// The day, shown as `YYYY-MM-DD`.
    pub date: Day,
    /// Sent.
    pub sent: u64,
    /// Delivered.
    pub delivered: u64,
    /// Failed.
    pub failed: u64,
    /// send_errors + failed.
    pub errors: u64,
    /// Clicked.
    pub clicked: u64,
    /// Replied.
    pub replied: u64,
}

/// The stats service. Cheap to clone.
#[derive(Clone)]
pub struct StatsService {
    store: Store,
    providers: Providers,
    calendar: Calendar,
}

impl StatsService {
    /// The service over the daemon's store and calendar.
    pub fn new(store: Store, providers: Providers, calendar: Calendar) -> Self {
        StatsService {
            store,
            providers,
            calendar,
        }
    }

    /// Stats of provider `id` (archived ones included) over `from..=to`, by default the last
    /// 30 days ending today.
    pub fn read(
        &self,
        id: &str,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Stats, StatsError> {
        let record = self.providers.record(id)?;
        let (from, to) = range(self.calendar.today(), from, to)?;
        let rows = self.store.counters(record.id, from, to)?;
        Ok(compute(
            &record.id.to_string(),
            record.callbacks.into(),
            from,
            to,
            &rows,
        ))
    }
}

/// Resolves and checks a range against `today`.
pub fn range(today: i32, from: Option<&str>, to: Option<&str>) -> Result<(i32, i32), StatsError> {
    let parse = |field: &'static str, text: &str| {
        parse_date(text).ok_or_else(|| StatsError::Invalid {
            field,
            message: format!("{text:?} is not a date in the form YYYY-MM-DD"),
        })
    };
    let to = match to {
        Some(text) => parse("to", text)?,
        None => today,
    };
    let from = match from {
        Some(text) => parse("from", text)?,
        None => to - (DEFAULT_DAYS - 1),
    };
    if from > to {
        return Err(StatsError::Invalid {
            field: "from",
            message: format!("{} is after to {}", date_of(from), date_of(to)),
        });
    }
    if to - from + 1 > MAX_DAYS {
        return Err(StatsError::Invalid {
            field: "from",
            message: format!(
                "the range is {} days; at most {MAX_DAYS} (three years) are served",
                to - from + 1
            ),
        });
    }
    Ok((from, to))
}

/// The stats of `rows` (days with data, in order) over `from..=to`.
pub fn compute(
    provider_id: &str,
    callbacks: Callbacks,
    from: i32,
    to: i32,
    rows: &[(i32, DayCounters)],
) -> Stats {
    let mut totals = DayCounters::default();
    let mut rows = rows.iter().peekable();
    let mut series = Vec::with_capacity((to - from + 1) as usize);
    for day in from..=to {
        let counters = match rows.peek() {
            Some((d, c)) if *d == day => {
                rows.next();
                *c
            }
            _ => DayCounters::default(),
        };
        totals.add(&counters);
        series.push(Point {
            date: Day(day),
            sent: counters.sent,
            delivered: counters.delivered,
            failed: counters.failed,
            errors: counters.send_errors.saturating_add(counters.failed),
            clicked: counters.clicked,
            replied: counters.replied,
        });
    }
    let days = (to - from + 1) as u32;
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let delivery_rate = if callbacks.delivery {
        ratio(totals.delivered, totals.sent) * 100.0
    } else {
        0.0
    };
    let ctr = if callbacks.delivery {
        ratio(totals.clicked, totals.delivered) * 100.0
    } else {
        ratio(totals.clicked, totals.sent) * 100.0
    };
    Stats {
        provider_id: provider_id.to_owned(),
        from: date_of(from),
        to: date_of(to),
        days,
        callbacks,
        totals: Totals {
            sent: totals.sent,
            delivered: totals.delivered,
            failed: totals.failed,
            send_errors: totals.send_errors,
            errors: totals.send_errors.saturating_add(totals.failed),
            clicked: totals.clicked,
            replied: totals.replied,
            unmatched: totals.unmatched,
        },
        delivery_rate: round2(delivery_rate),
        daily_avg_sent: round2(ratio(totals.sent, u64::from(days))),
        daily_avg_delivered: round2(ratio(totals.delivered, u64::from(days))),
        ctr: round2(ctr),
        series,
    }
}

/// The stats as JSON: the same bytes as `serde_json::to_vec`, but the series, which is most
/// of a long range's answer, is written directly instead of field by field through serde
/// (which cost between two and three times more per day).
pub fn into_json(mut stats: Stats) -> Vec<u8> {
    let series = std::mem::take(&mut stats.series);
    // `series` is the last field, so the document ends with `"series":[]}`.
    let mut out = serde_json::to_vec(&stats).unwrap_or_else(|_| b"{}".to_vec());
    let Some(head) = out.len().checked_sub(2).filter(|_| out.ends_with(b"[]}")) else {
        return out;
    };
    out.truncate(head);
    out.reserve(series.len() * 100 + 2);
    for (i, p) in series.iter().enumerate() {
        // Each point is put together on the stack and appended in one copy.
        let mut point = PointBuf::default();
        point.put(if i == 0 {
            b"{\"date\":\""
        } else {
            b",{\"date\":\""
        });
        match p.date.ascii() {
            Some(ascii) => point.put(&ascii),
            None => point.put(p.date.to_string().as_bytes()),
        }
        point.put(b"\",\"sent\":");
        point.decimal(p.sent);
        point.put(b",\"delivered\":");
        point.decimal(p.delivered);
        point.put(b",\"failed\":");
        point.decimal(p.failed);
        point.put(b",\"errors\":");
        point.decimal(p.errors);
        point.put(b",\"clicked\":");
        point.decimal(p.clicked);
        point.put(b",\"replied\":");
        point.decimal(p.replied);
        point.put(b"}");
        out.extend_from_slice(&point.bytes[..point.len]);
    }
    out.extend_from_slice(b"]}");
    out
}

/// One point of the series as JSON: at most 208 bytes (13 for the date, 20 per number, 75
/// for the punctuation and keys).
struct PointBuf {
    bytes: [u8; 256],
    len: usize,
}

impl Default for PointBuf {
    fn default() -> Self {
        PointBuf {
            bytes: [0; 256],
            len: 0,
        }
    }
}

impl PointBuf {
    fn put(&mut self, text: &[u8]) {
        self.bytes[self.len..self.len + text.len()].copy_from_slice(text);
        self.len += text.len();
    }

    /// Writes `n` in decimal, straight into the buffer from its last digit back.
    fn decimal(&mut self, mut n: u64) {
        let end = self.len + n.checked_ilog10().unwrap_or(0) as usize + 1;
        for slot in self.bytes[self.len..end].iter_mut().rev() {
            *slot = b'0' + (n % 10) as u8;
            n /= 10;
        }
        self.len = end;
    }
}

/// The series as CSV, with a header row.
pub fn csv(stats: &Stats) -> String {
    let mut out = String::from("date,sent,delivered,failed,errors,clicked,replied\n");
    for p in &stats.series {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{}",
            p.date, p.sent, p.delivered, p.failed, p.errors, p.clicked, p.replied
        );
    }
    out
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(sent: u64, delivered: u64, failed: u64, send_errors: u64, clicked: u64) -> DayCounters {
        DayCounters {
            sent,
            delivered,
            failed,
            send_errors,
            clicked,
            ..DayCounters::default()
        }
    }

    const ALL: Callbacks = Callbacks {
        delivery: true,
        clicks: true,
        replies: true,
    };

    #[test]
    fn formulas_with_delivery_callbacks() {
        let rows = [(10, day(3, 2, 1, 1, 1)), (12, day(3, 1, 0, 0, 0))];
        let s = compute("7", ALL, 10, 12, &rows);
        assert_eq!(s.days, 3);
        assert_eq!(s.totals.sent, 6);
        assert_eq!(s.totals.errors, 2);
        assert_eq!(s.delivery_rate, 50.0);
        assert_eq!(s.daily_avg_sent, 2.0);
        assert_eq!(s.daily_avg_delivered, 1.0);
        assert_eq!(s.ctr, 33.33);
        assert_eq!(s.series.len(), 3);
        assert_eq!(s.series[1].sent, 0, "zero-filled");
        assert_eq!(s.series[0].errors, 2);
        assert_eq!(s.from, date_of(10));
    }

    #[test]
    fn without_delivery_callbacks_rates_use_sent() {
        let rows = [(0, day(3, 0, 0, 0, 1))];
        let s = compute("7", Callbacks::default(), 0, 0, &rows);
        assert_eq!(s.delivery_rate, 0.0);
        assert_eq!(s.ctr, 33.33);
        let empty = compute("7", ALL, 0, 6, &[]);
        assert_eq!(
            (empty.delivery_rate, empty.ctr, empty.daily_avg_sent),
            (0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn ranges_are_checked() {
        let today = parse_date("2026-11-27").unwrap();
        assert_eq!(range(today, None, None).unwrap(), (today - 29, today));
        assert!(matches!(
            range(today, Some("2026-11-28"), Some("2026-11-27")),
            Err(StatsError::Invalid { .. })
        ));
        assert!(range(today, Some("2023-11-27"), None).is_err());
        assert!(range(today, Some("2023-11-28"), None).is_ok());
        assert!(range(today, Some("2026-13-01"), None).is_err());
    }

    #[test]
    fn json_is_what_serde_writes() {
        let rows = [
            (-2, day(3, 2, 1, 1, 1)),
            (0, day(u64::MAX, 1, 0, 0, 0)),
            (
                1,
                DayCounters {
                    sent: u64::MAX,
                    send_errors: u64::MAX,
                    delivered: u64::MAX,
                    failed: u64::MAX,
                    clicked: u64::MAX,
                    replied: u64::MAX,
                    unmatched: u64::MAX,
                },
            ),
            (3, day(7, 0, 0, 9, 2)),
        ];
        for (from, to) in [(-3, 4), (0, 0), (5, 6)] {
            let s = compute("7", ALL, from, to, &rows);
            assert_eq!(
                String::from_utf8(into_json(s.clone())).unwrap(),
                serde_json::to_string(&s).unwrap()
            );
        }
    }

    #[test]
    fn csv_has_a_header_and_one_row_per_day() {
        let s = compute("7", ALL, 0, 1, &[(1, day(2, 1, 0, 0, 0))]);
        assert_eq!(
            csv(&s),
            "date,sent,delivered,failed,errors,clicked,replied\n1970-01-01,0,0,0,0,0,0\n1970-01-02,2,1,0,0,0,0\n"
        );
    }
}
