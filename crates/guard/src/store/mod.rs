//! The guard's SQL, written once for SQLite and PostgreSQL, behind one small struct the service
//! uses. Every counter that decides a lock is changed by a single `INSERT … ON CONFLICT DO UPDATE
//! … WHERE … RETURNING` statement, so parallel attempts are serialized by the database and none
//! can slip past a cap; nothing relies on a process owning the database.
//!
//! One exception is made for speed: on PostgreSQL the two halves of a verification (the charge
//! before the secret is checked, the bookkeeping of a right secret) run as the server-side
//! functions of migration 3, `guard_charge` and `guard_success`, which hold the same statements
//! in the same order. That takes a verification from about fourteen round trips to two (three
//! when it names a device); the database server shares the machine's cores with the hashing, so
//! every round trip it is spared is hashing time. The guard's tests run both paths.

use custodian_db::sqlx::{self, Any, query::Query};
use custodian_db::{Backend, Database};

mod attempts;
mod codes;
mod credentials;
mod events;
mod lines;
mod reset;

pub(crate) use attempts::{AccountCounts, Charge, ChargeRequest, Success};
pub(crate) use codes::{CodeUse, NewCode};
pub(crate) use credentials::Credential;
pub(crate) use lines::LineRow;
pub(crate) use reset::MemberBatch;

/// The guard's storage over one database.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    db: Database,
}

impl Store {
    pub(crate) fn new(db: Database) -> Store {
        Store { db }
    }

    /// Rows per multi-row statement for `params_per_row` parameters each. The bulk paths
    /// (imports, resets) are the documented exception where the backends differ: SQLite's
    /// driver binds numbered parameters in time that grows with their count, so its statements
    /// are kept near 600 parameters (measured: 30,000 one-parameter rows take 70 ms at 500 per statement, 2 s at
    /// 10,000), while PostgreSQL prefers fewer, larger statements.
    pub(crate) fn batch_rows(&self, params_per_row: usize) -> usize {
        let per_row = params_per_row.max(1);
        let cap = match self.db.backend() {
            Backend::Sqlite => 600 / per_row,
            Backend::Postgres => 5_000,
        };
        cap.min(self.db.dialect().max_params() / per_row).max(1)
    }
}

/// `$start, $start+1, …` for `n` parameters.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value bound to a dynamically built statement.
#[derive(Debug, Clone)]
pub(crate) enum Param {
    Int(i64),
    Text(String),
}

pub(crate) fn bind_all<'q>(
    mut q: Query<'q, Any, sqlx::any::AnyArguments<'q>>,
    params: &'q [Param],
) -> Query<'q, Any, sqlx::any::AnyArguments<'q>> {
    for p in params {
        q = match p {
            Param::Int(i) => q.bind(*i),
            Param::Text(s) => q.bind(s.as_str()),
        };
    }
    q
}
