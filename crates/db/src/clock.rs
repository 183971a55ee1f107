//! Time as a dependency: every component takes its "now" from a [`Clock`] so that tests can move
//! it (expiry, retention, lockouts, deadlines), and stores it as a [`Timestamp`] in microseconds
//! since the Unix epoch, the one representation both backends hold exactly.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

/// Microseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Whole seconds since the epoch.
    pub fn unix_seconds(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// This instant plus a number of seconds (negative moves back).
    #[must_use]
    pub fn plus_seconds(self, s: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(s.saturating_mul(1_000_000)))
    }

    /// As a calendar date-time (UTC); out-of-range values clamp to the epoch.
    pub fn to_datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// From a calendar date-time.
    pub fn from_datetime(dt: OffsetDateTime) -> Timestamp {
        Timestamp((dt.unix_timestamp_nanos() / 1000) as i64)
    }

    /// The calendar day (UTC) as `YYYY-MM-DD`.
    pub fn day(self) -> String {
        self.to_datetime().date().to_string()
    }

    /// Parses an RFC 3339 time, or a `YYYY-MM-DD` day as its midnight UTC (surrounding white
    /// space ignored); `None` for anything else.
    pub fn parse_day_or_rfc3339(s: &str) -> Option<Timestamp> {
        use time::format_description::well_known::Rfc3339;
        let s = s.trim();
        if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
            return Some(Timestamp::from_datetime(t));
        }
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        time::Date::parse(s, &fmt)
            .ok()
            .map(|d| Timestamp::from_datetime(d.midnight().assume_utc()))
    }

    /// RFC 3339 text, for humans and wire formats.
    pub fn to_rfc3339(self) -> String {
        self.to_datetime()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| self.0.to_string())
    }
}

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        Timestamp(micros)
    }
}

/// A clock that tests set and advance by hand; clones share one time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: Timestamp) -> Self {
        ManualClock(Arc::new(AtomicI64::new(start.0)))
    }

    /// Moves the clock forward by `seconds`.
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds * 1_000_000, Ordering::SeqCst);
    }

    /// Sets the clock.
    pub fn set(&self, t: Timestamp) {
        self.0.store(t.0, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_rfc3339_parse_and_days_format() {
        let midnight = Timestamp::parse_day_or_rfc3339(" 2026-11-23 ");
        assert_eq!(midnight, Some(Timestamp(1_795_392_000_000_000)));
        assert_eq!(
            Timestamp::parse_day_or_rfc3339("2026-11-23T12:00:00Z"),
            Some(Timestamp(1_795_435_200_000_000))
        );
        for bad in ["", "23/11/2026", "2026-13-01", "tomorrow"] {
            assert_eq!(Timestamp::parse_day_or_rfc3339(bad), None, "{bad}");
        }
        assert_eq!(Timestamp(1_795_435_200_000_000).day(), "2026-11-23");
    }

    #[test]
    fn manual_clock_moves_and_formats() {
        let c = ManualClock::new(Timestamp(0));
        c.advance(86_400);
        assert_eq!(c.now().unix_seconds(), 86_400);
        assert_eq!(c.now().to_rfc3339(), "1970-01-02T00:00:00Z");
        let shared = c.clone();
        shared.advance(1);
        assert_eq!(c.now().unix_seconds(), 86_401);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now().unix_seconds() > 1_577_836_800);
    }
}
