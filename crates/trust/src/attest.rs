//! Attestations (certifications, audit reports, penetration tests) and their documents; the
//! request gate in front of teaser and gated documents (click-through NDA recorded with its
//! version hash, e-mail, time and IP), decisions by an admin or by an auto-approve domain,
//! magic-link grants that expire and can be revoked, and the view/download log.

use custodian_db::Timestamp;

use crate::error::TrustError;
use crate::mail::OutgoingMail;
use crate::service::{TrustService, email, slug, text};
use crate::store::AttestationRow;
use crate::token;
use crate::types::{Email, Visibility};

/// Days before expiry from which an attestation is flagged as expiring.
pub(crate) const EXPIRING_DAYS: i64 = 60;

/// Document types accepted, with the leading bytes each must start with.
const DOCUMENT_TYPES: &[(&str, &[u8])] = &[("application/pdf", b"%PDF-")];

/// A certification or report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    /// Row id.
    pub id: i64,
    /// URL name.
    pub slug: String,
    /// Title (`SOC 2 Type 2 report`).
    pub title: String,
    /// Who issued it (the audit firm).
    pub issuer: String,
    /// The standard (`ISO/IEC 27001:2022`).
    pub standard: String,
    /// What it covers.
    pub scope: String,
    /// A description shown on teaser and public entries.
    pub description: String,
    /// Start of the period covered.
    pub period_start: Timestamp,
    /// End of the period covered.
    pub period_end: Timestamp,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// When it stops being valid.
    pub expires_at: Timestamp,
    /// Who may see it.
    pub visibility: Visibility,
    /// The document's name, type and size, once uploaded.
    pub document: Option<(String, String, i64)>,
}

impl Attestation {
    /// Whether it has expired at `now`.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        self.expires_at <= now
    }

    /// Whether it expires within [`EXPIRING_DAYS`] of `now` (and has not yet).
    pub fn is_expiring(&self, now: Timestamp) -> bool {
        !self.is_expired(now) && self.expires_at <= now.plus_seconds(EXPIRING_DAYS * 86_400)
    }
}

/// A new attestation.
#[derive(Debug, Clone)]
pub struct NewAttestation {
    /// URL name.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Issuer.
    pub issuer: String,
    /// Standard.
    pub standard: String,
    /// Scope.
    pub scope: String,
    /// Description.
    pub description: String,
    /// Period start.
    pub period_start: Timestamp,
    /// Period end.
    pub period_end: Timestamp,
    /// Issue date.
    pub issued_at: Timestamp,
    /// Expiry date.
    pub expires_at: Timestamp,
    /// Visibility.
    pub visibility: Visibility,
}

/// A document's bytes, for download.
#[derive(Debug, Clone)]
pub struct Document {
    /// File name.
    pub name: String,
    /// MIME type.
    pub content_type: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// A request for a gated document.
#[derive(Debug, Clone)]
pub struct NewAccessRequest {
    /// The attestation's slug.
    pub attestation: String,
    /// Requester's name.
    pub name: String,
    /// Company.
    pub company: String,
    /// E-mail.
    pub email: String,
    /// Why they need it.
    pub reason: String,
    /// Whether the NDA box was ticked.
    pub has_accepted_nda: bool,
    /// The requester's IP address.
    pub ip: String,
}

/// A stored access request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRequest {
    /// Row id.
    pub id: i64,
    /// The attestation's id.
    pub attestation_id: i64,
    /// The attestation's title.
    pub attestation_title: String,
    /// Name.
    pub name: String,
    /// Company.
    pub company: String,
    /// E-mail.
    pub email: String,
    /// Reason.
    pub reason: String,
    /// SHA-256 of the NDA text accepted.
    pub nda_version: String,
    /// When the NDA was accepted.
    pub nda_accepted_at: Timestamp,
    /// Requester IP.
    pub ip: String,
    /// `pending`, `approved` or `denied`.
    pub status: String,
    /// Who decided (`auto:<domain>` for the auto-approve rule).
    pub decided_by: Option<String>,
}

