//! Blind indexes: exact-match lookup of an encrypted field without decrypting anything. The index
//! of a value is `HMAC-SHA256(k, normalized value)`, where `k` is derived per tenant, field and
//! index version from a root key, so equal values of one field match, the same SSN in two tenants
//! or two fields does not, and the database alone reveals nothing but equality.
//!
//! The input must be the field type's `normalized()` form, so every spelling of a value indexes
//! alike. The index key does not follow KEK rotation (lookups would break); it changes only with
//! the index version, which the caller bumps together with re-indexing.

use std::fmt;

use super::primitives::{KeyedMac, MAC_LEN, derive_key};
use super::{CryptoError, RootKey, push_len_prefixed};

/// The smallest truncation [`BlindIndexer::index_truncated`] accepts.
pub const MIN_TRUNCATION: usize = 8;

/// Computes the blind index of one field of one tenant.
///
/// Holds HMAC state with the key already absorbed; [`BlindIndexer::index`] clones it, which is
/// cheaper than keying HMAC anew for every value.
#[derive(Clone)]
pub struct BlindIndexer {
    mac: KeyedMac,
    index_version: u32,
}

impl BlindIndexer {
    /// The indexer for `field` of `tenant`, keyed by
    /// `HKDF-SHA256(salt = "custodian.bidx.v1", ikm = root, info = "bidx" ‖ tenant ‖ field ‖ index_version)`
    /// (tenant and field with 4-byte length prefixes).
    ///
    /// `root` is the root key that the index version was built with; keep that pairing stored.
    pub fn new(root: &RootKey, tenant: &str, field: &str, index_version: u32) -> Self {
        let mut info = Vec::with_capacity(4 + 8 + tenant.len() + field.len() + 4);
        info.extend_from_slice(b"bidx");
        push_len_prefixed(&mut info, tenant.as_bytes());
        push_len_prefixed(&mut info, field.as_bytes());
        info.extend_from_slice(&index_version.to_be_bytes());
        let key = derive_key(b"custodian.bidx.v1", root.as_bytes(), &[&info]);
        BlindIndexer {
            mac: KeyedMac::new(key.as_ref()),
            index_version,
        }
    }

    /// The index version this indexer was built for.
    pub fn index_version(&self) -> u32 {
        self.index_version
    }

    /// The full 32-byte index of a normalized value.
    pub fn index(&self, normalized: &[u8]) -> [u8; MAC_LEN] {
        self.mac.compute(&[normalized])
    }

    /// The first `truncate_to` bytes of the index (8 to 32).
    ///
    /// Use for low-entropy fields (date of birth, ZIP): with a full index, anyone holding the
    /// database and the index key can still only confirm guesses, but a *short* index makes many
    /// values share one entry on purpose, so a leaked index table cannot be joined one-to-one
    /// against another data set. A lookup then returns a few candidates, which the service opens
    /// and compares. 8 bytes is the floor: below it, collisions across a 100-million-row table
    /// stop being rare for high-entropy fields and lookups degrade.
    pub fn index_truncated(
        &self,
        normalized: &[u8],
        truncate_to: usize,
    ) -> Result<Vec<u8>, CryptoError> {
        if !(MIN_TRUNCATION..=MAC_LEN).contains(&truncate_to) {
            return Err(CryptoError::InvalidTruncation(truncate_to));
        }
        Ok(self.index(normalized)[..truncate_to].to_vec())
    }
}

impl fmt::Debug for BlindIndexer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlindIndexer(v{}, <redacted>)", self.index_version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separates_tenants_fields_and_versions() {
        let root = RootKey::from_bytes([3; 32], 1);
        let a = BlindIndexer::new(&root, "acme", "ssn", 1);
        let value = b"123456789";
        assert_eq!(a.index(value), a.index(value), "deterministic");
        for other in [
            BlindIndexer::new(&root, "globex", "ssn", 1),
            BlindIndexer::new(&root, "acme", "phone", 1),
            BlindIndexer::new(&root, "acme", "ssn", 2),
            BlindIndexer::new(&RootKey::from_bytes([4; 32], 1), "acme", "ssn", 1),
            // Length prefixes keep ("acme", "ssn") apart from ("acmes", "sn").
            BlindIndexer::new(&root, "acmes", "sn", 1),
        ] {
            assert_ne!(a.index(value), other.index(value));
        }
        assert_ne!(a.index(value), a.index(b"123456780"));
    }

    #[test]
    fn truncation_bounds() {
        let a = BlindIndexer::new(&RootKey::from_bytes([3; 32], 1), "t", "dob", 1);
        let full = a.index(b"2000-01-01");
        assert_eq!(a.index_truncated(b"2000-01-01", 8).unwrap(), full[..8]);
        assert!(matches!(
            a.index_truncated(b"x", 7),
            Err(CryptoError::InvalidTruncation(7))
        ));
        assert!(a.index_truncated(b"x", 33).is_err());
    }
}
