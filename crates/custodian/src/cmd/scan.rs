//! `custodian scan …`: the scanners from the command line. `secrets` and `pii` scan files,
//! directories, archives and (with `--git`) git history; `net` scans in-scope addresses and
//! `net diff` compares two network scans; `rules check` proves a rules file; `list` and `show`
//! read stored scans. Every scan is stored (fingerprints and locations, never values).
//!
//! Exit codes: 0 when no finding is at or above the `--fail-on` severity (default `high`),
//! 2 when one is ([`FindingsAboveThreshold`]), 1 on any error (a target out of scope included).

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use custodian_db::{Clock, OpenMode};
use custodian_scan::content::{
    Allowlist, Baseline, Confidence, FingerprintKey, RuleSet, ScanOptions, check_rules,
};
use custodian_scan::run::{ContentRequest, GitHistory, run_content};
use custodian_scan::store::{
    ScanId, ScanKind, ScanRecord, ScanStore, content_severity, severity_from_name,
};
use serde_json::{Value, json};

use crate::app::App;
use crate::config::Settings;

pub(crate) use super::scan_net::NetArgs;

#[derive(Debug, Subcommand)]
pub(crate) enum ScanCommand {
    /// Find stored secrets in files, directories, archives and (with --git) git history.
    Secrets(SecretsArgs),
    /// Find personal data in files: per file, which data elements and how many distinct values.
    Pii(PiiArgs),
    /// Scan in-scope addresses for exposed services; `net diff` compares two scans.
    Net(NetArgs),
    /// Rule files.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// List stored scans, newest first.
    List {
        /// Only this kind: secrets, pii or net.
        #[arg(long)]
        kind: Option<String>,
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Show a stored scan with its findings.
    Show {
        /// The scan's id.
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// Check that every rule matches its examples and none of its negatives (the shipped packs
    /// when no file is given).
    Check {
        /// A rules file (TOML; format in crates/scan/rules/README.md).
        file: Option<PathBuf>,
    },
}

/// Options every scan takes.
#[derive(Debug, Args)]
pub(crate) struct FailOn {
    /// Exit with status 2 when a finding is at least this severe: info, low, medium, high,
    /// critical, or none to never fail.
    #[arg(long, default_value = "high", value_name = "SEVERITY")]
    pub(crate) fail_on: String,
}

#[derive(Debug, Args)]
pub(crate) struct SecretsArgs {
    /// Files and directories (git-ignored files included; archives opened).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Also scan the git history of every path that is a repository (each blob once).
    #[arg(long)]
    git: bool,
    /// More rules (TOML), added after the shipped secrets pack.
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// An allowlist file (TOML: paths, fingerprints, values).
    #[arg(long, value_name = "FILE")]
    allowlist: Option<PathBuf>,
    /// Report only findings whose fingerprint is not in this baseline (JSON list).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Write every finding's fingerprint to this baseline file.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Drop findings below this confidence: low, medium, high.
    #[arg(long, default_value = "low")]
    min_confidence: String,
    #[command(flatten)]
    fail: FailOn,
}

#[derive(Debug, Args)]
pub(crate) struct PiiArgs {
    /// Files and directories (archives opened).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    #[command(flatten)]
    fail: FailOn,
}

/// A scan found something at or above the `--fail-on` severity; `main` exits with status 2.
#[derive(Debug)]
pub(crate) struct FindingsAboveThreshold {
    pub(crate) scan: ScanId,
    pub(crate) count: usize,
    pub(crate) threshold: String,
}

impl fmt::Display for FindingsAboveThreshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "scan {}: {} finding(s) at or above `{}`",
            self.scan, self.count, self.threshold
        )
    }
}

impl std::error::Error for FindingsAboveThreshold {}

pub(crate) async fn run(s: &Settings, c: ScanCommand) -> anyhow::Result<()> {
    match c {
        ScanCommand::Rules(RulesCommand::Check { file }) => return rules_check(s, file.as_ref()),
        ScanCommand::Net(a) => return super::scan_net::run(s, a).await,
        _ => {}
    }
    let app = App::open(s, OpenMode::Create).await?;
    let store = scan_store(&app);
    let result = match c {
        ScanCommand::Secrets(a) => secrets(s, &store, a).await,
        ScanCommand::Pii(a) => pii(s, &store, a).await,
        ScanCommand::List { kind, limit } => list(s, &store, kind.as_deref(), limit).await,
        ScanCommand::Show { id } => show(s, &store, ScanId(id)).await,
        ScanCommand::Rules(_) | ScanCommand::Net(_) => Ok(()),
    };
    app.db.close().await;
    result
}

