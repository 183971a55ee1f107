//! The account's personal facts, asked for only to refuse a new secret built from them. The
//! vault owns the facts; the binary implements [`PersonalFacts`] over it (reading with a logged
//! purpose), and tests use [`InMemoryFacts`]. The facts come as the vault's parsed types, which
//! zeroize on drop and redact in `Debug`; the guard compares and drops them, and reports only the
//! kind of fact that matched.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::RwLock;

use custodian_vault::types::{DateOfBirth, Phone, Ssn};

use crate::error::GuardError;
use crate::types::AccountId;

/// What the guard compares new secrets with. Every field may be missing.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The date of birth.
    pub date_of_birth: Option<DateOfBirth>,
    /// The account's phone numbers (its lines and contact numbers).
    pub phones: Vec<Phone>,
    /// The SSN.
    pub ssn: Option<Ssn>,
}

/// The future [`PersonalFacts::facts`] returns.
pub type FactsFuture<'a> = Pin<Box<dyn Future<Output = Result<Facts, GuardError>> + Send + 'a>>;

/// A source of an account's personal facts.
pub trait PersonalFacts: Send + Sync {
    /// The facts of `account` (empty [`Facts`] when the account is unknown). Errors become
    /// [`GuardError::Facts`] and refuse the new secret: a secret is never accepted unchecked.
    fn facts<'a>(&'a self, account: &'a AccountId) -> FactsFuture<'a>;
}

/// No facts for anyone: for deployments whose guard does not see the vault.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFacts;

impl PersonalFacts for NoFacts {
    fn facts<'a>(&'a self, _account: &'a AccountId) -> FactsFuture<'a> {
        Box::pin(async { Ok(Facts::default()) })
    }
}

/// Facts held in memory, for tests, benchmarks and the demo.
#[derive(Debug, Default)]
pub struct InMemoryFacts {
    by_account: RwLock<HashMap<AccountId, Facts>>,
}

impl InMemoryFacts {
    /// An empty store.
    pub fn new() -> InMemoryFacts {
        InMemoryFacts::default()
    }

    /// Sets the facts of an account.
    pub fn insert(&self, account: AccountId, facts: Facts) {
        if let Ok(mut m) = self.by_account.write() {
            m.insert(account, facts);
        }
    }
}

impl PersonalFacts for InMemoryFacts {
    fn facts<'a>(&'a self, account: &'a AccountId) -> FactsFuture<'a> {
        let found = self
            .by_account
            .read()
            .map(|m| m.get(account).cloned().unwrap_or_default())
            .map_err(|_| GuardError::Facts("the in-memory facts are poisoned".into()));
        Box::pin(async move { found })
    }
}
