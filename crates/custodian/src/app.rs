//! Wiring: opens the database named by the settings, applies every component's migrations, and
//! builds the services the commands and the server use. Nothing here is global: each command gets
//! an [`App`] and passes its parts down.

use std::sync::Arc;

use anyhow::Context;
use custodian_auth::AuthService;
use custodian_db::{Clock, Component, Database, OpenMode, SystemClock};

use crate::config::Settings;

/// Every component's schema, in dependency order.
pub(crate) fn components() -> Vec<Component> {
    vec![custodian_auth::COMPONENT]
}

/// The opened services.
pub(crate) struct App {
    pub(crate) db: Database,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) auth: AuthService,
}

impl App {
    /// Opens the database (creating it with [`OpenMode::Create`]) and migrates it.
    pub(crate) async fn open(s: &Settings, mode: OpenMode) -> anyhow::Result<App> {
        let db = Database::connect(&s.db_config(), mode).await?;
        db.migrate(&components())
            .await
            .with_context(|| format!("migrating {}", db.target()))?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let sealer = crate::sealer::open(s).context("opening the key provider")?;
        let auth = AuthService::new(db.clone(), clock.clone(), sealer);
        Ok(App { db, clock, auth })
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
        st
    }
}
