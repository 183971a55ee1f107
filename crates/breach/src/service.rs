//! The breach service and its capabilities. [`BreachService`] holds the database, the vault, the
//! clock and the obligations rules; a caller gets a capability for what its principal may do —
//! [`BreachService::inventory_reader`], [`BreachService::inventory_writer`],
//! [`BreachService::incident_reader`], [`BreachService::incident_writer`] — and code without the
//! capability cannot name the operation. Operations that go through the vault (resolving
//! identifiers, reading the access log) also need the vault's own permissions
//! (`people.search`, `audit.read`), checked where they are used.

use std::sync::Arc;

use custodian_auth::Principal;
use custodian_db::{Clock, Database, Timestamp};
use custodian_vault::{RequestContext, Vault};

use crate::error::BreachError;
use crate::obligations::RuleBook;

/// The breach engine.
#[derive(Clone)]
pub struct BreachService {
    inner: Arc<Inner>,
}

struct Inner {
    db: Database,
    vault: Vault,
    clock: Arc<dyn Clock>,
    rules: RuleBook,
}

impl std::fmt::Debug for BreachService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BreachService").finish_non_exhaustive()
    }
}

/// A capability bound to one principal and request.
#[derive(Clone, Copy)]
pub(crate) struct Cap<'a> {
    pub(crate) svc: &'a BreachService,
    pub(crate) principal: &'a Principal,
    pub(crate) ctx: &'a RequestContext,
}

impl Cap<'_> {
    pub(crate) fn db(&self) -> &Database {
        &self.svc.inner.db
    }

    pub(crate) fn vault(&self) -> &Vault {
        &self.svc.inner.vault
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.svc.inner.clock.now()
    }

    pub(crate) fn rules(&self) -> &RuleBook {
        &self.svc.inner.rules
    }

    /// The acting principal's name, as events and loads record it.
    pub(crate) fn actor(&self) -> &str {
        &self.principal.name
    }

    /// Today's date (UTC), for date-of-birth checks when detecting columns.
    pub(crate) fn today(&self) -> time::Date {
        self.now().to_datetime().date()
    }
}

impl BreachService {
    /// The engine over the vault's database, with the given obligations rules (usually
    /// [`RuleBook::shipped`]). The breach migrations ([`crate::COMPONENT`]) must have run.
    pub fn new(vault: Vault, clock: Arc<dyn Clock>, rules: RuleBook) -> BreachService {
        BreachService {
            inner: Arc::new(Inner {
                db: vault.db().clone(),
                vault,
                clock,
                rules,
            }),
        }
    }

    /// The obligations rules in use.
    pub fn rules(&self) -> &RuleBook {
        &self.inner.rules
    }

    fn cap<'a>(
        &'a self,
        principal: &'a Principal,
        ctx: &'a RequestContext,
        permission: &str,
    ) -> Result<Cap<'a>, BreachError> {
        principal.require(permission)?;
        Ok(Cap {
            svc: self,
            principal,
            ctx,
        })
    }

    /// Listing datasets. Needs `inventory.read`.
    pub fn inventory_reader<'a>(
        &'a self,
        p: &'a Principal,
        ctx: &'a RequestContext,
    ) -> Result<crate::inventory::InventoryReader<'a>, BreachError> {
        Ok(crate::inventory::InventoryReader(self.cap(
            p,
            ctx,
            "inventory.read",
        )?))
    }

    /// Loading and removing datasets. Needs `inventory.write` (and `people.search` to resolve
    /// rows without an external id).
    pub fn inventory_writer<'a>(
        &'a self,
        p: &'a Principal,
        ctx: &'a RequestContext,
    ) -> Result<crate::inventory::InventoryWriter<'a>, BreachError> {
        Ok(crate::inventory::InventoryWriter(self.cap(
            p,
            ctx,
            "inventory.write",
        )?))
    }

    /// Reading incidents, exposures, impact, cohorts, obligations and reports. Needs
    /// `incidents.read`.
    pub fn incident_reader<'a>(
        &'a self,
        p: &'a Principal,
        ctx: &'a RequestContext,
    ) -> Result<crate::incident::IncidentReader<'a>, BreachError> {
        Ok(crate::incident::IncidentReader(self.cap(
            p,
            ctx,
            "incidents.read",
        )?))
    }

    /// Creating and changing incidents, adding exposures, recomputing impact. Needs
    /// `incidents.write`.
    pub fn incident_writer<'a>(
        &'a self,
        p: &'a Principal,
        ctx: &'a RequestContext,
    ) -> Result<crate::incident::IncidentWriter<'a>, BreachError> {
        Ok(crate::incident::IncidentWriter(self.cap(
            p,
            ctx,
            "incidents.write",
        )?))
    }
}
