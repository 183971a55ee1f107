//! `custodian scan net …`: a network exposure scan of targets inside the scope (`--scope` or
//! `[scan] scope` in the configuration; anything outside is refused before a packet is sent),
//! `scan net diff` (what appeared, disappeared or changed since the previous scan), and the
//! scheduled scans `serve` runs every `[scan] schedule_minutes`.

use std::num::NonZeroU32;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use custodian_db::OpenMode;
use custodian_scan::net::{
    NetDiff, NetScanConfig, PortKey, PortList, PortResult, Scope, Target, diff,
};
use custodian_scan::run::{NetRequest, run_net};
use custodian_scan::store::{ScanId, ScanStore, StoredFinding};
use serde_json::{Value, json};

use super::scan::{FailOn, check_threshold, scan_store, threshold};
use crate::app::App;
use crate::config::{ScanSettings, Settings};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct NetArgs {
    #[command(subcommand)]
    command: Option<NetCommand>,
    /// Targets: addresses, CIDR blocks or host names, each inside the scope.
    #[arg(required = true)]
    targets: Vec<String>,
    /// The scope: comma-separated CIDR blocks and host names you own (default: `[scan] scope`
    /// from the configuration). Targets outside it are refused.
    #[arg(long, value_delimiter = ',', value_name = "CIDR,...")]
    scope: Vec<String>,
    /// TCP ports: `22,80,8000-8100`, or `-` for all (default: remote admin, web admin and
    /// database ports, or `[scan] ports`).
    #[arg(long)]
    ports: Option<String>,
    /// Most probes per second; 0 for no limit (default 2000, or `[scan] rate`).
    #[arg(long)]
    rate: Option<u32>,
    /// Milliseconds a connection attempt waits before it counts as silent.
    #[arg(long, default_value_t = 1000)]
    timeout_ms: u64,
    /// Further attempts after a silent one.
    #[arg(long, default_value_t = 1)]
    retries: u32,
    /// The UDP port for the SNMP probe.
    #[arg(long, default_value_t = 161)]
    snmp_port: u16,
    /// Do not send SNMP probes.
    #[arg(long)]
    no_snmp: bool,
    #[command(flatten)]
    fail: FailOn,
}

#[derive(Debug, Subcommand)]
enum NetCommand {
    /// What appeared, disappeared or changed between two network scans (default: the newest
    /// and the one before it; with one id, that scan and the one before it).
    Diff {
        /// The older scan (or, alone, the newer one).
        a: Option<i64>,
        /// The newer scan.
        b: Option<i64>,
    },
}

/// The scanner's configuration from flags over `[scan]`.
fn net_config(a: &NetArgs, cfg: &ScanSettings) -> anyhow::Result<NetScanConfig> {
    let ports = match a.ports.as_deref().or(cfg.ports.as_deref()) {
        Some(spec) => PortList::parse(spec)?,
        None => PortList::default(),
    };
    Ok(NetScanConfig {
        ports,
        rate: NonZeroU32::new(a.rate.or(cfg.rate).unwrap_or(2_000)),
        timeout: Duration::from_millis(a.timeout_ms.max(1)),
        retries: a.retries,
        udp_snmp: !a.no_snmp,
        snmp_port: a.snmp_port,
        ..NetScanConfig::default()
    })
}

fn parse_scope(entries: &[String]) -> anyhow::Result<Scope> {
    if entries.is_empty() {
        bail!("no scan scope: pass --scope CIDR,... or set `[scan] scope` in the configuration");
    }
    let refs: Vec<&str> = entries.iter().map(String::as_str).collect();
    Ok(Scope::parse(&refs)?)
}

fn parse_targets(entries: &[String]) -> anyhow::Result<Vec<Target>> {
    entries
        .iter()
        .map(|t| Target::parse(t).map_err(anyhow::Error::from))
        .collect()
}

pub(crate) async fn run(s: &Settings, a: NetArgs) -> anyhow::Result<()> {
    let app = App::open(s, OpenMode::Create).await?;
    let store = scan_store(&app);
    let result = match &a.command {
        Some(NetCommand::Diff { a: x, b: y }) => net_diff(s, &store, *x, *y).await,
        None => net_scan(s, &store, &a).await,
    };
    app.db.close().await;
    result
}

