//! Decoding permuted indexes into identifiers: SSNs, phone numbers, IMEIs, IMSIs, driver's
//! licence numbers and e-mail suffixes, each valid for its format and injective in its input.
//!
//! Every `*_of(n)` function here maps distinct `n` below its domain size to distinct identifier
//! values, so that uniqueness follows from [`crate::perm::Perm`] being a bijection. The unit tests
//! check each mapping's bounds; the integration tests check the validity and uniqueness of what
//! comes out, with validators written independently of this file.

use crate::geo::{LINES_PER_AREA_CODE, PhoneSlot};

/// Number of SSN areas in use: 001 to 899 without 666.
const SSN_AREAS: u64 = 898;
/// Two SSNs that are formally valid but famous (a wallet insert and an advertisement), skipped.
const SSN_FORBIDDEN: [(u64, u64, u64); 2] = [(78, 5, 1120), (219, 9, 9999)];
/// Number of SSNs the generator can produce: every valid area, group and serial, less the two.
pub(crate) const SSN_DOMAIN: u64 = SSN_AREAS * 99 * 9999 - SSN_FORBIDDEN.len() as u64;

/// Appends `value` as exactly `width` decimal digits (zero-padded; higher digits are dropped,
/// which callers avoid by construction).
pub(crate) fn push_digits(out: &mut String, value: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut v = value;
    for slot in buf[20 - width.min(20)..].iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    for &b in &buf[20 - width.min(20)..] {
        out.push(char::from(b));
    }
}

/// Appends `value` in decimal without padding.
pub(crate) fn push_decimal(out: &mut String, value: u64) {
    let width = value.checked_ilog10().map_or(1, |d| d as usize + 1);
    push_digits(out, value, width);
}

/// Dense rank of an SSN (area 1..=899 without 666, group 1..=99, serial 1..=9999).
fn ssn_rank(area: u64, group: u64, serial: u64) -> u64 {
    let area_index = if area > 666 { area - 2 } else { area - 1 };
    (area_index * 99 + (group - 1)) * 9999 + (serial - 1)
}

/// Appends the SSN number `n` (below [`SSN_DOMAIN`]) as `AAA-GG-SSSS`.
pub(crate) fn push_ssn(out: &mut String, n: u64) {
    // Skip the forbidden values in rank order (they are sorted by rank already).
    let mut rank = n;
    for (a, g, s) in SSN_FORBIDDEN {
        if rank >= ssn_rank(a, g, s) {
            rank += 1;
        }
    }
    let serial = rank % 9999 + 1;
    let group = (rank / 9999) % 99 + 1;
    let area_index = rank / (9999 * 99);
    let area = if area_index + 1 >= 666 {
        area_index + 2
    } else {
        area_index + 1
    };
    push_digits(out, area, 3);
    out.push('-');
    push_digits(out, group, 2);
    out.push('-');
    push_digits(out, serial, 4);
}

/// Appends the E.164 phone number of a located plan position: `+1`, area code, exchange, line.
pub(crate) fn push_phone(out: &mut String, slot: PhoneSlot) {
    let local = slot.local % LINES_PER_AREA_CODE;
    let line = local % 10_000;
    // Spread blocks over all exchanges: 397 is coprime with 791 = 7 × 113, so this permutes.
    let exchange_index = (local / 10_000 * 397 + 211) % crate::geo::EXCHANGES;
    out.push_str("+1");
    push_digits(out, slot.area_code.into(), 3);
    push_digits(out, exchange_of(exchange_index), 3);
    push_digits(out, line, 4);
}

/// The usable exchanges in order: 200..=999 without the N11 service codes and 555.
const EXCHANGE_TABLE: [u16; crate::geo::EXCHANGES as usize] = build_exchanges();

const fn build_exchanges() -> [u16; crate::geo::EXCHANGES as usize] {
    let mut table = [0; crate::geo::EXCHANGES as usize];
    let mut code = 200;
    let mut i = 0;
    while code <= 999 {
        if code % 100 != 11 && code != 555 {
            table[i] = code;
            i += 1;
        }
        code += 1;
    }
    table
}

/// The `i`-th usable exchange.
fn exchange_of(i: u64) -> u64 {
    EXCHANGE_TABLE[(i % crate::geo::EXCHANGES) as usize].into()
}

/// Type allocation codes (first eight IMEI digits) the generator draws from.
pub(crate) const IMEI_TACS: u64 = 512;
/// Number of IMEIs the generator can produce: one million serials per TAC.
pub(crate) const IMEI_DOMAIN: u64 = IMEI_TACS * 1_000_000;

/// Appends the IMEI number `n` (below [`IMEI_DOMAIN`]): TAC, 6-digit serial, Luhn digit.
pub(crate) fn push_imei(out: &mut String, n: u64) {
    let tac_index = (n / 1_000_000) % IMEI_TACS;
    // Most handsets carry a BABT-issued "35" TAC; some GSMA "86" and old "01" ones. The six
    // digits after the prefix are a bijection of the index (435,761 is coprime with 10^6).
    let prefix = [35, 35, 35, 86, 35, 1, 35, 86][(tac_index % 8) as usize];
    let tac = prefix * 1_000_000 + (tac_index * 435_761 + 123_457) % 1_000_000;
    let body = tac * 1_000_000 + n % 1_000_000;
    push_digits(out, body, 14);
    push_digits(out, luhn_check_digit(body), 1);
}

