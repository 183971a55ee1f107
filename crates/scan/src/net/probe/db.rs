//! Database and cache probes: PostgreSQL, MySQL/MariaDB and Redis.
//!
//! - PostgreSQL: a v3 `StartupMessage` as user `postgres`. `AuthenticationOk` means the server
//!   trusts anyone who can reach it (critical); an authentication request or an error still
//!   identifies it (medium: a database should not be reachable from where the scan ran).
//! - MySQL/MariaDB: the server speaks first with a v10 handshake carrying its version. Where
//!   [`super::ProbeCtx::credential_checks`] allows, a `root` login with an empty password is tried
//!   (critical when it works).
//! - Redis: inline `PING`; `+PONG` means commands run without a password (critical), then
//!   `INFO server` gives the version. `-NOAUTH` / `-DENIED` identify a protected Redis.

use std::net::SocketAddr;

use tokio::net::TcpStream;

use super::{Finding, ProbeCtx, connect, printable, read_until, send};
use crate::net::report::{ServiceId, Severity};

/// PostgreSQL: `None` if the answer is not PostgreSQL's.
pub(super) async fn probe_postgres(addr: SocketAddr, ctx: &ProbeCtx) -> Option<Finding> {
    let mut s = connect(addr, ctx.timeout).await.ok()?;
    send(
        &mut s,
        &startup_message("postgres", "postgres"),
        ctx.timeout,
    )
    .await
    .ok()?;
    let raw = read_until(&mut s, ctx.timeout, pg_startup_done).await;
    let finding = classify_postgres(&raw);
    if finding
        .as_ref()
        .is_some_and(|f| f.severity == Severity::Critical)
    {
        // Terminate ('X'), so the server logs a clean disconnection.
        drop(send(&mut s, &[b'X', 0, 0, 0, 4], ctx.timeout).await);
    }
    finding
}

fn startup_message(user: &str, database: &str) -> Vec<u8> {
    let mut body = 196_608u32.to_be_bytes().to_vec(); // protocol 3.0
    for (k, v) in [
        ("user", user),
        ("database", database),
        ("application_name", "custodian-scan"),
    ] {
        for part in [k, v] {
            body.extend_from_slice(part.as_bytes());
            body.push(0);
        }
    }
    body.push(0);
    let len = u32::try_from(body.len() + 4).unwrap_or(u32::MAX);
    [len.to_be_bytes().to_vec(), body].concat()
}

/// Splits backend messages: (type, body) pairs, stopping at the first incomplete one.
fn pg_messages(raw: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    let mut rest = raw;
    while rest.len() >= 5 {
        let len = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        if len < 4 || rest.len() < 1 + len {
            break;
        }
        out.push((rest[0], &rest[5..1 + len]));
        rest = &rest[1 + len..];
    }
    out
}

fn pg_startup_done(raw: &[u8]) -> bool {
    pg_messages(raw).iter().any(|(t, body)| match t {
        b'Z' | b'E' => true,
        b'R' => body.get(..4).is_some_and(|c| c != [0, 0, 0, 0]),
        _ => false,
    })
}

fn classify_postgres(raw: &[u8]) -> Option<Finding> {
    let msgs = pg_messages(raw);
    let (first, body) = *msgs.first()?;
    let mut service = ServiceId::named("postgresql");
    service.product = Some("PostgreSQL".into());
    service.version = msgs.iter().find_map(|(t, b)| {
        let mut parts = b.split(|c| *c == 0);
        (*t == b'S' && parts.next() == Some(b"server_version"))
            .then(|| printable(parts.next().unwrap_or_default()))
    });
    match first {
        b'R' if body.len() >= 4 => {
            let code = u32::from_be_bytes([body[0], body[1], body[2], body[3]]);
            let (severity, detail) = match code {
                0 => (
                    Severity::Critical,
                    "no authentication: user `postgres` logged in without a password".to_owned(),
                ),
                3 => (Severity::Medium, "asks for a cleartext password".to_owned()),
                5 => (Severity::Medium, "asks for an MD5 password".to_owned()),
                10 => (
                    Severity::Medium,
                    format!("asks for SASL ({})", printable(&body[4..])),
                ),
                other => (
                    Severity::Medium,
                    format!("asks for authentication (method {other})"),
                ),
            };
            service.detail = Some(detail.clone());
            Some(Finding::new(
                service,
                severity,
                format!("StartupMessage user=postgres -> {detail}"),
            ))
        }
        b'E' => {
            let fields = pg_error_fields(body);
            let message = fields
                .iter()
                .find(|(k, _)| *k == b'M')
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            // An error with SQLSTATE and severity fields is PostgreSQL's own.
            if !fields.iter().any(|(k, _)| *k == b'C') {
                return None;
            }
            service.detail = Some(format!("refused: {message}"));
            Some(Finding::new(
                service,
                Severity::Medium,
                format!("StartupMessage -> error: {message}"),
            ))
        }
        _ => None,
    }
}

