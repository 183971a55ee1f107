//! The HTTP and HTTPS probes: `GET /` (following at most two redirects on the same port), then
//! the status, `Server`, `WWW-Authenticate` and `<title>` decide what the page is.
//!
//! A router or device admin page is recognised by vendor and device words (router, RouterOS,
//! OpenWrt, Cisco, Netgear, ...) in the title, `Server` header or auth realm, or by login words
//! (login, admin, management, ...) there, a password form, or a 401. Over plain HTTP such a page
//! is high severity (the credentials cross the network in clear); over HTTPS it is medium.
//! Elasticsearch is recognised by its JSON banner (`cluster_name`) and is critical when that
//! banner comes back without authentication.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;

use super::{Finding, ProbeCtx, connect, printable, product_version, read_until, send};
use crate::net::report::{ServiceId, Severity};

const DEVICE_WORDS: &[&str] = &[
    "router",
    "routeros",
    "mikrotik",
    "openwrt",
    "luci",
    "dd-wrt",
    "cisco",
    "netgear",
    "tp-link",
    "tplink",
    "d-link",
    "linksys",
    "ubiquiti",
    "unifi",
    "edgeos",
    "fortinet",
    "fortigate",
    "juniper",
    "huawei",
    "zyxel",
    "asus",
    "draytek",
    "sonicwall",
    "pfsense",
    "opnsense",
    "mikrotik",
    "modem",
    "gateway",
    "firewall",
    "access point",
];
const LOGIN_WORDS: &[&str] = &[
    "login",
    "log in",
    "sign in",
    "admin",
    "management",
    "configuration",
    "control panel",
    "password",
];

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
}

