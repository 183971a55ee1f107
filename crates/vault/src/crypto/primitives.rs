//! The three primitives every other crypto module is built from — AES-256-GCM-SIV (RFC 8452),
//! HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869) — each behind one small wrapper. They are
//! public so that the known-answer tests (Wycheproof, RFC vectors) run through exactly the code
//! paths the envelope, key wrapping and blind indexes use; code outside the crypto layer should
//! use the higher-level types instead.

use aes_gcm_siv::aead::AeadInPlace;
use aes_gcm_siv::{Aes256GcmSiv, KeyInit, Nonce, Tag};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::CryptoError;

/// Key length of every symmetric key in the vault.
pub const KEY_LEN: usize = 32;
/// AES-GCM-SIV nonce length.
pub const NONCE_LEN: usize = 12;
/// AES-GCM-SIV tag length.
pub const TAG_LEN: usize = 16;
/// HMAC-SHA256 output length.
pub const MAC_LEN: usize = 32;

/// An AES-256-GCM-SIV instance with its key schedule expanded once.
///
/// The AES key schedule is zeroized on drop (the `aes` crate's `zeroize` feature).
#[derive(Clone)]
pub struct SivCipher {
    cipher: Aes256GcmSiv,
}

impl SivCipher {
    /// Expands `key` into a reusable cipher.
    pub fn new(key: &[u8; KEY_LEN]) -> Self {
        SivCipher {
            cipher: Aes256GcmSiv::new(key.into()),
        }
    }

    /// Encrypts `buffer` in place and returns the tag.
    ///
    /// Fails only for inputs beyond RFC 8452's limits (2^36 bytes).
    pub fn seal_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        ad: &[u8],
        buffer: &mut [u8],
    ) -> Result<[u8; TAG_LEN], CryptoError> {
        let tag = self
            .cipher
            .encrypt_in_place_detached(Nonce::from_slice(nonce), ad, buffer)
            .map_err(|_| CryptoError::PlaintextTooLong {
                len: buffer.len(),
                max: 1 << 36,
            })?;
        Ok(tag.into())
    }

    /// Decrypts `buffer` in place if `tag` verifies.
    ///
    /// On failure the buffer holds ciphertext again (the crate re-encrypts it), never plaintext.
    pub fn open_in_place(
        &self,
        nonce: &[u8; NONCE_LEN],
        ad: &[u8],
        buffer: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<(), CryptoError> {
        self.cipher
            .decrypt_in_place_detached(Nonce::from_slice(nonce), ad, buffer, Tag::from_slice(tag))
            .map_err(|_| CryptoError::AuthenticationFailed)
    }
}

/// HMAC-SHA256 with the key already absorbed: each use clones the keyed state, which saves the
/// two key-block compressions that a fresh `Hmac::new` costs.
#[derive(Clone)]
pub struct KeyedMac {
    keyed: Hmac<Sha256>,
}

impl KeyedMac {
    /// Keys HMAC-SHA256 with `key` (any length; keys longer than 64 bytes are hashed first).
    pub fn new(key: &[u8]) -> Self {
        // HMAC is defined for keys of every length, so `new_from_slice` has no failing case.
        #[allow(clippy::expect_used)]
        let keyed =
            <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length");
        KeyedMac { keyed }
    }

    /// HMAC over the concatenation of `parts`.
    pub fn compute(&self, parts: &[&[u8]]) -> [u8; MAC_LEN] {
        let mut mac = self.keyed.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// Whether `tag` equals the HMAC over `parts`, in constant time.
    ///
    /// `tag` may be a truncation of the full output (as RFC 4231 test case 5 and Wycheproof's
    /// 128-bit groups use); it must be 16 to 32 bytes, shorter tags are refused.
    pub fn verify(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        if !(16..=MAC_LEN).contains(&tag.len()) {
            return false;
        }
        let full = self.compute(parts);
        full[..tag.len()].ct_eq(tag).into()
    }
}

/// HKDF-SHA256: extract with `salt` (empty means the RFC's all-zero salt), then expand the
/// concatenation of `info` parts into `okm`.
///
/// Fails when `okm` is longer than 255 × 32 bytes.
pub fn hkdf_sha256(
    salt: &[u8],
    ikm: &[u8],
    info: &[&[u8]],
    okm: &mut [u8],
) -> Result<(), CryptoError> {
    Hkdf::<Sha256>::new(Some(salt), ikm)
        .expand_multi_info(info, okm)
        .map_err(|_| CryptoError::KdfLength(okm.len()))
}

/// Derives one 32-byte key with [`hkdf_sha256`].
pub fn derive_key(salt: &[u8], ikm: &[u8], info: &[&[u8]]) -> Zeroizing<[u8; KEY_LEN]> {
    let mut okm = Zeroizing::new([0u8; KEY_LEN]);
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expansion cannot fail.
    #[allow(clippy::expect_used)]
    hkdf_sha256(salt, ikm, info, okm.as_mut()).expect("32 bytes is a valid HKDF output length");
    okm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_refuses_short_tags() {
        let mac = KeyedMac::new(b"key");
        let tag = mac.compute(&[b"msg"]);
        assert!(mac.verify(&[b"msg"], &tag));
        assert!(mac.verify(&[b"m", b"sg"], &tag[..16]));
        assert!(!mac.verify(&[b"msg"], &tag[..15]));
        assert!(!mac.verify(&[b"msg"], &[]));
    }

    #[test]
    fn failed_open_leaves_no_plaintext() {
        let cipher = SivCipher::new(&[7; 32]);
        let nonce = [1; 12];
        let mut buf = *b"attack at dawn";
        let tag = cipher.seal_in_place(&nonce, b"ad", &mut buf).unwrap();
        let sealed = buf;
        assert!(
            cipher
                .open_in_place(&nonce, b"other", &mut buf, &tag)
                .is_err()
        );
        assert_eq!(buf, sealed);
        cipher.open_in_place(&nonce, b"ad", &mut buf, &tag).unwrap();
        assert_eq!(&buf, b"attack at dawn");
    }
}
