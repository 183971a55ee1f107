//! Trust Center integration tests: storage rules on SQLite and PostgreSQL, CVSS scores against
//! the published vector files, the feeds and security.txt against their real validators, and the
//! public pages in a real headless browser.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

#[path = "trust/access.rs"]
mod access;
#[path = "trust/browser.rs"]
mod browser;
#[path = "trust/common.rs"]
mod common;
#[path = "trust/cvss_vectors.rs"]
mod cvss_vectors;
#[path = "trust/notices.rs"]
mod notices;
#[path = "trust/pages.rs"]
mod pages;
#[path = "trust/reports.rs"]
mod reports;
#[path = "trust/smtp.rs"]
mod smtp;
#[path = "trust/validators.rs"]
mod validators;