/// The Luhn check digit of a 14-digit body (doubling every other digit from the right).
fn luhn_check_digit(body: u64) -> u64 {
    let mut sum = 0;
    let mut v = body;
    let mut double = true;
    while v > 0 {
        let mut d = v % 10;
        if double {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
        double = !double;
        v /= 10;
    }
    (10 - sum % 10) % 10
}

/// PLMNs (MCC and 3-digit MNC) of the synthetic carrier's SIMs.
const IMSI_PLMNS: [u64; 4] = [310_260, 310_160, 311_490, 312_250];
/// Number of IMSIs the generator can produce: 10^9 MSINs per PLMN.
pub(crate) const IMSI_DOMAIN: u64 = IMSI_PLMNS.len() as u64 * 1_000_000_000;

/// Appends the IMSI number `n` (below [`IMSI_DOMAIN`]): MCC, MNC, 9-digit MSIN.
pub(crate) fn push_imsi(out: &mut String, n: u64) {
    let plmn = IMSI_PLMNS[((n / 1_000_000_000) % IMSI_PLMNS.len() as u64) as usize];
    push_digits(out, plmn, 6);
    push_digits(out, n % 1_000_000_000, 9);
}

/// Number of licence numbers: every format below holds at least this many distinct values.
pub(crate) const DL_DOMAIN: u64 = 100_000_000;

/// The shape of a state's driver's licence numbers: a literal prefix or the surname's initial,
/// then letters, then digits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DlFormat {
    /// Literal text every number starts with (`"S"` in Massachusetts, `"WDL"` in Washington).
    pub(crate) prefix: &'static str,
    /// Whether the number starts with the holder's surname initial (Soundex-style states).
    pub(crate) surname_initial: bool,
    /// Number of letters after the prefix.
    pub(crate) letters: u8,
    /// Number of digits at the end.
    pub(crate) digits: u8,
}

impl DlFormat {
    /// Digits needed to hold `DL_DOMAIN / 26^letters` distinct values.
    pub(crate) fn needed_digits(self) -> u8 {
        let rest = DL_DOMAIN.div_ceil(26u64.pow(self.letters.into()));
        let mut d = 0;
        while 10u64.pow(d) < rest {
            d += 1;
        }
        d as u8
    }

    /// Appends licence number `n` (below [`DL_DOMAIN`]) in this format. Letters encode
    /// `n mod 26^letters`, the low digits encode the rest, and any further leading digits are
    /// filler derived from `n`, so distinct `n` give distinct numbers.
    pub(crate) fn push(self, out: &mut String, n: u64, surname: &str) {
        out.push_str(self.prefix);
        if self.surname_initial {
            let initial = surname
                .bytes()
                .find(u8::is_ascii_alphabetic)
                .unwrap_or(b'X');
            out.push(char::from(initial.to_ascii_uppercase()));
        }
        let mut rest = n;
        for _ in 0..self.letters {
            out.push(char::from(b'A' + (rest % 26) as u8));
            rest /= 26;
        }
        let needed = usize::from(self.needed_digits());
        let digits = usize::from(self.digits);
        if digits > needed {
            let filler = crate::perm::mix64(n) % 10u64.pow((digits - needed) as u32);
            // Avoid a run of leading zeros that real formats rarely show.
            let filler = filler.max(1);
            push_digits(out, filler, digits - needed);
        }
        push_digits(out, rest, needed.min(digits));
    }
}

/// Appends an e-mail local part's unique suffix for index `n`: its decimal value. A suffix of
/// digits after a name made only of letters cannot be confused with another person's.
pub(crate) fn push_email_suffix(out: &mut String, n: u64) {
    push_decimal(out, n);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::STATES;

    fn ssn(n: u64) -> String {
        let mut s = String::new();
        push_ssn(&mut s, n);
        s
    }

    #[test]
    fn ssn_decoding_covers_the_valid_space_in_order() {
        assert_eq!(ssn(0), "001-01-0001");
        assert_eq!(ssn(SSN_DOMAIN - 1), "899-99-9999");
        // Around 666 and the two famous numbers, the order skips exactly the invalid values
        // (positions past one or both famous numbers sit that many below their rank).
        let before_666 = ssn_rank(665, 99, 9999) - 2;
        assert_eq!(ssn(before_666), "665-99-9999");
        assert_eq!(ssn(before_666 + 1), "667-01-0001");
        let famous = ssn_rank(78, 5, 1120);
        assert_eq!(ssn(famous - 1), "078-05-1119");
        assert_eq!(ssn(famous), "078-05-1121");
        let famous2 = ssn_rank(219, 9, 9999) - 1;
        assert_eq!(ssn(famous2 - 1), "219-09-9998");
        assert_eq!(ssn(famous2), "219-10-0001");
    }

    #[test]
    fn exchanges_skip_service_codes_and_fiction() {
        let all: Vec<u64> = (0..crate::geo::EXCHANGES).map(exchange_of).collect();
        assert_eq!(all[0], 200);
        assert_eq!(*all.last().unwrap(), 999);
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert!(!all.iter().any(|&c| c % 100 == 11 || c == 555));
    }

    #[test]
    fn luhn_digit_matches_a_known_imei() {
        // 49015420323751 is the body of the classic Luhn example IMEI 490154203237518.
        assert_eq!(luhn_check_digit(49_015_420_323_751), 8);
    }

    #[test]
    fn every_state_format_holds_the_whole_domain() {
        for st in &STATES {
            assert!(
                st.dl.digits >= st.dl.needed_digits(),
                "{} cannot hold {DL_DOMAIN}",
                st.code
            );
            let mut a = String::new();
            st.dl.push(&mut a, DL_DOMAIN - 1, "Smith");
            let mut b = String::new();
            st.dl.push(&mut b, 0, "Smith");
            assert_eq!(a.len(), b.len(), "{}: {a} vs {b}", st.code);
            assert_ne!(a, b);
        }
    }
}
