//! The vault's integration tests, one module per concern, linked into one test binary.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod audit_log;
mod audit_query;
mod audit_scale;
mod crypto_envelope;
mod crypto_keys;
mod crypto_known_answers;
mod crypto_tidy;
mod crypto_tokenize;
mod crypto_wycheproof;
mod ops_common;
mod policy_file;
mod policy_masks;
mod vault_invariants;
mod vault_ops_export;
mod vault_ops_index_rotate;
mod vault_ops_retention;
mod vault_ops_rotate;
mod vault_ops_write;
