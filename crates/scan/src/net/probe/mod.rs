//! Service identification on open TCP ports: our own small probes, one module per protocol.
//!
//! The dispatcher first listens: protocols where the server speaks first (SSH, FTP, telnet,
//! MySQL/MariaDB, SMTP) are recognised by their greeting. A silent port then gets
//! client-first probes on fresh connections, the port's usual protocol first (5432 → PostgreSQL,
//! 6379 → Redis, 27017 → MongoDB, 443 → HTTPS, ...) and then the rest: HTTP (which also
//! recognises Elasticsearch), HTTPS, Redis, PostgreSQL, MongoDB. The first probe that
//! recognises its protocol decides. Every read and connect has a timeout, and every read is
//! capped in size, so a hostile or silent service can only cost the scan time, bounded.

mod db;
mod http;
mod mongo;
mod ssh;
mod text;
mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use super::config::CredentialChecks;
use super::report::{ServiceId, Severity};

/// The most bytes any probe reads from one service.
const READ_CAP: usize = 64 * 1024;

/// What the probes share for one scan.
#[derive(Clone)]
pub(crate) struct ProbeCtx {
    pub(crate) timeout: Duration,
    pub(crate) credential_checks: CredentialChecks,
    tls: Option<Arc<tokio_rustls::rustls::ClientConfig>>,
}

impl ProbeCtx {
    pub(crate) fn new(timeout: Duration, credential_checks: CredentialChecks) -> Self {
        Self {
            timeout,
            credential_checks,
            tls: tls::identification_only_config(),
        }
    }

    /// Whether a real login with a default credential may be tried against `addr`.
    fn may_try_credentials(&self, addr: SocketAddr) -> bool {
        match self.credential_checks {
            CredentialChecks::LoopbackOnly => addr.ip().is_loopback(),
            CredentialChecks::InScope => true,
        }
    }
}

/// What a probe concluded about a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub(crate) service: ServiceId,
    pub(crate) severity: Severity,
    pub(crate) evidence: String,
}

impl Finding {
    fn new(service: ServiceId, severity: Severity, evidence: impl Into<String>) -> Self {
        Self {
            service,
            severity,
            evidence: evidence.into(),
        }
    }
}

/// Identifies what answers on an open port; `Err` carries the evidence when nothing did.
pub(crate) async fn identify(addr: SocketAddr, ctx: &ProbeCtx) -> Result<Finding, String> {
    let banner_wait = ctx.timeout / 2;
    let mut stream = connect(addr, ctx.timeout)
        .await
        .map_err(|e| format!("reconnect failed: {e}"))?;
    let banner = read_some(&mut stream, banner_wait)
        .await
        .unwrap_or_default();
    if !banner.is_empty() {
        return Ok(classify_banner(addr, stream, banner, ctx).await);
    }
    drop(stream);
    for kind in client_first_order(addr.port()) {
        let found = match kind {
            ClientFirst::Http => http::probe_http(addr, ctx).await,
            ClientFirst::Https => http::probe_https(addr, ctx).await,
            ClientFirst::Redis => db::probe_redis(addr, ctx).await,
            ClientFirst::Postgres => db::probe_postgres(addr, ctx).await,
            ClientFirst::Mongo => mongo::probe(addr, ctx).await,
        };
        if let Some(f) = found {
            return Ok(f);
        }
    }
    Err("open; silent, and no answer to HTTP, TLS, Redis, PostgreSQL or MongoDB probes".into())
}