/// The scan store over the app's database.
pub(crate) fn scan_store(app: &App) -> ScanStore {
    let clock: Arc<dyn Clock> = app.clock.clone();
    ScanStore::new(app.db.clone(), clock)
}

/// The scanners' part of the server state: the store, the configured scope (none when
/// `[scan] scope` is empty or invalid, which `serve` reports) and the network defaults.
pub(crate) fn web_config(app: &App, s: &Settings) -> custodian_web::ScanConfig {
    let scope = if s.scan.scope.is_empty() {
        None
    } else {
        let entries: Vec<&str> = s.scan.scope.iter().map(String::as_str).collect();
        custodian_scan::net::Scope::parse(&entries)
            .map_err(|e| tracing::warn!(error = %e, "configuration: scan.scope is invalid"))
            .ok()
    };
    let mut net = custodian_scan::net::NetScanConfig::default();
    if let Some(spec) = &s.scan.ports {
        match custodian_scan::net::PortList::parse(spec) {
            Ok(p) => net.ports = p,
            Err(e) => tracing::warn!(error = %e, "configuration: scan.ports is invalid"),
        }
    }
    if let Some(rate) = s.scan.rate {
        net.rate = std::num::NonZeroU32::new(rate);
    }
    custodian_web::ScanConfig {
        store: scan_store(app),
        scope,
        net,
        content_roots: s.scan.content_roots.clone(),
    }
}

/// Parses `--fail-on`: `None` for `none`.
pub(crate) fn threshold(f: &FailOn) -> anyhow::Result<Option<custodian_scan::net::Severity>> {
    if f.fail_on == "none" {
        return Ok(None);
    }
    severity_from_name(&f.fail_on).map(Some).with_context(|| {
        format!(
            "--fail-on must be info, low, medium, high, critical or none, not `{}`",
            f.fail_on
        )
    })
}

fn read(path: &Path, what: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading the {what} {}", path.display()))
}

pub(crate) fn confidence(name: &str) -> anyhow::Result<Confidence> {
    match name {
        "low" => Ok(Confidence::Low),
        "medium" => Ok(Confidence::Medium),
        "high" => Ok(Confidence::High),
        other => bail!("--min-confidence must be low, medium or high, not `{other}`"),
    }
}

async fn secrets(s: &Settings, store: &ScanStore, a: SecretsArgs) -> anyhow::Result<()> {
    let limit = threshold(&a.fail)?;
    let mut rules = RuleSet::secrets().context("the shipped secrets pack")?;
    if let Some(file) = &a.rules {
        let extra = RuleSet::from_toml(&read(file, "rules file")?)
            .with_context(|| format!("rules file {}", file.display()))?;
        rules = rules.merge(extra)?;
    }
    let mut options = ScanOptions {
        min_confidence: confidence(&a.min_confidence)?,
        ..ScanOptions::default()
    };
    if let Some(file) = &a.allowlist {
        options.allowlist = Allowlist::from_toml(&read(file, "allowlist")?)
            .with_context(|| format!("allowlist {}", file.display()))?;
    }
    if let Some(file) = &a.baseline {
        options.baseline = Some(
            Baseline::from_json(&read(file, "baseline")?)
                .with_context(|| format!("baseline {}", file.display()))?,
        );
    }
    let req = ContentRequest {
        kind: ScanKind::Secrets,
        paths: a.paths,
        history: if a.git {
            GitHistory::Include
        } else {
            GitHistory::Skip
        },
        rules,
        options,
        principal: "cli".into(),
    };
    let (id, report) = run_content(store, req).await?;
    if let Some(out) = &a.write_baseline {
        std::fs::write(out, Baseline::from_report(&report).to_json())
            .with_context(|| format!("writing the baseline {}", out.display()))?;
    }
    let severities: Vec<_> = report.findings.iter().map(content_severity).collect();
    if s.json {
        let findings: Vec<Value> = report
            .findings
            .iter()
            .zip(&severities)
            .map(|(f, sev)| {
                let locations: Vec<Value> = f
                    .locations()
                    .iter()
                    .map(|l| {
                        json!({"path": l.file().display().to_string(), "member": l.member(),
                               "commit": l.commit(), "line": l.line(), "column": l.column()})
                    })
                    .collect();
                json!({"rule_id": f.rule_id(), "rule_name": f.rule_name(),
                       "category": f.category().as_str(), "confidence": f.confidence().as_str(),
                       "severity": sev.to_string(), "fingerprint": f.fingerprint(),
                       "locations": locations})
            })
            .collect();
        crate::output::json(&json!({
            "scan_id": id.0, "kind": "secrets", "files_scanned": report.files_scanned,
            "bytes_scanned": report.bytes_scanned, "baselined": report.findings_baselined,
            "elapsed_ms": report.elapsed.as_millis() as u64, "findings": findings,
            "errors": report.errors.iter().map(|(at, m)| json!({"at": at, "message": m})).collect::<Vec<_>>(),
        }));
    } else {
        println!(
            "scan {id} (secrets): {} finding(s) in {} file(s), {} bytes, {:.2} s{}",
            report.findings.len(),
            report.files_scanned,
            report.bytes_scanned,
            report.elapsed.as_secs_f64(),
            if report.findings_baselined > 0 {
                format!(" ({} in the baseline not shown)", report.findings_baselined)
            } else {
                String::new()
            }
        );
        for (f, sev) in report.findings.iter().zip(&severities) {
            println!(
                "  {sev:<8} {:<32} {:<20} {:<6} fp {}",
                f.rule_id(),
                f.category().as_str(),
                f.confidence().as_str(),
                f.fingerprint()
            );
            for l in f.locations() {
                println!("      {l}");
            }
        }
        for (at, m) in &report.errors {
            eprintln!("warning: {at}: {m}");
        }
    }
    check_threshold(id, limit, &a.fail, &severities)
}

