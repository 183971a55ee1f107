//! RFC 9106 §5 known answers through the guard's hashing layer: the raw Argon2id derivation uses
//! the same engine (pepper as Argon2's secret `K`, associated data) as every stored hash, and the
//! verification path accepts the RFC's Argon2d, Argon2i and Argon2id tags written as PHC strings,
//! which is how imported hashes of each variant are checked.

use custodian_guard::hash::{HashCheck, StoredHash};
use custodian_guard::{HashParams, Hasher, Pepper};

const TAG_ID: &str = "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659";

fn rfc_hasher() -> Hasher {
    // Secret[8] = 03 × 8, the RFC's `K`.
    Hasher::new(
        HashParams::new(32, 3, 4).unwrap(),
        vec![Pepper::new(1, &[3; 8]).unwrap()],
    )
}

#[test]
fn rfc9106_argon2id_raw_tag() {
    let h = rfc_hasher();
    let mut out = [0u8; 32];
    h.derive_raw(
        HashParams::new(32, 3, 4).unwrap(),
        &[1; 32],
        &[2; 16],
        &[4; 12],
        &mut out,
    )
    .unwrap();
    assert_eq!(hex::encode(out), TAG_ID);
    assert_eq!(h.evaluations(), 1);
}

#[test]
fn rfc9106_tags_verify_as_phc_strings() {
    let h = rfc_hasher();
    let salt_data = "m=32,t=3,p=4,data=BAQEBAQEBAQEBAQE$AgICAgICAgICAgICAgICAg";
    let cases = [
        ("argon2d", "USs5G28RYpdTcdMJGXNClPho4745hPPBoTpNufq+Sss"),
        ("argon2i", "yBTZ0dx/N6oT8Nd/JJS9ocjeawFt04jSmVKkxGcrbOg"),
        ("argon2id", "DWQN9Y14dmwIwDejSotTydAe8EUtdbZetSUg6WsB5lk"),
    ];
    for (alg, tag) in cases {
        let stored = StoredHash {
            phc: format!("${alg}$v=19${salt_data}${tag}"),
            pepper_id: 1,
        };
        // Only Argon2id at the hasher's own parameters and pepper is current.
        let is_stale = alg != "argon2id";
        assert_eq!(
            h.verify(&[1; 32], &stored),
            HashCheck::Match { is_stale },
            "{alg}"
        );
        assert_eq!(h.verify(&[1; 31], &stored), HashCheck::NoMatch, "{alg}");
        // Without the secret `K` the tag does not verify.
        let unpeppered = StoredHash {
            pepper_id: 0,
            ..stored
        };
        assert_eq!(h.verify(&[1; 32], &unpeppered), HashCheck::NoMatch, "{alg}");
    }
}

#[test]
fn owasp_defaults_are_recorded_in_each_hash() {
    let h = Hasher::new(HashParams::default(), Vec::new());
    let s = h.hash(b"739164").unwrap();
    assert!(
        s.phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{}",
        s.phc
    );
    assert_eq!(
        h.verify(b"739164", &s),
        HashCheck::Match { is_stale: false }
    );
}
