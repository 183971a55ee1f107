//! The vault: customer records with every sensitive field encrypted under a per-person data key,
//! blind indexes for exact lookup without decryption, masking by role, tokenized copies for test
//! environments, retention with crypto-shredding, and the hash-chained access log.

mod element;

pub use element::{
    AccountKind, DataElement, ElementSet, Sensitivity, UnknownAccountKind, UnknownElement,
};
