//! The password rules: one character or a short group repeated, runs of consecutive characters,
//! a common password (`data/common-passwords.txt`) once lowercased and stripped of the digits and
//! symbols people pad it with, or repeated, and passwords that contain the account identifier.

use std::collections::HashSet;
use std::sync::LazyLock;

use super::WeakReason;
use crate::types::AccountId;

static COMMON: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// Whether `password` breaks a rule, and which.
pub fn weakness(password: &str, account: &AccountId) -> Option<WeakReason> {
    let lower = password.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    if is_periodic(&chars) {
        return Some(WeakReason::Repetition);
    }
    if is_run(&chars) {
        return Some(WeakReason::Sequence);
    }
    if is_common(&lower) {
        return Some(WeakReason::Common);
    }
    let id = account.as_str().to_lowercase();
    if id.len() >= 4 && lower.contains(&id) {
        return Some(WeakReason::AccountId);
    }
    None
}

fn is_periodic(c: &[char]) -> bool {
    (1..=c.len() / 2).any(|p| (p..c.len()).all(|i| c[i] == c[i - p]))
}

fn is_run(c: &[char]) -> bool {
    let step = |a: char, b: char| i64::from(u32::from(b)) - i64::from(u32::from(a));
    c.len() >= 2 && {
        let s = step(c[0], c[1]);
        (s == 1 || s == -1) && c.windows(2).all(|w| step(w[0], w[1]) == s)
    }
}

fn is_common(lower: &str) -> bool {
    if COMMON.contains(lower) {
        return true;
    }
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    if core.is_empty() {
        return false;
    }
    if COMMON.contains(core) {
        return true;
    }
    // A common password written twice or more ("iloveyouiloveyou").
    let chars: Vec<char> = core.chars().collect();
    (1..=chars.len() / 2).any(|p| {
        chars.len().is_multiple_of(p)
            && (p..chars.len()).all(|i| chars[i] == chars[i - p])
            && COMMON.contains(chars[..p].iter().collect::<String>().as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        let acct = AccountId::parse("ACCT-77812").unwrap();
        let cases = [
            ("aaaaaaaaaaaaaaa", Some(WeakReason::Repetition)),
            ("abcabcabcabcabc", Some(WeakReason::Repetition)),
            ("abcdefghijklmnop", Some(WeakReason::Sequence)),
            ("Password12345678!", Some(WeakReason::Common)),
            ("!!Sunshine2024!!", Some(WeakReason::Common)),
            ("IloveyouIloveyou2024", Some(WeakReason::Common)),
            ("iloveyouiloveyou", Some(WeakReason::Repetition)),
            ("my acct-77812 secret", Some(WeakReason::AccountId)),
            ("correct horse battery staple", None),
        ];
        for (pw, want) in cases {
            assert_eq!(weakness(pw, &acct), want, "{pw}");
        }
    }
}