async fn net_scan(s: &Settings, store: &ScanStore, a: &NetArgs) -> anyhow::Result<()> {
    let limit = threshold(&a.fail)?;
    let scope_entries = if a.scope.is_empty() {
        &s.scan.scope
    } else {
        &a.scope
    };
    let req = NetRequest {
        scope: parse_scope(scope_entries)?,
        targets: parse_targets(&a.targets)?,
        config: net_config(a, &s.scan)?,
        principal: "cli".into(),
    };
    let (id, report) = run_net(store, req).await?;
    let open: Vec<(PortKey, &PortResult)> = report
        .hosts
        .iter()
        .flat_map(|h| {
            h.ports.iter().map(|p| {
                let key = PortKey {
                    addr: h.addr,
                    port: p.port,
                    proto: p.proto,
                };
                (key, p)
            })
        })
        .filter(|(_, p)| p.state == custodian_scan::net::PortState::Open)
        .collect();
    if s.json {
        crate::output::json(&json!({
            "scan_id": id.0, "kind": "net", "hosts": report.hosts.len(),
            "probes_sent": report.stats.probes_sent, "probe_rate": report.stats.rate,
            "elapsed_ms": report.stats.elapsed.as_millis() as u64,
            "socket_backoffs": report.stats.socket_backoffs,
            "open": open.iter().map(|(k, p)| port_json(k, p)).collect::<Vec<_>>(),
        }));
    } else {
        println!(
            "scan {id} (net): {} host(s), {} open port(s); {} probes at {:.0}/s in {:.2} s",
            report.hosts.len(),
            open.len(),
            report.stats.probes_sent,
            report.stats.rate,
            report.stats.elapsed.as_secs_f64()
        );
        for (k, p) in &open {
            println!("  {}", port_line(k, p));
        }
    }
    let severities: Vec<_> = open.iter().map(|(_, p)| p.severity).collect();
    check_threshold(id, limit, &a.fail, &severities)
}

fn service_text(p: &PortResult) -> String {
    match &p.service {
        Some(svc) => {
            let mut t = svc.name.clone();
            for extra in [&svc.product, &svc.version, &svc.detail]
                .into_iter()
                .flatten()
            {
                t.push(' ');
                t.push_str(extra);
            }
            t
        }
        None => "unidentified".into(),
    }
}

fn port_line(k: &PortKey, p: &PortResult) -> String {
    format!(
        "{:<8} {}:{}/{} {}  {}",
        p.severity.to_string(),
        k.addr,
        k.port,
        k.proto,
        service_text(p),
        p.evidence.lines().next().unwrap_or("")
    )
}

fn port_json(k: &PortKey, p: &PortResult) -> Value {
    let svc = p.service.as_ref();
    json!({
        "host": k.addr.to_string(), "port": k.port, "proto": k.proto.to_string(),
        "state": p.state.to_string(), "severity": p.severity.to_string(),
        "service": svc.map(|s| s.name.clone()), "product": svc.and_then(|s| s.product.clone()),
        "version": svc.and_then(|s| s.version.clone()), "detail": svc.and_then(|s| s.detail.clone()),
        "evidence": p.evidence,
    })
}

/// A stored finding as JSON (content or network).
pub(crate) fn finding_json(f: &StoredFinding) -> Value {
    let mut v = json!({
        "rule_id": f.rule_id, "category": f.category, "severity": f.severity.to_string(),
        "confidence": f.confidence, "fingerprint": f.fingerprint,
        "locations": f.locations.iter().map(|l| json!({"path": l.path, "member": l.member,
            "commit": l.commit, "line": l.line, "column": l.column})).collect::<Vec<_>>(),
    });
    if let Some(p) = &f.port {
        let key = PortKey {
            addr: p.host,
            port: p.port,
            proto: p.proto,
        };
        v["port"] = port_json(&key, &stored_port(f, p));
    }
    v
}

fn stored_port(f: &StoredFinding, p: &custodian_scan::store::StoredPort) -> PortResult {
    PortResult {
        port: p.port,
        proto: p.proto,
        state: p.state,
        service: p.service.clone(),
        severity: f.severity,
        evidence: p.evidence.clone(),
    }
}

