//! Scans loopback and prints what the network scanner found, one line per listed port:
//! `cargo run -p custodian-scan --example net_scan -- [PORTS] [TARGET]` (default ports are the
//! scanner's default list, default target 127.0.0.1). The scope is fixed to loopback, so this
//! example cannot be pointed anywhere else.

use custodian_scan::net::{NetScanConfig, PortList, Scope, Target, scan};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut cfg = NetScanConfig {
        snmp_port: 161,
        ..NetScanConfig::default()
    };
    if let Some(ports) = args.next() {
        cfg.ports = PortList::parse(&ports)?;
    }
    let target = Target::parse(&args.next().unwrap_or_else(|| "127.0.0.1".into()))?;
    let scope = Scope::parse(&["127.0.0.0/8", "::1"])?;
    let report = scan(&scope, &[target], &cfg).await?;
    let s = report.stats;
    println!(
        "{} probes in {:.2?} ({:.0}/s), {} socket back-offs",
        s.probes_sent, s.elapsed, s.rate, s.socket_backoffs
    );
    for host in &report.hosts {
        println!(
            "{}: {} closed, {} filtered",
            host.addr, host.closed, host.filtered
        );
        for p in &host.ports {
            let service = p.service.as_ref().map_or("-".to_owned(), |s| {
                let product = s.product.as_deref().unwrap_or("");
                let version = s.version.as_deref().unwrap_or("");
                format!("{} {product} {version}", s.name)
            });
            println!(
                "  {}/{} {} [{}] {service}\n      {}",
                p.port, p.proto, p.state, p.severity, p.evidence
            );
        }
    }
    Ok(())
}
