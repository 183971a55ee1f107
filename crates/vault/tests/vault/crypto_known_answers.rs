//! Published known-answer vectors, hard-coded from their documents: RFC 5869 (HKDF-SHA256, test
//! cases 1-3), RFC 4231 (HMAC-SHA256, test cases 1-7) and NIST's FF1 samples 1-9 (SP 800-38G
//! examples: AES-128, -192 and -256, radix 10 and 36), each through the vault's own wrappers.

// A test binary reports a broken fixture by panicking; helpers outside #[test] fns need this too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use custodian_vault::crypto::Ff1;
use custodian_vault::crypto::primitives::{KeyedMac, hkdf_sha256};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.replace([' ', '\n'], "")).unwrap()
}

#[test]
fn rfc5869_hkdf_sha256_cases_1_to_3() {
    // (IKM, salt, info, L, OKM)
    let cases = [
        (
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
            "000102030405060708090a0b0c",
            "f0f1f2f3f4f5f6f7f8f9",
            42,
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
        ),
        (
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\
             202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f\
             404142434445464748494a4b4c4d4e4f",
            "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f\
             808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f\
             a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
            "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf\
             d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef\
             f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
            82,
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c\
             59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71\
             cc30c58179ec3e87c14c01d5c1f3434f1d87",
        ),
        (
            "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
            "",
            "",
            42,
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
        ),
    ];
    for (i, (ikm, salt, info, len, okm)) in cases.iter().enumerate() {
        let mut out = vec![0u8; *len];
        hkdf_sha256(&h(salt), &h(ikm), &[&h(info)], &mut out).unwrap();
        assert_eq!(
            hex::encode(out),
            okm.replace([' ', '\n'], ""),
            "case {}",
            i + 1
        );
    }
}

#[test]
fn rfc4231_hmac_sha256_cases_1_to_7() {
    let key6 = "aa".repeat(131);
    // (key, data, HMAC-SHA-256; case 5 is truncated to 128 bits by the RFC)
    let cases = [
        (
            "0b".repeat(20),
            hex::encode("Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        ),
        (
            hex::encode("Jefe"),
            hex::encode("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        (
            "aa".repeat(20),
            "dd".repeat(50),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
        ),
        (
            "0102030405060708090a0b0c0d0e0f10111213141516171819".to_owned(),
            "cd".repeat(50),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
        ),
        (
            "0c".repeat(20),
            hex::encode("Test With Truncation"),
            "a3b6167473100ee06e0c796c2955552b",
        ),
        (
            key6.clone(),
            hex::encode("Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        ),
        (
            key6,
            hex::encode(
                "This is a test using a larger than block-size key and a larger than block-size \
                 data. The key needs to be hashed before being used by the HMAC algorithm.",
            ),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
        ),
    ];
    for (i, (key, data, tag)) in cases.iter().enumerate() {
        let mac = KeyedMac::new(&h(key));
        let full = mac.compute(&[&h(data)]);
        let want = h(tag);
        assert_eq!(&full[..want.len()], want.as_slice(), "case {}", i + 1);
        assert!(mac.verify(&[&h(data)], &want), "case {}", i + 1);
    }
}

/// Base-36 numerals of a string of `0-9a-z`.
fn b36(s: &str) -> Vec<u16> {
    s.chars()
        .map(|c| u16::try_from(c.to_digit(36).unwrap()).unwrap())
        .collect()
}

#[test]
fn nist_ff1_samples_1_to_9() {
    const K128: &str = "2B7E151628AED2A6ABF7158809CF4F3C";
    const K192: &str = "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F";
    const K256: &str = "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94";
    const TWEAK_10: &str = "39383736353433323130";
    const TWEAK_36: &str = "3737373770717273373737";
    const PT_10: &str = "0123456789";
    const PT_36: &str = "0123456789abcdefghi";
    // (sample, key, radix, tweak, plaintext, ciphertext)
    let samples = [
        (1, K128, 10, "", PT_10, "2433477484"),
        (2, K128, 10, TWEAK_10, PT_10, "6124200773"),
        (3, K128, 36, TWEAK_36, PT_36, "a9tv40mll9kdu509eum"),
        (4, K192, 10, "", PT_10, "2830668132"),
        (5, K192, 10, TWEAK_10, PT_10, "2496655549"),
        (6, K192, 36, TWEAK_36, PT_36, "xbj3kv35jrawxv32ysr"),
        (7, K256, 10, "", PT_10, "6657667009"),
        (8, K256, 10, TWEAK_10, PT_10, "1001623463"),
        (9, K256, 36, TWEAK_36, PT_36, "xs8a0azh2avyalyzuwd"),
    ];
    for (n, key, radix, tweak, pt, ct) in samples {
        let ff1 = Ff1::new(&h(key), radix).unwrap();
        let got = ff1.encrypt(&h(tweak), &b36(pt)).unwrap();
        assert_eq!(got, b36(ct), "sample {n}");
        assert_eq!(
            ff1.decrypt(&h(tweak), &got).unwrap(),
            b36(pt),
            "sample {n} inverse"
        );
    }
}
