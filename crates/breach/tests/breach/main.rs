//! The breach engine's integration tests, one module per concern, linked into one test binary.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod common;
mod inventory_and_bad_input;
mod obligations_plan;
mod obligations_rules;
mod obligations_thresholds;
mod principal_exposure;
mod synthetic_carrier;
