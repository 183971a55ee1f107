//! The middle of the key hierarchy: a key-encryption key ([`Kek`]) per tenant and root-key
//! version, derived with HKDF so it is never stored, and the per-person [`DataKey`] that it wraps.
//! A data key exists at rest only in wrapped form, bound to its tenant, person and data-key
//! version; deleting that one wrapped blob makes every field of the person unreadable
//! (crypto-shredding). Rotating the root key means re-wrapping data keys under the new KEK, which
//! is 66 bytes per person and no field re-encryption.
//!
//! Wrapped layout (66 bytes):
//!
//! | offset | len | content |
//! |---|---|---|
//! | 0 | 1 | format version, `0x01` |
//! | 1 | 1 | algorithm id, `0x01` = AES-256-GCM-SIV |
//! | 2 | 4 | KEK version (= root-key version), big-endian |
//! | 6 | 12 | random nonce |
//! | 18 | 32 | encrypted data key |
//! | 50 | 16 | tag |
//!
//! Associated data: bytes 0..6 of the header, then the tenant (4-byte length prefix), the 16-byte
//! person id, and the data-key version (4 bytes, big-endian).

use std::fmt;

use rand::RngCore;
use rand::rngs::OsRng;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::primitives::{KEY_LEN, NONCE_LEN, SivCipher, TAG_LEN, derive_key};
use super::{CryptoError, RootKey, push_len_prefixed};

const FORMAT: u8 = 1;
const ALG_AES256_GCM_SIV: u8 = 1;
const HEADER_LEN: usize = 6;

/// Length of a wrapped data key.
pub const WRAPPED_LEN: usize = HEADER_LEN + NONCE_LEN + KEY_LEN + TAG_LEN;

/// A person's 32-byte data key. Zeroized on drop; `Debug` redacts; not `Clone`, so each copy in
/// memory is one someone asked for.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct DataKey([u8; KEY_LEN]);

impl DataKey {
    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut key = DataKey([0; KEY_LEN]);
        OsRng
            .try_fill_bytes(&mut key.0)
            .map_err(|_| CryptoError::Rng)?;
        Ok(key)
    }

    /// Wraps known key bytes; for tests and for keys handed over by another vault.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        DataKey(bytes)
    }

    /// A second handle to the same key (e.g. to keep one in a [`super::KeyCache`]).
    pub fn duplicate(&self) -> Self {
        DataKey(self.0)
    }

    pub(crate) fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// What a wrapped data key is bound to: unwrapping with any other value fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrapAd<'a> {
    /// The tenant id.
    pub tenant: &'a str,
    /// The person's opaque id (16 bytes, e.g. a UUID).
    pub person: &'a [u8; 16],
    /// The data key's generation for this person (1 unless the person was re-keyed); the same
    /// number goes to [`super::FieldCipher::new`].
    pub key_version: u32,
}

/// A tenant's key-encryption key for one root-key version.
pub struct Kek {
    cipher: SivCipher,
    version: u32,
}

impl Kek {
    /// Derives the KEK of `tenant` from `root`:
    /// `HKDF-SHA256(salt = "custodian.kek.v1", ikm = root, info = "kek" ‖ len ‖ tenant ‖ version)`.
    /// The KEK version is the root key's version.
    pub fn derive(root: &RootKey, tenant: &str) -> Self {
        let version = root.version();
        let mut info = Vec::with_capacity(3 + 4 + tenant.len() + 4);
        info.extend_from_slice(b"kek");
        push_len_prefixed(&mut info, tenant.as_bytes());
        info.extend_from_slice(&version.to_be_bytes());
        let key = derive_key(b"custodian.kek.v1", root.as_bytes(), &[&info]);
        Kek {
            cipher: SivCipher::new(&key),
            version,
        }
    }

    /// The KEK version (= root-key version) recorded in everything it wraps.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Wraps `data_key` for storage (a fresh random nonce each time).
    pub fn wrap(&self, data_key: &DataKey, ad: &WrapAd<'_>) -> Vec<u8> {
        let mut out = Vec::with_capacity(WRAPPED_LEN);
        out.extend_from_slice(&[FORMAT, ALG_AES256_GCM_SIV]);
        out.extend_from_slice(&self.version.to_be_bytes());
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        out.extend_from_slice(&nonce);
        let aad = wrap_ad(&out[..HEADER_LEN], ad);
        out.extend_from_slice(data_key.as_bytes());
        // Sealing fails only beyond 2^36 bytes; a data key is 32.
        #[allow(clippy::expect_used)]
        let tag = self
            .cipher
            .seal_in_place(&nonce, &aad, &mut out[HEADER_LEN + NONCE_LEN..])
            .expect("a 32-byte key is within AES-GCM-SIV's limits");
        out.extend_from_slice(&tag);
        out
    }

