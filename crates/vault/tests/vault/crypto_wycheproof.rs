//! Project Wycheproof vectors for the three primitives the vault is built on, run through the
//! exact wrappers the envelope, key wrapping, blind indexes and KDFs use
//! (`custodian_vault::crypto::primitives`): every AES-GCM-SIV, HMAC-SHA256 and HKDF-SHA256 case,
//! valid ones must match byte for byte, invalid ones must be refused.

// A test binary reports a broken fixture by panicking; helpers outside #[test] fns need this too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use aes_gcm_siv::aead::{AeadInPlace, KeyInit};
use aes_gcm_siv::{Aes128GcmSiv, Nonce, Tag};
use custodian_vault::crypto::primitives::{KeyedMac, SivCipher, hkdf_sha256};
use wycheproof::TestResult;

#[test]
fn aes_gcm_siv_all_vectors() {
    let set = wycheproof::aead::TestSet::load(wycheproof::aead::TestName::AesGcmSiv).unwrap();
    let mut checked = 0;
    for group in &set.test_groups {
        for t in &group.tests {
            let id = t.tc_id;
            match group.key_size {
                256 => check_siv256(t, id),
                // The vault only uses AES-256; the 128-bit groups go through the same crate's
                // AES-128 instance so the whole file is exercised.
                128 => check_siv128(t, id),
                other => panic!("unexpected key size {other}"),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, set.number_of_tests);
}

fn check_siv256(t: &wycheproof::aead::Test, id: usize) {
    let cipher = SivCipher::new(t.key.as_slice().try_into().unwrap());
    let (Ok(nonce), Ok(tag)) = (
        <&[u8; 12]>::try_from(t.nonce.as_slice()),
        <&[u8; 16]>::try_from(t.tag.as_slice()),
    ) else {
        // The envelope only ever parses 12-byte nonces and 16-byte tags; other sizes cannot
        // reach the cipher, which is how they are rejected.
        assert!(t.result.must_fail(), "tc {id}: odd sizes in a valid case");
        return;
    };
    let mut buf = t.ct.to_vec();
    let opened = cipher.open_in_place(nonce, &t.aad, &mut buf, tag);
    if t.result.must_fail() {
        assert!(opened.is_err(), "tc {id}: invalid ciphertext accepted");
        return;
    }
    opened.unwrap_or_else(|e| panic!("tc {id}: {e}"));
    assert_eq!(buf, t.pt.as_slice(), "tc {id}: plaintext");
    let mut buf = t.pt.to_vec();
    let sealed_tag = cipher.seal_in_place(nonce, &t.aad, &mut buf).unwrap();
    assert_eq!(buf, t.ct.as_slice(), "tc {id}: ciphertext");
    assert_eq!(&sealed_tag, tag, "tc {id}: tag");
}

fn check_siv128(t: &wycheproof::aead::Test, id: usize) {
    let cipher = Aes128GcmSiv::new_from_slice(&t.key).unwrap();
    let mut buf = t.ct.to_vec();
    let opened = cipher.decrypt_in_place_detached(
        Nonce::from_slice(&t.nonce),
        &t.aad,
        &mut buf,
        Tag::from_slice(&t.tag),
    );
    assert_eq!(opened.is_err(), t.result.must_fail(), "tc {id}");
    if !t.result.must_fail() {
        assert_eq!(buf, t.pt.as_slice(), "tc {id}");
    }
}

#[test]
fn hmac_sha256_all_vectors() {
    let set = wycheproof::mac::TestSet::load(wycheproof::mac::TestName::HmacSha256).unwrap();
    let mut checked = 0;
    for group in &set.test_groups {
        for t in &group.tests {
            let mac = KeyedMac::new(&t.key);
            let ok = mac.verify(&[&t.msg], &t.tag);
            match t.result {
                TestResult::Invalid => assert!(!ok, "tc {}: forged tag accepted", t.tc_id),
                TestResult::Valid | TestResult::Acceptable => {
                    assert!(ok, "tc {}: valid tag refused", t.tc_id);
                    let full = mac.compute(&[&t.msg]);
                    assert_eq!(&full[..t.tag.len()], t.tag.as_slice(), "tc {}", t.tc_id);
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, set.number_of_tests);
}

#[test]
fn hkdf_sha256_all_vectors() {
    let set = wycheproof::hkdf::TestSet::load(wycheproof::hkdf::TestName::HkdfSha256).unwrap();
    let mut checked = 0;
    for group in &set.test_groups {
        for t in &group.tests {
            let mut okm = vec![0u8; t.size];
            let result = hkdf_sha256(&t.salt, &t.ikm, &[&t.info], &mut okm);
            if t.result.must_fail() {
                assert!(
                    result.is_err(),
                    "tc {}: impossible length accepted",
                    t.tc_id
                );
            } else {
                result.unwrap_or_else(|e| panic!("tc {}: {e}", t.tc_id));
                assert_eq!(okm, t.okm.as_slice(), "tc {}", t.tc_id);
            }
            checked += 1;
        }
    }
    assert_eq!(checked, set.number_of_tests);
}