/// A stored finding as one line for people.
pub(crate) fn finding_line(f: &StoredFinding) -> String {
    match &f.port {
        Some(p) => {
            let key = PortKey {
                addr: p.host,
                port: p.port,
                proto: p.proto,
            };
            format!("  {}", port_line(&key, &stored_port(f, p)))
        }
        None => format!(
            "  {:<8} {:<32} {:<20} {:<6} fp {}",
            f.severity.to_string(),
            f.rule_id,
            f.category,
            f.confidence,
            f.fingerprint
        ),
    }
}

/// Which two scans `diff` compares.
async fn diff_pair(
    store: &ScanStore,
    a: Option<i64>,
    b: Option<i64>,
) -> anyhow::Result<(ScanId, ScanId)> {
    let newer = match (a, b) {
        (Some(x), Some(y)) => return Ok((ScanId(x), ScanId(y))),
        (Some(x), None) => ScanId(x),
        _ => store
            .latest_net()
            .await?
            .context("no finished network scan yet")?,
    };
    let older = store
        .previous_net(newer)
        .await?
        .with_context(|| format!("no finished network scan before scan {newer}"))?;
    Ok((older, newer))
}

/// The diff of two stored network scans as JSON, for the command line and the API alike.
pub(crate) fn diff_json(old: ScanId, new: ScanId, d: &NetDiff) -> Value {
    let list = |v: &[(PortKey, PortResult)]| -> Vec<Value> {
        v.iter().map(|(k, p)| port_json(k, p)).collect()
    };
    json!({
        "old": old.0, "new": new.0,
        "appeared": list(&d.appeared), "disappeared": list(&d.disappeared),
        "changed": d.changed.iter().map(|c| json!({"old": port_json(&c.key, &c.old), "new": port_json(&c.key, &c.new)})).collect::<Vec<_>>(),
    })
}

async fn net_diff(
    s: &Settings,
    store: &ScanStore,
    a: Option<i64>,
    b: Option<i64>,
) -> anyhow::Result<()> {
    let (old, new) = diff_pair(store, a, b).await?;
    let d = diff(&store.net_report(old).await?, &store.net_report(new).await?);
    if s.json {
        crate::output::json(&diff_json(old, new, &d));
        return Ok(());
    }
    println!(
        "scan {old} → scan {new}: {} appeared, {} disappeared, {} changed",
        d.appeared.len(),
        d.disappeared.len(),
        d.changed.len()
    );
    for (k, p) in &d.appeared {
        println!("  + {}", port_line(k, p));
    }
    for (k, p) in &d.disappeared {
        println!("  - {}", port_line(k, p));
    }
    for c in &d.changed {
        println!("  ~ {}", port_line(&c.key, &c.old));
        println!("    → {}", port_line(&c.key, &c.new));
    }
    Ok(())
}

/// Starts the scheduled network scans of `[scan]` (every `schedule_minutes`, the first at
/// once) on the server's runtime; `None` when no schedule is configured.
pub(crate) fn spawn_scheduled(
    app: &App,
    s: &Settings,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(minutes) = s.scan.schedule_minutes else {
        return Ok(None);
    };
    let scope = parse_scope(&s.scan.scope).context("configuration: scan.scope")?;
    let target_entries = if s.scan.targets.is_empty() {
        &s.scan.scope
    } else {
        &s.scan.targets
    };
    let targets = parse_targets(target_entries).context("configuration: scan.targets")?;
    let args = NetArgs {
        command: None,
        targets: Vec::new(),
        scope: Vec::new(),
        ports: None,
        rate: None,
        timeout_ms: 1000,
        retries: 1,
        snmp_port: 161,
        no_snmp: false,
        fail: FailOn {
            fail_on: "none".into(),
        },
    };
    let config = net_config(&args, &s.scan)?;
    let store = scan_store(app);
    let every = Duration::from_secs(u64::from(minutes) * 60);
    Ok(Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let req = NetRequest {
                scope: scope.clone(),
                targets: targets.clone(),
                config: config.clone(),
                principal: "scheduler".into(),
            };
            match run_net(&store, req).await {
                Ok((id, r)) => tracing::info!(
                    scan = id.0,
                    hosts = r.hosts.len(),
                    "scheduled network scan done"
                ),
                Err(e) => tracing::warn!(error = %e, "scheduled network scan failed"),
            }
        }
    })))
}