fn pg_error_fields(body: &[u8]) -> Vec<(u8, String)> {
    body.split(|c| *c == 0)
        .filter(|f| !f.is_empty())
        .map(|f| (f[0], printable(&f[1..])))
        .collect()
}

/// Redis: `None` if the answer is not Redis's.
pub(super) async fn probe_redis(addr: SocketAddr, ctx: &ProbeCtx) -> Option<Finding> {
    let mut s = connect(addr, ctx.timeout).await.ok()?;
    send(&mut s, b"PING\r\n", ctx.timeout).await.ok()?;
    let reply = read_until(&mut s, ctx.timeout, |b| b.ends_with(b"\r\n")).await;
    let line = printable(&reply);
    let mut service = ServiceId::named("redis");
    service.product = Some("Redis".into());
    if reply.starts_with(b"+PONG") {
        send(&mut s, b"INFO server\r\n", ctx.timeout).await.ok()?;
        let info = read_until(&mut s, ctx.timeout, redis_bulk_done).await;
        let info = String::from_utf8_lossy(&info);
        service.version = info
            .lines()
            .find_map(|l| l.strip_prefix("redis_version:"))
            .map(|v| v.trim().to_owned());
        service.detail = Some("commands run without authentication".into());
        drop(send(&mut s, b"QUIT\r\n", ctx.timeout).await);
        return Some(Finding::new(
            service,
            Severity::Critical,
            "PING -> +PONG without AUTH",
        ));
    }
    let lower = line.to_ascii_lowercase();
    if reply.starts_with(b"-NOAUTH")
        || reply.starts_with(b"-DENIED")
        || lower.starts_with("-err") && lower.contains("auth")
    {
        service.detail = Some("requires authentication or is in protected mode".into());
        return Some(Finding::new(
            service,
            Severity::Medium,
            format!("PING -> {line}"),
        ));
    }
    None
}

fn redis_bulk_done(b: &[u8]) -> bool {
    let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&b[..eol]);
    match head.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
        Some(n) => b.len() >= eol + 2 + n + 2,
        None => true,
    }
}

/// Whether a greeting is a MySQL protocol v10 handshake (or a MySQL error packet).
pub(super) fn looks_like_mysql(banner: &[u8]) -> bool {
    if banner.len() < 5 {
        return false;
    }
    let len = usize::from(banner[0]) | usize::from(banner[1]) << 8 | usize::from(banner[2]) << 16;
    // A greeting is one small packet with sequence number 0.
    let sane = (2..=1024).contains(&len) && banner[3] == 0;
    sane && (banner[4] == 10 || banner[4] == 0xff)
}

/// The handshake fields the probe uses.
#[derive(Debug, PartialEq, Eq)]
struct Handshake {
    version: String,
    capabilities: u32,
    plugin: String,
}

fn parse_handshake(banner: &[u8]) -> Option<Handshake> {
    let payload = banner.get(4..)?;
    let (&proto, rest) = payload.split_first()?;
    if proto != 10 {
        return None;
    }
    let nul = rest.iter().position(|b| *b == 0)?;
    let version = printable(&rest[..nul]);
    let rest = rest.get(nul + 1..)?;
    // connection id (4), auth data part 1 (8), filler (1), capabilities low (2)
    let cap_low = u16::from_le_bytes([*rest.get(13)?, *rest.get(14)?]);
    // charset (1), status (2), capabilities high (2), auth data length (1), reserved (10)
    let cap_high = u16::from_le_bytes([*rest.get(18)?, *rest.get(19)?]);
    let auth_len = usize::from(*rest.get(20)?);
    let part2 = auth_len.saturating_sub(8).max(13);
    let plugin_start = 31 + part2;
    let plugin = rest.get(plugin_start..).map_or(String::new(), |p| {
        printable(&p[..p.iter().position(|b| *b == 0).unwrap_or(p.len())])
    });
    Some(Handshake {
        version,
        capabilities: u32::from(cap_low) | u32::from(cap_high) << 16,
        plugin,
    })
}

