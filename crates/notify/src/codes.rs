//! Codes. The lookup code (printed in a notice; typed into "was I affected?") and the
//! verification code (carried by each notice; pasted into "is this message really from us?") are
//! HMAC-SHA-256 of the campaign, person and channel under a key derived from the vault's root
//! key, so they can be printed at send time without being stored; the database keeps only their
//! SHA-256. Both are Crockford base32: 20 characters (100 bits) for lookup codes, 16 (80 bits)
//! for verification codes, far beyond what anyone can enumerate at the pages' rate limits.
//!
//! Identity-protection activation codes come from the provider's CSV
//! (`code,engagement,enrol_by[,minor]`) and are assigned one per recipient, exactly once: the
//! database holds the assignment (`recipient_id UNIQUE`) and assignment is transactional.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The secret the codes are derived from (32 bytes).
#[derive(Clone)]
pub struct CodeKey([u8; 32]);

impl std::fmt::Debug for CodeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeKey(..)")
    }
}

impl CodeKey {
    /// A key from 32 secret bytes.
    pub fn new(bytes: [u8; 32]) -> CodeKey {
        CodeKey(bytes)
    }

    fn mac(&self, parts: &[&str]) -> [u8; 32] {
        #[allow(clippy::expect_used)] // HMAC takes keys of any length.
        let mut m = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("hmac key");
        for p in parts {
            m.update(p.as_bytes());
            m.update(&[0]);
        }
        m.finalize().into_bytes().into()
    }

    /// The lookup code of a person in a campaign, grouped `XXXX-XXXX-XXXX-XXXX-XXXX`.
    pub fn lookup_code(&self, campaign: i64, person: i64) -> String {
        let c = campaign.to_string();
        let p = person.to_string();
        group(&base32(&self.mac(&["lookup", &c, &p]), 20))
    }

    /// The verification code of one notice (named by its idempotency key), `V` then 16
    /// characters grouped by four.
    pub fn verify_code(&self, idem_key: &str) -> String {
        format!("V{}", group(&base32(&self.mac(&["verify", idem_key]), 16)))
    }
}

fn base32(bytes: &[u8], chars: usize) -> String {
    let mut out = String::with_capacity(chars);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in bytes {
        acc = (acc << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 && out.len() < chars {
            bits -= 5;
            out.push(ALPHABET[((acc >> bits) & 31) as usize] as char);
        }
        acc &= (1 << bits) - 1;
        if out.len() >= chars {
            break;
        }
    }
    out
}

fn group(s: &str) -> String {
    s.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// A typed code made canonical: upper case, separators and spaces dropped, the letters people
/// confuse with digits mapped as Crockford base32 does (O→0, I and L→1).
pub fn normalize(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            u => u,
        })
        .collect()
}

/// The stored form of a code: hex SHA-256 of the normalized code.
pub fn hash(code: &str) -> String {
    hex::encode(Sha256::digest(normalize(code).as_bytes()))
}

/// Finds verification codes in pasted text (`V` and 16 base32 characters, grouped or not).
pub fn find_verify_codes(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c != 'V' && *c != 'v' {
            continue;
        }
        if i > 0 && chars[i - 1].is_ascii_alphanumeric() {
            continue;
        }
        let mut body = String::new();
        let mut j = i + 1;
        while j < chars.len() && body.len() < 16 {
            let d = chars[j];
            if d.is_ascii_alphanumeric() {
                body.push(d);
            } else if d != '-' {
                break;
            }
            j += 1;
        }
        if body.len() == 16 && !chars.get(j).is_some_and(char::is_ascii_alphanumeric) {
            out.push(format!("V{body}"));
        }
    }
    out
}

/// One row of the provider's CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectionCode {
    /// The activation code.
    pub code: String,
    /// The provider's engagement number.
    pub engagement: String,
    /// The last day to enrol (`YYYY-MM-DD`).
    pub enrol_by: String,
    /// Whether it is a minor's code.
    pub minor: bool,
}

/// Parses the provider's CSV: a header with `code`, `engagement` (or `engagement_number`),
/// `enrol_by` and optionally `minor` (`1`/`true`/`yes`); `minor_default` marks every row of a
/// file of minor codes. Errors name the line.
pub fn parse_csv(
    input: impl std::io::Read,
    minor_default: bool,
) -> Result<Vec<ProtectionCode>, String> {
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = r
        .headers()
        .map_err(|e| format!("codes CSV header: {e}"))?
        .clone();
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let code = col(&["code", "activation_code"]).ok_or("codes CSV: no `code` column")?;
    let eng =
        col(&["engagement", "engagement_number"]).ok_or("codes CSV: no `engagement` column")?;
    let by = col(&["enrol_by", "enroll_by"]).ok_or("codes CSV: no `enrol_by` column")?;
    let minor = col(&["minor"]);
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("codes CSV line {line}: {e}"))?;
        let get = |c: usize| rec.get(c).unwrap_or("").to_owned();
        let c = get(code);
        if c.is_empty() || c.len() > 64 {
            return Err(format!(
                "codes CSV line {line}: the code must be 1-64 characters"
            ));
        }
        let d = get(by);
        if time::Date::parse(
            &d,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .is_err()
        {
            return Err(format!(
                "codes CSV line {line}: enrol_by `{d}` is not YYYY-MM-DD"
            ));
        }
        let m = minor.map(get).map_or(minor_default, |v| {
            matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "y")
        });
        out.push(ProtectionCode {
            code: c,
            engagement: get(eng),
            enrol_by: d,
            minor: m,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn codes_are_stable_distinct_and_normalize() {
        let k = CodeKey::new([7; 32]);
        let a = k.lookup_code(1, 2);
        assert_eq!(a, k.lookup_code(1, 2));
        assert_ne!(a, k.lookup_code(1, 3));
        assert_eq!(a.len(), 24);
        assert_eq!(hash(&a), hash(&a.to_lowercase().replace('-', " ")));
        let v = k.verify_code("notice/1/2/email");
        assert_eq!(v.len(), 20);
        let text = format!("Dear customer ... Verification code: {v}. Thanks");
        assert_eq!(find_verify_codes(&text), vec![v.replace('-', "")]);
    }

    #[test]
    fn csv_rows_are_checked() {
        let ok = "code,engagement,enrol_by\nABC123,ENG-1,2026-12-31\n";
        let rows = parse_csv(ok.as_bytes(), false).unwrap();
        assert_eq!(rows[0].engagement, "ENG-1");
        let bad = "code,engagement,enrol_by\nABC123,ENG-1,31/12/2026\n";
        assert!(
            parse_csv(bad.as_bytes(), false)
                .unwrap_err()
                .contains("line 2")
        );
    }
}
