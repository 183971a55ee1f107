//! The Trust Center service: configuration, the handles it holds (database, clock, mailer) and the
//! small helpers every capability shares. The capabilities themselves live in `attest`,
//! `advisory`, `subscribe` and `reports`, each adding methods to [`TrustService`].

use std::sync::Arc;

use custodian_db::{Clock, Database, Timestamp};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::TrustError;
use crate::mail::{Mailer, OutgoingMail};
use crate::store::Store;
use crate::types::Email;

/// How the Trust Center presents itself and its limits.
#[derive(Debug, Clone)]
pub struct TrustConfig {
    /// The public base URL, without a trailing slash (`https://trust.example.com`).
    pub base_url: String,
    /// The company name on pages, mails and feeds.
    pub company: String,
    /// The security contact address (security.txt, disclosure policy).
    pub security_contact: String,
    /// The click-through NDA text for gated documents; its SHA-256 is recorded with each
    /// acceptance.
    pub nda_text: String,
    /// How long a grant lasts, in days (1 to 90).
    pub grant_days: i64,
    /// How long a subscription confirmation link lasts, in seconds.
    pub confirm_ttl_secs: i64,
    /// How far ahead security.txt's `Expires` is set, in days (1 to 364).
    pub security_txt_days: i64,
    /// The largest attestation document, in bytes.
    pub max_document_bytes: usize,
    /// The largest report attachment, in bytes.
    pub max_attachment_bytes: usize,
    /// `Preferred-Languages` of security.txt.
    pub languages: String,
    /// The logo and colours of the pages.
    pub branding: crate::brand::Branding,
    /// Signs security.txt when set.
    pub security_txt_signer: Option<crate::securitytxt::Signer>,
}

impl TrustConfig {
    /// A configuration with the usual limits for a site at `base_url`.
    pub fn new(base_url: &str, company: &str, security_contact: &str) -> TrustConfig {
        TrustConfig {
            base_url: base_url.trim_end_matches('/').to_owned(),
            company: company.to_owned(),
            security_contact: security_contact.to_owned(),
            nda_text: DEFAULT_NDA.to_owned(),
            grant_days: 30,
            confirm_ttl_secs: 48 * 3600,
            security_txt_days: 180,
            max_document_bytes: 20 * 1024 * 1024,
            max_attachment_bytes: 5 * 1024 * 1024,
            languages: "en".to_owned(),
            branding: crate::brand::Branding::default(),
            security_txt_signer: None,
        }
    }

    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), TrustError> {
        if !(1..=90).contains(&self.grant_days) {
            return Err(TrustError::invalid(
                "grant_days",
                "must be between 1 and 90",
            ));
        }
        if !(1..=364).contains(&self.security_txt_days) {
            return Err(TrustError::invalid(
                "security_txt_days",
                "must be between 1 and 364 (RFC 9116 asks for less than a year)",
            ));
        }
        if !self.base_url.starts_with("https://") && !self.base_url.starts_with("http://") {
            return Err(TrustError::invalid("base_url", "must be an http(s) URL"));
        }
        self.branding.validate()
    }

    /// The SHA-256 (hex) of the NDA text in force.
    pub fn nda_version(&self) -> String {
        hex::encode(Sha256::digest(self.nda_text.as_bytes()))
    }
}

/// The click-through NDA shown before a gated document is requested.
pub(crate) const DEFAULT_NDA: &str = "The requested document is confidential. You agree to use it only \
to evaluate the security of our services for your organisation, not to share it outside your \
organisation, and to delete it when you no longer need it for that purpose.";

/// The Trust Center.
#[derive(Clone)]
pub struct TrustService {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: Arc<TrustConfig>,
    pub(crate) mailer: Arc<dyn Mailer>,
    link_key: Arc<[u8]>,
    /// The last signed security.txt: the text signed and the signed file.
    signed_security_txt: Arc<tokio::sync::Mutex<Option<(String, String)>>>,
    /// Bumped by every change this process makes to what public pages show.
    generation: Arc<std::sync::atomic::AtomicU64>,
}

