//! Service identification against real services on loopback: the machine's PostgreSQL (trust
//! auth), Redis (no password) and MariaDB (root, empty password); sshd instances this test
//! starts on high ports; and in-test servers for a router login page (HTTP and HTTPS), telnet,
//! FTP and Elasticsearch. Also the plain port states: closed, and open-but-silent.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use crate::support::*;
use custodian_scan::net::{NetScanReport, PortResult, PortState, Proto, Severity, scan};
use tokio::io::AsyncWriteExt;

async fn scan_one(port: u16) -> (NetScanReport, PortResult) {
    let report = scan(&loopback_scope(), &lo_target(), &test_config(&[port]))
        .await
        .unwrap();
    let result = report.find(LO, port, Proto::Tcp).cloned().unwrap();
    (report, result)
}

fn service_name(r: &PortResult) -> &str {
    r.service.as_ref().map_or("", |s| s.name.as_str())
}

#[tokio::test]
async fn net_postgres_with_trust_auth_is_critical() {
    if !is_listening(5432) {
        return skip(
            "net_postgres_with_trust_auth_is_critical",
            "nothing listens on 127.0.0.1:5432",
        );
    }
    let (_, r) = scan_one(5432).await;
    assert_eq!(
        (r.state, service_name(&r)),
        (PortState::Open, "postgresql"),
        "{r:?}"
    );
    assert_eq!(r.severity, Severity::Critical, "{r:?}");
    let service = r.service.unwrap();
    assert!(
        service
            .version
            .is_some_and(|v| v.chars().next().is_some_and(|c| c.is_ascii_digit()))
    );
}

#[tokio::test]
async fn net_redis_without_password_is_critical() {
    if !is_listening(6379) {
        return skip(
            "net_redis_without_password_is_critical",
            "nothing listens on 127.0.0.1:6379",
        );
    }
    let (_, r) = scan_one(6379).await;
    assert_eq!(
        (service_name(&r), r.severity),
        ("redis", Severity::Critical),
        "{r:?}"
    );
    assert!(
        r.service.unwrap().version.is_some(),
        "INFO server gave the version"
    );
}

#[tokio::test]
async fn net_mariadb_root_without_password_is_critical() {
    if !is_listening(3306) {
        return skip(
            "net_mariadb_root_without_password_is_critical",
            "nothing listens on 127.0.0.1:3306",
        );
    }
    let (_, r) = scan_one(3306).await;
    let service = r.service.clone().unwrap();
    assert_eq!(
        (service.name.as_str(), r.severity),
        ("mysql", Severity::Critical),
        "{r:?}"
    );
    assert_eq!(service.product.as_deref(), Some("MariaDB"), "{r:?}");
}

/// Starts sshd on a free port with a fresh host key; `password` says whether passwords are on.
fn start_sshd(dir: &Path, password: &str) -> Result<(ChildGuard, u16), String> {
    let sshd = Path::new("/usr/sbin/sshd");
    if !sshd.exists() {
        return Err("/usr/sbin/sshd is not installed (openssh-server)".into());
    }
    let key = dir.join("host_ed25519");
    let keygen = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .map_err(|e| format!("ssh-keygen: {e}"))?;
    if !keygen.success() {
        return Err("ssh-keygen failed".into());
    }
    // sshd insists on its privilege-separation directory even when run by hand.
    std::fs::create_dir_all("/run/sshd").map_err(|e| format!("/run/sshd: {e}"))?;
    let port = free_port();
    let config = format!(
        "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\n\
         PasswordAuthentication {password}\n\
         KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nLogLevel ERROR\n",
        key.display(),
        dir.join("sshd.pid").display()
    );
    let cfg = dir.join("sshd_config");
    std::fs::write(&cfg, config).map_err(|e| e.to_string())?;
    let child = spawn(Command::new(sshd).arg("-D").arg("-e").arg("-f").arg(&cfg))?;
    if !wait_listening(port, Duration::from_secs(10)) {
        return Err(format!("sshd did not listen on {port}"));
    }
    Ok((child, port))
}

#[tokio::test]
async fn net_sshd_with_password_auth_is_high_and_key_only_is_low() {
    let dir = tempfile::tempdir().unwrap();
    let (with_pw, key_only) = (dir.path().join("pw"), dir.path().join("key"));
    std::fs::create_dir_all(&with_pw).unwrap();
    std::fs::create_dir_all(&key_only).unwrap();
    let started =
        start_sshd(&with_pw, "yes").and_then(|a| start_sshd(&key_only, "no").map(|b| (a, b)));
    let ((_pw_guard, pw_port), (_key_guard, key_port)) = match started {
        Ok(s) => s,
        Err(why) => {
            return skip(
                "net_sshd_with_password_auth_is_high_and_key_only_is_low",
                &why,
            );
        }
    };
    let (_, r) = scan_one(pw_port).await;
    let service = r.service.clone().unwrap();
    assert_eq!(
        (service.name.as_str(), service.product.as_deref()),
        ("ssh", Some("OpenSSH")),
        "{r:?}"
    );
    assert_eq!(r.severity, Severity::High, "{r:?}");
    let detail = service.detail.unwrap();
    assert!(
        detail.contains("password authentication allowed") && detail.contains("publickey"),
        "{detail}"
    );

    let (_, r) = scan_one(key_port).await;
    assert_eq!(r.severity, Severity::Low, "{r:?}");
    assert!(r.evidence.contains("auth methods: publickey"), "{r:?}");
}

