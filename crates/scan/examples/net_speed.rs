//! Speed benchmark of the TCP connect scan: all 65,535 ports of 127.0.0.1, compared in the same
//! run with Debian's `nmap -sT -T5 -p- 127.0.0.1` (parsed from its greppable output).
//!
//! `cargo run --release -p custodian-scan --example net_speed -- [RUNS] [CONCURRENCY] [--no-nmap]`
//! (defaults: 3 runs, concurrency 2048). Prints each run, the best of each tool, the speed-up,
//! and whether both found the same open ports. Loopback only: the scope is 127.0.0.0/8.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use custodian_scan::net::{NetScanConfig, PortList, PortListing, PortState, Scope, Target, scan};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Res<()> {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().map_or(Ok(3), |a| a.parse())?;
    let concurrency: usize = args.next().map_or(Ok(2048), |a| a.parse())?;
    let with_nmap = args.next().as_deref() != Some("--no-nmap");
    let cfg = NetScanConfig {
        ports: PortList::all(),
        concurrency,
        rate: None,
        timeout: Duration::from_millis(1000),
        retries: 0,
        udp_snmp: false,
        probe_services: false,
        listing: PortListing::OpenOnly,
        ..NetScanConfig::default()
    };
    let scope = Scope::parse(&["127.0.0.0/8"])?;
    let targets = [Target::parse("127.0.0.1")?];
    println!(
        "machine: {} cores; concurrency {concurrency}; {runs} runs each",
        cores()
    );

    // Runs alternate (ours, nmap, ours, ...) so both see the same background load.
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut ours_open, mut nmap_open) = (BTreeSet::new(), None);
    let mut with_nmap = with_nmap;
    for run in 1..=runs {
        let (elapsed, open) = run_ours(&scope, &targets, &cfg, run).await?;
        ours.push(elapsed);
        ours_open = open;
        if !with_nmap {
            continue;
        }
        match run_nmap() {
            Ok((elapsed, open)) => {
                println!("nmap run {run}: {elapsed:.3?}, {} open", open.len());
                theirs.push(elapsed);
                nmap_open = Some(open);
            }
            Err(e) => {
                println!("nmap not run: {e} (install with scripts/test-services/install.sh)");
                with_nmap = false;
            }
        }
    }
    let (ours_best, ours_median) = best_and_median(&mut ours);
    println!(
        "custodian best {ours_best:.3?}, median {ours_median:.3?} ({:.0} ports/s at best)",
        65_535.0 / ours_best.as_secs_f64()
    );
    if let Some(nmap_open) = nmap_open {
        let (best, median) = best_and_median(&mut theirs);
        println!(
            "nmap      best {best:.3?}, median {median:.3?} ({:.0} ports/s at best)",
            65_535.0 / best.as_secs_f64()
        );
        let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
        println!(
            "speed-up: {:.1}x best vs best, {:.1}x median vs median",
            ratio(best, ours_best),
            ratio(median, ours_median)
        );
        if nmap_open == ours_open {
            println!("open ports agree: {ours_open:?}");
        } else {
            // Ports can open or close between runs (other builds, tests); show both sets.
            println!("open ports DIFFER: custodian {ours_open:?} vs nmap {nmap_open:?}");
        }
    }
    Ok(())
}

async fn run_ours(
    scope: &Scope,
    targets: &[Target],
    cfg: &NetScanConfig,
    run: usize,
) -> Res<(Duration, BTreeSet<u16>)> {
    let start = Instant::now();
    let report = scan(scope, targets, cfg).await?;
    let elapsed = start.elapsed();
    let ports = report.hosts.iter().flat_map(|h| &h.ports);
    let open: BTreeSet<u16> = ports
        .filter(|p| p.state == PortState::Open)
        .map(|p| p.port)
        .collect();
    let s = report.stats;
    println!(
        "custodian run {run}: {elapsed:.3?}, {} probes, {:.0} probes/s, {} open, {} back-offs",
        s.probes_sent,
        s.rate,
        open.len(),
        s.socket_backoffs
    );
    Ok((elapsed, open))
}

fn best_and_median(times: &mut [Duration]) -> (Duration, Duration) {
    times.sort();
    let best = times.first().copied().unwrap_or_default();
    (
        best,
        times.get(times.len() / 2).copied().unwrap_or_default(),
    )
}

/// Runs `nmap -sT -T5 -p- -n 127.0.0.1 -oG -` and returns its wall time and open ports. `-n`
/// keeps nmap from sending reverse-DNS queries to the configured (non-loopback) resolver.
fn run_nmap() -> Res<(Duration, BTreeSet<u16>)> {
    let start = Instant::now();
    let out = Command::new("nmap")
        .args(["-sT", "-T5", "-p-", "-n", "127.0.0.1", "-oG", "-"])
        .output()?;
    let elapsed = start.elapsed();
    if !out.status.success() {
        return Err(format!("nmap exited with {}", out.status).into());
    }
    Ok((
        elapsed,
        parse_greppable(&String::from_utf8_lossy(&out.stdout)),
    ))
}

/// Open ports from nmap's `-oG` lines: `Ports: 22/open/tcp//ssh///, 80/open/tcp//http///`.
fn parse_greppable(text: &str) -> BTreeSet<u16> {
    let ports = text
        .lines()
        .filter_map(|l| l.split_once("Ports: ").map(|(_, p)| p));
    ports
        .flat_map(|p| p.split(", "))
        .filter_map(|entry| {
            let mut f = entry.split('/');
            let port = f.next()?.trim().parse().ok()?;
            (f.next()? == "open").then_some(port)
        })
        .collect()
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
