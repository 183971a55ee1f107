//! Field encryption: every sensitive column of a record is sealed on its own by a
//! [`FieldCipher`] built from the person's data key. The envelope is self-describing and bound to
//! its row and column, so a ciphertext copied to another person or field fails to open
//! (security invariant 3), and it carries a key commitment, so no second key can open it to a
//! different plaintext (AES-GCM-SIV alone is not key-committing).
//!
//! Byte layout (66 bytes of overhead):
//!
//! | offset | len | content |
//! |---|---|---|
//! | 0 | 1 | format version, `0x01` |
//! | 1 | 1 | algorithm id, `0x01` = AES-256-GCM-SIV + HKDF-SHA256 subkeys + HMAC-SHA256 commitment |
//! | 2 | 4 | data-key version, big-endian |
//! | 6 | 12 | random nonce |
//! | 18 | 32 | commitment = HMAC-SHA256(commit key, bytes 0..18 ‖ tag ‖ context) |
//! | 50 | n | ciphertext |
//! | 50 + n | 16 | AES-GCM-SIV tag |
//!
//! *Context* is the canonical encoding of where the value lives: tenant (4-byte big-endian length
//! prefix), the 16-byte person id, field name (length-prefixed). The AEAD's associated data is
//! bytes 0..6 of the header followed by the context, so format, algorithm and key version are
//! authenticated too. The AEAD key and the commitment key are both derived from the data key with
//! HKDF-SHA256 (salt `custodian.field.v1`, info `aead+commit`, 64 bytes: the first 32 are the
//! AEAD key, the last 32 the commitment key); the raw data key is never used as a cipher key. Because the commitment covers header, nonce, tag and context, it is a
//! CTX-style commitment (Chan & Rogaway, 2022) to key and context, and it is checked in constant
//! time *before* any decryption is attempted.

use rand::RngCore;
use zeroize::Zeroizing;

use super::kek::array_ref;
use super::primitives::{KEY_LEN, KeyedMac, MAC_LEN, NONCE_LEN, SivCipher, TAG_LEN, hkdf_sha256};
use super::{CryptoError, DataKey, Revealed};

const FORMAT: u8 = 1;
const ALG_SIV_HMAC_COMMIT: u8 = 1;
const HEADER_LEN: usize = 6;
const COMMIT_AT: usize = HEADER_LEN + NONCE_LEN;
const BODY_AT: usize = COMMIT_AT + MAC_LEN;

/// Bytes an envelope adds to its plaintext.
pub const OVERHEAD: usize = BODY_AT + TAG_LEN;

/// The largest plaintext one field may hold (1 MiB); fields are short, so anything larger is an
/// import error, reported instead of sealed.
pub const MAX_PLAINTEXT_LEN: usize = 1 << 20;

/// Context kept on the stack up to this size (tenant ids and field names are short).
const STACK_AD: usize = 192;

/// Where a sealed value lives; sealing and opening must agree on every part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldAd<'a> {
    /// The tenant id.
    pub tenant: &'a str,
    /// The person's opaque id (16 bytes, e.g. a UUID).
    pub person: &'a [u8; 16],
    /// The column, e.g. `ssn` (use [`crate::DataElement`] names or the record's column names).
    pub field: &'a str,
}

/// Seals and opens the fields of one person under one data key.
///
/// Construction derives two subkeys and expands the AES key schedule, so build one per person per
/// batch and reuse it for all of that person's fields.
pub struct FieldCipher {
    aead: SivCipher,
    commit: KeyedMac,
    key_version: u32,
}

impl FieldCipher {
    /// A cipher for `key`, the person's data key of generation `key_version` (the version is
    /// written into each envelope and bound into its associated data).
    pub fn new(key: &DataKey, key_version: u32) -> Self {
        // One extract and one 64-byte expand: half the SHA-256 work of two separate HKDF calls,
        // which matters at one `FieldCipher` per person.
        let mut okm = Zeroizing::new([0u8; 2 * KEY_LEN]);
        // 64 bytes is far below HKDF-SHA256's 8160-byte limit, so expansion cannot fail.
        #[allow(clippy::expect_used)]
        hkdf_sha256(
            b"custodian.field.v1",
            key.as_bytes(),
            &[b"aead+commit"],
            okm.as_mut(),
        )
        .expect("64 bytes is a valid HKDF output length");
        let mut aead_key = Zeroizing::new([0u8; KEY_LEN]);
        aead_key.copy_from_slice(&okm[..KEY_LEN]);
        FieldCipher {
            aead: SivCipher::new(&aead_key),
            commit: KeyedMac::new(&okm[KEY_LEN..]),
            key_version,
        }
    }

