//! What a scan reports: a [`Finding`] per distinct value (identified by its fingerprint, never
//! by the value), every [`Location`] where it occurs, and a [`FileSummary`] of the personal data
//! elements each file holds. Nothing here stores a scanned value: a finding keeps a fingerprint
//! (a truncated SHA-256, or HMAC-SHA-256 under a [`FingerprintKey`]) and a redacted preview.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::content::pii::PiiKind;
use crate::content::rule::{Category, Confidence};

/// A key for fingerprints. Without one a fingerprint is a plain SHA-256 truncation, which is
/// stable across installations but, for values from a small space (SSNs, phone numbers), can
/// be reversed by trying every value; with one (HMAC-SHA-256) it cannot without the key.
#[derive(Clone)]
pub struct FingerprintKey([u8; 32]);

impl FingerprintKey {
    /// Wraps 32 secret bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> FingerprintKey {
        FingerprintKey(bytes)
    }
}

impl fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FingerprintKey(<redacted>)")
    }
}

/// Hex of the first 16 bytes of SHA-256 (or HMAC-SHA-256) over `subject`, a NUL and `value`.
pub(crate) fn fingerprint(key: Option<&FingerprintKey>, subject: &str, value: &str) -> String {
    let digest: Vec<u8> = match key {
        Some(k) => {
            // HMAC accepts keys of any length, so this cannot fail for a 32-byte key.
            let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&k.0) else {
                return String::new();
            };
            mac.update(subject.as_bytes());
            mac.update(&[0]);
            mac.update(value.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        None => {
            let mut h = Sha256::new();
            h.update(subject.as_bytes());
            h.update([0]);
            h.update(value.as_bytes());
            h.finalize().to_vec()
        }
    };
    hex::encode(&digest[..16])
}

/// The first characters of a value followed by `…`: at most 4, and never more than a quarter
/// of the value, so a short password is not half shown.
pub(crate) fn preview(value: &str) -> String {
    let chars = value.chars().count();
    let shown = (chars / 4).min(4);
    let mut out: String = value.chars().take(shown).collect();
    out.push('…');
    out
}

/// Where a value was found.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub(crate) file: PathBuf,
    pub(crate) member: Option<String>,
    pub(crate) commit: Option<String>,
    pub(crate) line: u64,
    pub(crate) column: u64,
}

impl Location {
    /// The file on disk (for git history: the repository).
    pub fn file(&self) -> &Path {
        &self.file
    }
    /// The path inside an archive (nested archives joined with `!`) or inside a git tree.
    pub fn member(&self) -> Option<&str> {
        self.member.as_deref()
    }
    /// The commit that introduced the blob (git history scans), as hex.
    pub fn commit(&self) -> Option<&str> {
        self.commit.as_deref()
    }
    /// 1-based line.
    pub fn line(&self) -> u64 {
        self.line
    }
    /// 1-based column, in bytes.
    pub fn column(&self) -> u64 {
        self.column
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(commit) = &self.commit {
            write!(f, "@{}", &commit[..commit.len().min(12)])?;
        }
        if let Some(member) = &self.member {
            write!(f, "!{member}")?;
        }
        write!(f, ":{}:{}", self.line, self.column)
    }
}

/// One distinct value found by one rule, with every place it occurs. It holds no part of
/// the value but a short redacted preview, so it is safe to log, `Debug`-print and store.
#[derive(Clone, Debug)]
pub struct Finding {
    pub(crate) rule_id: String,
    pub(crate) rule_name: String,
    pub(crate) category: Category,
    pub(crate) element: Option<PiiKind>,
    pub(crate) confidence: Confidence,
    pub(crate) fingerprint: String,
    pub(crate) preview: String,
    pub(crate) locations: Vec<Location>,
}

impl Finding {
    /// The id of the rule that found the value.
    pub fn rule_id(&self) -> &str {
        &self.rule_id
    }
    /// The rule's human name.
    pub fn rule_name(&self) -> &str {
        &self.rule_name
    }
    /// The rule's category.
    pub fn category(&self) -> Category {
        self.category
    }
    /// The personal data element, for PII rules.
    pub fn element(&self) -> Option<PiiKind> {
        self.element
    }
    /// The highest confidence among the occurrences.
    pub fn confidence(&self) -> Confidence {
        self.confidence
    }
    /// The value's fingerprint (32 hex characters); the key for baselines and allowlists.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
    /// A redacted preview such as `AKIA…`.
    pub fn preview(&self) -> &str {
        &self.preview
    }
    /// Every occurrence, sorted.
    pub fn locations(&self) -> &[Location] {
        &self.locations
    }
}

/// The personal data elements one file (or archive member, or git blob) holds and how many
/// distinct values of each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileSummary {
    pub(crate) location: String,
    pub(crate) elements: BTreeMap<PiiKind, usize>,
}

impl FileSummary {
    /// The file, as `path`, `path!member` or `repo@commit!path`.
    pub fn location(&self) -> &str {
        &self.location
    }
    /// Distinct values of `kind` in the file (0 when absent).
    pub fn count(&self, kind: PiiKind) -> usize {
        self.elements.get(&kind).copied().unwrap_or(0)
    }
    /// Every element present, with its distinct-value count.
    pub fn elements(&self) -> impl Iterator<Item = (PiiKind, usize)> + '_ {
        self.elements.iter().map(|(k, v)| (*k, *v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_stable_and_keyed() {
        let a = fingerprint(None, "rule", "value");
        assert_eq!(a.len(), 32);
        assert_eq!(a, fingerprint(None, "rule", "value"));
        assert_ne!(a, fingerprint(None, "rule2", "value"));
        let key = FingerprintKey::from_bytes([7; 32]);
        assert_ne!(a, fingerprint(Some(&key), "rule", "value"));
        assert_eq!(format!("{key:?}"), "FingerprintKey(<redacted>)");
    }

    #[test]
    fn previews_show_little() {
        assert_eq!(preview("AKIAABCDEFGHIJKLMNOP"), "AKIA…");
        assert_eq!(preview("hunter2"), "h…");
        assert_eq!(preview("abc"), "…");
    }
}