/// MySQL/MariaDB, on the connection whose greeting was `banner`.
pub(super) async fn mysql(
    addr: SocketAddr,
    mut s: TcpStream,
    banner: &[u8],
    ctx: &ProbeCtx,
) -> Finding {
    let mut service = ServiceId::named("mysql");
    if banner.get(4) == Some(&0xff) {
        let msg = printable(banner.get(7..).unwrap_or_default());
        service.detail = Some(format!("refuses this client: {msg}"));
        return Finding::new(service, Severity::Medium, format!("greeting error: {msg}"));
    }
    let Some(hs) = parse_handshake(banner) else {
        return Finding::new(service, Severity::Medium, "unparsable MySQL handshake");
    };
    let is_mariadb = hs.version.to_ascii_lowercase().contains("mariadb");
    service.product = Some(if is_mariadb { "MariaDB" } else { "MySQL" }.into());
    service.version = Some(hs.version.trim_start_matches("5.5.5-").to_owned());
    let evidence = format!("handshake v10: {} (auth plugin {})", hs.version, hs.plugin);
    if !ctx.may_try_credentials(addr) {
        service.detail = Some("reachable; default credentials not tried (not loopback)".into());
        return Finding::new(service, Severity::Medium, evidence);
    }
    match root_login(&mut s, &hs, ctx).await {
        Some(true) => {
            service.detail = Some("root logs in with an empty password".into());
            Finding::new(
                service,
                Severity::Critical,
                format!("{evidence}; root with empty password -> OK"),
            )
        }
        Some(false) => {
            service.detail = Some("reachable; root with an empty password refused".into());
            Finding::new(
                service,
                Severity::Medium,
                format!("{evidence}; root with empty password -> denied"),
            )
        }
        None => {
            service.detail = Some("reachable; login attempt inconclusive".into());
            Finding::new(service, Severity::Medium, evidence)
        }
    }
}

/// Tries `root` with an empty password; `Some(true)` on OK, `Some(false)` on ERR.
async fn root_login(s: &mut TcpStream, hs: &Handshake, ctx: &ProbeCtx) -> Option<bool> {
    const CLIENT_LONG_PASSWORD: u32 = 0x1;
    const CLIENT_LONG_FLAG: u32 = 0x4;
    const CLIENT_PROTOCOL_41: u32 = 0x200;
    const CLIENT_SECURE_CONNECTION: u32 = 0x8000;
    const CLIENT_PLUGIN_AUTH: u32 = 0x8_0000;
    let wanted = CLIENT_LONG_PASSWORD
        | CLIENT_LONG_FLAG
        | CLIENT_PROTOCOL_41
        | CLIENT_SECURE_CONNECTION
        | CLIENT_PLUGIN_AUTH;
    let caps = wanted & (hs.capabilities | CLIENT_LONG_PASSWORD);
    let mut payload = caps.to_le_bytes().to_vec();
    payload.extend_from_slice(&(1u32 << 24).to_le_bytes());
    payload.push(33); // utf8_general_ci
    payload.extend_from_slice(&[0u8; 23]);
    payload.extend_from_slice(b"root\0");
    payload.push(0); // empty auth response: the empty password's scramble is empty
    if caps & CLIENT_PLUGIN_AUTH != 0 {
        let plugin = if hs.plugin.is_empty() {
            "mysql_native_password"
        } else {
            hs.plugin.as_str()
        };
        payload.extend_from_slice(plugin.as_bytes());
        payload.push(0);
    }
    send(s, &mysql_packet(1, &payload), ctx.timeout)
        .await
        .ok()?;
    let reply = read_until(s, ctx.timeout, mysql_packet_done).await;
    let verdict = match reply.get(4)? {
        0x00 => Some(true),
        0xff => Some(false),
        // Auth switch: answer the new plugin with the empty password's empty response.
        0xfe => {
            let seq = reply.get(3)?.wrapping_add(1);
            send(s, &mysql_packet(seq, &[]), ctx.timeout).await.ok()?;
            let reply = read_until(s, ctx.timeout, mysql_packet_done).await;
            match reply.get(4)? {
                0x00 => Some(true),
                0xff => Some(false),
                _ => None,
            }
        }
        _ => None,
    };
    if verdict == Some(true) {
        drop(send(s, &mysql_packet(0, &[0x01]), ctx.timeout).await); // COM_QUIT
    }
    verdict
}

