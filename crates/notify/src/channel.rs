//! The channels. E-mail goes over SMTP with lettre (plain, STARTTLS or TLS over rustls, the
//! relay's certificate checked against the public roots plus any private CA configured; optional
//! authentication; optional DKIM signing; a `Message-ID` per notice derived from its idempotency
//! key, and the key itself in an `X-Idempotency-Key` header). SMS goes to an HTTP gateway as a
//! JSON POST carrying the key (body field and `Idempotency-Key` header).
//!
//! Letters are PDFs batched into print files with a CSV mailing manifest, as print vendors take
//! them: see [`Letters`] (the `letters` module says how a crash never loses a letter reported sent,
//! `letter_pdf` how a letter is laid out).
//!
//! A send ends [`SendResult::Sent`], [`SendResult::Soft`] (retry later: a 4xx SMTP reply, a
//! connection failure — including a refused certificate, STARTTLS or password, or a relay that
//! wants authentication, which are the relay's or the configuration's fault and not the
//! recipient's —, a 5xx from the gateway) or [`SendResult::Hard`] (a permanent 5xx SMTP
//! reply, a 4xx from the gateway, no address).

mod letter_pdf;
mod letters;
mod smtp_pool;

use std::time::Duration;

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, Message, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::TlsParameters;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::template::Rendered;

pub use letters::{Letters, LettersConfig};

/// How a send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendResult {
    /// Accepted; the channel's message id.
    Sent(String),
    /// A temporary failure, worth retrying.
    Soft(String),
    /// A permanent failure (bounce); the address goes on the suppression list.
    Hard(String),
}

/// SMTP transport security.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// No TLS (loopback relays and tests only).
    #[default]
    None,
    /// STARTTLS, required.
    Starttls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
}

/// E-mail settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct EmailConfig {
    /// The relay's host.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// Transport security.
    pub security: Security,
    /// Extra certificate authorities to trust for the relay's certificate (PEM, one or more),
    /// beside the public roots: for an internal relay with a private CA.
    pub ca_pem: Option<String>,
    /// SMTP user, if the relay authenticates.
    pub username: Option<String>,
    /// SMTP password.
    pub password: Option<String>,
    /// The From address (`Name <addr>` or `addr`).
    pub from: String,
    /// The domain of Message-IDs.
    pub message_id_domain: String,
    /// DKIM: selector, signing domain and RSA private key (PKCS#1 PEM).
    pub dkim: Option<(String, String, String)>,
    /// Pooled SMTP connections.
    pub connections: u32,
    /// Seconds before an SMTP command times out.
    pub timeout_secs: u64,
}

impl Default for EmailConfig {
    fn default() -> Self {
        EmailConfig {
            host: "127.0.0.1".into(),
            port: 25,
            security: Security::None,
            ca_pem: None,
            username: None,
            password: None,
            from: "Notices <notices@example.com>".into(),
            message_id_domain: "example.com".into(),
            dkim: None,
            connections: 8,
            timeout_secs: 30,
        }
    }
}

/// A permanent refusal that is about this sender's session, not the recipient: 530
/// (authentication required), 535 (credentials rejected), 538 (encryption required to
/// authenticate). The relay refuses every notice alike, so none of them is a bounce; they are
/// soft failures that count toward the campaign's pause.
fn refused_sender(e: &lettre::transport::smtp::Error) -> bool {
    e.status()
        .is_some_and(|c| matches!(c.to_string().as_str(), "530" | "535" | "538"))
}

/// TLS for the relay: its host name (or IP address) checked against its certificate, which
/// must chain to a public root or to one of `ca_pem`'s authorities.
fn tls_parameters(c: &EmailConfig) -> Result<TlsParameters, String> {
    let mut b = TlsParameters::builder(c.host.clone());
    if let Some(pem) = &c.ca_pem {
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err("TLS: the CA certificates hold no PEM certificate".into());
        }
        let cas = lettre::transport::smtp::client::Certificate::from_pem(pem.as_bytes())
            .map_err(|e| format!("TLS: the CA certificates: {e}"))?;
        b = b.add_root_certificate(cas);
    }
    b.build_rustls().map_err(|e| format!("TLS: {e}"))
}

