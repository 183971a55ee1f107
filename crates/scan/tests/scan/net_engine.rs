//! The scan engine's guarantees: scope violations are refused before anything is sent, diffs
//! see services appear and disappear, the rate limit holds, and running out of file
//! descriptors slows the scan down instead of crashing it.

use std::num::NonZeroU32;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::support::*;
use custodian_scan::net::{NetScanError, PortState, Proto, Scope, ScopeError, Target, diff, scan};
use tokio::io::AsyncWriteExt;

#[tokio::test]
async fn net_out_of_scope_targets_are_refused_before_anything_is_sent() {
    let (port, accepted) = serve(|s| async move { drop(s) }).await;
    let cfg = test_config(&[port]);
    for outside in ["10.0.0.1", "8.8.8.8", "192.168.1.0/30", "::2"] {
        // The in-scope target comes first: had the scan started, it would have been probed.
        let targets = [
            Target::parse("127.0.0.1").unwrap(),
            Target::parse(outside).unwrap(),
        ];
        let err = scan(&loopback_scope(), &targets, &cfg).await.unwrap_err();
        match err {
            NetScanError::Scope(ScopeError::OutOfScope { target, .. }) => {
                assert_eq!(target, Target::parse(outside).unwrap().to_string());
            }
            other => panic!("{outside}: expected OutOfScope, got {other:?}"),
        }
        let message = scan(&loopback_scope(), &targets, &cfg)
            .await
            .unwrap_err()
            .to_string();
        assert!(message.contains("out of scope"), "{message}");
    }
    // A host name is resolved (from /etc/hosts) and its addresses checked too.
    let narrow = Scope::parse(&["10.0.0.0/8"]).unwrap();
    let err = scan(&narrow, &[Target::parse("localhost").unwrap()], &cfg)
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetScanError::Scope(ScopeError::OutOfScope { .. })),
        "{err:?}"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        0,
        "nothing may be sent when a target is refused"
    );
}

#[tokio::test]
async fn net_diff_sees_a_service_appear_and_disappear() {
    let listener = tokio::net::TcpListener::bind((LO, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            let _ = s.write_all(b"SSH-1.5-OldRouterSSH\r\n").await;
        }
    });
    let cfg = test_config(&[port]);
    let before = scan(&loopback_scope(), &lo_target(), &cfg).await.unwrap();
    assert_eq!(
        before.find(LO, port, Proto::Tcp).unwrap().state,
        PortState::Open
    );
    task.abort();
    let _ = task.await;
    let after = scan(&loopback_scope(), &lo_target(), &cfg).await.unwrap();
    assert_eq!(
        after.find(LO, port, Proto::Tcp).unwrap().state,
        PortState::Closed
    );

    let gone = diff(&before, &after);
    assert_eq!(gone.disappeared.len(), 1, "{gone:?}");
    assert_eq!(gone.disappeared[0].0.port, port);
    assert!(gone.appeared.is_empty() && gone.changed.is_empty());
    let back = diff(&after, &before);
    assert_eq!(back.appeared.len(), 1);
    assert_eq!(back.appeared[0].1.service.as_ref().unwrap().name, "ssh");
    assert!(diff(&before, &before).is_empty());
}

#[tokio::test]
async fn net_rate_limit_holds_and_is_reported() {
    // Bound together then released: 40 distinct ports that nothing listens on.
    let held: Vec<std::net::TcpListener> = (0..40)
        .map(|_| std::net::TcpListener::bind((LO, 0)).unwrap())
        .collect();
    let ports: Vec<u16> = held
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect();
    drop(held);
    let mut cfg = test_config(&ports);
    cfg.rate = NonZeroU32::new(200);
    let report = scan(&loopback_scope(), &lo_target(), &cfg).await.unwrap();
    let stats = report.stats;
    assert_eq!(stats.probes_sent, 40);
    // A 10-probe burst (50 ms of tokens), then 30 more at 5 ms each: at least ~150 ms, so the
    // reported rate cannot beat 200/s by more than the burst allows (~270/s).
    assert!(stats.elapsed >= Duration::from_millis(140), "{stats:?}");
    assert!(stats.rate > 0.0 && stats.rate <= 290.0, "{stats:?}");
}

#[tokio::test]
async fn net_ipv6_loopback_is_scanned_too() {
    let Ok(listener) = tokio::net::TcpListener::bind("[::1]:0").await else {
        return skip(
            "net_ipv6_loopback_is_scanned_too",
            "no IPv6 loopback on this machine",
        );
    };
    let open = listener.local_addr().unwrap().port();
    let closed = std::net::TcpListener::bind("[::1]:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = test_config(&[open, closed]);
    cfg.probe_services = false; // the listener never accepts; only the port states matter here
    let targets = [Target::parse("::1").unwrap()];
    let report = scan(&loopback_scope(), &targets, &cfg).await.unwrap();
    let v6 = "::1".parse().unwrap();
    assert_eq!(
        report.find(v6, open, Proto::Tcp).unwrap().state,
        PortState::Open
    );
    assert_eq!(
        report.find(v6, closed, Proto::Tcp).unwrap().state,
        PortState::Closed
    );
}

const CHILD_ENV: &str = "CUSTODIAN_NET_FD_CHILD";

/// Regression guard for EMFILE: with almost no descriptors left the scan must slow down and
/// finish correctly. The body runs in a child process started under `ulimit -n 64`.
#[test]
fn net_scan_survives_file_descriptor_exhaustion() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return fd_starved_scan();
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 64 && exec \"$0\" --exact \"$1\" --nocapture")
        .arg(exe)
        .arg("net_engine::net_scan_survives_file_descriptor_exhaustion")
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "child failed:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("FD-STARVED SCAN OK"),
        "child did not run the scan:\n{stdout}\n{stderr}"
    );
}

fn fd_starved_scan() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let listeners: Vec<std::net::TcpListener> = (0..3)
            .map(|_| std::net::TcpListener::bind((LO, 0)).unwrap())
            .collect();
        let open: Vec<u16> = listeners
            .iter()
            .map(|l| l.local_addr().unwrap().port())
            .collect();
        let mut ports: Vec<u16> = (0..300).map(|_| free_port()).collect();
        ports.extend(&open);
        let mut cfg = test_config(&ports);
        cfg.concurrency = 1000; // capped to the limit, then starved further below
        cfg.probe_services = false;
        // Hold every free descriptor but one, so the scan's workers fight over a single socket.
        let mut hog = Vec::new();
        while let Ok(f) = std::fs::File::open("/dev/null") {
            hog.push(f);
        }
        hog.truncate(hog.len().saturating_sub(1));
        let report = scan(&loopback_scope(), &lo_target(), &cfg).await.unwrap();
        drop(hog);
        for p in &ports {
            let want = if open.contains(p) {
                PortState::Open
            } else {
                PortState::Closed
            };
            assert_eq!(
                report.find(LO, *p, Proto::Tcp).unwrap().state,
                want,
                "port {p}"
            );
        }
        assert!(
            report.stats.socket_backoffs > 0,
            "descriptors never ran out: {:?}",
            report.stats
        );
        println!("FD-STARVED SCAN OK: {:?}", report.stats);
    });
}
