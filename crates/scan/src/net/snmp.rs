//! The SNMP probe: a hand-encoded v1/v2c `GetRequest` for `sysDescr.0` sent once per default
//! community, and just enough BER decoding to read the answer's community and `sysDescr`.
//!
//! An agent that answers any community from the list is a critical finding: SNMP read access
//! discloses the device's configuration and often its interfaces' addresses and neighbours, and
//! the 2021-style attacker's "unprotected router" is exactly such a device. A silent port is
//! reported filtered (open|filtered: agents ignore wrong communities), an ICMP port
//! unreachable as closed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::UdpSocket;

use super::rate::RateLimiter;
use super::report::{PortResult, PortState, Proto, ServiceId, Severity};
use super::tcp::Counters;

/// `1.3.6.1.2.1.1.1.0` (`sysDescr.0`), BER-encoded without its tag and length.
const SYS_DESCR_OID: [u8; 8] = [0x2b, 6, 1, 2, 1, 1, 1, 0];

/// SNMP message versions as carried on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SnmpVersion {
    V1 = 0,
    V2c = 1,
}

impl SnmpVersion {
    fn label(self) -> &'static str {
        match self {
            Self::V1 => "SNMPv1",
            Self::V2c => "SNMPv2c",
        }
    }
}

/// Encodes a `GetRequest` for `sysDescr.0`.
pub(crate) fn encode_get_sys_descr(
    version: SnmpVersion,
    community: &[u8],
    request_id: i32,
) -> Vec<u8> {
    let mut oid = vec![0x06, SYS_DESCR_OID.len() as u8];
    oid.extend_from_slice(&SYS_DESCR_OID);
    let varbind = tlv(0x30, &[oid, vec![0x05, 0x00]].concat());
    let varbinds = tlv(0x30, &varbind);
    let pdu_body = [
        integer(i64::from(request_id)),
        integer(0),
        integer(0),
        varbinds,
    ]
    .concat();
    let pdu = tlv(0xa0, &pdu_body);
    let body = [integer(version as i64), tlv(0x04, community), pdu].concat();
    tlv(0x30, &body)
}

/// The parts of a `GetResponse` the scanner reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SnmpResponse {
    pub(crate) version: i64,
    pub(crate) community: Vec<u8>,
    pub(crate) request_id: i64,
    pub(crate) error_status: i64,
    /// `sysDescr.0` when the agent returned it as an OCTET STRING.
    pub(crate) sys_descr: Option<String>,
}

/// Decodes a `GetResponse` (PDU tag 0xA2); `None` for anything else or malformed input.
pub(crate) fn decode_response(packet: &[u8]) -> Option<SnmpResponse> {
    let (tag, msg, _) = read_tlv(packet)?;
    if tag != 0x30 {
        return None;
    }
    let (version, rest) = read_int(msg)?;
    let (tag, community, rest) = read_tlv(rest)?;
    if tag != 0x04 {
        return None;
    }
    let (tag, pdu, _) = read_tlv(rest)?;
    if tag != 0xa2 {
        return None;
    }
    let (request_id, rest) = read_int(pdu)?;
    let (error_status, rest) = read_int(rest)?;
    let (_error_index, rest) = read_int(rest)?;
    let (_, varbinds, _) = read_tlv(rest)?;
    let sys_descr = read_tlv(varbinds).and_then(|(_, vb, _)| {
        let (_, _oid, rest) = read_tlv(vb)?;
        let (tag, value, _) = read_tlv(rest)?;
        (tag == 0x04).then(|| String::from_utf8_lossy(value).trim().to_owned())
    });
    Some(SnmpResponse {
        version,
        community: community.to_vec(),
        request_id,
        error_status,
        sys_descr,
    })
}

/// The knobs of one SNMP probe.
#[derive(Debug, Clone)]
pub(crate) struct SnmpProbe {
    pub(crate) communities: Vec<String>,
    pub(crate) timeout: Duration,
    pub(crate) retries: u32,
    pub(crate) limiter: Option<Arc<RateLimiter>>,
    pub(crate) counters: Arc<Counters>,
}

