//! Shared set-up of the breach engine's integration tests: a vault and a breach service over a
//! fresh database, principals, and importing a canonical people file.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use custodian_auth::{Principal, PrincipalId, PrincipalKind, Role};
use custodian_breach::BreachService;
use custodian_breach::obligations::RuleBook;
use custodian_db::testing::TestDb;
use custodian_db::{ManualClock, Timestamp};
use custodian_vault::import::{Format, ImportOptions, import_file};
use custodian_vault::policy::Policy;
use custodian_vault::{
    DEFAULT_TENANT, FileKeyProvider, KeyCacheConfig, Keyring, RequestContext, Vault,
};

/// 2025-08-20T12:00:00Z, a few days after the synthetic carrier's default reference day.
pub(crate) const NOW: i64 = 1_755_691_200_000_000;

pub(crate) struct Env {
    pub(crate) vault: Vault,
    pub(crate) breach: BreachService,
    pub(crate) clock: ManualClock,
    pub(crate) ctx: RequestContext,
}

pub(crate) fn principal(name: &str, role: &str, perms: &str) -> Principal {
    Principal {
        id: PrincipalId(1),
        name: name.into(),
        kind: PrincipalKind::Service,
        role: Role::from_stored(role, perms),
    }
}

pub(crate) fn admin() -> Principal {
    principal("ops", "admin", "*")
}

/// The analyst role as the default roles migration defines it.
pub(crate) fn analyst() -> Principal {
    principal(
        "ana",
        "analyst",
        "people.search inventory.read inventory.write incidents.read incidents.write audit.read",
    )
}

pub(crate) async fn env(t: &TestDb) -> Env {
    t.db.migrate(&[custodian_vault::COMPONENT, custodian_breach::COMPONENT])
        .await
        .unwrap();
    let provider = Arc::new(FileKeyProvider::open(t.dir.path()).unwrap());
    let keys = Keyring::new(provider, DEFAULT_TENANT, KeyCacheConfig::default());
    let clock = ManualClock::new(Timestamp(NOW));
    let vault = Vault::open(
        t.db.clone(),
        keys,
        Policy::default(),
        Arc::new(clock.clone()),
    )
    .await
    .unwrap();
    let breach = BreachService::new(
        vault.clone(),
        Arc::new(clock.clone()),
        RuleBook::shipped().unwrap(),
    );
    Env {
        vault,
        breach,
        clock,
        ctx: RequestContext {
            request_id: "test".into(),
        },
    }
}

/// Imports a canonical CSV into the vault; every row must be accepted.
pub(crate) async fn import_people(env: &Env, path: &Path) {
    let p = admin();
    let opts = ImportOptions {
        format: Format::Csv,
        batch_size: 500,
        rejects: None,
        today: time::Date::from_calendar_date(2025, time::Month::August, 20).unwrap(),
    };
    let report = import_file(
        &env.vault.writer(&p, &env.ctx).unwrap(),
        path,
        &opts,
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(report.rejected, 0, "{:?}", report.first_errors);
}
