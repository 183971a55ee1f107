//! Storage: the connection to SQLite (embedded default) or PostgreSQL, the migrations of every
//! component, the clock, and the few helpers both backends share.
//!
//! Every domain crate writes its SQL once where SQLite and PostgreSQL agree (`$1` parameters,
//! `ON CONFLICT`, `RETURNING`) and runs it through [`Database::pool`], an `sqlx::AnyPool`. Where
//! the dialects differ, the difference lives here ([`Dialect`]) or in a component's per-backend
//! migration text, never in an `if sqlite {} else {}` at a call site. Values that cross the
//! boundary are plain: `i64` (ids, counts, timestamps in microseconds since the Unix epoch),
//! `String`, `Vec<u8>`; booleans are stored as nullable timestamps or small integers.

mod clock;
mod connect;
mod error;
mod migrate;
pub mod testing;

pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use connect::{Backend, Database, DbConfig, Dialect, OpenMode};
pub use error::{DbError, is_unique_violation};
pub use migrate::{Component, Migration, MigrationStatus};

/// Re-exported so that domain crates name one version of the driver.
pub use sqlx;