/// Probes one agent address; always yields a result (I/O errors become filtered).
pub(crate) async fn probe(target: SocketAddr, cfg: &SnmpProbe) -> PortResult {
    let (state, service, evidence) = match run(target, cfg).await {
        Ok(Outcome::Answered {
            version,
            community,
            sys_descr,
        }) => {
            let service = ServiceId {
                name: "snmp".into(),
                product: sys_descr.as_deref().map(first_words),
                version: Some(version.label().into()),
                detail: Some(format!(
                    "default community `{community}` grants read access"
                )),
            };
            let descr = sys_descr.unwrap_or_else(|| "(no sysDescr)".into());
            let evidence = format!(
                "{} community `{community}` answered; sysDescr: {descr}",
                version.label()
            );
            (PortState::Open, Some(service), evidence)
        }
        Ok(Outcome::Refused) => (PortState::Closed, None, "ICMP port unreachable".into()),
        Ok(Outcome::Silent) => {
            let n = cfg.communities.len();
            (
                PortState::Filtered,
                None,
                format!("no answer to {n} default communities (open|filtered)"),
            )
        }
        Err(e) => (PortState::Filtered, None, format!("SNMP probe failed: {e}")),
    };
    let severity = if service.is_some() {
        Severity::Critical
    } else {
        Severity::Info
    };
    PortResult {
        port: target.port(),
        proto: Proto::Udp,
        state,
        service,
        severity,
        evidence,
    }
}

enum Outcome {
    Answered {
        version: SnmpVersion,
        community: String,
        sys_descr: Option<String>,
    },
    Refused,
    Silent,
}

async fn run(target: SocketAddr, cfg: &SnmpProbe) -> std::io::Result<Outcome> {
    let bind: SocketAddr = if target.is_ipv4() {
        ([0, 0, 0, 0], 0).into()
    } else {
        ([0u16; 8], 0).into()
    };
    let socket = UdpSocket::bind(bind).await?;
    socket.connect(target).await?;
    let requests: Vec<(SnmpVersion, &str)> = cfg
        .communities
        .iter()
        .flat_map(|c| {
            [
                (SnmpVersion::V2c, c.as_str()),
                (SnmpVersion::V1, c.as_str()),
            ]
        })
        .collect();
    let base = request_id_base();
    for _attempt in 0..=cfg.retries {
        for (i, (version, community)) in requests.iter().enumerate() {
            if let Some(l) = &cfg.limiter {
                l.acquire().await;
            }
            let id = base.wrapping_add(i32::try_from(i).unwrap_or(0));
            let packet = encode_get_sys_descr(*version, community.as_bytes(), id);
            cfg.counters.probes.fetch_add(1, Ordering::Relaxed);
            if let Err(e) = socket.send(&packet).await {
                return refused_or(e);
            }
        }
        let deadline = tokio::time::Instant::now() + cfg.timeout;
        let mut buf = vec![0u8; 4096];
        loop {
            let recv = tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await;
            let n = match recv {
                Err(_) => break,
                Ok(Err(e)) => return refused_or(e),
                Ok(Ok(n)) => n,
            };
            let Some(resp) = buf.get(..n).and_then(decode_response) else {
                continue;
            };
            let idx = resp.request_id.wrapping_sub(i64::from(base));
            let Some((version, community)) =
                usize::try_from(idx).ok().and_then(|i| requests.get(i))
            else {
                continue;
            };
            if resp.community == community.as_bytes() && resp.error_status == 0 {
                let community = (*community).to_owned();
                return Ok(Outcome::Answered {
                    version: *version,
                    community,
                    sys_descr: resp.sys_descr,
                });
            }
        }
    }
    Ok(Outcome::Silent)
}

