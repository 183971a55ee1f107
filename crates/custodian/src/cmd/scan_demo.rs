//! The demo's scanner chapter: a secrets scan of a small planted tree (a `.env`, a router
//! config and a zip backup) written into the data directory, and a network scan of a
//! router-style login page the demo serves itself on an ephemeral loopback port. Both are
//! stored, so the admin console's scan pages have something to show.

use std::io::Write;
use std::num::NonZeroU32;
use std::time::Duration;

use anyhow::Context;
use custodian_scan::content::{RuleSet, ScanOptions};
use custodian_scan::net::{NetScanConfig, PortList, Scope, Target};
use custodian_scan::run::{ContentRequest, GitHistory, NetRequest, run_content, run_net};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::scan::scan_store;
use crate::app::App;
use crate::config::Settings;

/// Made-up credentials in the shapes attackers look for (they open nothing).
fn plant(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir.join("config"))?;
    std::fs::write(
        dir.join(".env"),
        "AWS_ACCESS_KEY_ID=AKIAQW5ZR3TYV7XB2MNP\nDATABASE_URL=postgres://billing:Zq8vLw3Rt6Yp2Nx@db.test.internal:5432/billing\n",
    )?;
    std::fs::write(
        dir.join("config/edge-router.cfg"),
        "hostname edge-test-1\nusername admin privilege 15 password 7 0822455D0A16544541\nsnmp-server community public RO\n",
    )?;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(dir.join("backup.zip"))?);
    zip.start_file(
        "home/ops/.git-credentials",
        zip::write::SimpleFileOptions::default(),
    )?;
    zip.write_all(b"https://ops:ghp_R7uQ2mXk9LpZ4vN8sT1wY6bC3dF5gH0jK2aE@git.test.internal\n")?;
    zip.finish()?;
    Ok(())
}

const ROUTER_PAGE: &str = "<html><head><title>RT-AC68U Wireless Router - Login</title></head>\
    <body><form action=\"/login.cgi\" method=\"post\"><input name=\"login_username\">\
    <input type=\"password\" name=\"login_passwd\"></form></body></html>";

/// Runs both scans and prints one line each; returns when they are stored.
pub(crate) async fn run(app: &App, s: &Settings) -> anyhow::Result<()> {
    let store = scan_store(app);
    let tree = s.data_dir.join("scan-demo");
    plant(&tree).context("writing the planted test tree")?;
    let req = ContentRequest {
        kind: custodian_scan::store::ScanKind::Secrets,
        paths: vec![tree.clone()],
        history: GitHistory::Skip,
        rules: RuleSet::secrets()?,
        options: ScanOptions::default(),
        principal: "demo".into(),
    };
    let (id, report) = run_content(&store, req).await?;
    println!(
        "3c. Secrets scan {id} of the planted tree {}: {} finding(s) in {} file(s) (fingerprints only)",
        tree.display(),
        report.findings.len(),
        report.files_scanned
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let server = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 2048];
                let _ = tokio::time::timeout(Duration::from_secs(2), sock.read(&mut buf)).await;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\nServer: httpd/2.0\r\nContent-Type: text/html\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{ROUTER_PAGE}",
                    ROUTER_PAGE.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    let req = NetRequest {
        scope: Scope::parse(&["127.0.0.1/32"])?,
        targets: vec![Target::parse("127.0.0.1")?],
        config: NetScanConfig {
            ports: PortList::from_ports([port]).context("a port list")?,
            rate: NonZeroU32::new(2_000),
            udp_snmp: false,
            ..NetScanConfig::default()
        },
        principal: "demo".into(),
    };
    let result = run_net(&store, req).await;
    server.abort();
    let (id, report) = result?;
    let open: Vec<String> = report
        .hosts
        .iter()
        .flat_map(|h| h.ports.iter().map(move |p| (h.addr, p)))
        .map(|(a, p)| {
            let svc = p
                .service
                .as_ref()
                .map_or("unidentified", |s| s.name.as_str());
            format!("{a}:{}/{} {svc} ({})", p.port, p.proto, p.severity)
        })
        .collect();
    println!(
        "3d. Network scan {id} of a router login page on loopback: {}",
        if open.is_empty() {
            "nothing open".to_owned()
        } else {
            open.join(", ")
        }
    );
    Ok(())
}
