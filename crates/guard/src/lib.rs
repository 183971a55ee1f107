//! The guard: customer PINs and passwords hashed with Argon2id, attempt limiting that stops brute
//! force without letting strangers lock the real owner out, number-lock / port-out and SIM-change
//! protection, and forced resets after a breach.
//!
//! The carrier's retail, care, web, app and porting systems call [`GuardService`] (through the
//! web crate's `/v1/accounts/…` and `/v1/lines/…` routes) to check a customer's secret and to
//! decide whether a sensitive action on a line may go ahead. The map:
//!
//! * [`hash`]: Argon2id in PHC strings, pepper as Argon2's secret input, re-hash on change;
//! * [`weak`]: refusing guessable secrets (lists, rules, personal facts via [`PersonalFacts`]);
//! * `limits`, `pool`, `verify`: attempt limiting and the verification path;
//! * `codes`, `protect`, `care`: one-time codes, line protection, the care-agent view;
//! * `reset`, `import`: forced resets and migration of existing hashes;
//! * [`events`]: what happened, queryable by account, source and time;
//! * `store`: all SQL, for SQLite and PostgreSQL.
//!
//! The guard depends on the vault only for its parsed field types (`Pin`, `Phone`,
//! `DateOfBirth`, `Ssn`); personal facts reach it through the [`PersonalFacts`] trait and notices
//! leave it through the [`Notifier`] trait, both wired by the binary.

mod care;
pub mod codes;
mod error;
pub mod events;
mod facts;
pub mod hash;
mod import;
mod limits;
mod notify;
mod pool;
mod protect;
mod reset;
mod service;
mod store;
mod types;
mod verify;
pub mod weak;

pub use care::{AccountView, CallerProof, CareSession, CareView, RequestRecord, SecretStatus};
pub use codes::{IssuedCode, OneTimeCode, StepUpPurpose};
pub use error::GuardError;
pub use events::{Event, EventKind, EventQuery};
pub use facts::{Facts, FactsFuture, InMemoryFacts, NoFacts, PersonalFacts};
pub use hash::{HashParams, Hasher, Pepper};
pub use import::{ImportRecord, ImportReport, parse_import};
pub use limits::{LimitConfig, SourceRule, WindowRule};
pub use notify::{CountingNotifier, Notice, NoticeKind, Notifier, NotifyFuture, RecordingNotifier};
pub use pool::HashingConfig;
pub use protect::{
    Decision, LineStatus, PortOutRequest, ProtectionOutcome, ProtectionReport, RefusalReason,
    ReportRow, RequestKind,
};
pub use reset::{ResetKinds, ResetPlan, ResetProgress, ResetReport, ResetStage};
pub use service::{CodeConfig, GuardConfig, GuardDeps, GuardService, MIN_RETENTION_SECS};
pub use types::{
    AccountId, AttemptContext, Channel, DeviceId, LockKind, MAX_ID_LEN, SecretKind, Verdict,
    network_of,
};
pub use verify::MAX_SECRET_BYTES;
pub use weak::{FactKind, PasswordPolicy, WeakReason};

use custodian_db::{Component, Migration};

/// The schema this crate owns.
pub const COMPONENT: Component = Component {
    name: "guard",
    migrations: &[
        Migration {
            version: 1,
            name: "credentials, counters, codes, events, lines, resets",
            sqlite: include_str!("../migrations/sqlite/0001_guard.sql"),
            postgres: include_str!("../migrations/postgres/0001_guard.sql"),
        },
        Migration {
            version: 2,
            name: "room for in-place updates of reset members and credentials",
            sqlite: include_str!("../migrations/sqlite/0002_reset_fillfactor.sql"),
            postgres: include_str!("../migrations/postgres/0002_reset_fillfactor.sql"),
        },
        Migration {
            version: 3,
            name: "one round trip for each half of a verification (PostgreSQL functions)",
            sqlite: include_str!("../migrations/sqlite/0003_verify_functions.sql"),
            postgres: include_str!("../migrations/postgres/0003_verify_functions.sql"),
        },
    ],
};
