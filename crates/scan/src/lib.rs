//! Scanners: one content-scanning engine with two rule packs (stored secrets; PII in exposed
//! files) and a network exposure scanner for the company's own address ranges.

pub mod content;
pub mod net;
