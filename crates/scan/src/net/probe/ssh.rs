//! The SSH probe: the version banner, then just enough of the SSH transport (RFC 4253) to ask
//! the server which authentication methods it offers, by sending a `none` userauth request.
//!
//! Why our own transport rather than an SSH client crate: learning the methods needs a key
//! exchange, but only one suite of it, and `ring` (already in the tree for TLS) has every
//! primitive: curve25519-sha256 (RFC 8731) for the exchange and `chacha20-poly1305@openssh.com`
//! for the packets. That is a few hundred lines instead of a client crate's large dependency
//! tree. The host key signature is not verified (nothing secret is sent; the probe only reads
//! the method list). A server without that suite (older than OpenSSH 6.5, 2014) is still
//! identified by its banner, with the methods reported as unknown.
//!
//! Findings: `none` accepted is critical (no authentication at all), `password` or
//! `keyboard-interactive` offered is high (brute-forceable, as in the 2021 story), public keys
//! only is low; SSH-1 only is high.

use ring::aead::chacha20_poly1305_openssh::{KEY_LEN, OpeningKey, SealingKey, TAG_LEN};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, X25519};
use ring::digest::{Context, SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use super::{Finding, ProbeCtx, printable, product_version, send};
use crate::net::report::{ServiceId, Severity};

const CLIENT_ID: &str = "SSH-2.0-CustodianScan_1.0";
const MAX_PACKET: usize = 35_000;
const MAX_READ: usize = 256 * 1024;
const KEX: &str = "curve25519-sha256,curve25519-sha256@libssh.org";
const HOST_KEYS: &str = "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,\
                         ecdsa-sha2-nistp521,rsa-sha2-512,rsa-sha2-256,ssh-rsa";
const CIPHER: &str = "chacha20-poly1305@openssh.com";
const MAC: &str = "hmac-sha2-256,hmac-sha1";

/// SSH on the connection whose first bytes were `banner`.
pub(super) async fn probe(stream: TcpStream, banner: Vec<u8>, ctx: &ProbeCtx) -> Finding {
    let mut t = Transport {
        stream,
        buf: banner,
        timeout: ctx.timeout,
        sent: 0,
        received: 0,
        keys: None,
        read_total: 0,
    };
    let server_id = match t.read_ident().await {
        Ok(id) => id,
        Err(e) => {
            return Finding::new(
                ServiceId::named("ssh"),
                Severity::Low,
                format!("unreadable banner: {e}"),
            );
        }
    };
    let mut service = ServiceId::named("ssh");
    let mut fields = server_id.splitn(3, '-');
    let proto = fields.nth(1).unwrap_or("").to_owned();
    let software = fields.next().unwrap_or("");
    (service.product, service.version) = product_version(software);
    let banner_evidence = format!("banner: {}", printable(server_id.as_bytes()));
    if proto != "2.0" && proto != "1.99" {
        service.detail = Some("SSH protocol 1 only".into());
        return Finding::new(service, Severity::High, banner_evidence);
    }
    let (severity, detail) = match t.auth_methods(&server_id).await {
        Ok(Auth::NoneAccepted) => (
            Severity::Critical,
            "accepts the `none` method: no authentication".to_owned(),
        ),
        Ok(Auth::Methods(m)) => {
            let weak = m
                .iter()
                .any(|x| x == "password" || x == "keyboard-interactive");
            let sev = if weak { Severity::High } else { Severity::Low };
            let what = if weak {
                "password authentication allowed"
            } else {
                "no password authentication"
            };
            (sev, format!("{what}; auth methods: {}", m.join(",")))
        }
        Err(e) => (Severity::Low, format!("auth methods unknown: {e}")),
    };
    service.detail = Some(detail.clone());
    Finding::new(service, severity, format!("{banner_evidence}; {detail}"))
}

enum Auth {
    NoneAccepted,
    Methods(Vec<String>),
}

type ProbeResult<T> = Result<T, String>;

struct Keys {
    seal: SealingKey,
    open: OpeningKey,
}

struct Transport {
    stream: TcpStream,
    buf: Vec<u8>,
    timeout: std::time::Duration,
    sent: u32,
    received: u32,
    keys: Option<Keys>,
    read_total: usize,
}

impl Transport {
    async fn fill(&mut self, n: usize) -> ProbeResult<()> {
        let mut chunk = [0u8; 4096];
        while self.buf.len() < n {
            if self.read_total > MAX_READ {
                return Err("server sent too much".into());
            }
            let read = tokio::time::timeout(self.timeout, self.stream.read(&mut chunk)).await;
            match read {
                Ok(Ok(0)) => return Err("connection closed".into()),
                Ok(Ok(k)) => {
                    self.read_total += k;
                    self.buf.extend_from_slice(&chunk[..k]);
                }
                Ok(Err(e)) => return Err(e.to_string()),
                Err(_) => return Err("timed out".into()),
            }
        }
        Ok(())
    }

    /// The server's identification line (RFC 4253 §4.2), without CR LF.
    async fn read_ident(&mut self) -> ProbeResult<String> {
        loop {
            if let Some(nl) = self.buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=nl).collect();
                let line = String::from_utf8_lossy(&line)
                    .trim_end_matches(['\r', '\n'])
                    .to_owned();
                if line.starts_with("SSH-") {
                    return Ok(line);
                }
                continue;
            }
            if self.buf.len() > 1024 {
                return Err("no identification line".into());
            }
            let want = self.buf.len() + 1;
            self.fill(want).await?;
        }
    }

    async fn send_payload(&mut self, payload: &[u8]) -> ProbeResult<()> {
        let rng = SystemRandom::new();
        let encrypted = self.keys.is_some();
        // The length field counts toward the 8-byte alignment only before encryption.
        let base = if encrypted {
            1 + payload.len()
        } else {
            5 + payload.len()
        };
        let mut pad = 8 - base % 8;
        if pad < 4 {
            pad += 8;
        }
        let len = u32::try_from(1 + payload.len() + pad).map_err(|_| "packet too large")?;
        let mut packet = len.to_be_bytes().to_vec();
        packet.push(u8::try_from(pad).map_err(|_| "bad padding")?);
        packet.extend_from_slice(payload);
        let mut padding = vec![0u8; pad];
        rng.fill(&mut padding).map_err(|_| "no randomness")?;
        packet.extend_from_slice(&padding);
        if let Some(keys) = &self.keys {
            let mut tag = [0u8; TAG_LEN];
            keys.seal.seal_in_place(self.sent, &mut packet, &mut tag);
            packet.extend_from_slice(&tag);
        }
        self.sent = self.sent.wrapping_add(1);
        send(&mut self.stream, &packet, self.timeout)
            .await
            .map_err(|e| e.to_string())
    }

    async fn read_payload(&mut self) -> ProbeResult<Vec<u8>> {
        self.fill(4).await?;
        let head = [self.buf[0], self.buf[1], self.buf[2], self.buf[3]];
        let len_bytes = match &self.keys {
            Some(k) => k.open.decrypt_packet_length(self.received, head),
            None => head,
        };
        let len = u32::from_be_bytes(len_bytes) as usize;
        if !(5..=MAX_PACKET).contains(&len) {
            return Err(format!("bad packet length {len}"));
        }
        let tag_len = if self.keys.is_some() { TAG_LEN } else { 0 };
        self.fill(4 + len + tag_len).await?;
        let mut packet: Vec<u8> = self.buf.drain(..4 + len + tag_len).collect();
        let plain = match &self.keys {
            Some(k) => {
                let mut tag = [0u8; TAG_LEN];
                tag.copy_from_slice(&packet[4 + len..]);
                let body = &mut packet[..4 + len];
                k.open
                    .open_in_place(self.received, body, &tag)
                    .map_err(|_| "packet authentication failed")?
                    .to_vec()
            }
            None => packet[4..].to_vec(),
        };
        self.received = self.received.wrapping_add(1);
        let pad = usize::from(plain[0]);
        let end = plain
            .len()
            .checked_sub(pad)
            .filter(|e| *e >= 1)
            .ok_or("bad padding length")?;
        Ok(plain[1..end].to_vec())
    }

    /// The next packet that is not IGNORE (2), DEBUG (4), EXT_INFO (7) or a userauth banner (53).
    async fn next_message(&mut self) -> ProbeResult<Vec<u8>> {
        for _ in 0..32 {
            let p = self.read_payload().await?;
            match p.first() {
                Some(2 | 4 | 7 | 53) => continue,
                Some(1) => return Err(format!("server disconnected: {}", disconnect_reason(&p))),
                Some(_) => return Ok(p),
                None => return Err("empty packet".into()),
            }
        }
        Err("too many ignorable packets".into())
    }

    async fn auth_methods(&mut self, server_id: &str) -> ProbeResult<Auth> {
        let rng = SystemRandom::new();
        send(
            &mut self.stream,
            format!("{CLIENT_ID}\r\n").as_bytes(),
            self.timeout,
        )
        .await
        .map_err(|e| e.to_string())?;
        let client_kexinit = kexinit(&rng)?;
        self.send_payload(&client_kexinit).await?;
        let secret = EphemeralPrivateKey::generate(&X25519, &rng).map_err(|_| "no X25519 key")?;
        let q_c = secret
            .compute_public_key()
            .map_err(|_| "no X25519 public key")?
            .as_ref()
            .to_vec();
        self.send_payload(&[&[30u8][..], &string(&q_c)].concat())
            .await?;

        let server_kexinit = self.next_message().await?;
        check_server_kexinit(&server_kexinit)?;
        let reply = self.next_message().await?;
        let mut r = Reader(
            reply
                .get(1..)
                .filter(|_| reply.first() == Some(&31))
                .ok_or("expected KEX_ECDH_REPLY")?,
        );
        let (k_s, q_s) = (r.string()?.to_vec(), r.string()?.to_vec());
        let peer = UnparsedPublicKey::new(&X25519, q_s.clone());
        let shared = agreement::agree_ephemeral(secret, &peer, |k| k.to_vec())
            .map_err(|_| "bad server key share")?;
        let k = mpint(&shared);
        let mut h = Context::new(&SHA256);
        for part in [
            CLIENT_ID.as_bytes(),
            server_id.as_bytes(),
            &client_kexinit,
            &server_kexinit,
            &k_s,
            &q_c,
            &q_s,
        ] {
            h.update(&string(part));
        }
        h.update(&k);
        let h = h.finish().as_ref().to_vec();

        self.send_payload(&[21]).await?;
        if self.next_message().await?.first() != Some(&21) {
            return Err("expected NEWKEYS".into());
        }
        self.keys = Some(Keys {
            seal: SealingKey::new(&derive(&k, &h, b'C')),
            open: OpeningKey::new(&derive(&k, &h, b'D')),
        });

        self.send_payload(&[&[5u8][..], &string(b"ssh-userauth")].concat())
            .await?;
        if self.next_message().await?.first() != Some(&6) {
            return Err("userauth service refused".into());
        }
        let request = [
            &[50u8][..],
            &string(b"custodian-scan"),
            &string(b"ssh-connection"),
            &string(b"none"),
        ]
        .concat();
        self.send_payload(&request).await?;
        let answer = self.next_message().await?;
        let _ = self
            .send_payload(
                &[
                    &[1u8][..],
                    &11u32.to_be_bytes(),
                    &string(b"scan done"),
                    &string(b""),
                ]
                .concat(),
            )
            .await;
        match answer.first() {
            Some(52) => Ok(Auth::NoneAccepted),
            Some(51) => {
                let list = Reader(&answer[1..]).string()?;
                let methods = String::from_utf8_lossy(list)
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(str::to_owned)
                    .collect();
                Ok(Auth::Methods(methods))
            }
            other => Err(format!("unexpected userauth answer {other:?}")),
        }
    }
}

