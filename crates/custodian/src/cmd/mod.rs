//! One module per command; each parses nothing itself (clap did), opens what it needs through
//! [`crate::app::App`], calls services, and prints.

pub(crate) mod admin;
pub(crate) mod apikey;
pub(crate) mod audit;
pub(crate) mod bench;
pub(crate) mod bench_http;
pub(crate) mod demo;
mod demo_campaign;
mod demo_mail;
pub(crate) mod guard;
pub(crate) mod incident;
mod incident_files;
mod incident_json;
pub(crate) mod inventory;
pub(crate) mod keys;
pub(crate) mod notify;
pub(crate) mod notify_serve;
pub(crate) mod scan;
mod scan_demo;
mod scan_net;
pub(crate) mod serve;
pub(crate) mod synth;
pub(crate) mod trust;
pub(crate) mod trust_cli;
mod trust_content;
mod trust_json;
pub(crate) mod vault;

use custodian_db::OpenMode;

use crate::app::App;
use crate::config::Settings;

/// `custodian migrate`: apply migrations and exit.
pub(crate) async fn migrate(s: &Settings) -> anyhow::Result<()> {
    let app = App::open(s, OpenMode::Create).await?;
    if s.json {
        crate::output::json(&serde_json::json!({"database": app.db.target(), "status": "current"}));
    } else {
        println!("database {} is at the current schema", app.db.target());
    }
    Ok(())
}