pub(crate) fn check_threshold(
    id: ScanId,
    limit: Option<custodian_scan::net::Severity>,
    f: &FailOn,
    severities: &[custodian_scan::net::Severity],
) -> anyhow::Result<()> {
    let Some(limit) = limit else { return Ok(()) };
    let count = severities.iter().filter(|s| **s >= limit).count();
    if count > 0 {
        return Err(FindingsAboveThreshold {
            scan: id,
            count,
            threshold: f.fail_on.clone(),
        }
        .into());
    }
    Ok(())
}

async fn pii(s: &Settings, store: &ScanStore, a: PiiArgs) -> anyhow::Result<()> {
    let limit = threshold(&a.fail)?;
    // A fresh key per scan: fingerprints of values from small spaces (SSNs, phone numbers)
    // then dedupe within the scan but cannot be reversed by trying every value.
    let key = FingerprintKey::from_bytes(rand::random());
    let req = ContentRequest {
        kind: ScanKind::Pii,
        paths: a.paths,
        history: GitHistory::Skip,
        rules: RuleSet::pii().context("the shipped PII pack")?,
        options: ScanOptions {
            fingerprint_key: Some(key),
            ..ScanOptions::default()
        },
        principal: "cli".into(),
    };
    let (id, report) = run_content(store, req).await?;
    let severities: Vec<_> = report.findings.iter().map(content_severity).collect();
    if s.json {
        let files: Vec<Value> = report
            .file_summaries
            .iter()
            .map(|f| {
                let elements: serde_json::Map<String, Value> = f
                    .elements()
                    .map(|(k, n)| (k.as_str().to_owned(), json!(n)))
                    .collect();
                json!({"location": f.location(), "elements": elements})
            })
            .collect();
        crate::output::json(&json!({
            "scan_id": id.0, "kind": "pii", "files_scanned": report.files_scanned,
            "bytes_scanned": report.bytes_scanned, "findings": report.findings.len(),
            "files": files,
        }));
    } else {
        println!(
            "scan {id} (pii): {} file(s) with personal data of {} scanned, {} distinct value(s)",
            report.file_summaries.len(),
            report.files_scanned,
            report.findings.len()
        );
        for f in &report.file_summaries {
            let parts: Vec<String> = f.elements().map(|(k, n)| format!("{k} {n}")).collect();
            println!("  {}: {}", f.location(), parts.join(", "));
        }
    }
    check_threshold(id, limit, &a.fail, &severities)
}

