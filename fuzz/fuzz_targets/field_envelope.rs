//! Opening an arbitrary envelope never panics and never returns plaintext for bytes that were not
//! sealed under this key and binding; a real envelope with any one byte changed is refused.
#![no_main]

use custodian_vault::{DataKey, FieldAd, FieldCipher};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cipher = FieldCipher::new(&DataKey::from_bytes([7; 32]), 1);
    let ad = FieldAd {
        tenant: "default",
        person: &[1; 16],
        field: "ssn",
    };
    assert!(cipher.open(&ad, data).is_err(), "arbitrary bytes opened");
    if let Some((&flip, rest)) = data.split_first() {
        let Ok(mut sealed) = cipher.seal(&ad, rest) else {
            return;
        };
        assert!(cipher.open(&ad, &sealed).is_ok());
        let i = usize::from(flip) % sealed.len();
        sealed[i] ^= 1;
        assert!(
            cipher.open(&ad, &sealed).is_err(),
            "a changed byte {i} was accepted"
        );
    }
});
