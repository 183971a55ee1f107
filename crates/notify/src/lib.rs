//! Notification campaigns: an incident's impact version turned into one delivered notice per
//! affected person, by the right channel, with an identity-protection code, plus the public
//! "was I affected?" lookup, the login banner and "is this message really from us?".
//!
//! The map of this crate:
//!
//! - [`model`] holds the types: campaigns, channels, the per-recipient [`NoticeState`] machine
//!   and the campaign [`Settings`];
//! - `store` is the SQL: the outbox (one row per campaign, person and channel, made unique by the
//!   database), lease-based claiming (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the single writer
//!   on SQLite), outcomes, backoff, fallback and the "finished only when nothing is open" rule;
//! - [`codes`] derives the lookup and verification codes (HMAC under a key from the vault's root
//!   key; only their SHA-256 is stored) and imports and assigns identity-protection codes;
//! - [`template`] renders minijinja templates (sandboxed, HTML autoescaped, strict undefined)
//!   and checks them: placeholders that do not resolve, required content blocks missing;
//! - [`service`] is [`Notify`]: planning from the breach engine, templates, start, pause, resume,
//!   cancel, status, preview, lookup, verify and banner;
//! - [`reports`] applies delivery reports and late bounces (from a bounce mailbox's DSNs or a
//!   provider's webhook): delivered, or bounced with suppression and the next channel queued;
//! - [`channel`] holds the e-mail (lettre SMTP), SMS (HTTP webhook) and letter (print file plus
//!   CSV manifest) senders, and [`worker`] the loop that claims, renders, sends and records.
//!
//! Names, addresses and contact details are read from the vault, under the caller's principal,
//! with the campaign named in the purpose, so the access log records every read. Rendered
//! notices are never stored: they are rendered from the vault at send time.

pub mod channel;
pub mod codes;
mod error;
pub mod lookup;
pub mod model;
mod recorder;
pub mod reports;
pub mod service;
mod store;
pub mod template;
pub mod worker;

pub use error::NotifyError;
pub use model::{
    Campaign, CampaignId, CampaignStatus, ChannelKind, NewCampaign, NoticeState, Settings, Status,
};
pub use service::Notify;
pub use worker::{Worker, WorkerConfig, WorkerOutcome};

/// The notification campaigns' schema.
pub const COMPONENT: custodian_db::Component = custodian_db::Component {
    name: "notify",
    migrations: &[custodian_db::Migration {
        version: 1,
        name: "campaigns, templates, recipients, codes, outbox, suppressions",
        sqlite: include_str!("../migrations/sqlite/0001_notify.sql"),
        postgres: include_str!("../migrations/postgres/0001_notify.sql"),
    }],
};
