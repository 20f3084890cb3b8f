//! Wall-clock time as the API and the store see it: Unix milliseconds on disk, RFC 3339 on
//! the wire, and calendar days in the configured time zone for counters and stats.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

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
    EPOCH
        .checked_add(i64::from(day).days())
        .map(|d| d.to_string())
        .unwrap_or_default()
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
}
