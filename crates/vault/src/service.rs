//! The vault service and its capabilities. [`Vault`] holds the database, keys, policy and clock;
//! a caller gets a capability for what its principal may do — [`Vault::writer`],
//! [`Vault::reader`], [`Vault::searcher`], [`Vault::shredder`], [`Vault::exporter`],
//! [`Vault::key_admin`], [`Vault::retention`] — and code without the capability cannot name the
//! operation. Every operation appends to the access log in the same transaction
//! as its effect (reads and searches in their own), so the log and the data never disagree.

use std::sync::Arc;

use custodian_auth::{AuthError, Principal};
use custodian_db::sqlx::{Any, Transaction};
use custodian_db::{Clock, Database, DbError};

use crate::audit::{Action, AuditEntry, AuditError};
use crate::crypto::CryptoError;
use crate::keyring::Keyring;
use crate::policy::{Policy, PolicyError};
use crate::store;

/// The tenant every record belongs to (multi-tenancy is keyed but not yet exposed).
pub const DEFAULT_TENANT: &str = "default";

/// An error from a vault operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// The principal lacks the permission.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The policy refused (field not revealable by the role, purpose missing).
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// No such person.
    #[error("no person with that id")]
    NotFound,
    /// The person was crypto-shredded; their data no longer exists.
    #[error("the person was shredded; their data no longer exists")]
    Shredded,
    /// A value or query is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// Cryptography failed (a wrong or missing key, a tampered ciphertext).
    #[error("cryptography: {0}")]
    Crypto(#[from] CryptoError),
    /// The access log refused or failed.
    #[error("access log: {0}")]
    Audit(#[from] AuditError),
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<custodian_db::sqlx::Error> for VaultError {
    fn from(e: custodian_db::sqlx::Error) -> Self {
        VaultError::Db(DbError::from(e))
    }
}

/// Where an operation comes from, for the access log.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// The API request id or command run id.
    pub request_id: String,
}

/// The vault.
#[derive(Clone)]
pub struct Vault {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) db: Database,
    pub(crate) keys: Keyring,
    pub(crate) policy: Policy,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) audit: crate::audit::AuditLog,
    /// Appends of reads, reveals and searches, committed in groups.
    pub(crate) group: crate::audit::GroupCommit,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault").finish_non_exhaustive()
    }
}

/// A capability bound to one principal and request.
#[derive(Clone, Copy)]
pub(crate) struct Cap<'a> {
    pub(crate) vault: &'a Vault,
    pub(crate) principal: &'a Principal,
    pub(crate) ctx: &'a RequestContext,
}

impl Vault {
    /// Opens the vault over a migrated database.
    pub async fn open(
        db: Database,
        keys: Keyring,
        policy: Policy,
        clock: Arc<dyn Clock>,
    ) -> Result<Vault, VaultError> {
        let root = keys.current_version()?;
        store::ensure_first_index_version(&db, root, clock.now().0).await?;
        let audit_key = crate::audit::AuditKey::derive(&keys.provider().root_key(root)?);
        let audit = crate::audit::AuditLog::new(
            audit_key,
            clock.clone(),
            crate::audit::AuditConfig::default(),
        );
        let group = crate::audit::GroupCommit::start(db.clone(), audit.clone());
        Ok(Vault {
            inner: Arc::new(Inner {
                db,
                keys,
                policy,
                clock,
                audit,
                group,
            }),
        })
    }

    /// The database.
    pub fn db(&self) -> &Database {
        &self.inner.db
    }

    /// The keys.
    pub fn keys(&self) -> &Keyring {
        &self.inner.keys
    }

    /// The masking policy.
    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    /// The access log writer.
    pub fn audit(&self) -> &crate::audit::AuditLog {
        &self.inner.audit
    }

