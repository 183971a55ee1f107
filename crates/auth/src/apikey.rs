//! API keys: `cus_<prefix>_<secret>`, where the prefix (8 characters) is stored in clear to find
//! and name the key, and only SHA-256 of the whole key is stored. The secret carries 190 bits from
//! the OS generator, so a fast hash is enough (a password hash guards low-entropy secrets; this
//! one cannot be guessed), and lookups stay cheap on every request.

use rand::Rng;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::error::AuthError;

const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const PREFIX_LEN: usize = 8;
const SECRET_LEN: usize = 33;

/// A freshly created key: the only moment its secret exists outside the caller's hands.
#[derive(Debug)]
pub struct NewApiKey {
    /// What is stored and listed.
    pub info: ApiKeyInfo,
    /// The whole key, to show once.
    pub secret: SecretString,
}

/// A stored key as listed (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyInfo {
    /// The database id.
    pub id: i64,
    /// The visible prefix (`cus_abcd1234`).
    pub prefix: String,
    /// The principal's name.
    pub principal: String,
    /// The principal's role.
    pub role: String,
    /// A free label.
    pub label: String,
    /// Creation time (µs since the epoch).
    pub created_at: i64,
    /// Expiry, if any.
    pub expires_at: Option<i64>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<i64>,
    /// Last successful use, if any.
    pub last_used_at: Option<i64>,
}

fn random_chars(n: usize) -> String {
    let mut rng = OsRng;
    (0..n)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// A new random key: (visible prefix, whole key).
pub(crate) fn generate() -> (String, SecretString) {
    let prefix = format!("cus_{}", random_chars(PREFIX_LEN));
    let key = format!("{prefix}_{}", random_chars(SECRET_LEN));
    (prefix, SecretString::from(key))
}

/// The stored hash of a whole key.
pub(crate) fn hash(key: &SecretString) -> Vec<u8> {
    Sha256::digest(key.expose_secret().as_bytes()).to_vec()
}

/// Splits a presented key into its prefix, checking the shape before any database work.
pub(crate) fn parse_prefix(key: &str) -> Result<&str, AuthError> {
    let well_formed = key.len() == 4 + PREFIX_LEN + 1 + SECRET_LEN
        && key.starts_with("cus_")
        && key.as_bytes()[4 + PREFIX_LEN] == b'_'
        && key
            .bytes()
            .enumerate()
            .all(|(i, b)| i < 4 || i == 4 + PREFIX_LEN || ALPHABET.contains(&b));
    if well_formed {
        Ok(&key[..4 + PREFIX_LEN])
    } else {
        Err(AuthError::MalformedKey)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_differ() {
        let (p1, k1) = generate();
        let (_, k2) = generate();
        assert_eq!(parse_prefix(k1.expose_secret()).unwrap(), p1);
        assert_ne!(k1.expose_secret(), k2.expose_secret());
        assert_ne!(hash(&k1), hash(&k2));
    }

    #[test]
    fn malformed_keys_are_rejected_before_lookup() {
        for bad in [
            "",
            "cus_",
            "Bearer x",
            "cus_abcdefgh-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "cus_abcdefgh_short",
        ] {
            assert!(
                matches!(parse_prefix(bad), Err(AuthError::MalformedKey)),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_of_a_new_key_hides_the_secret() {
        let (_, k) = generate();
        assert!(!format!("{k:?}").contains(k.expose_secret()));
    }
}
