//! Outgoing mail: a [`Mailer`] trait the service sends through, an SMTP implementation on
//! `lettre` (plain, STARTTLS or implicit TLS over rustls), and a recording one for tests.
//!
//! Every mail to a subscriber carries `List-Unsubscribe` (an HTTPS link) and
//! `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), so a mail client can
//! unsubscribe with one POST and no page visit.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::error::TrustError;
use crate::types::Email;

/// One mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// The recipient.
    pub to: Email,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The one-click unsubscribe URL, for mail to subscribers.
    pub unsubscribe_url: Option<String>,
}

/// The future a [`Mailer`] returns.
pub type MailFuture<'a> = Pin<Box<dyn Future<Output = Result<(), TrustError>> + Send + 'a>>;

/// Something that delivers mail.
pub trait Mailer: Send + Sync {
    /// Sends one mail.
    fn send<'a>(&'a self, mail: &'a OutgoingMail) -> MailFuture<'a>;
}

/// How to reach the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SmtpTls {
    /// No TLS (loopback test servers only).
    None,
    /// STARTTLS on a plain connection (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// SMTP settings.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// Server host name.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Transport security.
    pub tls: SmtpTls,
    /// The sender, `Name <addr>` or `addr`.
    pub from: String,
    /// Optional user name and password.
    pub credentials: Option<(String, String)>,
    /// Extra certificate authorities to trust for the server's certificate (PEM), beside the
    /// public roots: for an internal relay with a private CA.
    pub ca_pem: Option<String>,
}

impl SmtpSettings {
    /// Checks the sender and host without building a transport (which needs a runtime).
    pub fn check(&self) -> Result<(), TrustError> {
        self.from
            .parse::<lettre::message::Mailbox>()
            .map_err(|e| TrustError::invalid("smtp.from", format!("{e}")))?;
        if self.host.trim().is_empty() || self.host.contains(char::is_whitespace) {
            return Err(TrustError::invalid("smtp.host", "is not a host name"));
        }
        if self.tls != SmtpTls::None {
            self.tls_parameters()?;
        }
        Ok(())
    }

    /// TLS for the server: its name checked against its certificate, which must chain to a
    /// public root or to one of [`SmtpSettings::ca_pem`]'s authorities.
    fn tls_parameters(&self) -> Result<TlsParameters, TrustError> {
        let mut b = TlsParameters::builder(self.host.clone());
        if let Some(pem) = &self.ca_pem {
            if !pem.contains("-----BEGIN CERTIFICATE-----") {
                return Err(TrustError::invalid(
                    "smtp.ca_file",
                    "holds no PEM certificate",
                ));
            }
            let cas = lettre::transport::smtp::client::Certificate::from_pem(pem.as_bytes())
                .map_err(|e| TrustError::invalid("smtp.ca_file", format!("{e}")))?;
            b = b.add_root_certificate(cas);
        }
        b.build_rustls()
            .map_err(|e| TrustError::invalid("smtp.host", format!("{e}")))
    }
}

/// Sends through an SMTP server.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from)
            .finish()
    }
}

impl SmtpMailer {
    /// A mailer for these settings (no connection is made until the first mail).
    pub fn new(s: &SmtpSettings) -> Result<SmtpMailer, TrustError> {
        let from = s
            .from
            .parse()
            .map_err(|e| TrustError::invalid("smtp.from", format!("{e}")))?;
        let tls = match s.tls {
            SmtpTls::None => Tls::None,
            SmtpTls::StartTls | SmtpTls::Tls => {
                let params = s.tls_parameters()?;
                if s.tls == SmtpTls::Tls {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                }
            }
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.clone())
            .port(s.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(20)));
        if let Some((u, p)) = &s.credentials {
            b = b.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(SmtpMailer {
            transport: b.build(),
            from,
        })
    }

    fn build(&self, mail: &OutgoingMail) -> Result<Message, TrustError> {
        let to = mail
            .to
            .as_str()
            .parse()
            .map_err(|e| TrustError::invalid("email", format!("{e}")))?;
        let mut b = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN);
        if let Some(url) = &mail.unsubscribe_url {
            b = b
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        b.body(mail.text.clone())
            .map_err(|e| TrustError::Mail(e.to_string()))
    }
}

impl Mailer for SmtpMailer {
    fn send<'a>(&'a self, mail: &'a OutgoingMail) -> MailFuture<'a> {
        Box::pin(async move {
            let msg = self.build(mail)?;
            self.transport
                .send(msg)
                .await
                .map(|_| ())
                .map_err(|e| TrustError::Mail(e.to_string()))
        })
    }
}

/// Keeps mail in memory (tests, and the demo when no SMTP server is configured).
#[derive(Debug, Clone, Default)]
pub struct RecordingMailer(Arc<Mutex<Vec<OutgoingMail>>>);

impl RecordingMailer {
    /// Every mail sent so far.
    pub fn sent(&self) -> Vec<OutgoingMail> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl Mailer for RecordingMailer {
    fn send<'a>(&'a self, mail: &'a OutgoingMail) -> MailFuture<'a> {
        Box::pin(async move {
            if let Ok(mut v) = self.0.lock() {
                v.push(mail.clone());
            }
            Ok(())
        })
    }
}
