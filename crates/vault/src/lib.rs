//! The vault: customer records with every sensitive field encrypted under a per-person data key,
//! blind indexes for exact lookup without decryption, masking by role, tokenized copies for test
//! environments, retention with crypto-shredding, and the hash-chained access log.

pub mod crypto;
mod element;
pub mod types;

pub use crypto::{
    BlindIndexer, CryptoError, DataKey, EnvKeyProvider, FieldAd, FieldCipher, FileKeyProvider, Kek,
    KeyCache, KeyCacheConfig, KeyProvider, Revealed, RootKey, Tokenizer, WrapAd,
};
pub use element::{
    AccountKind, DataElement, ElementSet, Sensitivity, UnknownAccountKind, UnknownElement,
};
pub use types::FieldError;
