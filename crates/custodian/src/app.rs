//! Wiring: opens the database named by the settings, applies every component's migrations, and
//! builds the services the commands and the server use. Nothing here is global: each command gets
//! an [`App`] and passes its parts down.

use std::sync::Arc;

use anyhow::Context;
use custodian_auth::AuthService;
use custodian_db::{Clock, Component, Database, OpenMode, SystemClock};
use custodian_vault::policy::Policy;
use custodian_vault::{DEFAULT_TENANT, KeyCacheConfig, Keyring, Vault};

use crate::config::Settings;

/// Every component's schema, in dependency order.
pub(crate) fn components() -> Vec<Component> {
    vec![
        custodian_auth::COMPONENT,
        custodian_vault::COMPONENT,
        custodian_breach::COMPONENT,
        custodian_guard::COMPONENT,
        custodian_notify::COMPONENT,
        custodian_scan::store::COMPONENT,
        custodian_trust::COMPONENT,
    ]
}

/// The opened services.
pub(crate) struct App {
    pub(crate) db: Database,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) auth: AuthService,
    pub(crate) vault: Vault,
    pub(crate) breach: custodian_breach::BreachService,
    pub(crate) guard: Arc<custodian_guard::GuardService>,
    pub(crate) trust: custodian_trust::TrustService,
}

impl App {
    /// Opens the database (creating it with [`OpenMode::Create`]) and migrates it.
    pub(crate) async fn open(s: &Settings, mode: OpenMode) -> anyhow::Result<App> {
        let db = Database::connect(&s.db_config(), mode).await?;
        db.migrate(&components())
            .await
            .with_context(|| format!("migrating {}", db.target()))?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let provider = crate::keys::provider(s).context("opening the key provider")?;
        let sealer = crate::sealer::open(provider.clone());
        let auth = AuthService::new(db.clone(), clock.clone(), sealer);
        let policy = match &s.policy_file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading the masking policy {}", p.display()))?;
                Policy::from_toml(&text)
                    .with_context(|| format!("masking policy {}", p.display()))?
            }
            None => Policy::default(),
        };
        let guard = crate::cmd::guard::open_service(
            db.clone(),
            clock.clone(),
            provider.clone(),
            &s.data_dir,
        )
        .map(Arc::new)
        .context("opening the guard")?;
        let keyring = Keyring::new(provider, DEFAULT_TENANT, KeyCacheConfig::default());
        let vault = Vault::open(db.clone(), keyring, policy, clock.clone())
            .await
            .context("opening the vault")?;
        let rules = custodian_breach::obligations::RuleBook::shipped()
            .context("the shipped breach notification rules")?;
        let breach = custodian_breach::BreachService::new(vault.clone(), clock.clone(), rules);
        let trust = crate::cmd::trust::open_service(s, db.clone(), clock.clone()).await?;
        Ok(App {
            trust,
            db,
            clock,
            auth,
            vault,
            breach,
            guard,
        })
    }

    /// The state the HTTP server runs on.
    pub(crate) fn web_state(&self, s: &Settings) -> custodian_web::AppState {
        let mut st = custodian_web::AppState::new(
            self.db.clone(),
            self.auth.clone(),
            self.clock.clone(),
            components(),
            &s.brand,
        );
        st.tls = s.tls.is_some();
        st.vault = Some(self.vault.clone());
        st.breach = Some(self.breach.clone());
        st.guard = Some(self.guard.clone());
        st.trust = Some(self.trust.clone());
        match crate::cmd::notify::service(self, s) {
            Ok(n) => st.notify = Some(n),
            Err(e) => {
                tracing::warn!(error = %e, "notification campaigns are off: their code key is unavailable");
            }
        }
        st.scans = Some(crate::cmd::scan::web_config(self, s));
        st
    }
}