    /// The data-key version this cipher writes and accepts.
    pub fn key_version(&self) -> u32 {
        self.key_version
    }

    /// Seals `plaintext` for the place `ad` names.
    pub fn seal(&self, ad: &FieldAd<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut out = Vec::new();
        self.seal_into(ad, plaintext, &mut out)?;
        Ok(out)
    }

    /// Seals `plaintext` and appends the envelope to `out` (for callers that pack many envelopes
    /// into one buffer). `out` is grown before the plaintext is copied in, so no reallocation
    /// leaves a stray plaintext copy behind.
    pub fn seal_into(
        &self,
        ad: &FieldAd<'_>,
        plaintext: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), CryptoError> {
        if plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(CryptoError::PlaintextTooLong {
                len: plaintext.len(),
                max: MAX_PLAINTEXT_LEN,
            });
        }
        let mut head = [0u8; COMMIT_AT];
        head[0] = FORMAT;
        head[1] = ALG_SIV_HMAC_COMMIT;
        head[2..HEADER_LEN].copy_from_slice(&self.key_version.to_be_bytes());
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        head[HEADER_LEN..].copy_from_slice(&nonce);
        let aad = AdBuf::new(&head[..HEADER_LEN], ad);

        let start = out.len();
        out.reserve(OVERHEAD + plaintext.len());
        out.extend_from_slice(&head);
        out.extend_from_slice(&[0u8; MAC_LEN]);
        out.extend_from_slice(plaintext);
        let tag = match self
            .aead
            .seal_in_place(&nonce, aad.as_slice(), &mut out[start + BODY_AT..])
        {
            Ok(tag) => tag,
            Err(e) => {
                // Unreachable below the length cap, but never leave plaintext in the buffer.
                zeroize::Zeroize::zeroize(&mut out[start..]);
                out.truncate(start);
                return Err(e);
            }
        };
        out.extend_from_slice(&tag);
        let commitment = self.commitment(&head, &tag, &aad);
        out[start + COMMIT_AT..start + BODY_AT].copy_from_slice(&commitment);
        Ok(())
    }

    /// Opens an envelope sealed for exactly `ad` under this cipher's key.
    ///
    /// Checks, in order: length, format, algorithm, key version, commitment (constant time),
    /// then the AEAD tag. Plaintext is returned only if all pass.
    pub fn open(&self, ad: &FieldAd<'_>, sealed: &[u8]) -> Result<Revealed, CryptoError> {
        let found = sealed_key_version(sealed)?;
        if found != self.key_version {
            return Err(CryptoError::KeyVersionMismatch {
                expected: self.key_version,
                found,
            });
        }
        let head: &[u8; COMMIT_AT] = array_ref(&sealed[..COMMIT_AT])?;
        let commitment = &sealed[COMMIT_AT..BODY_AT];
        let (body, tag) = sealed[BODY_AT..].split_at(sealed.len() - OVERHEAD);
        let tag: &[u8; TAG_LEN] = array_ref(tag)?;
        let aad = AdBuf::new(&head[..HEADER_LEN], ad);
        if !self
            .commit
            .verify(&[head, tag, &aad.as_slice()[HEADER_LEN..]], commitment)
        {
            return Err(CryptoError::CommitmentMismatch);
        }
        let mut buffer = Revealed::new(body.to_vec());
        let nonce: &[u8; NONCE_LEN] = array_ref(&head[HEADER_LEN..])?;
        self.aead
            .open_in_place(nonce, aad.as_slice(), buffer.expose_mut(), tag)?;
        Ok(buffer)
    }

    /// Seals several fields of one person, in order; fails on the first error.
    pub fn seal_batch<'f>(
        &self,
        tenant: &str,
        person: &[u8; 16],
        fields: impl IntoIterator<Item = (&'f str, &'f [u8])>,
    ) -> Result<Vec<Vec<u8>>, CryptoError> {
        fields
            .into_iter()
            .map(|(field, plaintext)| {
                let ad = FieldAd {
                    tenant,
                    person,
                    field,
                };
                self.seal(&ad, plaintext)
            })
            .collect()
    }

    /// Opens several fields of one person, in order; fails on the first error.
    pub fn open_batch<'f>(
        &self,
        tenant: &str,
        person: &[u8; 16],
        fields: impl IntoIterator<Item = (&'f str, &'f [u8])>,
    ) -> Result<Vec<Revealed>, CryptoError> {
        fields
            .into_iter()
            .map(|(field, sealed)| {
                let ad = FieldAd {
                    tenant,
                    person,
                    field,
                };
                self.open(&ad, sealed)
            })
            .collect()
    }

    fn commitment(&self, head: &[u8; COMMIT_AT], tag: &[u8; TAG_LEN], aad: &AdBuf) -> [u8; 32] {
        self.commit
            .compute(&[head, tag, &aad.as_slice()[HEADER_LEN..]])
    }
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FieldCipher(v{}, <redacted>)", self.key_version)
    }
}

