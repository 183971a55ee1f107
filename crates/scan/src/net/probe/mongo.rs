//! The MongoDB probe: `OP_MSG` (MongoDB 3.6 and later) with `hello`, then `buildInfo` for the
//! version and `listDatabases` to learn whether data is readable without authentication.
//!
//! `hello` answers everyone by design, so it only identifies the server; `listDatabases`
//! succeeding (`ok: 1`) is the critical finding, an `Unauthorized` error the medium one. The
//! BSON written and read here is the handful of element types these replies use; anything
//! else is skipped by its declared size or ends the parse.

use std::net::SocketAddr;

use tokio::net::TcpStream;

use super::{Finding, ProbeCtx, connect, read_until, send};
use crate::net::report::{ServiceId, Severity};

const OP_MSG: i32 = 2013;

/// A decoded BSON value, as far as the probe cares.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Bson {
    Double(f64),
    Str(String),
    Doc(Vec<(String, Bson)>),
    Bool(bool),
    Int(i64),
    Other,
}

/// MongoDB: `None` if the answer is not MongoDB's.
pub(super) async fn probe(addr: SocketAddr, ctx: &ProbeCtx) -> Option<Finding> {
    let mut s = connect(addr, ctx.timeout).await.ok()?;
    let hello = command(&mut s, 1, "hello", ctx).await?;
    if !hello
        .iter()
        .any(|(k, _)| k == "maxWireVersion" || k == "isWritablePrimary" || k == "ismaster")
    {
        return None;
    }
    let build = command(&mut s, 2, "buildInfo", ctx)
        .await
        .unwrap_or_default();
    let list = command(&mut s, 3, "listDatabases", ctx)
        .await
        .unwrap_or_default();
    let mut service = ServiceId::named("mongodb");
    service.product = Some("MongoDB".into());
    service.version = field(&build, "version").and_then(as_str);
    let ok = field(&list, "ok")
        .is_some_and(|v| matches!(v, Bson::Double(d) if *d == 1.0) || *v == Bson::Int(1));
    let (severity, detail, evidence) = if ok {
        let n = match field(&list, "databases") {
            Some(Bson::Doc(dbs)) => dbs.len(),
            _ => 0,
        };
        (
            Severity::Critical,
            "listDatabases works without authentication".to_owned(),
            format!("hello ok; listDatabases -> ok, {n} databases"),
        )
    } else {
        let msg = field(&list, "errmsg")
            .and_then(as_str)
            .unwrap_or_else(|| "no answer".into());
        (
            Severity::Medium,
            "requires authentication for data".to_owned(),
            format!("hello ok; listDatabases -> {msg}"),
        )
    };
    service.detail = Some(detail);
    Some(Finding::new(service, severity, evidence))
}

async fn command(
    s: &mut TcpStream,
    id: i32,
    name: &str,
    ctx: &ProbeCtx,
) -> Option<Vec<(String, Bson)>> {
    let mut doc = vec![(name.to_owned(), Bson::Int(1))];
    if name == "listDatabases" {
        doc.push(("nameOnly".into(), Bson::Bool(true)));
    }
    doc.push(("$db".into(), Bson::Str("admin".into())));
    send(s, &op_msg(id, &encode_doc(&doc)), ctx.timeout)
        .await
        .ok()?;
    let raw = read_until(s, ctx.timeout, message_done).await;
    parse_reply(&raw, id)
}

fn op_msg(id: i32, doc: &[u8]) -> Vec<u8> {
    let len = i32::try_from(16 + 4 + 1 + doc.len()).unwrap_or(i32::MAX);
    let mut out = Vec::with_capacity(doc.len() + 21);
    for v in [len, id, 0, OP_MSG] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&0u32.to_le_bytes()); // flagBits
    out.push(0); // section kind 0: the body document
    out.extend_from_slice(doc);
    out
}

fn message_done(raw: &[u8]) -> bool {
    raw.len() >= 4
        && raw.len() as u64 >= u64::from(u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]))
}

