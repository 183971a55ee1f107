//! Counting days: calendar days, and business days (Monday to Friday, except US federal
//! holidays as observed: a holiday on a Saturday is observed the Friday before, one on a Sunday
//! the Monday after). The FCC and SEC rules count business days; so do some state rules.

use time::{Date, Duration, Month, Weekday};

/// The observed US federal holidays of `year` (5 U.S.C. 6103), in date order.
///
/// New Year's Day of the following year can be observed on 31 December of `year`; it is
/// included here, and New Year's Day of `year` observed in the year before is not.
pub fn us_federal_holidays(year: i32) -> Vec<Date> {
    let fixed = [
        (Month::January, 1),
        (Month::June, 19),
        (Month::July, 4),
        (Month::November, 11),
        (Month::December, 25),
    ];
    let floating = [
        nth_weekday(year, Month::January, Weekday::Monday, 3), // Martin Luther King Jr. Day
        nth_weekday(year, Month::February, Weekday::Monday, 3), // Washington's Birthday
        last_weekday(year, Month::May, Weekday::Monday),       // Memorial Day
        nth_weekday(year, Month::September, Weekday::Monday, 1), // Labor Day
        nth_weekday(year, Month::October, Weekday::Monday, 2), // Columbus Day
        nth_weekday(year, Month::November, Weekday::Thursday, 4), // Thanksgiving Day
    ];
    let mut days: Vec<Date> = fixed
        .into_iter()
        // Juneteenth became a federal holiday in 2021.
        .filter(|(m, d)| !(*m == Month::June && *d == 19 && year < 2021))
        .filter_map(|(m, d)| Date::from_calendar_date(year, m, d).ok())
        .map(observed)
        .filter(|d| d.year() == year)
        .chain(floating.into_iter().flatten())
        .collect();
    // New Year's Day of next year, when it falls on a Saturday, is observed on 31 December.
    if let Ok(next_new_year) = Date::from_calendar_date(year + 1, Month::January, 1)
        && observed(next_new_year).year() == year
    {
        days.push(observed(next_new_year));
    }
    days.sort();
    days
}

/// Whether `date` is a business day: a weekday that is not an observed federal holiday.
pub fn is_business_day(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
        && !us_federal_holidays(date.year()).contains(&date)
}

/// The `n`th business day after `start` (the start day itself never counts). With `n == 0` this
/// is `start`.
pub fn add_business_days(start: Date, n: u32) -> Date {
    let mut date = start;
    let mut left = n;
    while left > 0 {
        let Some(next) = date.next_day() else {
            return Date::MAX;
        };
        date = next;
        if is_business_day(date) {
            left -= 1;
        }
    }
    date
}

/// `start` plus `n` calendar days, saturating at the end of the representable range.
pub(crate) fn add_calendar_days(start: Date, n: u32) -> Date {
    start.saturating_add(Duration::days(i64::from(n)))
}

/// The day a fixed-date holiday is observed on.
fn observed(date: Date) -> Date {
    match date.weekday() {
        Weekday::Saturday => date.previous_day().unwrap_or(date),
        Weekday::Sunday => date.next_day().unwrap_or(date),
        _ => date,
    }
}

/// The `n`th `weekday` of a month (n from 1).
fn nth_weekday(year: i32, month: Month, weekday: Weekday, n: u8) -> Option<Date> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    let offset =
        (7 + weekday.number_days_from_monday() - first.weekday().number_days_from_monday()) % 7;
    let day = 1 + offset + 7 * (n.checked_sub(1)?);
    Date::from_calendar_date(year, month, day).ok()
}

/// The last `weekday` of a month.
fn last_weekday(year: i32, month: Month, weekday: Weekday) -> Option<Date> {
    (1..=5)
        .rev()
        .find_map(|n| nth_weekday(year, month, weekday, n))
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn holidays_2026_match_the_opm_list() {
        assert_eq!(
            us_federal_holidays(2026),
            vec![
                date!(2026 - 01 - 01),
                date!(2026 - 01 - 19),
                date!(2026 - 02 - 16),
                date!(2026 - 05 - 25),
                date!(2026 - 06 - 19),
                date!(2026 - 07 - 03), // 4 July is a Saturday
                date!(2026 - 09 - 07),
                date!(2026 - 10 - 12),
                date!(2026 - 11 - 11),
                date!(2026 - 11 - 26),
                date!(2026 - 12 - 25),
            ]
        );
    }

    #[test]
    fn new_year_on_saturday_is_observed_in_the_year_before() {
        // 1 January 2022 was a Saturday; it was observed on Friday 31 December 2021.
        assert!(us_federal_holidays(2021).contains(&date!(2021 - 12 - 31)));
        assert!(!us_federal_holidays(2022).contains(&date!(2022 - 01 - 01)));
        assert!(!is_business_day(date!(2021 - 12 - 31)));
    }

    #[test]
    fn sunday_holiday_is_observed_on_monday() {
        // Juneteenth 2022 was a Sunday.
        assert!(us_federal_holidays(2022).contains(&date!(2022 - 06 - 20)));
        // No Juneteenth before 2021.
        assert!(!us_federal_holidays(2020).contains(&date!(2020 - 06 - 19)));
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        // Wednesday 2026-11-25 + 2 business days: Thanksgiving (26th) and the weekend skipped
        // after Friday the 27th, which counts.
        assert_eq!(
            add_business_days(date!(2026 - 11 - 25), 1),
            date!(2026 - 11 - 27)
        );
        assert_eq!(
            add_business_days(date!(2026 - 11 - 25), 2),
            date!(2026 - 11 - 30)
        );
        assert_eq!(
            add_business_days(date!(2026 - 11 - 25), 0),
            date!(2026 - 11 - 25)
        );
        // From Friday 2026-12-18, 7 business days: 21,22,23,24, (25 Christmas), 28,29,30.
        assert_eq!(
            add_business_days(date!(2026 - 12 - 18), 7),
            date!(2026 - 12 - 30)
        );
    }

    #[test]
    fn calendar_days_add_plainly() {
        assert_eq!(
            add_calendar_days(date!(2026 - 01 - 10), 30),
            date!(2026 - 02 - 09)
        );
        assert_eq!(add_calendar_days(Date::MAX, 1), Date::MAX);
    }
}