#[derive(Clone)]
struct IdempotencyKey(String);

impl Header for IdempotencyKey {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Idempotency-Key")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(IdempotencyKey(s.to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

use smtp_pool::{PoolError, PoolTls, SmtpPool};

/// The e-mail sender.
pub struct Email {
    pool: SmtpPool,
    from: Mailbox,
    domain: String,
    dkim: Option<lettre::message::dkim::DkimConfig>,
    connections: usize,
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email").finish_non_exhaustive()
    }
}

impl Email {
    /// Builds the transport (connections open lazily).
    pub fn new(c: &EmailConfig) -> Result<Email, String> {
        let tls = match c.security {
            Security::None => PoolTls::None,
            Security::Starttls => PoolTls::Starttls(tls_parameters(c)?),
            Security::Tls => PoolTls::Wrapper(tls_parameters(c)?),
        };
        let credentials = match (&c.username, &c.password) {
            (Some(u), Some(p)) => Some(Credentials::new(u.clone(), p.clone())),
            _ => None,
        };
        let pool = SmtpPool::new(
            c.host.clone(),
            c.port,
            Duration::from_secs(c.timeout_secs.max(1)),
            tls,
            credentials,
            c.connections.max(1) as usize,
        );
        let dkim = match &c.dkim {
            Some((selector, domain, pem)) => {
                let key = lettre::message::dkim::DkimSigningKey::new(
                    pem,
                    lettre::message::dkim::DkimSigningAlgorithm::Rsa,
                )
                .map_err(|e| format!("DKIM key: {e}"))?;
                Some(lettre::message::dkim::DkimConfig::default_config(
                    selector.clone(),
                    domain.clone(),
                    key,
                ))
            }
            None => None,
        };
        Ok(Email {
            pool,
            from: c
                .from
                .parse()
                .map_err(|e| format!("from address `{}`: {e}", c.from))?,
            domain: c.message_id_domain.clone(),
            dkim,
            connections: c.connections.max(1) as usize,
        })
    }

    /// How many SMTP connections the pool keeps.
    pub fn connections(&self) -> usize {
        self.connections
    }

    /// The Message-ID of a notice: stable for its idempotency key.
    pub fn message_id(&self, idem: &str) -> String {
        let h = hex::encode(&Sha256::digest(idem.as_bytes())[..12]);
        format!("<notice.{h}@{}>", self.domain)
    }

    /// The message of one notice exactly as [`Email::send`] hands it to the relay (headers,
    /// `multipart/alternative` parts, DKIM signature when configured). `Err` is the recipient's
    /// fault (a bad address) and bounces.
    pub fn message(&self, to: &str, idem: &str, r: &Rendered) -> Result<Message, String> {
        let to: Mailbox = to.parse().map_err(|e| format!("invalid address: {e}"))?;
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(r.subject.clone())
            .message_id(Some(self.message_id(idem)))
            .header(IdempotencyKey(idem.to_owned()));
        let msg = match &r.text {
            Some(text) => msg.multipart(MultiPart::alternative_plain_html(
                text.clone(),
                r.body.clone(),
            )),
            None => msg.header(ContentType::TEXT_HTML).body(r.body.clone()),
        };
        let mut msg = msg.map_err(|e| format!("message: {e}"))?;
        if let Some(d) = &self.dkim {
            msg.sign(d);
        }
        Ok(msg)
    }

    /// Sends one notice.
    pub async fn send(&self, to: &str, idem: &str, r: &Rendered) -> SendResult {
        let msg = match self.message(to, idem, r) {
            Ok(m) => m,
            Err(e) => return SendResult::Hard(e),
        };
        let id = self.message_id(idem);
        match self.pool.send(msg.envelope(), &msg.formatted()).await {
            Ok(()) => SendResult::Sent(id),
            Err(PoolError::Smtp(e)) if e.is_permanent() && !refused_sender(&e) => {
                SendResult::Hard(format!("SMTP: {e}"))
            }
            Err(PoolError::Smtp(e)) => SendResult::Soft(format!("SMTP: {e}")),
            Err(PoolError::Connect(e)) => SendResult::Soft(format!("SMTP: connection failed: {e}")),
            Err(PoolError::Timeout) => SendResult::Soft("SMTP: timed out".into()),
        }
    }
}

