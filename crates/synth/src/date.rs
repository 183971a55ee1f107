//! Calendar dates without a time zone (`YYYY-MM-DD`), as used for dates of birth, the
//! population's reference day and the scenario's timeline.
//!
//! The generator needs exact day arithmetic (an age of 17 must really be 17 on the reference
//! day), so dates convert to and from a day count with Howard Hinnant's civil-calendar
//! algorithms instead of approximating years as 365.25 days.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::SynthError;

/// A proleptic Gregorian calendar date between the years 1000 and 9999.
///
/// Its text form is ISO 8601 (`2025-08-15`); it (de)serializes as that string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IsoDate {
    year: i32,
    month: u8,
    day: u8,
}

impl IsoDate {
    /// 2025-08-15, the default reference day of a synthetic carrier: the day the company
    /// learns of the breach in the default scenario.
    pub const DEFAULT_AS_OF: IsoDate = IsoDate {
        year: 2025,
        month: 8,
        day: 15,
    };

    /// Checks and builds a date; the year must have four digits.
    pub fn new(year: i32, month: u8, day: u8) -> Result<Self, SynthError> {
        let valid = (1000..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        if valid {
            Ok(Self { year, month, day })
        } else {
            Err(SynthError::InvalidDate {
                value: format!("{year:04}-{month:02}-{day:02}"),
            })
        }
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1 to 31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days since 1970-01-01 (negative before it).
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` days after 1970-01-01; fails outside the years 1000 to 9999.
    pub fn from_days_since_epoch(days: i64) -> Result<Self, SynthError> {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        let year = i32::try_from(year).map_err(|_| SynthError::InvalidDate {
            value: format!("{days} days after 1970-01-01"),
        })?;
        // Both values are small by construction of the algorithm (1..=12 and 1..=31).
        Self::new(year, month as u8, day as u8)
    }

    /// The date `days` days later (earlier when negative).
    pub fn plus_days(self, days: i64) -> Result<Self, SynthError> {
        Self::from_days_since_epoch(self.days_since_epoch() + days)
    }

    /// The same month and day `years` years earlier; 29 February becomes 28 February in a
    /// common year.
    pub fn years_earlier(self, years: i32) -> Result<Self, SynthError> {
        let year = self.year - years;
        let day = self.day.min(days_in_month(year, self.month));
        Self::new(year, self.month, day)
    }

    /// Appends the `YYYY-MM-DD` form to `out` without going through the formatter.
    pub(crate) fn push_to(self, out: &mut String) {
        // The year has four digits by the constructor's check, so it is non-negative.
        crate::ids::push_digits(out, self.year.unsigned_abs().into(), 4);
        out.push('-');
        crate::ids::push_digits(out, self.month.into(), 2);
        out.push('-');
        crate::ids::push_digits(out, self.day.into(), 2);
    }
}

/// Days in a month of the proleptic Gregorian calendar.
pub(crate) fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

impl fmt::Display for IsoDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for IsoDate {
    type Err = SynthError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || SynthError::InvalidDate {
            value: s.to_owned(),
        };
        let b = s.as_bytes();
        let shaped = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shaped {
            return Err(bad());
        }
        let year = s[0..4].parse().map_err(|_| bad())?;
        let month = s[5..7].parse().map_err(|_| bad())?;
        let day = s[8..10].parse().map_err(|_| bad())?;
        Self::new(year, month, day).map_err(|_| bad())
    }
}

impl TryFrom<String> for IsoDate {
    type Error = SynthError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<IsoDate> for String {
    fn from(value: IsoDate) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_counts_round_trip_over_four_centuries() {
        let start = IsoDate::new(1900, 1, 1).unwrap().days_since_epoch();
        let mut expected = IsoDate::new(1900, 1, 1).unwrap();
        for d in start..start + 146_097 {
            let date = IsoDate::from_days_since_epoch(d).unwrap();
            assert_eq!(date, expected);
            assert_eq!(date.days_since_epoch(), d);
            let text = date.to_string();
            assert_eq!(text.parse::<IsoDate>().unwrap(), date);
            let mut pushed = String::new();
            date.push_to(&mut pushed);
            assert_eq!(pushed, text);
            expected = next_day(date);
        }
    }

    fn next_day(d: IsoDate) -> IsoDate {
        if d.day < days_in_month(d.year, d.month) {
            IsoDate::new(d.year, d.month, d.day + 1).unwrap()
        } else if d.month < 12 {
            IsoDate::new(d.year, d.month + 1, 1).unwrap()
        } else {
            IsoDate::new(d.year + 1, 1, 1).unwrap()
        }
    }

    #[test]
    fn epoch_is_day_zero() {
        assert_eq!(IsoDate::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        assert_eq!(IsoDate::new(2000, 3, 1).unwrap().days_since_epoch(), 11_017);
    }

    #[test]
    fn malformed_dates_are_rejected_with_their_text() {
        for bad in [
            "2021-02-29",
            "2021-13-01",
            "2021-00-10",
            "21-01-01",
            "2021/01/01",
            "x",
        ] {
            let err = bad.parse::<IsoDate>().unwrap_err();
            assert!(
                matches!(&err, SynthError::InvalidDate { value } if value == bad),
                "{bad}: {err:?}"
            );
        }
        assert!("2024-02-29".parse::<IsoDate>().is_ok());
    }

    #[test]
    fn years_earlier_clamps_leap_day() {
        let leap = IsoDate::new(2024, 2, 29).unwrap();
        assert_eq!(
            leap.years_earlier(1).unwrap(),
            IsoDate::new(2023, 2, 28).unwrap()
        );
        assert_eq!(
            leap.years_earlier(4).unwrap(),
            leap.years_earlier(4).unwrap()
        );
        assert_eq!(leap.years_earlier(4).unwrap().day(), 29);
    }
}
