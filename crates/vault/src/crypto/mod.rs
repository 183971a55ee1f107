//! The vault's cryptography, built only from RustCrypto crates. The key hierarchy is
//!
//! ```text
//! KeyProvider (file, env, KMS) --root key v--> HKDF --> Kek(tenant, v) --wraps--> DataKey(person)
//!                                          \-> HKDF --> BlindIndexer(tenant, field, index version)
//! export key ------------------------------------------> Tokenizer (FF1 + keyed picks)
//! ```
//!
//! Each person has a random [`DataKey`], stored only wrapped under the tenant's [`Kek`]; deleting
//! the wrapped key crypto-shreds every field of that person. Fields are sealed by a
//! [`FieldCipher`] (AES-256-GCM-SIV with a key commitment; the byte layout is documented in
//! [`envelope`]) and come back as [`Revealed`], the only type that holds plaintext. Exact lookup
//! goes through [`BlindIndexer`]; test-environment exports go through [`Tokenizer`].
//!
//! Hot-path rule: build a [`FieldCipher`] once per person per batch (it derives subkeys and
//! expands the AES key schedule), never once per value; the [`KeyCache`] keeps unwrapped data keys
//! for a bounded time, number of uses and count.

pub mod blind;
pub mod cache;
pub mod envelope;
mod error;
pub mod ff1;
pub mod file_provider;
pub mod kek;
pub mod keys;
pub mod primitives;
mod revealed;
pub mod tokenize;

pub use blind::BlindIndexer;
pub use cache::{KeyCache, KeyCacheConfig};
pub use envelope::{FieldAd, FieldCipher};
pub use error::CryptoError;
pub use ff1::Ff1;
pub use file_provider::FileKeyProvider;
pub use kek::{DataKey, Kek, WrapAd};
pub use keys::{EnvKeyProvider, KeyProvider, RootKey};
pub use revealed::Revealed;
pub use tokenize::Tokenizer;

/// Appends `bytes` with a 4-byte big-endian length prefix: the canonical, injective encoding of a
/// variable-length string inside associated data and KDF info.
fn push_len_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    // Lengths beyond u32 are impossible for tenant ids and field names held in memory alongside
    // a 64-byte header; saturating keeps this total without a panic path.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}
