//! The guard's integration tests, one binary (for CI link time and disk): RFC 9106 vectors
//! through the hashing layer, weak-secret refusal, verification and attempt limiting, SIM-change
//! and port-out protection, and forced resets, each storage test on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;

#[path = "guard/protect.rs"]
mod protect;
#[path = "guard/reset.rs"]
mod reset;
#[path = "guard/vectors.rs"]
mod vectors;
#[path = "guard/verify.rs"]
mod verify;
#[path = "guard/weak.rs"]
mod weak;
