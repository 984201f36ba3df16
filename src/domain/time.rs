//! Time as the service keeps it: UTC instants stored and rendered as fixed-width RFC 3339
//! text with a `Z` (so that text order is time order on every database), days counted in
//! China Standard Time, and a clock that tests can move.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, SecondsFormat, Utc};

/// Asia/Shanghai has kept UTC+8 without daylight saving since 1991.
const CHINA: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

pub fn china_offset() -> FixedOffset {
    CHINA
}

/// The calendar day in China at an instant.
pub fn china_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&china_offset()).date_naive()
}

/// The instant a China calendar day starts.
pub fn china_day_start(day: NaiveDate) -> DateTime<Utc> {
    (day.and_time(NaiveTime::MIN) - chrono::Duration::hours(8)).and_utc()
}

/// `2026-11-22T08:30:00.000Z`: millisecond precision, always the same width.
pub fn format(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Reads an RFC 3339 instant with any offset.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Reads either an RFC 3339 instant or a plain `YYYY-MM-DD` date, which means the start of
/// that day in China.
pub fn parse_instant_or_date(text: &str) -> Option<DateTime<Utc>> {
    parse(text).or_else(|| {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .ok()
            .map(china_day_start)
    })
}

/// Where the service gets "now" from.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved: for tests.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(AtomicI64::new(at.timestamp_millis())))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        self.0.store(at.timestamp_millis(), Ordering::SeqCst);
    }

    pub fn advance(&self, by: chrono::Duration) {
        self.0.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.0.load(Ordering::SeqCst)).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        parse(s).expect("valid instant")
    }

    #[test]
    fn china_day_boundaries() {
        // 23:59 on the 21st in UTC is already the 22nd in China.
        assert_eq!(
            china_date(at("2026-11-21T16:00:00Z")),
            NaiveDate::from_ymd_opt(2026, 11, 22).expect("date")
        );
        assert_eq!(
            china_date(at("2026-11-21T15:59:59Z")),
            NaiveDate::from_ymd_opt(2026, 11, 21).expect("date")
        );
    }

    #[test]
    fn formats_fixed_width_with_z() {
        assert_eq!(
            format(at("2026-11-22T08:30:00+08:00")),
            "2026-11-22T00:30:00.000Z"
        );
        assert_eq!(
            format(at("2026-01-02T03:04:05.6Z")),
            "2026-01-02T03:04:05.600Z"
        );
    }

    #[test]
    fn parses_dates_as_china_midnight() {
        assert_eq!(
            parse_instant_or_date("2026-11-22").map(format).as_deref(),
            Some("2026-11-21T16:00:00.000Z")
        );
        assert!(parse_instant_or_date("22/11/2026").is_none());
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(at("2026-11-22T00:00:00Z"));
        assert_eq!(format(c.now()), "2026-11-22T00:00:00.000Z");
        c.advance(chrono::Duration::hours(25));
        assert_eq!(format(c.now()), "2026-11-23T01:00:00.000Z");
    }
}