/// The data-key version recorded in an envelope (to pick the key that opens it), after checking
/// its length, format and algorithm bytes.
pub fn sealed_key_version(sealed: &[u8]) -> Result<u32, CryptoError> {
    if sealed.len() < OVERHEAD {
        return Err(CryptoError::Truncated {
            minimum: OVERHEAD,
            actual: sealed.len(),
        });
    }
    if sealed[0] != FORMAT {
        return Err(CryptoError::UnknownFormat(sealed[0]));
    }
    if sealed[1] != ALG_SIV_HMAC_COMMIT {
        return Err(CryptoError::UnknownAlgorithm(sealed[1]));
    }
    Ok(u32::from_be_bytes([
        sealed[2], sealed[3], sealed[4], sealed[5],
    ]))
}

/// The associated data (header bytes 0..6, then the context), on the stack when it fits.
enum AdBuf {
    Stack([u8; STACK_AD], usize),
    Heap(Vec<u8>),
}

impl AdBuf {
    fn new(header: &[u8], ad: &FieldAd<'_>) -> Self {
        let len = header.len() + 4 + ad.tenant.len() + 16 + 4 + ad.field.len();
        let parts: [&[u8]; 6] = [
            header,
            &len_prefix(ad.tenant),
            ad.tenant.as_bytes(),
            ad.person,
            &len_prefix(ad.field),
            ad.field.as_bytes(),
        ];
        if len <= STACK_AD {
            let mut buf = [0u8; STACK_AD];
            let mut at = 0;
            for part in parts {
                buf[at..at + part.len()].copy_from_slice(part);
                at += part.len();
            }
            AdBuf::Stack(buf, at)
        } else {
            AdBuf::Heap(parts.concat())
        }
    }

    fn as_slice(&self) -> &[u8] {
        match self {
            AdBuf::Stack(buf, len) => &buf[..*len],
            AdBuf::Heap(v) => v,
        }
    }
}

fn len_prefix(s: &str) -> [u8; 4] {
    // Tenant ids and field names are far below 4 GiB; saturating keeps this total.
    u32::try_from(s.len()).unwrap_or(u32::MAX).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERSON: [u8; 16] = [7; 16];

    fn ad(field: &str) -> FieldAd<'_> {
        FieldAd {
            tenant: "acme",
            person: &PERSON,
            field,
        }
    }

    #[test]
    fn layout_is_as_documented() {
        let cipher = FieldCipher::new(&DataKey::from_bytes([1; 32]), 0x0102_0304);
        let sealed = cipher.seal(&ad("ssn"), b"123456789").unwrap();
        assert_eq!(sealed.len(), 9 + OVERHEAD);
        assert_eq!(&sealed[..6], &[1, 1, 1, 2, 3, 4]);
        assert_eq!(sealed_key_version(&sealed).unwrap(), 0x0102_0304);
        assert_eq!(
            cipher.open(&ad("ssn"), &sealed).unwrap().expose(),
            b"123456789"
        );
    }

    #[test]
    fn long_context_goes_to_the_heap_and_still_binds() {
        let cipher = FieldCipher::new(&DataKey::from_bytes([1; 32]), 1);
        let long = "f".repeat(STACK_AD * 2);
        let sealed = cipher.seal(&ad(&long), b"x").unwrap();
        assert_eq!(cipher.open(&ad(&long), &sealed).unwrap().expose(), b"x");
        let shorter = &long[1..];
        assert!(cipher.open(&ad(shorter), &sealed).is_err());
    }

    #[test]
    fn oversized_plaintext_is_refused() {
        let cipher = FieldCipher::new(&DataKey::from_bytes([1; 32]), 1);
        let big = vec![0u8; MAX_PLAINTEXT_LEN + 1];
        assert!(matches!(
            cipher.seal(&ad("f"), &big),
            Err(CryptoError::PlaintextTooLong { .. })
        ));
    }
}