fn mysql_packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len().to_le_bytes();
    let mut p = vec![len[0], len[1], len[2], seq];
    p.extend_from_slice(payload);
    p
}

fn mysql_packet_done(b: &[u8]) -> bool {
    b.len() >= 4
        && b.len() >= 4 + (usize::from(b[0]) | usize::from(b[1]) << 8 | usize::from(b[2]) << 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(t: u8, body: &[u8]) -> Vec<u8> {
        let len = u32::try_from(body.len() + 4).unwrap().to_be_bytes();
        [vec![t], len.to_vec(), body.to_vec()].concat()
    }

    #[test]
    fn postgres_trust_is_critical_and_sasl_is_medium() {
        let raw = [
            pg(b'R', &[0, 0, 0, 0]),
            pg(b'S', b"server_version\x0015.19\x00"),
            pg(b'Z', b"I"),
        ]
        .concat();
        assert!(pg_startup_done(&raw));
        let f = classify_postgres(&raw).unwrap();
        assert_eq!(
            (f.severity, f.service.version.as_deref()),
            (Severity::Critical, Some("15.19"))
        );
        let raw = pg(b'R', b"\x00\x00\x00\x0aSCRAM-SHA-256\x00\x00");
        assert!(pg_startup_done(&raw));
        assert_eq!(classify_postgres(&raw).unwrap().severity, Severity::Medium);
        let err = pg(b'E', b"SFATAL\x00C28000\x00Mno pg_hba.conf entry\x00\x00");
        assert!(
            classify_postgres(&err)
                .unwrap()
                .evidence
                .contains("no pg_hba.conf entry")
        );
        assert!(classify_postgres(b"HTTP/1.1 400 Bad Request\r\n\r\n").is_none());
        assert_eq!(startup_message("postgres", "postgres").len(), 73);
    }

    #[test]
    fn mysql_handshake_parses() {
        let mut payload = vec![10u8];
        payload.extend_from_slice(b"5.5.5-10.11.19-MariaDB-0+deb12u1\0");
        payload.extend_from_slice(&[1, 0, 0, 0]); // connection id
        payload.extend_from_slice(b"abcdefgh\0"); // auth data 1 + filler
        payload.extend_from_slice(&0xf7feu16.to_le_bytes());
        payload.push(45);
        payload.extend_from_slice(&[2, 0]);
        payload.extend_from_slice(&0x81ffu16.to_le_bytes());
        payload.push(21);
        payload.extend_from_slice(&[0u8; 10]);
        payload.extend_from_slice(b"ijklmnopqrst\0");
        payload.extend_from_slice(b"mysql_native_password\0");
        let packet = mysql_packet(0, &payload);
        assert!(looks_like_mysql(&packet) && mysql_packet_done(&packet));
        let hs = parse_handshake(&packet).unwrap();
        assert_eq!(hs.version, "5.5.5-10.11.19-MariaDB-0+deb12u1");
        assert_eq!(hs.plugin, "mysql_native_password");
        assert_eq!(hs.capabilities, 0x81ff_f7fe);
        assert!(!looks_like_mysql(b"SSH-2.0-OpenSSH_9.2\r\n"));
    }

    #[test]
    fn redis_bulk_reply_completion() {
        assert!(!redis_bulk_done(b"$10\r\n# Server"));
        assert!(redis_bulk_done(b"$10\r\n# Server\r\n\r\n"));
        assert!(redis_bulk_done(b"-NOAUTH Authentication required.\r\n"));
    }
}
