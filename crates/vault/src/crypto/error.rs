//! The one error type of the crypto layer. Messages describe what failed (a truncated envelope,
//! a failed commitment, a key file with loose permissions) and never contain key material,
//! plaintext or the ciphertext itself, so they are safe to log and to show in import reports.

use std::path::PathBuf;

/// What went wrong in key handling, sealing, opening or tokenizing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The input is shorter than the smallest valid envelope or wrapped key.
    #[error("ciphertext is truncated: {actual} bytes, at least {minimum} needed")]
    Truncated {
        /// The smallest valid length.
        minimum: usize,
        /// The length received.
        actual: usize,
    },
    /// The format version byte is not one this build understands.
    #[error("unknown ciphertext format version {0}")]
    UnknownFormat(u8),
    /// The algorithm id byte is not one this build understands.
    #[error("unknown algorithm id {0}")]
    UnknownAlgorithm(u8),
    /// The ciphertext names a key version other than the key offered to open it.
    #[error("ciphertext is under key version {found}, but key version {expected} was given")]
    KeyVersionMismatch {
        /// The version of the key offered.
        expected: u32,
        /// The version recorded in the ciphertext.
        found: u32,
    },
    /// The key-commitment tag does not match: wrong key, or header or context tampered with.
    #[error("key commitment does not match (wrong key, or header or context changed)")]
    CommitmentMismatch,
    /// The AEAD tag does not verify: ciphertext or associated data changed.
    #[error("authentication failed (ciphertext or associated data changed)")]
    AuthenticationFailed,
    /// A plaintext is larger than the envelope allows.
    #[error("plaintext of {len} bytes exceeds the limit of {max} bytes")]
    PlaintextTooLong {
        /// The plaintext length.
        len: usize,
        /// The largest accepted plaintext.
        max: usize,
    },
    /// Decrypted bytes were expected to be UTF-8 text and are not.
    #[error("revealed value is not UTF-8")]
    NotUtf8,
    /// A KDF was asked for more output than it can produce.
    #[error("key derivation output length {0} is not supported")]
    KdfLength(usize),
    /// A blind-index truncation length is outside the supported range.
    #[error("blind index truncation to {0} bytes is outside 8..=32")]
    InvalidTruncation(usize),
    /// Reading or writing a key file failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A key file can be read by its group or by others, so it is refused.
    #[error("key file {path} has mode {mode:o}; it must be readable by its owner only (chmod 600)")]
    InsecurePermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A key file is not a regular file (e.g. a symbolic link), so it is refused.
    #[error("key file {path} is not a regular file")]
    NotARegularFile {
        /// The path found.
        path: PathBuf,
    },
    /// A key file line is malformed; the line number is given, never its content.
    #[error("key file {path}, line {line}: {reason}")]
    MalformedKeyFile {
        /// The key file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An environment variable holding a key is missing.
    #[error("environment variable {name} is not set")]
    MissingEnv {
        /// The variable's name.
        name: String,
    },
    /// An environment variable does not hold a base64-encoded 32-byte key.
    #[error("environment variable {name} is not a base64-encoded 32-byte key")]
    MalformedEnvKey {
        /// The variable's name.
        name: String,
    },
    /// The provider has no root key of the requested version.
    #[error("no root key of version {0}")]
    UnknownKeyVersion(u32),
    /// The provider cannot create key versions (e.g. keys come from the environment).
    #[error("the {provider} key provider cannot create key versions: {hint}")]
    RotationUnsupported {
        /// Which provider.
        provider: &'static str,
        /// What to do instead.
        hint: &'static str,
    },
    /// FF1 was given a key of the wrong size, a bad radix, or a numeral string outside its
    /// domain; the reason names sizes and radixes only.
    #[error("FF1: {0}")]
    Ff1(String),
    /// The operating system's random number generator failed.
    #[error("random number generator failed")]
    Rng,
}