fn parse_reply(raw: &[u8], id: i32) -> Option<Vec<(String, Bson)>> {
    let le = |at: usize| {
        raw.get(at..at + 4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (len, response_to, op) = (le(0)?, le(8)?, le(12)?);
    if op != OP_MSG || response_to != id || usize::try_from(len).ok()? > raw.len() {
        return None;
    }
    // flagBits (4), then a kind-0 section holding the reply document.
    if *raw.get(20)? != 0 {
        return None;
    }
    match decode_doc(raw.get(21..)?)?.0 {
        Bson::Doc(fields) => Some(fields),
        _ => None,
    }
}

fn field<'a>(doc: &'a [(String, Bson)], key: &str) -> Option<&'a Bson> {
    doc.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn as_str(v: &Bson) -> Option<String> {
    match v {
        Bson::Str(s) => Some(s.clone()),
        _ => None,
    }
}

/// Encodes a document of the element types the probe sends.
pub(super) fn encode_doc(fields: &[(String, Bson)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (key, value) in fields {
        let (tag, bytes) = match value {
            Bson::Double(d) => (0x01, d.to_le_bytes().to_vec()),
            Bson::Str(s) => {
                let len = i32::try_from(s.len() + 1).unwrap_or(i32::MAX);
                (0x02, [&len.to_le_bytes()[..], s.as_bytes(), &[0]].concat())
            }
            Bson::Doc(d) => (0x03, encode_doc(d)),
            Bson::Bool(b) => (0x08, vec![u8::from(*b)]),
            Bson::Int(i) => match i32::try_from(*i) {
                Ok(small) => (0x10, small.to_le_bytes().to_vec()),
                Err(_) => (0x12, i.to_le_bytes().to_vec()),
            },
            Bson::Other => (0x0a, Vec::new()),
        };
        body.push(tag);
        body.extend_from_slice(key.as_bytes());
        body.push(0);
        body.extend_from_slice(&bytes);
    }
    let len = i32::try_from(body.len() + 5).unwrap_or(i32::MAX);
    [&len.to_le_bytes()[..], &body, &[0]].concat()
}

/// Decodes a document; returns it and the bytes after it.
pub(super) fn decode_doc(input: &[u8]) -> Option<(Bson, &[u8])> {
    let len = usize::try_from(i32::from_le_bytes(input.get(..4)?.try_into().ok()?)).ok()?;
    if len < 5 || input.len() < len {
        return None;
    }
    let mut body = &input[4..len - 1];
    let mut fields = Vec::new();
    while let Some((&tag, rest)) = body.split_first() {
        let nul = rest.iter().position(|b| *b == 0)?;
        let key = String::from_utf8_lossy(&rest[..nul]).into_owned();
        let (value, after) = decode_value(tag, &rest[nul + 1..])?;
        fields.push((key, value));
        body = after;
    }
    Some((Bson::Doc(fields), &input[len..]))
}

fn decode_value(tag: u8, v: &[u8]) -> Option<(Bson, &[u8])> {
    let fixed = |n: usize| v.get(n..).map(|rest| (Bson::Other, rest));
    let i32_at = |at: usize| {
        v.get(at..at + 4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    match tag {
        0x01 => Some((
            Bson::Double(f64::from_le_bytes(v.get(..8)?.try_into().ok()?)),
            v.get(8..)?,
        )),
        0x02 | 0x0d | 0x0e => {
            let n = usize::try_from(i32_at(0)?).ok()?;
            let s = v.get(4..4 + n)?;
            let text = String::from_utf8_lossy(s.strip_suffix(&[0]).unwrap_or(s)).into_owned();
            Some((Bson::Str(text), v.get(4 + n..)?))
        }
        0x03 | 0x04 => decode_doc(v),
        0x05 => fixed(4 + 1 + usize::try_from(i32_at(0)?).ok()?),
        0x07 => fixed(12),
        0x08 => Some((Bson::Bool(*v.first()? != 0), v.get(1..)?)),
        0x09 | 0x11 => fixed(8),
        0x0a | 0x7f | 0xff => fixed(0),
        0x10 => Some((Bson::Int(i64::from(i32_at(0)?)), v.get(4..)?)),
        0x12 => Some((
            Bson::Int(i64::from_le_bytes(v.get(..8)?.try_into().ok()?)),
            v.get(8..)?,
        )),
        0x13 => fixed(16),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bson_round_trips_the_probe_types() {
        let doc = vec![
            ("hello".to_owned(), Bson::Int(1)),
            ("big".to_owned(), Bson::Int(1 << 40)),
            ("ok".to_owned(), Bson::Double(1.0)),
            ("version".to_owned(), Bson::Str("7.0.2".into())),
            (
                "nested".to_owned(),
                Bson::Doc(vec![("b".to_owned(), Bson::Bool(true))]),
            ),
        ];
        let bytes = encode_doc(&doc);
        let (decoded, rest) = decode_doc(&bytes).unwrap();
        assert!(rest.is_empty());
        assert_eq!(decoded, Bson::Doc(doc));
        for cut in 0..bytes.len() {
            assert!(decode_doc(&bytes[..cut]).is_none());
        }
    }

    #[test]
    fn op_msg_reply_parses_and_checks_its_request() {
        let doc = encode_doc(&[
            ("ok".to_owned(), Bson::Double(1.0)),
            ("maxWireVersion".to_owned(), Bson::Int(21)),
        ]);
        let mut reply = op_msg(99, &doc);
        reply[8..12].copy_from_slice(&7i32.to_le_bytes()); // responseTo
        assert!(message_done(&reply));
        let fields = parse_reply(&reply, 7).unwrap();
        assert_eq!(field(&fields, "maxWireVersion"), Some(&Bson::Int(21)));
        assert!(parse_reply(&reply, 8).is_none());
    }
}