/// How the SMS gateway takes a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsFormat {
    /// A JSON object.
    #[default]
    Json,
    /// An `application/x-www-form-urlencoded` form, as many SMS vendors take it.
    Form,
}

/// SMS gateway settings: a POST per message to `url` with the number, the text and the
/// idempotency key under the configured field names (also sent as an `Idempotency-Key` header).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    /// The gateway's URL.
    pub url: String,
    /// A bearer token, if the gateway wants one.
    pub token: Option<String>,
    /// JSON or form.
    pub format: SmsFormat,
    /// The field of the destination number.
    pub to_field: String,
    /// The field of the text.
    pub body_field: String,
    /// The sender (a number or alphanumeric id), sent as `from_field` when set.
    pub from: Option<String>,
    /// The field of the sender.
    pub from_field: String,
    /// The field of the idempotency key.
    pub idempotency_field: String,
}

impl Default for SmsConfig {
    fn default() -> Self {
        SmsConfig {
            url: String::new(),
            token: None,
            format: SmsFormat::Json,
            to_field: "to".into(),
            body_field: "body".into(),
            from: None,
            from_field: "from".into(),
            idempotency_field: "idempotency_key".into(),
        }
    }
}

/// The SMS sender.
#[derive(Debug)]
pub struct Sms {
    client: reqwest::Client,
    cfg: SmsConfig,
}

impl Sms {
    /// A sender for a gateway.
    pub fn new(cfg: SmsConfig) -> Result<Sms, String> {
        if !(cfg.url.starts_with("http://") || cfg.url.starts_with("https://")) {
            return Err(format!("url: `{}` is not an http(s) URL", cfg.url));
        }
        for (name, v) in [
            ("to_field", &cfg.to_field),
            ("body_field", &cfg.body_field),
            ("from_field", &cfg.from_field),
            ("idempotency_field", &cfg.idempotency_field),
        ] {
            if v.trim().is_empty() {
                return Err(format!("{name}: must not be empty"));
            }
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Sms { client, cfg })
    }

    /// Sends one text.
    pub async fn send(&self, to: &str, idem: &str, r: &Rendered) -> SendResult {
        let c = &self.cfg;
        let mut fields: Vec<(&str, &str)> = vec![
            (c.to_field.as_str(), to),
            (c.body_field.as_str(), r.body.trim()),
            (c.idempotency_field.as_str(), idem),
        ];
        if let Some(from) = &c.from {
            fields.push((c.from_field.as_str(), from));
        }
        let req = self.client.post(&c.url).header("Idempotency-Key", idem);
        let mut req = match c.format {
            SmsFormat::Json => {
                let obj: serde_json::Map<String, serde_json::Value> = fields
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
                    .collect();
                req.json(&obj)
            }
            SmsFormat::Form => req.form(&fields),
        };
        if let Some(t) = &self.cfg.token {
            req = req.bearer_auth(t);
        }
        match req.send().await {
            Ok(resp) if resp.status().is_success() => {
                let id = resp
                    .json::<serde_json::Value>()
                    .await
                    .ok()
                    .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_owned))
                    .unwrap_or_else(|| idem.to_owned());
                SendResult::Sent(id)
            }
            Ok(resp) if resp.status().is_client_error() && resp.status().as_u16() != 429 => {
                SendResult::Hard(format!("gateway: HTTP {}", resp.status()))
            }
            Ok(resp) => SendResult::Soft(format!("gateway: HTTP {}", resp.status())),
            Err(e) => SendResult::Soft(format!("gateway: {e}")),
        }
    }
}

/// The configured channels of a worker.
#[derive(Debug, Default)]
pub struct Channels {
    /// E-mail, if configured.
    pub email: Option<Email>,
    /// SMS, if configured.
    pub sms: Option<Sms>,
    /// Letters, if configured.
    pub letters: Option<Letters>,
}