impl std::fmt::Debug for TrustService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrustService")
            .field("base_url", &self.config.base_url)
            .finish_non_exhaustive()
    }
}

impl TrustService {
    /// Opens the service over a migrated database (see [`crate::COMPONENT`]).
    pub async fn open(
        db: Database,
        clock: Arc<dyn Clock>,
        config: TrustConfig,
        mailer: Arc<dyn Mailer>,
    ) -> Result<TrustService, TrustError> {
        config.validate()?;
        let store = Store { db };
        let (fresh, _) = crate::token::issue();
        let key = store.secret("link_key", &fresh).await?;
        Ok(TrustService {
            store,
            clock,
            config: Arc::new(config),
            mailer,
            link_key: hex::decode(key).unwrap_or_default().into(),
            signed_security_txt: Arc::default(),
            generation: Arc::default(),
        })
    }

    /// A number that changes whenever this process changes something public pages show
    /// (attestations, notices, reports, the bounty table, practices content). Caches of rendered
    /// pages compare it; changes made by other processes are not counted, so such caches must
    /// also expire by time.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Marks a change to public content when dropped, that is after the change is written
    /// (a page rendered meanwhile is cached under the old generation and not served again).
    pub(crate) fn touched(&self) -> Touch<'_> {
        Touch(&self.generation)
    }

    /// security.txt as served now: cleartext-signed when a signer is configured (signed once
    /// per change of its text, that is once a day), else plain.
    pub async fn security_txt(&self) -> Result<String, TrustError> {
        let text = crate::securitytxt::render(&self.config, self.now());
        let Some(signer) = &self.config.security_txt_signer else {
            return Ok(text);
        };
        let mut cache = self.signed_security_txt.lock().await;
        if let Some((signed_text, signed)) = cache.as_ref()
            && *signed_text == text
        {
            return Ok(signed.clone());
        }
        let signed = signer.sign(&text).await?;
        *cache = Some((text, signed.clone()));
        Ok(signed)
    }

    /// The configuration.
    pub fn config(&self) -> &TrustConfig {
        &self.config
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// A deterministic token for `purpose` and `subject` (unsubscribe links), keyed by a secret
    /// kept in the database, so a link in an old mail keeps working.
    pub(crate) fn keyed_token(&self, purpose: &str, subject: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.link_key) else {
            // HMAC accepts keys of any length; this branch cannot run.
            return String::new();
        };
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(subject.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// A link under the public site.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url)
    }

    /// Sends a mail; failures are logged and returned.
    pub(crate) async fn send(&self, mail: OutgoingMail) -> Result<(), TrustError> {
        let r = self.mailer.send(&mail).await;
        if let Err(e) = &r {
            tracing::warn!(error = %e, "trust mail failed");
        }
        r
    }
}

/// Bumps the content generation on drop.
pub(crate) struct Touch<'a>(&'a std::sync::atomic::AtomicU64);

impl Drop for Touch<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Checks a required text field: trimmed, non-empty, at most `max` characters, no control
/// characters except newlines and tabs when `is_multiline`.
pub(crate) fn text(
    field: &'static str,
    value: &str,
    max: usize,
    is_multiline: bool,
) -> Result<String, TrustError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(TrustError::invalid(field, "is required"));
    }
    if v.chars().count() > max {
        return Err(TrustError::invalid(
            field,
            format!("is longer than {max} characters"),
        ));
    }
    let bad = v
        .chars()
        .any(|c| c.is_control() && !(is_multiline && (c == '\n' || c == '\r' || c == '\t')));
    if bad {
        return Err(TrustError::invalid(field, "contains control characters"));
    }
    Ok(v.to_owned())
}

/// Checks a URL-safe identifier: 1 to 80 of `a-z`, `0-9` and `-`.
pub(crate) fn slug(value: &str) -> Result<String, TrustError> {
    let ok = !value.is_empty()
        && value.len() <= 80
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(value.to_owned())
    } else {
        Err(TrustError::invalid("slug", "use 1 to 80 of a-z, 0-9 and -"))
    }
}

/// Parses an e-mail field.
pub(crate) fn email(value: &str) -> Result<Email, TrustError> {
    Email::parse(value)
}
