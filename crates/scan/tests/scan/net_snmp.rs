//! The SNMP probe against a real snmpd that this test starts on a high loopback UDP port with
//! a `public` read-only community, and the UDP closed state (ICMP port unreachable).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;
use custodian_scan::net::{NetScanConfig, PortState, Proto, Severity, scan};

const SYS_DESCR: &str = "Custodian test edge router (OpenWrt-like)";

/// Starts snmpd in the foreground and waits for its "NET-SNMP version" ready line.
fn start_snmpd(dir: &Path, port: u16) -> Result<ChildGuard, String> {
    let snmpd = Path::new("/usr/sbin/snmpd");
    if !snmpd.exists() {
        return Err("/usr/sbin/snmpd is not installed (snmpd)".into());
    }
    let cfg = dir.join("snmpd.conf");
    let text = format!(
        "agentaddress udp:127.0.0.1:{port}\nrocommunity public 127.0.0.1\nsysDescr {SYS_DESCR}\n\
         sysLocation test\nsysContact nobody\n"
    );
    std::fs::write(&cfg, text).map_err(|e| e.to_string())?;
    let mut child = Command::new(snmpd)
        .args(["-f", "-Lo", "-C", "-c"])
        .arg(&cfg)
        .args(["-p"])
        .arg(dir.join("snmpd.pid"))
        .env("SNMPCONFPATH", dir)
        .env("MIBS", "")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("snmpd: {e}"))?;
    let out = child.stdout.take().ok_or("no stdout")?;
    let guard = ChildGuard(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if line.contains("NET-SNMP version") {
                let _ = tx.send(());
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    rx.recv_timeout(deadline - Instant::now())
        .map_err(|_| "snmpd never said it was ready".to_owned())?;
    Ok(guard)
}

fn snmp_config(port: u16) -> NetScanConfig {
    NetScanConfig {
        udp_snmp: true,
        snmp_port: port,
        snmp_communities: vec!["private".into(), "public".into()],
        timeout: Duration::from_millis(1500),
        retries: 1,
        // One TCP port too, because a scan always connects; it is closed and listed.
        ..test_config(&[free_port()])
    }
}

#[tokio::test]
async fn net_snmpd_with_public_community_is_critical() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_udp_port();
    let _snmpd = match start_snmpd(dir.path(), port) {
        Ok(g) => g,
        Err(why) => return skip("net_snmpd_with_public_community_is_critical", &why),
    };
    let report = scan(&loopback_scope(), &lo_target(), &snmp_config(port))
        .await
        .unwrap();
    let r = report.find(LO, port, Proto::Udp).unwrap();
    assert_eq!(
        (r.state, r.severity),
        (PortState::Open, Severity::Critical),
        "{r:?}"
    );
    let service = r.service.clone().unwrap();
    assert_eq!(service.name, "snmp");
    assert!(service.detail.unwrap().contains("`public`"));
    assert!(r.evidence.contains(SYS_DESCR), "{r:?}");
    assert!(report.stats.probes_sent >= 2, "{:?}", report.stats);
}

#[tokio::test]
async fn net_udp_port_without_agent_is_closed() {
    let port = free_udp_port();
    let report = scan(&loopback_scope(), &lo_target(), &snmp_config(port))
        .await
        .unwrap();
    let r = report.find(LO, port, Proto::Udp).unwrap();
    assert_eq!(
        (r.state, r.service.is_none()),
        (PortState::Closed, true),
        "{r:?}"
    );
}
