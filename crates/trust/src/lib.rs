//! The public Trust Center: attestations and reports, advisories and incident notices (HTML, Atom,
//! CSAF 2.0), subscriptions with double opt-in, security.txt, vulnerability disclosure and bug
//! bounty.
//!
//! The web crate renders pages and feeds from [`TrustService`]; the command line and the admin
//! console call the same service. The map:
//!
//! * [`types`]: parsed values (e-mail addresses, visibility, topics, report states, severity);
//! * [`cvss`]: severity from CVSS 3.1 and 4.0 vectors (the RustSec `cvss` crate);
//! * [`brand`]: the logo and colours from settings (contrast-checked);
//! * [`markdown`]: authored markdown to HTML with raw HTML and unsafe links made inert;
//! * `attest`, `advisory`, `subscribe`, `reports`: the rules of each capability;
//! * `content`: practices pages, subprocessors, FAQ and the disclosure scope, authored in the
//!   console;
//! * [`feeds`]: Atom (RFC 4287), CSAF 2.0 documents, the provider metadata and ROLIE feed;
//! * [`securitytxt`]: the RFC 9116 file;
//! * [`mail`]: outgoing mail (SMTP through `lettre`) with one-click unsubscribe headers;
//! * `store`: all SQL, for SQLite and PostgreSQL.
//!
//! Tokens sent to people (magic links, confirmation and unsubscribe links, report follow-up links)
//! are random and only their SHA-256 digests are stored.

mod advisory;
mod attest;
pub mod brand;
mod content;
pub mod cvss;
mod error;
pub mod feeds;
pub mod mail;
pub mod markdown;
mod reports;
pub mod securitytxt;
mod service;
mod store;
mod subscribe;
mod token;
pub mod types;

pub use advisory::{Advisory, NewAdvisory};
pub use attest::{
    AccessDecision, AccessRequest, AccessStats, Attestation, Document, Grant, NewAccessRequest,
    NewAttestation,
};
pub use brand::{Branding, Logo};
pub use content::{FaqEntry, PracticePage, ScopeAsset, Subprocessor};
pub use error::TrustError;
pub use mail::{Mailer, OutgoingMail, RecordingMailer, SmtpMailer, SmtpSettings, SmtpTls};
pub use reports::{
    Attachment, BountyRow, Comment, NewReport, Payout, Report, Researcher, SubmittedReport,
    badge_svg,
};
pub use service::{TrustConfig, TrustService};
pub use subscribe::{SignupOutcome, Subscriber};
pub use types::{AdvisoryKind, Email, ReportState, Severity, Topic, Visibility};

use custodian_db::{Component, Migration};

/// The schema this crate owns.
pub const COMPONENT: Component = Component {
    name: "trust",
    migrations: &[
        Migration {
            version: 1,
            name: "attestations, access, advisories, subscribers, disclosure programme",
            sqlite: include_str!("../migrations/sqlite/0001_trust.sql"),
            postgres: include_str!("../migrations/postgres/0001_trust.sql"),
        },
        Migration {
            version: 2,
            name: "practices pages, subprocessors, FAQ, disclosure scope",
            sqlite: include_str!("../migrations/sqlite/0002_content.sql"),
            postgres: include_str!("../migrations/postgres/0002_content.sql"),
        },
    ],
};
