//! Date of birth: a real calendar date in `YYYY-MM-DD` form, not after "today" and not before
//! 1900. "Today" is passed in rather than read from the system clock, so imports, tests and the
//! breach engine's minor/adult split all agree on the same day.

use std::fmt;

use time::{Date, Month};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::{FieldError, redacted};

/// The earliest accepted year of birth.
pub const MIN_BIRTH_YEAR: i32 = 1900;

/// The age from which a person counts as an adult (for notices and the tokenizer's buckets).
pub const AGE_OF_MAJORITY: u32 = 18;

/// A date of birth, checked against a given "today".
#[derive(Clone, PartialEq, Eq, Hash, Zeroize, ZeroizeOnDrop)]
pub struct DateOfBirth {
    text: String,
    year: i32,
    month: u8,
    day: u8,
}

impl DateOfBirth {
    /// Parses `YYYY-MM-DD` (surrounding spaces allowed); the date must exist, be on or before
    /// `today` and have a year of at least 1900.
    pub fn parse(input: &str, today: Date) -> Result<Self, FieldError> {
        let s = input.trim().as_bytes();
        let shape_ok = s.len() == 10
            && s[4] == b'-'
            && s[7] == b'-'
            && s.iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shape_ok {
            return Err(FieldError::new("date_of_birth", "must be YYYY-MM-DD"));
        }
        let num = |r: std::ops::Range<usize>| {
            s[r].iter()
                .fold(0i32, |acc, b| acc * 10 + i32::from(b - b'0'))
        };
        let (year, month, day) = (num(0..4), num(5..7), num(8..10));
        let date = Self::to_date(year, month, day)
            .ok_or_else(|| FieldError::new("date_of_birth", "is not a calendar date"))?;
        Self::from_date(date, today)
    }

    /// Builds a date of birth from a calendar date, with the same rules as [`DateOfBirth::parse`].
    pub fn from_date(date: Date, today: Date) -> Result<Self, FieldError> {
        if date.year() < MIN_BIRTH_YEAR {
            return Err(FieldError::new("date_of_birth", "year is before 1900"));
        }
        if date > today {
            return Err(FieldError::new("date_of_birth", "is in the future"));
        }
        let (year, month, day) = (date.year(), u8::from(date.month()), date.day());
        let text = format!("{year:04}-{month:02}-{day:02}");
        Ok(DateOfBirth {
            text,
            year,
            month,
            day,
        })
    }

    fn to_date(year: i32, month: i32, day: i32) -> Option<Date> {
        let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
        Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()
    }

    /// The date as `YYYY-MM-DD`.
    pub fn normalized(&self) -> &str {
        &self.text
    }

    /// The calendar date.
    pub fn date(&self) -> Date {
        // The fields were taken from a valid `Date` in `from_date`, so rebuilding cannot fail;
        // the fallback only keeps this function total.
        Self::to_date(self.year, i32::from(self.month), i32::from(self.day)).unwrap_or(Date::MIN)
    }

    /// The year of birth.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// Age in whole years on `today` (0 if `today` is before the birthday's date).
    pub fn age(&self, today: Date) -> u32 {
        let mut years = today.year() - self.year;
        if (u8::from(today.month()), today.day()) < (self.month, self.day) {
            years -= 1;
        }
        u32::try_from(years).unwrap_or(0)
    }

    /// Whether the person is under [`AGE_OF_MAJORITY`] on `today`.
    pub fn is_minor(&self, today: Date) -> bool {
        self.age(today) < AGE_OF_MAJORITY
    }
}

impl fmt::Debug for DateOfBirth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        redacted(f, "DateOfBirth")
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    const TODAY: Date = date!(2024 - 03 - 01);

    #[test]
    fn parses_and_computes_age() {
        let dob = DateOfBirth::parse(" 2006-03-01 ", TODAY).unwrap();
        assert_eq!(dob.normalized(), "2006-03-01");
        assert_eq!(dob.year(), 2006);
        assert_eq!(dob.age(TODAY), 18);
        assert!(!dob.is_minor(TODAY));
        let dob = DateOfBirth::parse("2006-03-02", TODAY).unwrap();
        assert_eq!(dob.age(TODAY), 17);
        assert!(dob.is_minor(TODAY));
        assert_eq!(dob.date(), date!(2006 - 03 - 02));
    }

    #[test]
    fn leap_day_birthdays() {
        let dob = DateOfBirth::parse("2000-02-29", TODAY).unwrap();
        assert_eq!(dob.age(date!(2023 - 02 - 28)), 22);
        assert_eq!(dob.age(date!(2023 - 03 - 01)), 23);
    }

    #[test]
    fn rejections() {
        let cases = [
            ("2001-02-29", "date_of_birth: is not a calendar date"),
            ("2001-13-01", "date_of_birth: is not a calendar date"),
            ("2001-00-10", "date_of_birth: is not a calendar date"),
            ("1899-12-31", "date_of_birth: year is before 1900"),
            ("2024-03-02", "date_of_birth: is in the future"),
            ("01/02/2001", "date_of_birth: must be YYYY-MM-DD"),
            ("2001-2-1", "date_of_birth: must be YYYY-MM-DD"),
            ("２００１-02-01", "date_of_birth: must be YYYY-MM-DD"),
        ];
        for (input, want) in cases {
            let err = DateOfBirth::parse(input, TODAY).unwrap_err();
            assert_eq!(err.to_string(), want, "{input}");
        }
    }
}