async fn classify_banner(
    addr: SocketAddr,
    stream: TcpStream,
    banner: Vec<u8>,
    ctx: &ProbeCtx,
) -> Finding {
    if banner.starts_with(b"SSH-") {
        return ssh::probe(stream, banner, ctx).await;
    }
    if banner.first() == Some(&text::IAC) {
        return text::telnet(stream, banner, ctx).await;
    }
    if db::looks_like_mysql(&banner) {
        return db::mysql(addr, stream, &banner, ctx).await;
    }
    if banner.starts_with(b"220") {
        let line = printable(&banner);
        if line.to_ascii_lowercase().contains("smtp") {
            return Finding::new(
                ServiceId::named("smtp"),
                Severity::Low,
                format!("banner: {line}"),
            );
        }
        return text::ftp(stream, &banner, ctx).await;
    }
    text::other_banner(stream, banner, ctx).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientFirst {
    Http,
    Https,
    Redis,
    Postgres,
    Mongo,
}

/// The client-first probes in the order worth trying on `port`.
fn client_first_order(port: u16) -> Vec<ClientFirst> {
    use ClientFirst::*;
    let hint = match port {
        443 | 4443 | 8443 | 9443 | 10443 => Some(Https),
        5432 | 5433 => Some(Postgres),
        6379 | 6380 => Some(Redis),
        27017..=27019 => Some(Mongo),
        _ => None,
    };
    let mut order: Vec<ClientFirst> = hint.into_iter().collect();
    for k in [Http, Https, Redis, Postgres, Mongo] {
        if !order.contains(&k) {
            order.push(k);
        }
    }
    order
}

/// Connects with a timeout; silence is an error here (the port was open a moment ago).
pub(crate) async fn connect(addr: SocketAddr, timeout: Duration) -> std::io::Result<TcpStream> {
    match super::tcp::connect(addr, timeout).await? {
        Some(s) => {
            let _ = s.set_nodelay(true);
            Ok(s)
        }
        None => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

/// Reads what is available within `wait` (one read); empty on silence or EOF.
pub(crate) async fn read_some<S: AsyncRead + Unpin>(
    s: &mut S,
    wait: Duration,
) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0u8; 8192];
    match tokio::time::timeout(wait, s.read(&mut buf)).await {
        Ok(Ok(n)) => {
            buf.truncate(n);
            Ok(buf)
        }
        Ok(Err(e)) => Err(e),
        Err(_) => Ok(Vec::new()),
    }
}

/// Reads until `done(&bytes)` says so, EOF, [`READ_CAP`], or `wait` of silence.
pub(crate) async fn read_until<S, F>(s: &mut S, wait: Duration, done: F) -> Vec<u8>
where
    S: AsyncRead + Unpin,
    F: Fn(&[u8]) -> bool,
{
    let mut out = Vec::new();
    let mut buf = vec![0u8; 8192];
    while out.len() < READ_CAP && !done(&out) {
        match tokio::time::timeout(wait, s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => out.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    out.truncate(READ_CAP);
    out
}

/// Writes all of `data` within `wait`.
pub(crate) async fn send<S: AsyncWrite + Unpin>(
    s: &mut S,
    data: &[u8],
    wait: Duration,
) -> std::io::Result<()> {
    match tokio::time::timeout(wait, s.write_all(data)).await {
        Ok(r) => r,
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

/// The bytes as one line of printable text, for evidence (control characters dropped).
pub(crate) fn printable(bytes: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| {
            if c == '\r' || c == '\n' || c == '\t' {
                ' '
            } else {
                c
            }
        })
        .filter(|c| !c.is_control())
        .collect();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    text.chars().take(200).collect()
}

/// Splits `Product/1.2.3 (extra)` or `Product_1.2` into product and version.
pub(crate) fn product_version(token: &str) -> (Option<String>, Option<String>) {
    let token = token.split_whitespace().next().unwrap_or("");
    if token.is_empty() {
        return (None, None);
    }
    // `/` separates in HTTP (`mini_httpd/1.30`); `_` before a digit in SSH (`OpenSSH_9.2p1`).
    let split = token.split_once('/').or_else(|| {
        let at = token
            .char_indices()
            .find(|(i, c)| *c == '_' && token[i + 1..].starts_with(|d: char| d.is_ascii_digit()));
        at.map(|(i, _)| (&token[..i], &token[i + 1..]))
    });
    match split {
        Some((p, v)) if !p.is_empty() && !v.is_empty() => (Some(p.to_owned()), Some(v.to_owned())),
        _ => (Some(token.to_owned()), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_hints_come_first_and_nothing_is_repeated() {
        assert_eq!(client_first_order(5432)[0], ClientFirst::Postgres);
        assert_eq!(client_first_order(443)[0], ClientFirst::Https);
        assert_eq!(client_first_order(12345)[0], ClientFirst::Http);
        assert_eq!(client_first_order(6379).len(), 5);
    }

    #[test]
    fn product_and_version_split() {
        assert_eq!(
            product_version("nginx/1.22.1"),
            (Some("nginx".into()), Some("1.22.1".into()))
        );
        assert_eq!(
            product_version("OpenSSH_9.2p1 Debian"),
            (Some("OpenSSH".into()), Some("9.2p1".into()))
        );
        assert_eq!(product_version("lighttpd"), (Some("lighttpd".into()), None));
        assert_eq!(product_version(""), (None, None));
        assert_eq!(
            printable(b"220 (vsFTPd 3.0.3)\r\n\x00"),
            "220 (vsFTPd 3.0.3)"
        );
    }
}
