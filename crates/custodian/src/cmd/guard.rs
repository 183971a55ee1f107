//! `custodian guard reset|import|exposed|events|report`, and the guard's wiring: the pepper
//! derived from the vault's root key, and the notifier the binary gives the guard until the
//! notify crate's outbox takes over (a sealed spool file in the data directory).

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, bail};
use clap::Subcommand;
use custodian_auth::SecretSealer;
use custodian_db::{Clock, Database, OpenMode, Timestamp};
use custodian_guard::{
    AccountId, EventQuery, GuardConfig, GuardDeps, GuardError, GuardService, NoFacts, Notice,
    NoticeKind, Notifier, NotifyFuture, Pepper, ResetKinds, ResetPlan, ResetProgress, SecretKind,
};
use custodian_vault::crypto::{BlindIndexer, KeyProvider};
use secrecy::SecretString;
use serde_json::json;

use crate::app::App;
use crate::config::Settings;

/// `custodian guard …`.
#[derive(Debug, Subcommand)]
pub(crate) enum GuardCommand {
    /// Forced reset after a breach: mark every credential of a cohort compromised (the old
    /// secrets stop working at once) and hand each account a one-time reset code through the
    /// notifier. Re-running the same `--name` resumes.
    Reset {
        /// The cohort: a file of account ids, one per line (a header `account_id` is skipped).
        #[arg(long, value_name = "FILE")]
        cohort: PathBuf,
        /// The reset's name, e.g. the incident's label.
        #[arg(long)]
        name: String,
        /// Which credentials: `pin`, `password` or `all`.
        #[arg(long, default_value = "all")]
        kinds: String,
        /// Days the reset codes stay valid.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(i64).range(1..=365))]
        code_ttl_days: i64,
        /// Exposed PINs (one per line) to refuse as new PINs from now on.
        #[arg(long, value_name = "FILE")]
        exposed: Option<PathBuf>,
    },
    /// Import existing hashes (`account_id,kind,phc` lines; Argon2 PHC strings only).
    Import {
        /// The file.
        file: PathBuf,
    },
    /// List guard events by account, source and time.
    Events {
        /// Only this account.
        #[arg(long)]
        account: Option<String>,
        /// Only this source address or network (`203.0.113.0/24`).
        #[arg(long)]
        source: Option<String>,
        /// At most this many, newest first.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// The port-out and SIM-change protection report for the last `--days` days.
    Report {
        /// The period, in days up to now.
        #[arg(long, default_value_t = 30)]
        days: i64,
    },
}

/// The guard over the opened database, peppered from root key version 1 (the pepper must not
/// change when the root key rotates; a new pepper would get a new id).
pub(crate) fn open_service(
    db: Database,
    clock: Arc<dyn Clock>,
    keys: Arc<dyn KeyProvider>,
    data_dir: &Path,
) -> anyhow::Result<GuardService> {
    let root = keys
        .root_key(1)
        .context("reading root key version 1 for the guard's pepper")?;
    let pepper = BlindIndexer::new(&root, "guard", "pepper", 1).index(b"custodian-guard-pepper-v1");
    let notifier = Arc::new(SpoolNotifier {
        path: data_dir.join("guard-outbox.ndjson"),
        sealer: crate::sealer::open(keys),
    });
    let deps = GuardDeps {
        peppers: vec![Pepper::new(1, &pepper)?],
        facts: Arc::new(NoFacts),
        notifier,
    };
    Ok(GuardService::new(db, clock, GuardConfig::default(), deps)?)
}

/// Appends notices to `guard-outbox.ndjson` (mode 0600): the account and kind in clear, every
/// detail (codes, the line to avoid) sealed under the vault's keys for the delivery system.
struct SpoolNotifier {
    path: PathBuf,
    sealer: Arc<dyn SecretSealer>,
}

fn notice_line(sealer: &dyn SecretSealer, n: &Notice) -> String {
    let (kind, detail) = match &n.kind {
        NoticeKind::StepUpCode {
            code,
            purpose,
            expires_at,
        } => (
            "step_up_code",
            json!({"code": code.expose(), "purpose": purpose.as_str(), "expires_at": expires_at.to_rfc3339()}),
        ),
        NoticeKind::ResetCode {
            code,
            reset,
            expires_at,
        } => (
            "reset_code",
            json!({"code": code.expose(), "reset": reset, "expires_at": expires_at.to_rfc3339()}),
        ),
        NoticeKind::ProtectionRequest { line, request, .. } => (
            "protection_request",
            json!({"line": line.normalized(), "request": request.as_str()}),
        ),
        NoticeKind::SecretDisabled { kind } => {
            ("secret_disabled", json!({"secret": kind.as_str()}))
        }
        NoticeKind::FraudAlert { what, .. } => ("fraud_alert", json!({"what": what})),
        _ => ("other", json!({})),
    };
    let detail =
        json!({"detail": detail, "avoid_line": n.avoid_line.as_ref().map(|p| p.normalized())});
    let context = format!("guard-outbox/{}", n.account);
    let sealed = sealer.seal(&context, detail.to_string().as_bytes());
    json!({"at": n.at.to_rfc3339(), "account": n.account.as_str(), "kind": kind, "sealed": hex_encode(&sealed)})
        .to_string()
}

fn hex_encode(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl SpoolNotifier {
    fn append(&self, notices: &[Notice]) -> std::io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&self.path)?;
        let mut w = std::io::BufWriter::new(f);
        for n in notices {
            writeln!(w, "{}", notice_line(self.sealer.as_ref(), n))?;
        }
        w.into_inner().map_err(|e| e.into_error())?.sync_data()
    }
}