#[tokio::test]
async fn net_router_login_page_over_http_is_high() {
    let (port, _) = serve(router_page).await;
    let (_, r) = scan_one(port).await;
    let service = r.service.clone().unwrap();
    assert_eq!(
        (service.name.as_str(), r.severity),
        ("http", Severity::High),
        "{r:?}"
    );
    let detail = service.detail.unwrap();
    assert!(
        detail.contains("router") && detail.contains("password form"),
        "{detail}"
    );
    assert!(
        r.evidence.contains("GET /login.htm") && r.evidence.contains("title: RT-AC68U"),
        "{r:?}"
    );
}

#[tokio::test]
async fn net_router_login_page_over_https_is_medium() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ])
        .args(["-days", "1", "-subj", "/CN=router.local", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status();
    if !made.is_ok_and(|s| s.success()) {
        return skip(
            "net_router_login_page_over_https_is_medium",
            "the openssl CLI could not make a certificate",
        );
    }
    let acceptor = tls_acceptor(
        &std::fs::read(&cert).unwrap(),
        &std::fs::read(&key).unwrap(),
    );
    let (port, _) = serve(move |tcp| {
        let acceptor = acceptor.clone();
        async move {
            if let Ok(tls) = acceptor.accept(tcp).await {
                router_page(tls).await;
            }
        }
    })
    .await;
    let mut cfg = test_config(&[port]);
    cfg.probe_timeout = Duration::from_millis(700);
    let report = scan(&loopback_scope(), &lo_target(), &cfg).await.unwrap();
    let r = report.find(LO, port, Proto::Tcp).unwrap();
    assert_eq!(
        (service_name(r), r.severity),
        ("https", Severity::Medium),
        "{r:?}"
    );
    assert!(r.evidence.contains("RT-AC68U"), "{r:?}");
}

fn tls_acceptor(cert: &[u8], key: &[u8]) -> tokio_rustls::TlsAcceptor {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = vec![CertificateDer::from_pem_slice(cert).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(key).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

#[tokio::test]
async fn net_telnet_negotiation_is_critical() {
    let (port, _) = serve(|mut s| async move {
        // IAC DO TERMINAL-TYPE, IAC WILL ECHO, IAC WILL SUPPRESS-GO-AHEAD
        let _ = s.write_all(&[255, 253, 24, 255, 251, 1, 255, 251, 3]).await;
        let _ = read_some_bytes(&mut s).await;
        let _ = s.write_all(b"\r\nOpenWrt login: ").await;
        tokio::time::sleep(Duration::from_secs(3)).await;
    })
    .await;
    let (_, r) = scan_one(port).await;
    assert_eq!(
        (service_name(&r), r.severity),
        ("telnet", Severity::Critical),
        "{r:?}"
    );
    assert!(r.evidence.contains("OpenWrt login:"), "{r:?}");
}

async fn read_some_bytes(s: &mut tokio::net::TcpStream) -> usize {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 256];
    tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf))
        .await
        .map_or(0, |r| r.unwrap_or(0))
}

#[tokio::test]
async fn net_anonymous_ftp_is_high() {
    let (port, _) = serve(|mut s| async move {
        let _ = s.write_all(b"220 (vsFTPd 3.0.3)\r\n").await;
        for reply in [
            &b"331 Please specify the password.\r\n"[..],
            b"230 Login successful.\r\n",
            b"221 Goodbye.\r\n",
        ] {
            if read_some_bytes(&mut s).await == 0 {
                return;
            }
            let _ = s.write_all(reply).await;
        }
    })
    .await;
    let (_, r) = scan_one(port).await;
    let service = r.service.clone().unwrap();
    assert_eq!(
        (service.name.as_str(), r.severity),
        ("ftp", Severity::High),
        "{r:?}"
    );
    assert_eq!(
        (service.product.as_deref(), service.version.as_deref()),
        (Some("vsFTPd"), Some("3.0.3"))
    );
}

#[tokio::test]
async fn net_open_elasticsearch_is_critical() {
    let (port, _) = serve(|mut s| async move {
        let _ = read_request(&mut s).await;
        let body = concat!(
            r#"{"name":"es01","cluster_name":"subscribers","#,
            r#""version":{"number":"7.17.9"},"tagline":"You Know, for Search"}"#
        );
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            body.len()
        );
        let _ = s.write_all(format!("{head}{body}").as_bytes()).await;
    })
    .await;
    let (_, r) = scan_one(port).await;
    let service = r.service.clone().unwrap();
    assert_eq!(
        (service.name.as_str(), r.severity),
        ("elasticsearch", Severity::Critical),
        "{r:?}"
    );
    assert_eq!(service.version.as_deref(), Some("7.17.9"));
}

#[tokio::test]
async fn net_closed_port_reports_closed() {
    let port = free_port();
    let (report, r) = scan_one(port).await;
    assert_eq!(
        (r.state, r.severity, r.service.is_none()),
        (PortState::Closed, Severity::Info, true),
        "{r:?}"
    );
    assert_eq!(report.hosts[0].closed, 1);
    assert_eq!(report.stats.probes_sent, 1);
}

#[tokio::test]
async fn net_silent_listener_is_open_and_probes_time_out() {
    let (port, accepted) = serve(|s| async move {
        tokio::time::sleep(Duration::from_secs(20)).await;
        drop(s);
    })
    .await;
    let mut cfg = test_config(&[port]);
    cfg.probe_timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let report = scan(&loopback_scope(), &lo_target(), &cfg).await.unwrap();
    let r = report.find(LO, port, Proto::Tcp).unwrap();
    assert_eq!(
        (r.state, r.service.is_none()),
        (PortState::Open, true),
        "{r:?}"
    );
    assert!(r.evidence.contains("silent"), "{r:?}");
    // Every probe gave up on its own timeout rather than waiting for the listener's 20 s.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert!(
        accepted.load(std::sync::atomic::Ordering::SeqCst) >= 2,
        "probes reconnected"
    );
}
