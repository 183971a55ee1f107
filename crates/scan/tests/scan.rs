//! The scan crate's integration tests, in one binary (but `content_huge`, which measures its
//! own process's peak memory and so runs alone): the content engine (`content_*`), the
//! network scanner against real loopback services (`net_*`, helpers in `support`), and the
//! storage of scans and findings on both backends (`store`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

#[path = "scan/content_fixtures.rs"]
mod content_fixtures;
#[path = "scan/content_pii.rs"]
mod content_pii;
#[path = "scan/content_rules.rs"]
mod content_rules;
#[path = "scan/content_sources.rs"]
mod content_sources;
#[path = "scan/content_synth.rs"]
mod content_synth;
#[path = "scan/net_engine.rs"]
mod net_engine;
#[path = "scan/net_services.rs"]
mod net_services;
#[path = "scan/net_snmp.rs"]
mod net_snmp;
#[path = "scan/store.rs"]
mod store;
#[path = "scan/support.rs"]
mod support;
