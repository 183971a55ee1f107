//! What users tell the scanner to leave alone: an [`Allowlist`] (path globs, fingerprints,
//! regexes on values; the inline `custodian:allow` comment is handled by the engine) and a
//! [`Baseline`] (a JSON list of fingerprints already triaged, so only new findings alert).

use std::collections::BTreeSet;

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex_automata::meta;
use serde::Deserialize;

use crate::content::error::ScanError;
use crate::content::report::ScanReport;

/// Paths, fingerprints and values the scanner does not report.
///
/// Path globs match the path relative to the scanned root with `/` separators (for a single
/// file, its file name; for git history, the path in the tree). A matching file is not
/// opened at all, archives included.
#[derive(Clone, Debug, Default)]
pub struct Allowlist {
    globs: Vec<Glob>,
    paths: GlobSet,
    fingerprints: BTreeSet<String>,
    values: Vec<meta::Regex>,
}

/// The `[allowlist]` table of a rules file, or a standalone allowlist file.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct AllowlistToml {
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    fingerprints: Vec<String>,
    #[serde(default)]
    values: Vec<String>,
}

impl Allowlist {
    /// An empty allowlist.
    pub fn new() -> Allowlist {
        Allowlist::default()
    }

    /// Parses a standalone allowlist file: `paths = ["**/testdata/**"]`,
    /// `fingerprints = ["3f2a..."]`, `values = ['''^AKIA.*EXAMPLE$''']`.
    pub fn from_toml(text: &str) -> Result<Allowlist, ScanError> {
        let parsed: AllowlistToml =
            toml::from_str(text).map_err(|e| ScanError::Allowlist(e.to_string()))?;
        Allowlist::from_parsed(&parsed)
    }

    pub(crate) fn from_parsed(parsed: &AllowlistToml) -> Result<Allowlist, ScanError> {
        let mut list = Allowlist::new();
        for glob in &parsed.paths {
            list.add_path_glob(glob)?;
        }
        for fp in &parsed.fingerprints {
            list.add_fingerprint(fp);
        }
        for value in &parsed.values {
            list.add_value_pattern(value)?;
        }
        Ok(list)
    }

    /// Skips every file whose relative path matches `glob` (`**/fixtures/**`, `*.lock`).
    pub fn add_path_glob(&mut self, glob: &str) -> Result<(), ScanError> {
        let glob =
            Glob::new(glob).map_err(|e| ScanError::Allowlist(format!("glob `{glob}`: {e}")))?;
        self.globs.push(glob);
        self.rebuild_paths()
    }

    /// Drops findings with this fingerprint.
    pub fn add_fingerprint(&mut self, fingerprint: &str) {
        self.fingerprints
            .insert(fingerprint.trim().to_ascii_lowercase());
    }

    /// Drops matches whose captured value matches `pattern` (a regex, unanchored).
    pub fn add_value_pattern(&mut self, pattern: &str) -> Result<(), ScanError> {
        let re = meta::Regex::new(pattern)
            .map_err(|e| ScanError::Allowlist(format!("value regex: {e}")))?;
        self.values.push(re);
        Ok(())
    }

    pub(crate) fn extend(&mut self, other: Allowlist) {
        self.globs.extend(other.globs);
        self.fingerprints.extend(other.fingerprints);
        self.values.extend(other.values);
        // Every glob in both lists was valid on its own, so the union builds too; keep the
        // old set if it somehow does not rather than failing a merge.
        let _ = self.rebuild_paths();
    }

    pub(crate) fn is_path_allowed(&self, relative: &str) -> bool {
        !self.globs.is_empty() && self.paths.is_match(relative)
    }

    pub(crate) fn is_fingerprint_allowed(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }

    pub(crate) fn is_value_allowed(&self, value: &[u8]) -> bool {
        self.values.iter().any(|re| re.is_match(value))
    }

    fn rebuild_paths(&mut self) -> Result<(), ScanError> {
        let mut builder = GlobSetBuilder::new();
        for glob in &self.globs {
            builder.add(glob.clone());
        }
        self.paths = builder
            .build()
            .map_err(|e| ScanError::Allowlist(e.to_string()))?;
        Ok(())
    }
}

/// Fingerprints of findings already known; a scan with a baseline reports only the others.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Baseline {
    fingerprints: BTreeSet<String>,
}

impl Baseline {
    /// Parses a baseline file: a JSON array of fingerprint strings.
    pub fn from_json(text: &str) -> Result<Baseline, ScanError> {
        let list: Vec<String> =
            serde_json::from_str(text).map_err(|e| ScanError::Baseline(e.to_string()))?;
        let valid = |fp: &String| !fp.is_empty() && fp.bytes().all(|b| b.is_ascii_hexdigit());
        if let Some(bad) = list.iter().position(|fp| !valid(fp)) {
            return Err(ScanError::Baseline(format!(
                "entry {bad} is not a hex fingerprint"
            )));
        }
        Ok(Baseline {
            fingerprints: list.into_iter().map(|f| f.to_ascii_lowercase()).collect(),
        })
    }

    /// Every finding of `report` (for accepting the current state as the baseline).
    pub fn from_report(report: &ScanReport) -> Baseline {
        Baseline {
            fingerprints: report
                .findings
                .iter()
                .map(|f| f.fingerprint().to_owned())
                .collect(),
        }
    }

    /// The baseline file text: a sorted JSON array of fingerprints, one per line.
    pub fn to_json(&self) -> String {
        let items: Vec<String> = self
            .fingerprints
            .iter()
            .map(|f| format!("  \"{f}\""))
            .collect();
        if items.is_empty() {
            return "[]\n".to_owned();
        }
        format!("[\n{}\n]\n", items.join(",\n"))
    }

    /// True when `fingerprint` is in the baseline.
    pub fn contains(&self, fingerprint: &str) -> bool {
        self.fingerprints.contains(fingerprint)
    }

    /// The number of fingerprints.
    pub fn len(&self) -> usize {
        self.fingerprints.len()
    }

    /// True when the baseline is empty.
    pub fn is_empty(&self) -> bool {
        self.fingerprints.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_round_trips_and_rejects_non_hex() {
        let b = Baseline::from_json("[\"ABCDEF01\", \"1234\"]").unwrap();
        assert!(b.contains("abcdef01"));
        assert_eq!(Baseline::from_json(&b.to_json()).unwrap(), b);
        assert!(Baseline::from_json("[\"not hex!\"]").is_err());
        assert!(Baseline::from_json("{}").is_err());
    }

    #[test]
    fn allowlist_from_toml() {
        let a = Allowlist::from_toml(
            "paths = [\"**/testdata/**\"]\nfingerprints = [\"AB\"]\nvalues = ['EXAMPLE$']",
        )
        .unwrap();
        assert!(a.is_path_allowed("crates/x/testdata/keys.pem"));
        assert!(!a.is_path_allowed("src/main.rs"));
        assert!(a.is_fingerprint_allowed("ab"));
        assert!(a.is_value_allowed(b"AKIAIOSFODNN7EXAMPLE"));
        assert!(Allowlist::from_toml("paths = [\"[\"]").is_err());
    }
}
