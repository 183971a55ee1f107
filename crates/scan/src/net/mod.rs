//! The network exposure scanner for the company's own address ranges: the 2021 attacker found
//! an unprotected router by scanning the carrier's addresses, so we scan them first.
//!
//! A scan runs in three steps, all inside one [`Scope`]:
//! 1. Scope: every target is expanded (CIDR) or resolved (host name) and checked against
//!    the scope; one out-of-scope address refuses the whole scan before anything is sent.
//! 2. `tcp` and `snmp`: an async TCP connect scan (concurrency capped below the open-file limit,
//!    shrinking on `EMFILE`; a token-bucket rate; timeouts and retries; open / closed /
//!    filtered) and, if asked, an SNMP v1/v2c probe with default communities over UDP.
//! 3. `probe`: our own service probes on each open port (HTTP/HTTPS admin pages, SSH auth
//!    methods, telnet, FTP, PostgreSQL, MySQL/MariaDB, Redis, MongoDB, Elasticsearch), each
//!    finding rated by [`Severity`].
//!
//! The result is plain data ([`NetScanReport`]) that the caller persists; [`diff`] compares two.

mod config;
mod ports;
mod probe;
mod rate;
mod report;
mod scope;
mod snmp;
mod tcp;

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use time::OffsetDateTime;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use config::{CredentialChecks, NetScanConfig, NetScanError, PortListing};
pub use ports::{PortList, PortSpecError};
pub use report::{
    HostResult, NetDiff, NetScanReport, PortChange, PortKey, PortResult, PortState, Proto,
    ScanStats, ServiceId, Severity, diff,
};
pub use scope::{Cidr, HostName, MAX_TARGET_ADDRS, Scope, ScopeError, Target, resolve_targets};

use probe::ProbeCtx;
use rate::RateLimiter;
use snmp::SnmpProbe;

/// Most service probes (and SNMP agents) worked on at once; each holds a socket or two.
const PROBE_CONCURRENCY: usize = 32;

/// Scans `targets` within `scope`: port scan, SNMP, then service identification.
///
/// Nothing is sent unless every target lies inside `scope` and `cfg` is valid.
pub async fn scan(
    scope: &Scope,
    targets: &[Target],
    cfg: &NetScanConfig,
) -> Result<NetScanReport, NetScanError> {
    cfg.validate()?;
    let addrs = scope::resolve_targets(scope, targets).await?;
    let started_at = OffsetDateTime::now_utc();
    let start = Instant::now();
    let counters = Arc::new(tcp::Counters::default());
    let limiter = cfg.rate.map(|r| Arc::new(RateLimiter::new(r)));

    let jobs: Vec<SocketAddr> = cfg
        .ports
        .as_slice()
        .iter()
        .flat_map(|p| addrs.iter().map(move |a| SocketAddr::new(*a, *p)))
        .collect();
    let opts = tcp::TcpScanOptions {
        concurrency: cfg.concurrency,
        timeout: cfg.timeout,
        retries: cfg.retries,
    };
    let states = tcp::scan(jobs.clone(), opts, limiter.clone(), Arc::clone(&counters)).await?;
    let snmp = if cfg.udp_snmp {
        let probe = SnmpProbe {
            communities: cfg.snmp_communities.clone(),
            timeout: cfg.timeout,
            retries: cfg.retries,
            limiter,
            counters: Arc::clone(&counters),
        };
        snmp_all(&addrs, cfg.snmp_port, probe).await
    } else {
        Vec::new()
    };
    let scan_elapsed = start.elapsed();
    let probes_sent = counters.probes.load(Ordering::Relaxed);
    let socket_backoffs = counters.backoffs.load(Ordering::Relaxed);

    let open: Vec<SocketAddr> = jobs
        .iter()
        .zip(&states)
        .filter(|(_, s)| **s == PortState::Open)
        .map(|(j, _)| *j)
        .collect();
    let services = if cfg.probe_services {
        identify_all(
            &open,
            ProbeCtx::new(cfg.probe_timeout, cfg.credential_checks),
        )
        .await
    } else {
        BTreeMap::new()
    };

    let hosts = assemble(&addrs, &jobs, &states, snmp, &services, cfg.listing);
    let rate = if scan_elapsed.is_zero() {
        0.0
    } else {
        probes_sent as f64 / scan_elapsed.as_secs_f64()
    };
    Ok(NetScanReport {
        targets: targets.iter().map(ToString::to_string).collect(),
        started_at,
        stats: ScanStats {
            probes_sent,
            elapsed: start.elapsed(),
            rate,
            socket_backoffs,
        },
        hosts,
    })
}

