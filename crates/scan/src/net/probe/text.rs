//! Server-first text protocols: telnet (IAC option negotiation, then the login prompt), FTP
//! (the 220 greeting, then whether `anonymous` may log in) and any other banner.
//!
//! Telnet is always critical: everything, the password included, crosses the network in clear,
//! and a telnet prompt on a router is how such devices are taken over. Anonymous FTP is high;
//! FTP that asks for a real password is medium (cleartext credentials).

use tokio::net::TcpStream;

use super::{Finding, ProbeCtx, printable, product_version, read_some, read_until, send};
use crate::net::report::{ServiceId, Severity};

/// Telnet's "interpret as command" byte.
pub(super) const IAC: u8 = 255;
const WILL: u8 = 251;
const WONT: u8 = 252;
const DO: u8 = 253;
const DONT: u8 = 254;
const SB: u8 = 250;
const SE: u8 = 240;

/// Splits telnet input into (option negotiations, plain text).
pub(super) fn split_iac(input: &[u8]) -> (Vec<(u8, u8)>, Vec<u8>) {
    let mut options = Vec::new();
    let mut text = Vec::new();
    let mut i = 0;
    while i < input.len() {
        match (input[i], input.get(i + 1), input.get(i + 2)) {
            (IAC, Some(&IAC), _) => {
                text.push(IAC);
                i += 2;
            }
            (IAC, Some(&cmd @ (WILL | WONT | DO | DONT)), Some(&opt)) => {
                options.push((cmd, opt));
                i += 3;
            }
            (IAC, Some(&SB), _) => {
                let end = input[i..]
                    .windows(2)
                    .position(|w| w == [IAC, SE])
                    .map_or(input.len(), |p| i + p + 2);
                i = end;
            }
            (IAC, Some(_), _) => i += 2,
            (IAC, None, _) => i += 1,
            (b, _, _) => {
                text.push(b);
                i += 1;
            }
        }
    }
    (options, text)
}

/// Refuses every option the server proposes, so the session falls back to plain text.
fn refusals(options: &[(u8, u8)]) -> Vec<u8> {
    options
        .iter()
        .filter_map(|&(cmd, opt)| match cmd {
            DO => Some([IAC, WONT, opt]),
            WILL => Some([IAC, DONT, opt]),
            _ => None,
        })
        .flatten()
        .collect()
}

/// Telnet on the connection whose first bytes were `banner`.
pub(super) async fn telnet(mut s: TcpStream, banner: Vec<u8>, ctx: &ProbeCtx) -> Finding {
    let mut seen = banner;
    let mut text = Vec::new();
    // A few rounds of negotiation at most; each round answers what arrived and reads again.
    for _ in 0..4 {
        let (options, plain) = split_iac(&seen);
        text.extend_from_slice(&plain);
        if !printable(&text).is_empty() && options.is_empty() {
            break;
        }
        let answer = refusals(&options);
        if !answer.is_empty() && send(&mut s, &answer, ctx.timeout).await.is_err() {
            break;
        }
        seen = read_some(&mut s, ctx.timeout / 2).await.unwrap_or_default();
        if seen.is_empty() {
            break;
        }
    }
    let prompt = printable(&text);
    let mut service = ServiceId::named("telnet");
    service.detail = Some("cleartext remote login".into());
    if !prompt.is_empty() {
        service.product = Some(prompt.chars().take(60).collect());
    }
    let evidence = if prompt.is_empty() {
        "IAC option negotiation; no prompt text".to_owned()
    } else {
        format!("IAC option negotiation; prompt: {prompt}")
    };
    Finding::new(service, Severity::Critical, evidence)
}

