//! The key that signs checkpoints and the head row: HMAC-SHA256 under a key derived from a root
//! key with `HKDF-SHA256(salt = "custodian.audit.v1", ikm = root key, info = "audit-checkpoint")`.
//!
//! Each signature records the root-key version it was made with, so the log stays verifiable
//! across key rotations as long as the provider still holds the old versions (it does: root keys
//! are never deleted). [`AuditKeyring`] holds one [`AuditKey`] per version for verification.

use std::collections::BTreeMap;
use std::fmt;

use crate::crypto::primitives::{KeyedMac, MAC_LEN, derive_key};
use crate::crypto::{KeyProvider, RootKey};

use super::AuditError;
use super::entry::HASH_LEN;

const SALT: &[u8] = b"custodian.audit.v1";
const INFO: &[u8] = b"audit-checkpoint";
const CHECKPOINT_DOMAIN: &[u8] = b"custodian.audit.checkpoint.v1";
const HEAD_DOMAIN: &[u8] = b"custodian.audit.head.v1";

/// The signing key of one root-key version. `Debug` shows only the version.
#[derive(Clone)]
pub struct AuditKey {
    mac: KeyedMac,
    version: u32,
}

impl AuditKey {
    /// Derives the audit key from `root` (see the module doc for the derivation).
    pub fn derive(root: &RootKey) -> AuditKey {
        let key = derive_key(SALT, root.as_bytes(), &[INFO]);
        AuditKey {
            mac: KeyedMac::new(key.as_ref()),
            version: root.version(),
        }
    }

    /// The root-key version this key was derived from.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The signature of a checkpoint.
    pub(crate) fn sign_checkpoint(&self, cp: &CheckpointFields) -> [u8; MAC_LEN] {
        self.mac.compute(&cp.parts(self.version).each())
    }

    /// Whether `sig` is this key's signature of the checkpoint.
    pub(crate) fn verify_checkpoint(&self, cp: &CheckpointFields, sig: &[u8]) -> bool {
        sig.len() == MAC_LEN && self.mac.verify(&cp.parts(self.version).each(), sig)
    }

    /// The MAC of the head row.
    pub(crate) fn sign_head(&self, head: &HeadFields) -> [u8; MAC_LEN] {
        self.mac.compute(&head.parts(self.version).each())
    }

    /// Whether `mac` is this key's MAC of the head row.
    pub(crate) fn verify_head(&self, head: &HeadFields, mac: &[u8]) -> bool {
        mac.len() == MAC_LEN && self.mac.verify(&head.parts(self.version).each(), mac)
    }
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuditKey(v{}, <redacted>)", self.version)
    }
}

/// The audit keys of every root-key version, for verification.
#[derive(Clone, Default)]
pub struct AuditKeyring {
    keys: BTreeMap<u32, AuditKey>,
}

impl AuditKeyring {
    /// A keyring holding the given keys.
    pub fn new(keys: impl IntoIterator<Item = AuditKey>) -> AuditKeyring {
        AuditKeyring {
            keys: keys.into_iter().map(|k| (k.version, k)).collect(),
        }
    }

    /// The keys of every version the provider holds, 1 to current.
    pub fn from_provider(provider: &dyn KeyProvider) -> Result<AuditKeyring, AuditError> {
        let current = provider.current_version()?;
        let mut keys = Vec::new();
        for v in 1..=current {
            keys.push(AuditKey::derive(&provider.root_key(v)?));
        }
        Ok(AuditKeyring::new(keys))
    }

    /// The key of that version, if held.
    pub fn get(&self, version: u32) -> Option<&AuditKey> {
        self.keys.get(&version)
    }

    /// The newest key held (the one to sign with).
    pub fn current(&self) -> Option<&AuditKey> {
        self.keys.values().next_back()
    }
}

impl From<AuditKey> for AuditKeyring {
    fn from(key: AuditKey) -> Self {
        AuditKeyring::new([key])
    }
}

impl fmt::Debug for AuditKeyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditKeyring")
            .field("versions", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// What a checkpoint signature covers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CheckpointFields {
    pub(crate) seq: i64,
    pub(crate) hash: [u8; HASH_LEN],
    pub(crate) at: i64,
    pub(crate) prev_seq: i64,
}

impl CheckpointFields {
    fn parts(&self, version: u32) -> Parts<4> {
        Parts {
            domain: CHECKPOINT_DOMAIN,
            hash: self.hash,
            ints: [
                self.seq.to_be_bytes(),
                self.at.to_be_bytes(),
                self.prev_seq.to_be_bytes(),
                i64::from(version).to_be_bytes(),
            ],
        }
    }
}

/// What the head MAC covers.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeadFields {
    pub(crate) seq: i64,
    pub(crate) hash: [u8; HASH_LEN],
    pub(crate) checkpoint_seq: i64,
}

impl HeadFields {
    fn parts(&self, version: u32) -> Parts<3> {
        Parts {
            domain: HEAD_DOMAIN,
            hash: self.hash,
            ints: [
                self.seq.to_be_bytes(),
                self.checkpoint_seq.to_be_bytes(),
                i64::from(version).to_be_bytes(),
            ],
        }
    }
}

/// A fixed-layout MAC input: a domain tag (distinct lengths, so no prefix ambiguity), a hash and
/// some 8-byte integers.
struct Parts<const N: usize> {
    domain: &'static [u8],
    hash: [u8; HASH_LEN],
    ints: [[u8; 8]; N],
}

impl<const N: usize> Parts<N> {
    fn each(&self) -> Vec<&[u8]> {
        let mut v: Vec<&[u8]> = vec![self.domain, &self.hash];
        v.extend(self.ints.iter().map(|i| i.as_slice()));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_every_field_and_the_version() {
        let k1 = AuditKey::derive(&RootKey::from_bytes([1; 32], 1));
        let k2 = AuditKey::derive(&RootKey::from_bytes([1; 32], 2));
        let cp = CheckpointFields {
            seq: 1000,
            hash: [7; 32],
            at: 5,
            prev_seq: 0,
        };
        let sig = k1.sign_checkpoint(&cp);
        assert!(k1.verify_checkpoint(&cp, &sig));
        assert!(!k2.verify_checkpoint(&cp, &sig));
        for changed in [
            CheckpointFields { seq: 999, ..cp },
            CheckpointFields { at: 6, ..cp },
            CheckpointFields { prev_seq: 1, ..cp },
            CheckpointFields {
                hash: [8; 32],
                ..cp
            },
        ] {
            assert!(!k1.verify_checkpoint(&changed, &sig));
        }
        let head = HeadFields {
            seq: 1000,
            hash: [7; 32],
            checkpoint_seq: 1000,
        };
        assert!(!k1.verify_head(&head, &sig), "domains are separated");
        assert!(k1.verify_head(&head, &k1.sign_head(&head)));
        assert!(!k1.verify_head(&head, &[]));
    }

    #[test]
    fn debug_is_redacted() {
        let k = AuditKey::derive(&RootKey::from_bytes([1; 32], 3));
        assert_eq!(format!("{k:?}"), "AuditKey(v3, <redacted>)");
        assert_eq!(
            format!("{:?}", AuditKeyring::from(k)),
            "AuditKeyring { versions: [3] }"
        );
    }
}
