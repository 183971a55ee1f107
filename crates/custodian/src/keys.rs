//! Which root-key provider to use: a base64 key in `CUSTODIAN_ROOT_KEY` (versions 2, 3, … in
//! `CUSTODIAN_ROOT_KEY_V2`, …) when set, else the key file in the data directory, created on first
//! use with mode 0600.

use std::sync::Arc;

use anyhow::Context;
use custodian_vault::crypto::{EnvKeyProvider, FileKeyProvider, KeyProvider};

use crate::config::Settings;

/// The environment variable holding a root key.
pub(crate) const ROOT_KEY_ENV: &str = "CUSTODIAN_ROOT_KEY";

/// The configured key provider.
pub(crate) fn provider(s: &Settings) -> anyhow::Result<Arc<dyn KeyProvider>> {
    if std::env::var_os(ROOT_KEY_ENV).is_some() {
        let p = EnvKeyProvider::from_env(ROOT_KEY_ENV)
            .with_context(|| format!("reading {ROOT_KEY_ENV}"))?;
        return Ok(Arc::new(p));
    }
    std::fs::create_dir_all(&s.data_dir)
        .with_context(|| format!("creating data directory {}", s.data_dir.display()))?;
    let p = FileKeyProvider::open(&s.data_dir)
        .with_context(|| format!("opening the key file in {}", s.data_dir.display()))?;
    Ok(Arc::new(p))
}
