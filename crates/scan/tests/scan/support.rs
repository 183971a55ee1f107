//! Shared helpers for the network scanner's integration tests (the `net_*` modules): a
//! loopback scope, a test configuration, free ports, loud skips, child processes that die with
//! the test, and tiny in-test servers. Every address used is loopback.
#![allow(dead_code)] // each test module uses a subset of these helpers

use std::net::{IpAddr, SocketAddr};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use custodian_scan::net::{NetScanConfig, PortList, PortListing, Scope, Target};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// IPv4 loopback, the only place these tests send packets.
pub(crate) const LO: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

/// The loopback scope every test scans within.
pub(crate) fn loopback_scope() -> Scope {
    Scope::parse(&["127.0.0.0/8", "::1"]).unwrap()
}

/// The one target 127.0.0.1.
pub(crate) fn lo_target() -> Vec<Target> {
    vec![Target::parse("127.0.0.1").unwrap()]
}

/// A quick, complete configuration for `ports`: every port listed, no SNMP, no rate limit.
pub(crate) fn test_config(ports: &[u16]) -> NetScanConfig {
    NetScanConfig {
        ports: PortList::from_ports(ports.iter().copied()).unwrap(),
        concurrency: 64,
        rate: None,
        timeout: Duration::from_millis(800),
        retries: 0,
        udp_snmp: false,
        probe_timeout: Duration::from_millis(1500),
        listing: PortListing::All,
        ..NetScanConfig::default()
    }
}

/// A port nobody listens on right now (bound, then released).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind((LO, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A UDP port nobody listens on right now.
pub(crate) fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind((LO, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Says loudly that a test did not run its checks, and why. Never a silent pass.
pub(crate) fn skip(test: &str, why: &str) {
    use std::io::Write;
    // Straight to the process's stderr: libtest captures `eprintln!` of passing tests.
    let bang = "!".repeat(72);
    let _ = writeln!(
        std::io::stderr(),
        "\n{bang}\n!!! SKIPPED {test}: {why}\n\
         !!! run scripts/test-services/install.sh to install the test services\n{bang}\n"
    );
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub(crate) fn is_listening(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(&SocketAddr::new(LO, port), Duration::from_millis(500))
        .is_ok()
}

/// Waits (at most `limit`) for a TCP listener on 127.0.0.1:`port`.
pub(crate) fn wait_listening(port: u16, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if is_listening(port) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A child process killed (by its own handle) when the test ends, however it ends.
pub(crate) struct ChildGuard(pub(crate) Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns `cmd` with its output discarded, or says why it could not.
pub(crate) fn spawn(cmd: &mut Command) -> Result<ChildGuard, String> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.spawn()
        .map(ChildGuard)
        .map_err(|e| format!("{cmd:?}: {e}"))
}

/// A TCP server on 127.0.0.1 that answers each connection with `handler`; counts accepts.
pub(crate) async fn serve<F, Fut>(handler: F) -> (u16, Arc<AtomicUsize>)
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind((LO, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&accepted);
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(handler(stream));
        }
    });
    (port, accepted)
}

/// Reads an HTTP request head (bounded) and returns its request line.
pub(crate) async fn read_request<S: tokio::io::AsyncRead + Unpin>(s: &mut S) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
        match tokio::time::timeout(Duration::from_secs(2), s.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&buf)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

/// The router-style login page the HTTP tests serve: `/` redirects to `/login.htm`.
pub(crate) async fn router_page<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(mut s: S) {
    let line = read_request(&mut s).await;
    let response = if line.starts_with("GET / ") {
        let head = "HTTP/1.1 302 Found\r\nLocation: /login.htm\r\nContent-Length: 0\r\n";
        format!("{head}Connection: close\r\n\r\n")
    } else {
        let body = "<html><head><title>RT-AC68U Wireless Router - Login</title></head><body>\
                    <form action=\"/login.cgi\" method=\"post\"><input name=\"login_username\">\
                    <input type=\"password\" name=\"login_passwd\"></form></body></html>";
        format!(
            "HTTP/1.1 200 OK\r\nServer: httpd/2.0\r\nContent-Type: text/html\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    let _ = s.write_all(response.as_bytes()).await;
    let _ = s.shutdown().await;
}