    fn cap<'a>(
        &'a self,
        principal: &'a Principal,
        ctx: &'a RequestContext,
        permission: &str,
    ) -> Result<Cap<'a>, VaultError> {
        principal.require(permission)?;
        Ok(Cap {
            vault: self,
            principal,
            ctx,
        })
    }

    /// Creating and updating people. Needs `people.write`.
    pub fn writer<'a>(
        &'a self,
        p: &'a Principal,
        ctx: &'a RequestContext,
    ) -> Result<crate::write::Writer<'a>, VaultError> {
        Ok(crate::write::Writer(self.cap(p, ctx, "people.write")?))
    }

    /// Reading people, masked by policy, revealing with a purpose. Needs `people.read`.
    pub fn reader<'a>(
        &'a self,
        p: &'a Principal,
        ctx: &'a RequestContext,
    ) -> Result<crate::read::Reader<'a>, VaultError> {
        Ok(crate::read::Reader(self.cap(p, ctx, "people.read")?))
    }

    /// Finding people by blind index. Needs `people.search`.
    pub fn searcher<'a>(
        &'a self,
        p: &'a Principal,
        ctx: &'a RequestContext,
    ) -> Result<crate::read::Searcher<'a>, VaultError> {
        Ok(crate::read::Searcher(self.cap(p, ctx, "people.search")?))
    }

    /// Crypto-shredding people. Needs `people.delete`.
    pub fn shredder<'a>(
        &'a self,
        p: &'a Principal,
        ctx: &'a RequestContext,
    ) -> Result<crate::read::Shredder<'a>, VaultError> {
        Ok(crate::read::Shredder(self.cap(p, ctx, "people.delete")?))
    }

    /// Tokenized exports for test environments. Needs `people.export`.
    pub fn exporter<'a>(
        &'a self,
        p: &'a Principal,
        ctx: &'a RequestContext,
    ) -> Result<crate::export::Exporter<'a>, VaultError> {
        Ok(crate::export::Exporter(self.cap(
            p,
            ctx,
            "people.export",
        )?))
    }

    /// Key rotation and key status. Needs `keys.rotate`.
    pub fn key_admin<'a>(
        &'a self,
        p: &'a Principal,
        ctx: &'a RequestContext,
    ) -> Result<crate::rotate::KeyAdmin<'a>, VaultError> {
        Ok(crate::rotate::KeyAdmin(self.cap(p, ctx, "keys.rotate")?))
    }

    /// Applying retention rules (crypto-shredding who is due). Needs `people.delete`.
    pub fn retention<'a>(
        &'a self,
        p: &'a Principal,
        ctx: &'a RequestContext,
    ) -> Result<crate::retention::Retention<'a>, VaultError> {
        Ok(crate::retention::Retention(self.cap(
            p,
            ctx,
            "people.delete",
        )?))
    }
}

impl Cap<'_> {
    pub(crate) fn db(&self) -> &Database {
        &self.vault.inner.db
    }

    pub(crate) fn keys(&self) -> &Keyring {
        &self.vault.inner.keys
    }

    pub(crate) fn now(&self) -> i64 {
        self.vault.inner.clock.now().0
    }

    /// This principal's and request's access-log entry.
    fn entry<'e>(
        &'e self,
        action: Action,
        purpose: &'e str,
        fields: &'e [&'e str],
        persons: &'e [i64],
    ) -> AuditEntry<'e> {
        AuditEntry {
            principal: &self.principal.name,
            action,
            purpose,
            request_id: &self.ctx.request_id,
            fields,
            persons,
        }
    }

    /// Appends an access-log entry inside `tx`.
    pub(crate) async fn log(
        &self,
        tx: &mut Transaction<'_, Any>,
        action: Action,
        purpose: &str,
        fields: &[&str],
        persons: &[i64],
    ) -> Result<(), VaultError> {
        let entry = self.entry(action, purpose, fields, persons);
        self.vault.inner.audit.append_in(tx, &entry).await?;
        Ok(())
    }

    /// Appends an access-log entry for an access that writes nothing else (a read, reveal or
    /// search), committed together with the others waiting; returns once it is durable.
    pub(crate) async fn log_alone(
        &self,
        action: Action,
        purpose: &str,
        fields: &[&str],
        persons: &[i64],
    ) -> Result<(), VaultError> {
        let entry = self.entry(action, purpose, fields, persons);
        self.vault.inner.group.append(&entry).await?;
        Ok(())
    }
}