fn kexinit(rng: &SystemRandom) -> ProbeResult<Vec<u8>> {
    let mut p = vec![20u8];
    let mut cookie = [0u8; 16];
    rng.fill(&mut cookie).map_err(|_| "no randomness")?;
    p.extend_from_slice(&cookie);
    for list in [
        KEX, HOST_KEYS, CIPHER, CIPHER, MAC, MAC, "none", "none", "", "",
    ] {
        p.extend_from_slice(&string(list.as_bytes()));
    }
    p.push(0); // first_kex_packet_follows
    p.extend_from_slice(&[0; 4]);
    Ok(p)
}

/// Checks the server offers our one suite, naming what it offers instead when it does not.
fn check_server_kexinit(p: &[u8]) -> ProbeResult<()> {
    let mut r = Reader(
        p.get(17..)
            .filter(|_| p.first() == Some(&20))
            .ok_or("expected KEXINIT")?,
    );
    let kex = String::from_utf8_lossy(r.string()?).into_owned();
    let _host_keys = r.string()?;
    let cipher = String::from_utf8_lossy(r.string()?).into_owned();
    if !KEX.split(',').any(|k| kex.split(',').any(|s| s == k)) {
        return Err(format!("no curve25519 key exchange (server offers {kex})"));
    }
    if !cipher.split(',').any(|c| c == CIPHER) {
        return Err(format!("no {CIPHER} (server offers {cipher})"));
    }
    Ok(())
}