fn rules_check(s: &Settings, file: Option<&PathBuf>) -> anyhow::Result<()> {
    let sets: Vec<(String, RuleSet)> = match file {
        Some(f) => vec![(
            f.display().to_string(),
            RuleSet::from_toml(&read(f, "rules file")?)
                .with_context(|| format!("rules file {}", f.display()))?,
        )],
        None => vec![
            ("secrets pack".into(), RuleSet::secrets()?),
            ("pii pack".into(), RuleSet::pii()?),
        ],
    };
    let mut failures = Vec::new();
    let mut report = Vec::new();
    for (name, set) in &sets {
        let failed = check_rules(set);
        report.push(json!({"rules": name, "count": set.len(), "failures": failed.iter().map(ToString::to_string).collect::<Vec<_>>()}));
        if !s.json {
            println!("{name}: {} rules, {} failure(s)", set.len(), failed.len());
            for f in &failed {
                println!("  {f}");
            }
        }
        failures.extend(failed);
    }
    if s.json {
        crate::output::json(&json!(report));
    }
    if !failures.is_empty() {
        bail!("{} rule check(s) failed", failures.len());
    }
    Ok(())
}

pub(crate) fn scan_json(r: &ScanRecord) -> Value {
    json!({
        "id": r.id.0, "kind": r.kind.as_str(), "target": r.target, "status": r.status.as_str(),
        "principal": r.principal, "started_at": r.started_at.to_rfc3339(),
        "finished_at": r.finished_at.map(|t| t.to_rfc3339()), "rate_limit": r.rate_limit,
        "probes_sent": r.probes_sent, "probe_rate": r.probe_rate,
        "files_scanned": r.files_scanned, "bytes_scanned": r.bytes_scanned,
        "findings": r.findings, "max_severity": r.max_severity.to_string(), "error": r.error,
    })
}

async fn list(
    s: &Settings,
    store: &ScanStore,
    kind: Option<&str>,
    limit: u32,
) -> anyhow::Result<()> {
    let kind = match kind {
        Some(k) => Some(
            ScanKind::from_name(k)
                .with_context(|| format!("--kind must be secrets, pii or net, not `{k}`"))?,
        ),
        None => None,
    };
    let scans = store.list(kind, limit).await?;
    if s.json {
        crate::output::json(&json!(scans.iter().map(scan_json).collect::<Vec<_>>()));
        return Ok(());
    }
    if scans.is_empty() {
        println!("no scans yet: custodian scan secrets|pii|net …");
    }
    for r in &scans {
        println!(
            "{:>5}  {:<7} {:<7} {:<25} {:>5} finding(s), worst {:<8} {}",
            r.id.0,
            r.kind.as_str(),
            r.status.as_str(),
            r.started_at.to_rfc3339(),
            r.findings,
            r.max_severity.to_string(),
            r.target
        );
    }
    Ok(())
}

async fn show(s: &Settings, store: &ScanStore, id: ScanId) -> anyhow::Result<()> {
    let r = store.find(id).await?;
    let findings = store.findings(id).await?;
    let summaries = store.summaries(id).await?;
    if s.json {
        let mut v = scan_json(&r);
        v["findings_list"] = json!(
            findings
                .iter()
                .map(super::scan_net::finding_json)
                .collect::<Vec<_>>()
        );
        v["file_summaries"] = json!(summaries.iter().map(|m| json!({"location": m.location, "element": m.element, "distinct_values": m.distinct_values})).collect::<Vec<_>>());
        crate::output::json(&v);
        return Ok(());
    }
    println!(
        "scan {} ({}) {} — {}",
        r.id,
        r.kind.as_str(),
        r.status.as_str(),
        r.target
    );
    println!(
        "  started {}, finished {}",
        r.started_at.to_rfc3339(),
        r.finished_at.map_or_else(|| "-".into(), |t| t.to_rfc3339())
    );
    if r.kind == ScanKind::Net {
        println!(
            "  {} probes at {:.0}/s (limit {})",
            r.probes_sent,
            r.probe_rate,
            r.rate_limit
                .map_or_else(|| "none".into(), |l| l.to_string())
        );
    } else {
        println!("  {} file(s), {} bytes", r.files_scanned, r.bytes_scanned);
    }
    if let Some(e) = &r.error {
        println!("  error: {e}");
    }
    for f in &findings {
        println!("{}", super::scan_net::finding_line(f));
        for l in &f.locations {
            let commit = l
                .commit
                .as_deref()
                .map(|c| format!("@{}", &c[..c.len().min(12)]))
                .unwrap_or_default();
            let member = l
                .member
                .as_deref()
                .map(|m| format!("!{m}"))
                .unwrap_or_default();
            println!("      {}{commit}{member}:{}:{}", l.path, l.line, l.column);
        }
    }
    for m in &summaries {
        println!("  {}: {} {}", m.location, m.element, m.distinct_values);
    }
    Ok(())
}