/// FTP on the connection whose greeting was `banner` (a 220 line).
pub(super) async fn ftp(mut s: TcpStream, banner: &[u8], ctx: &ProbeCtx) -> Finding {
    let greeting = printable(banner);
    let mut service = ServiceId::named("ftp");
    let product = greeting
        .split(['(', ')'])
        .nth(1)
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let (product, version) = product.map_or((None, None), split_space_or_slash);
    service.product = product;
    service.version = version;
    let anonymous = anonymous_login(&mut s, ctx).await;
    drop(send(&mut s, b"QUIT\r\n", ctx.timeout).await);
    let (severity, detail, outcome) = match anonymous {
        Some((true, reply)) => (Severity::High, "anonymous login allowed", reply),
        Some((false, reply)) => (
            Severity::Medium,
            "cleartext logins; anonymous refused",
            reply,
        ),
        None => (Severity::Medium, "cleartext logins", "no answer".to_owned()),
    };
    service.detail = Some(detail.into());
    Finding::new(
        service,
        severity,
        format!("banner: {greeting}; USER anonymous -> {outcome}"),
    )
}

/// `USER anonymous` / `PASS`: `Some((true, reply))` when the server answers 230.
async fn anonymous_login(s: &mut TcpStream, ctx: &ProbeCtx) -> Option<(bool, String)> {
    let line_done = |b: &[u8]| ftp_reply_done(b);
    send(s, b"USER anonymous\r\n", ctx.timeout).await.ok()?;
    let reply = read_until(s, ctx.timeout, line_done).await;
    if reply.starts_with(b"230") {
        return Some((true, printable(&reply)));
    }
    if !reply.starts_with(b"331") {
        return Some((false, printable(&reply)));
    }
    send(s, b"PASS custodian-scan@\r\n", ctx.timeout)
        .await
        .ok()?;
    let reply = read_until(s, ctx.timeout, line_done).await;
    if reply.is_empty() {
        return None;
    }
    Some((reply.starts_with(b"230"), printable(&reply)))
}

/// Whether an FTP reply is complete: a final line `NNN text` (multi-line replies use `NNN-`).
fn ftp_reply_done(b: &[u8]) -> bool {
    let text = String::from_utf8_lossy(b);
    text.ends_with('\n')
        && text.lines().last().is_some_and(|l| {
            l.len() >= 4
                && l.as_bytes()[..3].iter().all(u8::is_ascii_digit)
                && l.as_bytes()[3] == b' '
        })
}

fn split_space_or_slash(p: &str) -> (Option<String>, Option<String>) {
    match p.split_once(' ') {
        Some((a, b)) => (Some(a.to_owned()), Some(b.trim().to_owned())),
        None => product_version(p),
    }
}

/// Any other greeting: a login prompt is treated as telnet-like; the rest is reported as seen.
pub(super) async fn other_banner(s: TcpStream, banner: Vec<u8>, ctx: &ProbeCtx) -> Finding {
    let line = printable(&banner);
    let lower = line.to_ascii_lowercase();
    if ["login:", "username:", "password:", "user name:"]
        .iter()
        .any(|p| lower.contains(p))
    {
        return telnet(s, banner, ctx).await;
    }
    let (name, severity) = if line.starts_with("+OK") {
        ("pop3", Severity::Low)
    } else if line.starts_with("* OK") {
        ("imap", Severity::Low)
    } else {
        ("unknown", Severity::Info)
    };
    Finding::new(ServiceId::named(name), severity, format!("banner: {line}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iac_negotiation_is_split_from_text_and_refused() {
        let input = [
            IAC, DO, 24, IAC, WILL, 1, IAC, SB, 24, 1, IAC, SE, b'l', b'o', b'g', b'i', b'n', b':',
            IAC, IAC,
        ];
        let (options, text) = split_iac(&input);
        assert_eq!(options, [(DO, 24), (WILL, 1)]);
        assert_eq!(text, b"login:\xff");
        assert_eq!(refusals(&options), [IAC, WONT, 24, IAC, DONT, 1]);
    }

    #[test]
    fn ftp_replies_and_products() {
        assert!(ftp_reply_done(b"331 Please specify the password.\r\n"));
        assert!(!ftp_reply_done(b"230-Welcome\r\n"));
        assert!(ftp_reply_done(b"230-Welcome\r\n230 Login successful.\r\n"));
        assert_eq!(
            split_space_or_slash("vsFTPd 3.0.3"),
            (Some("vsFTPd".into()), Some("3.0.3".into()))
        );
    }
}