/// A parsed response: status line, headers (names lower-cased), body (de-chunked).
#[derive(Debug, Default)]
struct Response {
    status_line: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Plain HTTP on `addr`; `None` if the answer is not HTTP.
pub(super) async fn probe_http(addr: SocketAddr, ctx: &ProbeCtx) -> Option<Finding> {
    fetch_following(addr, Scheme::Http, ctx)
        .await
        .map(|(r, path)| classify(&r, Scheme::Http, &path))
}

/// HTTPS on `addr` (any certificate accepted); a TLS service that does not speak HTTP is
/// still reported as `tls`.
pub(super) async fn probe_https(addr: SocketAddr, ctx: &ProbeCtx) -> Option<Finding> {
    let tls_only = || {
        let ev = "TLS handshake completed; no HTTP answer";
        Finding::new(ServiceId::named("tls"), Severity::Info, ev)
    };
    // A first handshake alone tells TLS from not-TLS; the fetch below opens its own.
    drop(open(addr, Scheme::Https, ctx).await?);
    match fetch_following(addr, Scheme::Https, ctx).await {
        Some((r, path)) => Some(classify(&r, Scheme::Https, &path)),
        None => Some(tls_only()),
    }
}

async fn open(addr: SocketAddr, scheme: Scheme, ctx: &ProbeCtx) -> Option<Box<dyn Io>> {
    let tcp = connect(addr, ctx.timeout).await.ok()?;
    match scheme {
        Scheme::Http => Some(Box::new(tcp)),
        Scheme::Https => {
            let config = Arc::clone(ctx.tls.as_ref()?);
            let name = ServerName::IpAddress(addr.ip().into());
            let handshake = TlsConnector::from(config).connect(name, tcp);
            let tls = tokio::time::timeout(ctx.timeout, handshake)
                .await
                .ok()?
                .ok()?;
            Some(Box::new(tls))
        }
    }
}

/// `GET /`, then up to two same-port redirects; the last response and its path.
async fn fetch_following(
    addr: SocketAddr,
    scheme: Scheme,
    ctx: &ProbeCtx,
) -> Option<(Response, String)> {
    let mut path = "/".to_owned();
    let mut response = fetch(addr, scheme, &path, ctx).await?;
    for _ in 0..2 {
        if !(300..400).contains(&response.status) {
            break;
        }
        let Some(next) = response
            .header("location")
            .and_then(|l| same_origin_path(l, addr))
        else {
            break;
        };
        match fetch(addr, scheme, &next, ctx).await {
            Some(r) => {
                response = r;
                path = next;
            }
            None => break,
        }
    }
    Some((response, path))
}

async fn fetch(addr: SocketAddr, scheme: Scheme, path: &str, ctx: &ProbeCtx) -> Option<Response> {
    let mut stream = open(addr, scheme, ctx).await?;
    let host = authority(addr);
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: custodian-scan/1 (exposure check)\r\n\
         Accept: */*\r\nConnection: close\r\n\r\n"
    );
    send(&mut stream, request.as_bytes(), ctx.timeout)
        .await
        .ok()?;
    let raw = read_until(&mut stream, ctx.timeout, complete).await;
    parse(&raw)
}

fn authority(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!("{}:{}", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
    }
}

/// The path of a redirect target on the same host and port; `None` for any other origin.
fn same_origin_path(location: &str, addr: SocketAddr) -> Option<String> {
    let location = location.trim();
    if location.starts_with('/') && !location.starts_with("//") {
        return Some(location.to_owned());
    }
    let rest = location
        .strip_prefix("http://")
        .or_else(|| location.strip_prefix("https://"))?;
    let (auth, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    (auth == authority(addr)).then(|| path.to_owned())
}

/// Whether a whole response is in: headers done and `Content-Length` bytes of body read.
fn complete(raw: &[u8]) -> bool {
    let Some(end) = find(raw, b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok());
    length.is_some_and(|n| raw.len() >= end + 4 + n)
}

fn parse(raw: &[u8]) -> Option<Response> {
    if !raw.starts_with(b"HTTP/") {
        return None;
    }
    let end = find(raw, b"\r\n\r\n").unwrap_or(raw.len());
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?.trim().to_owned();
    let status = status_line.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = raw.get(end + 4..).unwrap_or_default();
    let mut r = Response {
        status_line,
        status,
        headers,
        body: body.to_vec(),
    };
    if r.header("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        r.body = dechunk(body);
    }
    Some(r)
}

/// Best-effort chunked decoding; stops at the first malformed chunk.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = find(body, b"\r\n") {
        let size_text = String::from_utf8_lossy(&body[..eol]);
        let Ok(size) = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
        else {
            break;
        };
        let start = eol + 2;
        if size == 0 || body.len() < start + size {
            out.extend_from_slice(body.get(start..).unwrap_or_default());
            break;
        }
        out.extend_from_slice(&body[start..start + size]);
        body = body.get(start + size + 2..).unwrap_or_default();
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let t = printable(text[start..end].as_bytes());
    (!t.is_empty()).then_some(t)
}

fn classify(r: &Response, scheme: Scheme, path: &str) -> Finding {
    if let Some(es) = elasticsearch(r) {
        return es;
    }
    let name = if scheme == Scheme::Https {
        "https"
    } else {
        "http"
    };
    let server = r.header("server").unwrap_or("");
    let realm = r.header("www-authenticate").unwrap_or("");
    let title = title(&r.body);
    let labels =
        format!("{} {server} {realm}", title.as_deref().unwrap_or("")).to_ascii_lowercase();
    let body = String::from_utf8_lossy(&r.body).to_ascii_lowercase();
    let mut matched: Vec<&str> = DEVICE_WORDS
        .iter()
        .chain(LOGIN_WORDS)
        .copied()
        .filter(|w| labels.contains(w))
        .collect();
    matched.dedup();
    if body.contains("type=\"password\"")
        || body.contains("type='password'")
        || body.contains("type=password")
    {
        matched.push("password form");
    }
    if r.status == 401 {
        matched.push("HTTP 401");
    }
    let (product, version) = product_version(server);
    let mut evidence = format!("GET {path} -> {}", r.status_line);
    for (label, value) in [("Server", server), ("WWW-Authenticate", realm)] {
        if !value.is_empty() {
            evidence.push_str(&format!("; {label}: {value}"));
        }
    }
    if let Some(t) = &title {
        evidence.push_str(&format!("; title: {t}"));
    }
    let (severity, detail) = if matched.is_empty() {
        (Severity::Info, title.map(|t| format!("title: {t}")))
    } else {
        let place = if scheme == Scheme::Http {
            "over plain HTTP"
        } else {
            "over HTTPS"
        };
        let sev = if scheme == Scheme::Http {
            Severity::High
        } else {
            Severity::Medium
        };
        (
            sev,
            Some(format!(
                "router/device admin or login page {place} (matched: {})",
                matched.join(", ")
            )),
        )
    };
    let service = ServiceId {
        name: name.into(),
        product,
        version,
        detail,
    };
    Finding::new(service, severity, evidence)
}

fn elasticsearch(r: &Response) -> Option<Finding> {
    let body = String::from_utf8_lossy(&r.body);
    let is_banner = body.contains("\"cluster_name\"") && body.contains("\"version\"");
    let realm = r.header("www-authenticate").unwrap_or("");
    let is_secured = r.status == 401
        && (body.contains("security_exception") || realm.contains("realm=\"security\""));
    if !is_banner && !is_secured {
        return None;
    }
    let version = json_string(&body, "number");
    let cluster = json_string(&body, "cluster_name");
    let (severity, detail) = if is_banner {
        let c = cluster.as_deref().unwrap_or("?");
        (
            Severity::Critical,
            format!("cluster `{c}` answers without authentication"),
        )
    } else {
        (
            Severity::Medium,
            "requires authentication (security enabled)".to_owned(),
        )
    };
    let service = ServiceId {
        name: "elasticsearch".into(),
        product: Some("Elasticsearch".into()),
        version,
        detail: Some(detail),
    };
    Some(Finding::new(
        service,
        severity,
        format!("GET / -> {}; {}", r.status_line, printable(&r.body)),
    ))
}

/// The string value of `"key" : "value"` in a JSON text, without a JSON parser.
fn json_string(text: &str, key: &str) -> Option<String> {
    let at = text.find(&format!("\"{key}\""))? + key.len() + 2;
    let rest = text[at..]
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(raw: &str) -> Response {
        parse(raw.as_bytes()).unwrap()
    }

    #[test]
    fn router_login_over_http_is_high() {
        let r = response(
            "HTTP/1.1 200 OK\r\nServer: mini_httpd/1.30\r\nContent-Length: 70\r\n\r\n\
             <html><head><TITLE>NETGEAR Router Login</TITLE></head></html>",
        );
        let f = classify(&r, Scheme::Http, "/");
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.service.product.as_deref(), Some("mini_httpd"));
        let detail = f.service.detail.unwrap();
        assert!(
            detail.contains("netgear") && detail.contains("router"),
            "{detail}"
        );
        assert!(
            f.evidence.contains("title: NETGEAR Router Login"),
            "{}",
            f.evidence
        );
        assert_eq!(classify(&r, Scheme::Https, "/").severity, Severity::Medium);
    }

    #[test]
    fn plain_site_is_info_and_basic_auth_realm_counts() {
        let r = response("HTTP/1.0 200 OK\r\n\r\n<title>Welcome to nginx!</title>");
        assert_eq!(classify(&r, Scheme::Http, "/").severity, Severity::Info);
        let r = response(
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"RouterOS\"\r\n\r\n",
        );
        assert_eq!(classify(&r, Scheme::Http, "/").severity, Severity::High);
    }

    #[test]
    fn elasticsearch_banner_is_critical() {
        let r = response(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{\n  \"name\" : \"n1\",\n  \
             \"cluster_name\" : \"billing\",\n  \"version\" : { \"number\" : \"7.17.9\" },\n  \
             \"tagline\" : \"You Know, for Search\"\n}",
        );
        let f = classify(&r, Scheme::Http, "/");
        assert_eq!(
            (f.service.name.as_str(), f.severity),
            ("elasticsearch", Severity::Critical)
        );
        assert_eq!(f.service.version.as_deref(), Some("7.17.9"));
    }

    #[test]
    fn chunked_bodies_and_redirects() {
        let r = response(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
             7\r\n<title>\r\n6\r\nLuCI</\r\n7\r\ntitle>\n\r\n0\r\n\r\n",
        );
        assert_eq!(title(&r.body).as_deref(), Some("LuCI"));
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(
            same_origin_path("/cgi-bin/luci", addr).as_deref(),
            Some("/cgi-bin/luci")
        );
        assert_eq!(
            same_origin_path("http://127.0.0.1:8080", addr).as_deref(),
            Some("/")
        );
        assert_eq!(same_origin_path("http://evil.example/x", addr), None);
        assert_eq!(same_origin_path("//evil.example/x", addr), None);
        assert!(parse(b"SSH-2.0-x\r\n").is_none());
        assert!(complete(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    }
}