    /// Unwraps a data key; fails unless `wrapped` was made by this KEK for exactly `ad`.
    pub fn unwrap(&self, wrapped: &[u8], ad: &WrapAd<'_>) -> Result<DataKey, CryptoError> {
        let found = wrapped_kek_version(wrapped)?;
        if wrapped.len() != WRAPPED_LEN {
            return Err(CryptoError::Truncated {
                minimum: WRAPPED_LEN,
                actual: wrapped.len(),
            });
        }
        if found != self.version {
            return Err(CryptoError::KeyVersionMismatch {
                expected: self.version,
                found,
            });
        }
        let (header, rest) = wrapped.split_at(HEADER_LEN);
        let (nonce, rest) = rest.split_at(NONCE_LEN);
        let (body, tag) = rest.split_at(KEY_LEN);
        let aad = wrap_ad(header, ad);
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(body);
        self.cipher
            .open_in_place(array_ref(nonce)?, &aad, key.as_mut(), array_ref(tag)?)?;
        Ok(DataKey(*key))
    }
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kek(v{}, <redacted>)", self.version)
    }
}

/// The KEK version recorded in a wrapped key, to pick the KEK that can unwrap it; checks the
/// format and algorithm bytes on the way.
pub fn wrapped_kek_version(wrapped: &[u8]) -> Result<u32, CryptoError> {
    let header: &[u8; HEADER_LEN] = wrapped
        .get(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or(CryptoError::Truncated {
            minimum: WRAPPED_LEN,
            actual: wrapped.len(),
        })?;
    if header[0] != FORMAT {
        return Err(CryptoError::UnknownFormat(header[0]));
    }
    if header[1] != ALG_AES256_GCM_SIV {
        return Err(CryptoError::UnknownAlgorithm(header[1]));
    }
    Ok(u32::from_be_bytes([
        header[2], header[3], header[4], header[5],
    ]))
}

fn wrap_ad(header: &[u8], ad: &WrapAd<'_>) -> Vec<u8> {
    let mut aad = Vec::with_capacity(HEADER_LEN + 4 + ad.tenant.len() + 16 + 4);
    aad.extend_from_slice(header);
    push_len_prefixed(&mut aad, ad.tenant.as_bytes());
    aad.extend_from_slice(ad.person);
    aad.extend_from_slice(&ad.key_version.to_be_bytes());
    aad
}

/// A fixed-size view of a slice whose length the caller has already checked.
pub(crate) fn array_ref<const N: usize>(bytes: &[u8]) -> Result<&[u8; N], CryptoError> {
    bytes.try_into().map_err(|_| CryptoError::Truncated {
        minimum: N,
        actual: bytes.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERSON: [u8; 16] = [9; 16];

    fn ad(tenant: &str) -> WrapAd<'_> {
        WrapAd {
            tenant,
            person: &PERSON,
            key_version: 1,
        }
    }

    #[test]
    fn kek_depends_on_tenant_and_version() {
        let dk = DataKey::from_bytes([5; 32]);
        let k1 = Kek::derive(&RootKey::from_bytes([1; 32], 1), "acme");
        let wrapped = k1.wrap(&dk, &ad("acme"));
        assert_eq!(wrapped.len(), WRAPPED_LEN);
        assert_eq!(wrapped_kek_version(&wrapped).unwrap(), 1);
        let other_tenant = Kek::derive(&RootKey::from_bytes([1; 32], 1), "globex");
        assert!(matches!(
            other_tenant.unwrap(&wrapped, &ad("acme")),
            Err(CryptoError::AuthenticationFailed)
        ));
        let v2 = Kek::derive(&RootKey::from_bytes([1; 32], 2), "acme");
        assert!(matches!(
            v2.unwrap(&wrapped, &ad("acme")),
            Err(CryptoError::KeyVersionMismatch {
                expected: 2,
                found: 1
            })
        ));
        assert_eq!(
            k1.unwrap(&wrapped, &ad("acme")).unwrap().as_bytes(),
            &[5; 32]
        );
        assert_eq!(
            format!("{k1:?} {dk:?}"),
            "Kek(v1, <redacted>) DataKey(<redacted>)"
        );
    }
}
