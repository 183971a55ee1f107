//! `custodian audit verify`: recomputes the access log's hash chain and checks its signed
//! checkpoints and head; exits non-zero and names the first bad entry when anything was changed,
//! deleted, reordered or truncated.

use anyhow::bail;
use custodian_db::OpenMode;
use custodian_vault::audit::{AuditKeyring, verify};
use serde_json::json;

use crate::app::App;
use crate::cli::AuditCommand;
use crate::config::Settings;

pub(crate) async fn run(s: &Settings, c: AuditCommand) -> anyhow::Result<()> {
    let AuditCommand::Verify = c;
    let app = App::open(s, OpenMode::Existing).await?;
    let keys = AuditKeyring::from_provider(app.vault.keys().provider().as_ref())?;
    let started = std::time::Instant::now();
    let report = verify(&app.db, &keys).await?;
    let secs = started.elapsed().as_secs_f64();
    let problem = report
        .problem
        .as_ref()
        .map(|p| format!("entry {}: {:?}", p.seq, p.kind));
    if s.json {
        crate::output::json(&json!({
            "entries": report.entries, "persons": report.persons, "checkpoints": report.checkpoints,
            "intact": problem.is_none(), "problem": problem, "seconds": secs,
        }));
    } else if problem.is_none() {
        println!(
            "access log intact: {} entries, {} person rows, {} signed checkpoints ({secs:.2} s)",
            report.entries, report.persons, report.checkpoints
        );
    }
    if let Some(p) = problem {
        bail!("access log verification FAILED at {p}");
    }
    Ok(())
}