/// What happened to a new request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccessDecision {
    /// Waiting for an admin.
    Pending {
        /// The request id.
        request: i64,
    },
    /// Approved by the domain rule; the magic link was mailed.
    Approved {
        /// The request id.
        request: i64,
    },
}

/// A grant: a magic link to one document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Row id.
    pub id: i64,
    /// The attestation.
    pub attestation_id: i64,
    /// Whom it was mailed to.
    pub email: String,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was revoked.
    pub revoked_at: Option<Timestamp>,
}

/// Views and downloads of one attestation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessStats {
    /// The attestation's slug.
    pub slug: String,
    /// Page views.
    pub views: i64,
    /// Document downloads.
    pub downloads: i64,
}

impl TrustService {
    /// Creates an attestation. Admin only (checked by the caller).
    pub async fn create_attestation(&self, a: &NewAttestation) -> Result<Attestation, TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        let row = AttestationRow {
            slug: slug(&a.slug)?,
            title: text("title", &a.title, 200, false)?,
            issuer: text("issuer", &a.issuer, 200, false)?,
            standard: text("standard", &a.standard, 200, false)?,
            scope: text("scope", &a.scope, 2000, true)?,
            description: text("description", &a.description, 5000, true)?,
            ..AttestationRow::from(a)
        };
        if a.period_end < a.period_start {
            return Err(TrustError::invalid(
                "period_end",
                "is before the period start",
            ));
        }
        if a.expires_at <= a.issued_at {
            return Err(TrustError::invalid(
                "expires_at",
                "must be after the issue date",
            ));
        }
        self.store.create_attestation(&row, self.now()).await
    }

    /// Attaches (or replaces) an attestation's document: PDF only, at most the configured size.
    pub async fn upload_document(
        &self,
        slug: &str,
        name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<(), TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        let limit = self.config.max_document_bytes;
        if bytes.len() > limit {
            return Err(TrustError::TooLarge {
                size: bytes.len(),
                limit,
            });
        }
        let magic = DOCUMENT_TYPES
            .iter()
            .find(|(t, _)| *t == content_type)
            .map(|(_, m)| *m)
            .ok_or_else(|| TrustError::WrongType(content_type.chars().take(60).collect()))?;
        if !bytes.starts_with(magic) {
            return Err(TrustError::WrongType(format!(
                "{content_type} (contents do not match)"
            )));
        }
        let name = file_name(name)?;
        self.store
            .set_document(slug, &name, content_type, bytes)
            .await
    }

    /// Attestations, newest first; hidden ones only when `is_admin`.
    pub async fn attestations(&self, is_admin: bool) -> Result<Vec<Attestation>, TrustError> {
        let all = self.store.attestations().await?;
        Ok(all
            .into_iter()
            .filter(|a| is_admin || a.visibility != Visibility::Hidden)
            .collect())
    }

    /// One visible attestation by slug; records a view.
    pub async fn view_attestation(&self, slug: &str) -> Result<Attestation, TrustError> {
        let a = self.store.attestation(slug).await?;
        if a.visibility == Visibility::Hidden {
            return Err(TrustError::NotFound);
        }
        self.store
            .log_access(a.id, "view", None, self.now())
            .await?;
        Ok(a)
    }

    /// A public document's bytes; records a download.
    pub async fn public_document(&self, slug: &str) -> Result<Document, TrustError> {
        let a = self.store.attestation(slug).await?;
        if a.visibility != Visibility::Public {
            return Err(TrustError::NotFound);
        }
        let doc = self.store.document(a.id).await?;
        self.store
            .log_access(a.id, "download", None, self.now())
            .await?;
        Ok(doc)
    }

    /// The document a magic link opens, if the grant is live; records a download.
    pub async fn granted_document(
        &self,
        link: &str,
    ) -> Result<(Attestation, Document), TrustError> {
        let now = self.now();
        let g = self.store.live_grant(&token::digest(link), now).await?;
        let a = self.store.attestation_by_id(g.attestation_id).await?;
        let doc = self.store.document(a.id).await?;
        self.store
            .log_access(a.id, "download", Some(g.id), now)
            .await?;
        Ok((a, doc))
    }

    /// Records a request for a gated document; approves it at once (and mails the link) when
    /// the e-mail's domain has an auto-approve rule. A request after a denial is a new request.
    pub async fn request_access(&self, r: &NewAccessRequest) -> Result<AccessDecision, TrustError> {
        let a = self.store.attestation(&r.attestation).await?;
        if !a.visibility.is_gated() {
            return Err(TrustError::NotFound);
        }
        if !r.has_accepted_nda {
            return Err(TrustError::invalid("nda", "the agreement must be accepted"));
        }
        let mail = email(&r.email)?;
        let req = AccessRequest {
            id: 0,
            attestation_id: a.id,
            attestation_title: a.title.clone(),
            name: text("name", &r.name, 200, false)?,
            company: text("company", &r.company, 200, false)?,
            email: mail.as_str().to_owned(),
            reason: text("reason", &r.reason, 2000, true)?,
            nda_version: self.config.nda_version(),
            nda_accepted_at: self.now(),
            ip: text("ip", &r.ip, 64, false)?,
            status: "pending".to_owned(),
            decided_by: None,
        };
        let id = self.store.create_request(&req).await?;
        if self.store.is_auto_approved(mail.domain()).await? {
            self.approve_request(id, &format!("auto:{}", mail.domain()))
                .await?;
            return Ok(AccessDecision::Approved { request: id });
        }
        Ok(AccessDecision::Pending { request: id })
    }

    /// Approves a pending request, creates a grant and mails its magic link; returns the link
    /// (for the admin's records and tests).
    pub async fn approve_request(&self, id: i64, by: &str) -> Result<String, TrustError> {
        let now = self.now();
        let (link, digest) = token::issue();
        let expires = now.plus_seconds(self.config.grant_days * 86_400);
        let req = self.store.approve(id, by, &digest, expires, now).await?;
        let url = self.url(&format!("/trust/access/{link}"));
        let to = Email::parse(&req.email)?;
        let mail = OutgoingMail {
            to,
            subject: format!(
                "{}: your access to {}",
                self.config.company, req.attestation_title
            ),
            text: format!(
                "Your request for \"{}\" was approved.\n\nOpen it here until {}:\n{url}\n\nThis link is personal; please do not forward it.\n",
                req.attestation_title,
                expires.to_rfc3339()
            ),
            unsubscribe_url: None,
        };
        // The grant stands even when the mail fails; the admin can resend by approving anew.
        let _ = self.send(mail).await;
        Ok(url)
    }

    /// Denies a pending request.
    pub async fn deny_request(&self, id: i64, by: &str) -> Result<(), TrustError> {
        self.store.deny(id, by, self.now()).await
    }

    /// Revokes a grant.
    pub async fn revoke_grant(&self, id: i64) -> Result<(), TrustError> {
        self.store.revoke(id, self.now()).await
    }

    /// Adds an auto-approve rule for an e-mail domain.
    pub async fn add_auto_approve(&self, domain: &str) -> Result<(), TrustError> {
        let d = domain.trim().to_ascii_lowercase();
        Email::parse(&format!("x@{d}"))?;
        self.store.add_auto_approve(&d, self.now()).await
    }

    /// Requests, newest first, optionally only one status.
    pub async fn access_requests(
        &self,
        status: Option<&str>,
    ) -> Result<Vec<AccessRequest>, TrustError> {
        self.store.requests(status).await
    }

    /// Grants of an attestation.
    pub async fn grants(&self, attestation_id: i64) -> Result<Vec<Grant>, TrustError> {
        self.store.grants(attestation_id).await
    }

    /// Views and downloads per attestation.
    pub async fn access_stats(&self) -> Result<Vec<AccessStats>, TrustError> {
        self.store.access_stats().await
    }
}

fn file_name(name: &str) -> Result<String, TrustError> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._- ".contains(*c))
        .take(120)
        .collect();
    let clean = clean.trim().trim_start_matches('.').to_owned();
    if clean.is_empty() {
        return Err(TrustError::invalid("file", "the file needs a name"));
    }
    Ok(clean)
}
