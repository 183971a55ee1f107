//! A small speed probe for the crypto hot paths, for `BENCHMARKS.md` until the criterion suite
//! lands: field seal/open (per field, typical 9-40 byte values), data-key wrap/unwrap (per
//! person), `FieldCipher` construction (per person per batch), blind index (per value), and the
//! import-shaped loop of one person with 12 fields. Run it optimized:
//!
//! ```text
//! cargo run --release -p custodian-vault --example crypto_speed
//! ```

// A measuring tool, not library code: a failure should stop it loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Instant;

use custodian_vault::crypto::primitives::{KeyedMac, SivCipher};
use custodian_vault::{
    BlindIndexer, DataKey, FieldAd, FieldCipher, Kek, RootKey, Tokenizer, WrapAd, types::Ssn,
};

fn measure(name: &str, iterations: u32, mut f: impl FnMut(u32)) {
    // Warm up caches and the branch predictor before timing.
    for i in 0..iterations / 10 {
        f(i);
    }
    let start = Instant::now();
    for i in 0..iterations {
        f(i);
    }
    let per = start.elapsed() / iterations;
    let rate = 1e9 / per.as_nanos().max(1) as f64;
    println!("{name:<44} {:>8} ns/op {:>12.0} op/s", per.as_nanos(), rate);
}

fn main() {
    let root = RootKey::from_bytes([1; 32], 1);
    let kek = Kek::derive(&root, "acme");
    let dk = DataKey::generate().expect("OS random numbers");
    let cipher = FieldCipher::new(&dk, 1);
    let person = [7u8; 16];
    let ad = FieldAd {
        tenant: "acme",
        person: &person,
        field: "ssn",
    };
    let wad = WrapAd {
        tenant: "acme",
        person: &person,
        key_version: 1,
    };
    let n = 200_000;

    for (label, value) in [
        ("9 B (ssn)", &b"123456789"[..]),
        ("40 B (street)", &[b'x'; 40][..]),
    ] {
        let sealed = cipher.seal(&ad, value).expect("seal");
        measure(&format!("seal field {label}"), n, |_| {
            black_box(cipher.seal(&ad, black_box(value)).expect("seal"));
        });
        measure(&format!("open field {label}"), n, |_| {
            black_box(cipher.open(&ad, black_box(&sealed)).expect("open"));
        });
    }
    let mut buf = Vec::with_capacity(4096);
    measure("seal_into reused buffer 9 B", n, |_| {
        buf.clear();
        cipher.seal_into(&ad, b"123456789", &mut buf).expect("seal");
        black_box(&buf);
    });

    let wrapped = kek.wrap(&dk, &wad);
    measure("DataKey::generate (OS RNG)", n / 4, |_| {
        black_box(DataKey::generate().expect("rng"));
    });
    measure("wrap data key", n, |_| {
        black_box(kek.wrap(&dk, &wad));
    });
    measure("unwrap data key", n, |_| {
        black_box(kek.unwrap(&wrapped, &wad).expect("unwrap"));
    });
    measure("FieldCipher::new (per person)", n, |_| {
        black_box(FieldCipher::new(&dk, 1));
    });

    let indexer = BlindIndexer::new(&root, "acme", "ssn", 1);
    measure("blind index 9 B", n, |i| {
        black_box(indexer.index(&i.to_be_bytes()));
    });

    let fields: Vec<(String, Vec<u8>)> = (0..12)
        .map(|i| {
            (
                format!("field_{i}"),
                vec![b'a' + i as u8; 8 + 3 * i as usize],
            )
        })
        .collect();
    let indexers: Vec<BlindIndexer> = (0..5)
        .map(|i| BlindIndexer::new(&root, "acme", &fields[i].0, 1))
        .collect();
    measure(
        "import person: new key, wrap, 12 seals, 5 bidx",
        n / 10,
        |i| {
            let mut person = [0u8; 16];
            person[..4].copy_from_slice(&i.to_be_bytes());
            let dk = DataKey::generate().expect("rng");
            let wad = WrapAd {
                tenant: "acme",
                person: &person,
                key_version: 1,
            };
            black_box(kek.wrap(&dk, &wad));
            let cipher = FieldCipher::new(&dk, 1);
            let sealed = cipher
                .seal_batch(
                    "acme",
                    &person,
                    fields.iter().map(|(f, v)| (f.as_str(), v.as_slice())),
                )
                .expect("seal");
            black_box(sealed);
            for (ix, (_, v)) in indexers.iter().zip(&fields) {
                black_box(ix.index(v));
            }
        },
    );

    // The primitives underneath, to see where a seal's time goes.
    let siv = SivCipher::new(&[3; 32]);
    let mut block = *b"123456789";
    measure("primitive: AES-256-GCM-SIV seal 9 B", n, |_| {
        black_box(
            siv.seal_in_place(&[1; 12], &[0; 40], &mut block)
                .expect("seal"),
        );
    });
    let mac = KeyedMac::new(&[4; 32]);
    measure("primitive: HMAC-SHA256 over 70 B (commitment)", n, |_| {
        black_box(mac.compute(&[&[0; 18], &[0; 16], &[0; 36]]));
    });
    measure("primitive: 12-byte nonce from thread_rng", n, |_| {
        let mut nonce = [0u8; 12];
        rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut nonce);
        black_box(nonce);
    });

    let tokenizer = Tokenizer::new(&[9; 32]);
    let ssn = Ssn::parse("123-45-6789").expect("valid");
    measure("tokenize SSN (FF1 + cycle walk)", n / 20, |_| {
        black_box(tokenizer.ssn(&ssn));
    });
}
