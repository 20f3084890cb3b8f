//! Wall-clock time as the API and the store see it: Unix milliseconds on disk, RFC 3339 on
//! the wire, and calendar days in the configured time zone for counters and stats.

use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde::{Serialize, Serializer};

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

/// Unix milliseconds as RFC 3339 in UTC, such as `2026-11-27T13:45:00.123Z`.
pub fn rfc3339(ms: i64) -> String {
    timestamp(ms).map(|t| t.to_string()).unwrap_or_default()
}

/// Unix milliseconds as a timestamp. Built from seconds and nanoseconds rather than with
/// `Timestamp::from_millisecond`, which refuses some valid values in jiff 1.0.2.
fn timestamp(ms: i64) -> Option<Timestamp> {
    let nanos = (ms.rem_euclid(1000) * 1_000_000) as i32;
    Timestamp::new(ms.div_euclid(1000), nanos).ok()
}

/// 1970-01-01, day 0.
const EPOCH: Date = Date::constant(1970, 1, 1);

/// Calendar days in one time zone. Counters are kept per day, numbered from 1970-01-01, so a
/// range of days is one contiguous key range in the store.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: TimeZone,
}

impl Calendar {
    /// The calendar of an IANA time zone name such as `Europe/Paris`, or `UTC`.
    pub fn new(zone: &str) -> Result<Calendar, String> {
        TimeZone::get(zone).map(|tz| Calendar { tz }).map_err(|_| {
            format!("{zone:?} is not an IANA time zone name such as UTC or Europe/Paris")
        })
    }

    /// The day `ms` falls on.
    pub fn day_of(&self, ms: i64) -> i32 {
        let date = timestamp(ms)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(self.tz.clone())
            .date();
        day_number(date)
    }

    /// Today.
    pub fn today(&self) -> i32 {
        self.day_of(now_ms())
    }
}

/// The day number of a date.
pub fn day_number(date: Date) -> i32 {
    date.since(EPOCH).map(|span| span.get_days()).unwrap_or(0)
}

/// The date of a day number, as `YYYY-MM-DD`.
pub fn date_of(day: i32) -> String {
    Day(day).to_string()
}

/// A day number that shows as its `YYYY-MM-DD` date, and serializes as that string, without
/// allocating: a three-year stats series holds 1096 of them, and formatting them through
/// jiff's span arithmetic and printer once cost more than the rest of the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Day(pub i32);

impl Day {
    /// The date as ASCII, for years 0 to 9999 (jiff prints other years with a sign and six
    /// digits; [`fmt::Display`] handles those).
    pub fn ascii(self) -> Option<[u8; 10]> {
        let (y, m, d) = civil(self.0);
        if !(0..=9999).contains(&y) {
            return None;
        }
        let y = y as u32;
        let digit = |n: u32| b'0' + (n % 10) as u8;
        Some([
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
            b'-',
            digit(m / 10),
            digit(m),
            b'-',
            digit(d / 10),
            digit(d),
        ])
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.ascii() {
            // Digits and dashes only, so always UTF-8.
            Some(ascii) => f.write_str(std::str::from_utf8(&ascii).unwrap_or_default()),
            None => match EPOCH.checked_add(i64::from(self.0).days()) {
                Ok(date) => write!(f, "{date}"),
                Err(_) => Ok(()),
            },
        }
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Year, month and day of a day number in the proleptic Gregorian calendar (Howard
/// Hinnant's `civil_from_days`).
fn civil(day: i32) -> (i64, u32, u32) {
    let z = i64::from(day) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Reads a `YYYY-MM-DD` date as a day number.
pub fn parse_date(text: &str) -> Option<i32> {
    if text.len() != 10 {
        return None;
    }
    text.parse::<Date>().ok().map(day_number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_with_millis() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_764_250_000_123), "2025-11-27T13:26:40.123Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn days_round_trip_and_follow_the_zone() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("1969-12-31"), Some(-1));
        let day = parse_date("2026-11-27").unwrap();
        assert_eq!(date_of(day), "2026-11-27");
        for bad in [
            "2026-02-30",
            "2026-1-1",
            "yesterday",
            "2026-11-27T00:00:00Z",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        // 2026-11-27T23:30Z is already the 28th in Tokyo.
        let ms = 1_795_822_200_000;
        assert_eq!(
            date_of(Calendar::new("UTC").unwrap().day_of(ms)),
            "2026-11-27"
        );
        assert_eq!(
            date_of(Calendar::new("Asia/Tokyo").unwrap().day_of(ms)),
            "2026-11-28"
        );
        assert!(Calendar::new("Mars/Olympus").is_err());
    }

    #[test]
    fn dates_match_jiff_across_its_whole_range() {
        let jiff = |day: i32| {
            EPOCH
                .checked_add(i64::from(day).days())
                .map(|d| d.to_string())
                .unwrap_or_default()
        };
        // Every day from 10 years before year 0 (day -719528) to 2100-12-31, then every
        // 97th day over jiff's range and past it.
        let near = -719_528 - 3653..=47_846;
        for day in near.chain((-4_000_000..4_000_000).step_by(97)) {
            assert_eq!(date_of(day), jiff(day), "day {day}");
        }
    }
}
