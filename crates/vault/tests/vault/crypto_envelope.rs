//! Property tests of the field envelope and key wrapping: round trips for arbitrary bytes; any
//! changed byte, any other person, field or tenant, any other key is refused with an error (and
//! a wrong key is caught by the commitment, before decryption); truncated or garbage input never
//! panics.

// A test binary reports a broken fixture by panicking; helpers outside #[test] fns need this too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use custodian_vault::crypto::envelope::{OVERHEAD, sealed_key_version};
use custodian_vault::crypto::kek::{WRAPPED_LEN, wrapped_kek_version};
use custodian_vault::{CryptoError, DataKey, FieldAd, FieldCipher, Kek, RootKey, WrapAd};
use proptest::prelude::*;

fn ad<'a>(tenant: &'a str, person: &'a [u8; 16], field: &'a str) -> FieldAd<'a> {
    FieldAd {
        tenant,
        person,
        field,
    }
}

fn cipher(seed: u8) -> FieldCipher {
    FieldCipher::new(&DataKey::from_bytes([seed; 32]), 1)
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn seal_open_round_trip(plaintext in prop::collection::vec(any::<u8>(), 0..300), person in any::<[u8; 16]>(), key in any::<[u8; 32]>()) {
        let c = FieldCipher::new(&DataKey::from_bytes(key), 7);
        let a = ad("acme", &person, "ssn");
        let sealed = c.seal(&a, &plaintext).unwrap();
        prop_assert_eq!(sealed.len(), plaintext.len() + OVERHEAD);
        prop_assert_eq!(sealed_key_version(&sealed).unwrap(), 7);
        let opened = c.open(&a, &sealed).unwrap();
        prop_assert_eq!(opened.expose(), &plaintext);
        // Fresh nonce each time: sealing twice gives different envelopes.
        prop_assert_ne!(c.seal(&a, &plaintext).unwrap(), sealed);
    }

    #[test]
    fn any_changed_byte_is_refused(plaintext in prop::collection::vec(any::<u8>(), 0..64), index in any::<prop::sample::Index>(), flip in 1u8..=255) {
        let c = cipher(1);
        let person = [3; 16];
        let a = ad("acme", &person, "phone");
        let mut sealed = c.seal(&a, &plaintext).unwrap();
        let i = index.index(sealed.len());
        sealed[i] ^= flip;
        prop_assert!(c.open(&a, &sealed).is_err(), "byte {} changed and still opened", i);
    }

    #[test]
    fn other_place_is_refused(plaintext in prop::collection::vec(any::<u8>(), 0..64), p1 in any::<[u8; 16]>(), p2 in any::<[u8; 16]>()) {
        prop_assume!(p1 != p2);
        let c = cipher(1);
        let sealed = c.seal(&ad("acme", &p1, "ssn"), &plaintext).unwrap();
        for wrong in [ad("acme", &p2, "ssn"), ad("acme", &p1, "imei"), ad("globex", &p1, "ssn"), ad("acm", &p1, "essn")] {
            let err = c.open(&wrong, &sealed).unwrap_err();
            prop_assert!(matches!(err, CryptoError::CommitmentMismatch), "{:?}", err);
        }
    }

    #[test]
    fn wrong_key_fails_the_commitment(plaintext in prop::collection::vec(any::<u8>(), 0..64), k1 in any::<[u8; 32]>(), k2 in any::<[u8; 32]>()) {
        prop_assume!(k1 != k2);
        let person = [5; 16];
        let a = ad("acme", &person, "email");
        let sealed = FieldCipher::new(&DataKey::from_bytes(k1), 1).seal(&a, &plaintext).unwrap();
        let err = FieldCipher::new(&DataKey::from_bytes(k2), 1).open(&a, &sealed).unwrap_err();
        prop_assert!(matches!(err, CryptoError::CommitmentMismatch), "{:?}", err);
    }

    #[test]
    fn garbage_and_truncations_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200), cut in 0usize..200) {
        let c = cipher(1);
        let person = [0; 16];
        let a = ad("t", &person, "f");
        prop_assert!(c.open(&a, &bytes).is_err());
        let sealed = c.seal(&a, &bytes).unwrap();
        let cut = cut.min(sealed.len() - 1);
        prop_assert!(c.open(&a, &sealed[..cut]).is_err());
        let kek = Kek::derive(&RootKey::from_bytes([1; 32], 1), "t");
        let wad = WrapAd { tenant: "t", person: &person, key_version: 1 };
        prop_assert!(kek.unwrap(&bytes, &wad).is_err());
        let _ = wrapped_kek_version(&bytes);
        let _ = sealed_key_version(&bytes);
    }

    #[test]
    fn wrap_unwrap_round_trip(dk in any::<[u8; 32]>(), root in any::<[u8; 32]>(), person in any::<[u8; 16]>(), version in 1u32..5) {
        let kek = Kek::derive(&RootKey::from_bytes(root, version), "acme");
        let wad = WrapAd { tenant: "acme", person: &person, key_version: 1 };
        let wrapped = kek.wrap(&DataKey::from_bytes(dk), &wad);
        prop_assert_eq!(wrapped.len(), WRAPPED_LEN);
        prop_assert_eq!(wrapped_kek_version(&wrapped).unwrap(), version);
        // Equal keys give equal ciphers: check through sealing rather than exposing key bytes.
        let unwrapped = kek.unwrap(&wrapped, &wad).unwrap();
        let a = ad("acme", &person, "f");
        let sealed = FieldCipher::new(&DataKey::from_bytes(dk), 1).seal(&a, b"x").unwrap();
        let opened = FieldCipher::new(&unwrapped, 1).open(&a, &sealed).unwrap();
        prop_assert_eq!(opened.expose().as_slice(), b"x");
        let other = WrapAd { key_version: 2, ..wad };
        prop_assert!(kek.unwrap(&wrapped, &other).is_err());
    }
}

