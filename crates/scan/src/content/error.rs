//! The content scanner's error type. Errors name the rule, file or option at fault and never
//! carry a scanned value: a secret found in a file must not travel through an error message.

use std::path::PathBuf;

/// Why a rule set, allowlist, baseline or scan could not be set up or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// A rules file is not valid TOML or does not follow the rule-file format.
    #[error("invalid rules file: {message}")]
    RulesFile {
        /// What the parser reported, with the line where it has one.
        message: String,
    },
    /// One rule is malformed (bad pattern, unknown validator, missing field, ...).
    #[error("rule `{rule}`: {message}")]
    InvalidRule {
        /// The rule's id.
        rule: String,
        /// What is wrong with it.
        message: String,
    },
    /// Two rules share an id (within one file or after a merge).
    #[error("duplicate rule id `{0}`")]
    DuplicateRule(String),
    /// The combined rule set could not be compiled into one matcher.
    #[error("rule set does not compile: {0}")]
    Compile(String),
    /// An allowlist (TOML or a glob/regex in it) is malformed.
    #[error("invalid allowlist: {0}")]
    Allowlist(String),
    /// A baseline file is not a JSON list of fingerprints.
    #[error("invalid baseline: {0}")]
    Baseline(String),
    /// An option in [`ScanOptions`](super::ScanOptions) is out of range.
    #[error("invalid scan option: {0}")]
    Options(String),
    /// The worker thread pool could not be started.
    #[error("cannot start scan threads: {0}")]
    ThreadPool(String),
    /// A path could not be read at all (scans collect per-file errors in the report instead).
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}
