//! The one error type of the obligations module: a rules file that does not parse or does not
//! make sense, a rules file that cannot be read, and a malformed jurisdiction code in the input.

use std::path::PathBuf;

/// Why a rules file or an input to the planner was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ObligationsError {
    /// The rules file is not valid TOML or does not have the expected shape; the message carries
    /// the line and column that the TOML parser reported.
    #[error("rules file does not parse: {message}")]
    Parse {
        /// The parser's description, with its location in the file.
        message: String,
    },
    /// The rules file parses but one of its values is invalid.
    #[error("rules file: jurisdiction {jurisdiction}, field `{field}`: {message}")]
    Invalid {
        /// The jurisdiction code (or its position, when the code itself is the problem).
        jurisdiction: String,
        /// The path of the field inside the jurisdiction, e.g. `version[1].regulators[0].threshold`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// The rules file could not be read from disk.
    #[error("cannot read rules file {path}: {source}")]
    Read {
        /// The path that was given.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A jurisdiction code is not of the form `XX-YYY` (upper-case letters and digits).
    #[error("invalid jurisdiction code `{0}` (expected e.g. US-CA, US-FCC, EU-DE)")]
    InvalidCode(String),
}

impl ObligationsError {
    /// Shorthand for an [`ObligationsError::Invalid`].
    pub(crate) fn invalid(
        jurisdiction: &str,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ObligationsError::Invalid {
            jurisdiction: jurisdiction.to_owned(),
            field: field.into(),
            message: message.into(),
        }
    }
}