/// RFC 4253 §7.2 key derivation, extended to the 64 bytes chacha20-poly1305@openssh needs.
fn derive(k: &[u8], h: &[u8], letter: u8) -> [u8; KEY_LEN] {
    let hash = |parts: &[&[u8]]| {
        let mut c = Context::new(&SHA256);
        parts.iter().for_each(|p| c.update(p));
        c.finish()
    };
    let k1 = hash(&[k, h, &[letter], h]);
    let k2 = hash(&[k, h, k1.as_ref()]);
    let mut out = [0u8; KEY_LEN];
    out[..32].copy_from_slice(k1.as_ref());
    out[32..].copy_from_slice(k2.as_ref());
    out
}

fn string(bytes: &[u8]) -> Vec<u8> {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    [&len.to_be_bytes()[..], bytes].concat()
}

/// The shared secret as an SSH mpint: unsigned big-endian, minimal, sign byte when needed.
fn mpint(bytes: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    let body = if trimmed.first().is_some_and(|b| b & 0x80 != 0) {
        [&[0u8][..], &trimmed].concat()
    } else {
        trimmed
    };
    string(&body)
}

fn disconnect_reason(p: &[u8]) -> String {
    let mut r = Reader(p.get(5..).unwrap_or_default());
    r.string()
        .map(printable)
        .unwrap_or_else(|_| "no reason".into())
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn string(&mut self) -> ProbeResult<&'a [u8]> {
        let len = self
            .0
            .get(..4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or("truncated")?;
        let s = self.0.get(4..4 + len).ok_or("truncated string")?;
        self.0 = &self.0[4 + len..];
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mpint_follows_rfc4251_examples() {
        assert_eq!(mpint(&[0, 0, 0x12, 0x34]), [0, 0, 0, 2, 0x12, 0x34]);
        assert_eq!(mpint(&[0x80]), [0, 0, 0, 2, 0, 0x80]);
        assert_eq!(mpint(&[0, 0]), [0, 0, 0, 0]);
    }

    #[test]
    fn kexinit_offers_our_suite_and_server_lists_are_checked() {
        let ours = kexinit(&SystemRandom::new()).unwrap();
        assert!(check_server_kexinit(&ours).is_ok());
        let mut old = vec![20u8; 17];
        for list in [
            "diffie-hellman-group14-sha1",
            "ssh-rsa",
            "aes128-ctr",
            "aes128-ctr",
        ] {
            old.extend_from_slice(&string(list.as_bytes()));
        }
        let err = check_server_kexinit(&old).unwrap_err();
        assert!(err.contains("diffie-hellman-group14-sha1"), "{err}");
    }

    #[test]
    fn derived_keys_differ_by_direction() {
        let (k, h) = (mpint(&[7u8; 32]), [9u8; 32]);
        assert_ne!(derive(&k, &h, b'C'), derive(&k, &h, b'D'));
        assert_eq!(derive(&k, &h, b'C'), derive(&k, &h, b'C'));
    }
}