#[test]
fn errors_are_typed() {
    let c = cipher(1);
    let person = [1; 16];
    let a = ad("acme", &person, "ssn");
    let sealed = c.seal(&a, b"123456789").unwrap();
    let err = |bytes: &[u8]| c.open(&a, bytes).unwrap_err();
    assert!(matches!(
        err(&sealed[..OVERHEAD - 1]),
        CryptoError::Truncated { minimum: OVERHEAD, actual } if actual == OVERHEAD - 1
    ));
    let mut bad = sealed.clone();
    bad[0] = 9;
    assert!(matches!(err(&bad), CryptoError::UnknownFormat(9)));
    let mut bad = sealed.clone();
    bad[1] = 9;
    assert!(matches!(err(&bad), CryptoError::UnknownAlgorithm(9)));
    let other_version = FieldCipher::new(&DataKey::from_bytes([1; 32]), 2);
    assert!(matches!(
        other_version.open(&a, &sealed).unwrap_err(),
        CryptoError::KeyVersionMismatch {
            expected: 2,
            found: 1
        }
    ));
    // A changed ciphertext body keeps the commitment valid, so the AEAD tag is what catches it.
    let mut bad = sealed;
    bad[OVERHEAD - 16] ^= 1;
    assert!(matches!(err(&bad), CryptoError::AuthenticationFailed));
    // Error text is safe to log: no plaintext, no key.
    assert!(!err(&bad).to_string().contains("123456789"));
}

#[test]
fn batch_helpers_match_single_calls() {
    let c = cipher(2);
    let person = [8; 16];
    let fields: [(&str, &[u8]); 3] = [
        ("ssn", b"123456789"),
        ("phone", b"+14155552671"),
        ("email", b""),
    ];
    let sealed = c.seal_batch("acme", &person, fields).unwrap();
    for ((field, plaintext), s) in fields.iter().zip(&sealed) {
        assert_eq!(
            c.open(&ad("acme", &person, field), s).unwrap().expose(),
            plaintext
        );
    }
    let names = ["ssn", "phone", "email"];
    let opened = c
        .open_batch(
            "acme",
            &person,
            names.iter().copied().zip(sealed.iter().map(Vec::as_slice)),
        )
        .unwrap();
    assert_eq!(opened[1].expose(), b"+14155552671");
    // Swapping two sealed fields of the same person is caught.
    let swapped = [
        ("ssn", sealed[1].as_slice()),
        ("phone", sealed[0].as_slice()),
    ];
    assert!(c.open_batch("acme", &person, swapped).is_err());
}

#[test]
fn seal_into_appends() {
    let c = cipher(3);
    let person = [8; 16];
    let a = ad("acme", &person, "zip");
    let mut buf = b"prefix".to_vec();
    c.seal_into(&a, b"98101", &mut buf).unwrap();
    assert_eq!(&buf[..6], b"prefix");
    assert_eq!(c.open(&a, &buf[6..]).unwrap().expose(), b"98101");
}