fn refused_or(e: std::io::Error) -> std::io::Result<Outcome> {
    if e.kind() == std::io::ErrorKind::ConnectionRefused {
        Ok(Outcome::Refused)
    } else {
        Err(e)
    }
}

/// A request-id base that differs between scans, so stale answers from an earlier scan are
/// not taken for this one.
fn request_id_base() -> i32 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    i32::try_from(nanos & 0x3fff_f000).unwrap_or(0x1000)
}

fn first_words(descr: &str) -> String {
    descr
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(value);
    out
}

/// Minimal two's-complement BER INTEGER.
fn integer(v: i64) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let mut start = 0;
    while start < 7 {
        let (b, next) = (bytes[start], bytes[start + 1]);
        let redundant = (b == 0 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0);
        if !redundant {
            break;
        }
        start += 1;
    }
    tlv(0x02, &bytes[start..])
}

/// Reads one TLV: (tag, value, rest). Definite lengths only, at most four length bytes.
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

fn read_int(input: &[u8]) -> Option<(i64, &[u8])> {
    let (tag, value, rest) = read_tlv(input)?;
    if tag != 0x02 || value.is_empty() || value.len() > 8 {
        return None;
    }
    let sign = if value[0] & 0x80 != 0 { -1i64 } else { 0 };
    let v = value.iter().fold(sign, |acc, b| (acc << 8) | i64::from(*b));
    Some((v, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_request_matches_reference_bytes() {
        // The same request as `snmpget -v2c -c public host 1.3.6.1.2.1.1.1.0` with id 0x1234.
        let got = encode_get_sys_descr(SnmpVersion::V2c, b"public", 0x1234);
        let want: &[u8] = &[
            0x30, 0x27, 0x02, 0x01, 0x01, 0x04, 0x06, b'p', b'u', b'b', b'l', b'i', b'c', 0xa0,
            0x1a, 0x02, 0x02, 0x12, 0x34, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x0e, 0x30,
            0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x01, 0x00, 0x05, 0x00,
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn integers_are_minimal() {
        assert_eq!(integer(0), [2, 1, 0]);
        assert_eq!(integer(128), [2, 2, 0, 128]);
        assert_eq!(integer(-1), [2, 1, 0xff]);
        assert_eq!(read_int(&integer(-129)).map(|(v, _)| v), Some(-129));
        assert_eq!(
            read_int(&integer(0x3fff_f000)).map(|(v, _)| v),
            Some(0x3fff_f000)
        );
    }

    #[test]
    fn decodes_a_get_response() {
        let descr = b"Linux edge-router 5.10 OpenWrt";
        let value = tlv(0x04, descr);
        let mut oid = vec![0x06, 8];
        oid.extend_from_slice(&SYS_DESCR_OID);
        let varbinds = tlv(0x30, &tlv(0x30, &[oid, value].concat()));
        let pdu = tlv(
            0xa2,
            &[integer(7), integer(0), integer(0), varbinds].concat(),
        );
        let msg = tlv(0x30, &[integer(1), tlv(0x04, b"public"), pdu].concat());
        let r = decode_response(&msg).unwrap();
        assert_eq!((r.version, r.request_id, r.error_status), (1, 7, 0));
        assert_eq!(r.community, b"public");
        assert_eq!(
            r.sys_descr.as_deref(),
            Some("Linux edge-router 5.10 OpenWrt")
        );
    }

    #[test]
    fn rejects_truncated_and_long_form_garbage() {
        let msg = encode_get_sys_descr(SnmpVersion::V1, b"private", 9);
        for cut in 0..msg.len() {
            assert!(decode_response(&msg[..cut]).is_none());
        }
        assert!(
            decode_response(&msg).is_none(),
            "a GetRequest is not a response"
        );
        assert!(read_tlv(&[0x04, 0x85, 1, 1, 1, 1, 1]).is_none());
        let long = tlv(0x04, &[7u8; 300]);
        assert_eq!(read_tlv(&long).map(|(_, v, _)| v.len()), Some(300));
    }
}
