//! Scanners: one content-scanning engine with two rule packs (stored secrets; PII in exposed
//! files) and a network exposure scanner for the company's own address ranges; `store` keeps
//! scans and their findings (fingerprints and locations, never scanned values), and `run`
//! runs a scan and records it, for the command line, the API and the scheduler alike.

pub mod content;
pub mod net;
pub mod run;
pub mod store;