impl Notifier for SpoolNotifier {
    fn send<'a>(&'a self, notices: &'a [Notice]) -> NotifyFuture<'a> {
        let r = self
            .append(notices)
            .map_err(|e| GuardError::Notify(format!("{}: {e}", self.path.display())));
        Box::pin(async move { r })
    }
}

fn read_lines(p: &Path) -> anyhow::Result<Vec<String>> {
    let f = std::fs::File::open(p).with_context(|| format!("opening {}", p.display()))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("{}:{}", p.display(), i + 1))?;
        let t = line.trim();
        let is_header = i == 0 && t == "account_id";
        if !(t.is_empty() || t.starts_with('#') || is_header) {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

pub(crate) async fn run(s: &Settings, c: GuardCommand) -> anyhow::Result<()> {
    let app = App::open(s, OpenMode::Existing).await?;
    let g = &app.guard;
    match c {
        GuardCommand::Reset {
            cohort,
            name,
            kinds,
            code_ttl_days,
            exposed,
        } => {
            let kinds = match kinds.as_str() {
                "pin" => ResetKinds::Pin,
                "password" => ResetKinds::Password,
                "all" => ResetKinds::All,
                other => bail!("--kinds must be pin, password or all, not `{other}`"),
            };
            let accounts = read_lines(&cohort)?
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    AccountId::parse(a)
                        .with_context(|| format!("{}: entry {}", cohort.display(), i + 1))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            if let Some(p) = exposed {
                let values: Vec<SecretString> = read_lines(&p)?
                    .into_iter()
                    .map(SecretString::from)
                    .collect();
                let n = g.add_exposed(&name, SecretKind::Pin, &values).await?;
                eprintln!("{n} exposed PINs added to the blocklist");
            }
            let plan = ResetPlan {
                name: name.clone(),
                kinds,
                code_ttl_secs: Some(code_ttl_days * 86_400),
            };
            let quiet = s.json;
            let last = Arc::new(AtomicU64::new(0));
            let progress = Arc::new(move |p: ResetProgress| {
                let due = p.done >= last.load(Ordering::Relaxed) + 100_000 || p.done == p.total;
                if !quiet && due {
                    last.store(p.done, Ordering::Relaxed);
                    eprintln!("reset {:?}: {}/{}", p.stage, p.done, p.total);
                }
            });
            let r = g.forced_reset(&plan, &accounts, progress).await?;
            let outbox = s.data_dir.join("guard-outbox.ndjson");
            if s.json {
                crate::output::json(&json!({
                    "name": name, "members": r.members, "compromised": r.compromised,
                    "codes_delivered": r.codes_delivered, "codes_issued_now": r.codes_issued_now,
                    "outbox": outbox.display().to_string(),
                }));
            } else {
                println!(
                    "reset `{name}`: {} members, {} with credentials marked compromised, {} reset codes handed to {} ({} in this run)",
                    r.members,
                    r.compromised,
                    r.codes_delivered,
                    outbox.display(),
                    r.codes_issued_now
                );
            }
        }
        GuardCommand::Import { file } => {
            let f = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let recs = custodian_guard::parse_import(
                &file.display().to_string(),
                std::io::BufReader::new(f),
            )?;
            let r = g.import_hashes(&recs).await?;
            println!("imported {} of {} hashes", r.written, r.records);
        }
        GuardCommand::Events {
            account,
            source,
            limit,
        } => {
            let q = EventQuery {
                account: account.as_deref().map(AccountId::parse).transpose()?,
                source,
                limit,
                ..EventQuery::default()
            };
            for e in g.events(&q).await? {
                let line = json!({
                    "at": e.at.to_rfc3339(), "count": e.count, "account": e.account, "kind": e.kind,
                    "outcome": e.outcome, "channel": e.channel, "source": e.source, "device": e.device,
                    "detail": e.detail,
                });
                println!("{line}");
            }
        }
        GuardCommand::Report { days } => {
            let to = app.clock.now();
            let from = Timestamp(to.0 - days * 86_400_000_000);
            let r = g.protection_report(from, to).await?;
            if s.json {
                let rows: Vec<_> = r.rows.iter().map(|x| json!({"kind": x.kind, "decision": x.decision, "reason": x.reason, "requests": x.requests, "fraud_reports": x.fraud_reports})).collect();
                crate::output::json(
                    &json!({"from": from.to_rfc3339(), "to": to.to_rfc3339(), "rows": rows, "lines": r.lines, "sim_locked": r.sim_locked, "port_locked": r.port_locked}),
                );
            } else {
                println!(
                    "{:<22} {:<8} {:<22} {:>8} {:>6}",
                    "REQUEST", "DECISION", "REASON", "COUNT", "FRAUD"
                );
                for x in &r.rows {
                    println!(
                        "{:<22} {:<8} {:<22} {:>8} {:>6}",
                        x.kind, x.decision, x.reason, x.requests, x.fraud_reports
                    );
                }
                println!(
                    "lines {}, SIM-change locks {}, port-out locks {}",
                    r.lines, r.sim_locked, r.port_locked
                );
            }
        }
    }
    Ok(())
}