async fn snmp_all(addrs: &[IpAddr], port: u16, probe: SnmpProbe) -> Vec<(IpAddr, PortResult)> {
    let gate = Arc::new(Semaphore::new(PROBE_CONCURRENCY));
    let probe = Arc::new(probe);
    let mut set = JoinSet::new();
    for addr in addrs.iter().copied() {
        let (gate, probe) = (Arc::clone(&gate), Arc::clone(&probe));
        set.spawn(async move {
            let _permit = gate.acquire_owned().await;
            (addr, snmp::probe(SocketAddr::new(addr, port), &probe).await)
        });
    }
    let mut out = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(r) => out.push(r),
            Err(e) => tracing::warn!(error = %e, "SNMP probe task failed"),
        }
    }
    out
}

/// Identifies every open port; a port whose probe task failed keeps only its open state.
async fn identify_all(
    open: &[SocketAddr],
    ctx: ProbeCtx,
) -> BTreeMap<SocketAddr, Result<probe::Finding, String>> {
    let gate = Arc::new(Semaphore::new(PROBE_CONCURRENCY));
    let ctx = Arc::new(ctx);
    let mut set = JoinSet::new();
    for addr in open.iter().copied() {
        let (gate, ctx) = (Arc::clone(&gate), Arc::clone(&ctx));
        set.spawn(async move {
            let _permit = gate.acquire_owned().await;
            (addr, probe::identify(addr, &ctx).await)
        });
    }
    let mut out = BTreeMap::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((addr, found)) => {
                out.insert(addr, found);
            }
            Err(e) => tracing::warn!(error = %e, "service probe task failed"),
        }
    }
    out
}

fn assemble(
    addrs: &[IpAddr],
    jobs: &[SocketAddr],
    states: &[PortState],
    snmp: Vec<(IpAddr, PortResult)>,
    services: &BTreeMap<SocketAddr, Result<probe::Finding, String>>,
    listing: PortListing,
) -> Vec<HostResult> {
    let mut hosts: BTreeMap<IpAddr, HostResult> = addrs
        .iter()
        .map(|a| {
            (
                *a,
                HostResult {
                    addr: *a,
                    ports: Vec::new(),
                    closed: 0,
                    filtered: 0,
                },
            )
        })
        .collect();
    let tcp = jobs
        .iter()
        .zip(states)
        .map(|(job, state)| (job.ip(), tcp_result(*job, *state, services)));
    for (addr, result) in tcp.chain(snmp) {
        let Some(host) = hosts.get_mut(&addr) else {
            continue;
        };
        match result.state {
            PortState::Closed => host.closed += 1,
            PortState::Filtered => host.filtered += 1,
            PortState::Open => {}
        }
        if result.state == PortState::Open || listing == PortListing::All {
            host.ports.push(result);
        }
    }
    let mut hosts: Vec<HostResult> = hosts.into_values().collect();
    for h in &mut hosts {
        h.ports.sort_by_key(|p| (p.port, p.proto));
    }
    hosts
}

fn tcp_result(
    job: SocketAddr,
    state: PortState,
    services: &BTreeMap<SocketAddr, Result<probe::Finding, String>>,
) -> PortResult {
    let base = PortResult {
        port: job.port(),
        proto: Proto::Tcp,
        state,
        service: None,
        severity: Severity::Info,
        evidence: String::new(),
    };
    match (state, services.get(&job)) {
        (PortState::Open, Some(Ok(f))) => PortResult {
            service: Some(f.service.clone()),
            severity: f.severity,
            evidence: f.evidence.clone(),
            ..base
        },
        (PortState::Open, Some(Err(why))) => PortResult {
            evidence: why.clone(),
            ..base
        },
        (PortState::Open, None) => PortResult {
            evidence: "connection accepted".into(),
            ..base
        },
        (PortState::Closed, _) => PortResult {
            evidence: "connection refused".into(),
            ..base
        },
        (PortState::Filtered, _) => PortResult {
            evidence: "no answer before the timeout".into(),
            ..base
        },
    }
}
