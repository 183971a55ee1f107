//! The vault: customer records with every sensitive field encrypted under a per-person data key,
//! blind indexes for exact lookup without decryption, masking by role, tokenized copies for test
//! environments, retention with crypto-shredding, and the hash-chained access log.

pub mod audit;
pub mod crypto;
mod element;
pub mod policy;
pub mod types;

pub use crypto::{
    BlindIndexer, CryptoError, DataKey, EnvKeyProvider, FieldAd, FieldCipher, FileKeyProvider, Kek,
    KeyCache, KeyCacheConfig, KeyProvider, Revealed, RootKey, Tokenizer, WrapAd,
};
pub use element::{
    AccountKind, DataElement, ElementSet, Sensitivity, UnknownAccountKind, UnknownElement,
};
pub use types::FieldError;

pub mod export;
pub mod import;
pub mod index_rotate;
mod keyring;
mod read;
pub mod record;
pub mod retention;
pub mod rotate;
mod service;
mod store;
mod write;

pub use keyring::Keyring;
pub use read::{
    FieldValue, Lookup, MAX_BATCH_READ, PersonRef, PersonSummary, PersonView, ReadRequest, Reader,
    Searcher, Shredder,
};
pub use record::{CanonicalRecord, ExternalId, Field};
pub use service::{DEFAULT_TENANT, RequestContext, Vault, VaultError};
pub use write::{BatchOutcome, INDEXED, ItemOutcome, Writer};

/// The vault's schema: the access log, then people and blind indexes, then key rotation jobs.
pub const COMPONENT: custodian_db::Component = custodian_db::Component {
    name: "vault",
    migrations: &[
        audit::AUDIT_MIGRATION,
        custodian_db::Migration {
            version: 2,
            name: "people, blind indexes, import jobs",
            sqlite: include_str!("../migrations/sqlite/0002_people.sql"),
            postgres: include_str!("../migrations/postgres/0002_people.sql"),
        },
        custodian_db::Migration {
            version: 3,
            name: "key rotation jobs",
            sqlite: include_str!("../migrations/sqlite/0003_rotation_jobs.sql"),
            postgres: include_str!("../migrations/postgres/0003_rotation_jobs.sql"),
        },
    ],
};
