//! Advisories and incident notices: authored in markdown, versioned (every edit of a published
//! notice is a new revision with its date), published once, and mailed on publication to the
//! confirmed subscribers of the notice's topic. An incident notice may name a breach-engine
//! incident and link to the "was I affected?" lookup.

use custodian_db::Timestamp;

use crate::cvss;
use crate::error::TrustError;
use crate::mail::OutgoingMail;
use crate::markdown::{self, MAX_MARKDOWN_BYTES};
use crate::service::{TrustService, slug, text};
use crate::types::{AdvisoryKind, Email, Topic};

/// A notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advisory {
    /// Row id.
    pub id: i64,
    /// URL name, also the CSAF tracking id.
    pub slug: String,
    /// Advisory or incident notice.
    pub kind: AdvisoryKind,
    /// The subscription topic it is mailed to.
    pub topic: Topic,
    /// Title.
    pub title: String,
    /// One-paragraph summary (plain text).
    pub summary: String,
    /// Markdown body.
    pub body_md: String,
    /// Optional CVSS vector.
    pub cvss_vector: Option<String>,
    /// The breach-engine incident it concerns.
    pub incident_id: Option<String>,
    /// The "was I affected?" lookup.
    pub lookup_url: Option<String>,
    /// Current revision number, from 1.
    pub version: i64,
    /// First publication, if published.
    pub published_at: Option<Timestamp>,
    /// Last change.
    pub updated_at: Timestamp,
}

impl Advisory {
    /// The body as sanitized HTML.
    pub fn body_html(&self) -> String {
        markdown::to_html(&self.body_md)
    }
}

/// A new notice (a draft until published).
#[derive(Debug, Clone)]
pub struct NewAdvisory {
    /// URL name.
    pub slug: String,
    /// Kind.
    pub kind: AdvisoryKind,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Markdown body.
    pub body_md: String,
    /// Optional CVSS vector.
    pub cvss_vector: Option<String>,
    /// Optional incident id.
    pub incident_id: Option<String>,
    /// Optional lookup URL (`https://` or site-relative).
    pub lookup_url: Option<String>,
}

/// A checked revision body.
fn body(src: &str) -> Result<String, TrustError> {
    if src.len() > MAX_MARKDOWN_BYTES {
        return Err(TrustError::TooLarge {
            size: src.len(),
            limit: MAX_MARKDOWN_BYTES,
        });
    }
    text("body", src, MAX_MARKDOWN_BYTES, true)
}

impl TrustService {
    /// Creates a draft notice (version 1). Admin only.
    pub async fn create_advisory(&self, a: &NewAdvisory) -> Result<Advisory, TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        let vector = match a.cvss_vector.as_deref().map(str::trim) {
            Some(v) if !v.is_empty() => Some(cvss::score(v)?.vector),
            _ => None,
        };
        let lookup = match a.lookup_url.as_deref().map(str::trim) {
            Some(u) if !u.is_empty() => {
                let ok = u.starts_with("https://") || (u.starts_with('/') && !u.starts_with("//"));
                if !ok {
                    return Err(TrustError::invalid(
                        "lookup_url",
                        "use an https:// or site-relative URL",
                    ));
                }
                Some(text("lookup_url", u, 500, false)?)
            }
            _ => None,
        };
        let incident = match a.incident_id.as_deref().map(str::trim) {
            Some(i) if !i.is_empty() => Some(text("incident_id", i, 100, false)?),
            _ => None,
        };
        let topic = match a.kind {
            AdvisoryKind::Incident => Topic::Incidents,
            _ => Topic::Advisories,
        };
        let adv = Advisory {
            id: 0,
            slug: slug(&a.slug)?,
            kind: a.kind,
            topic,
            title: text("title", &a.title, 200, false)?,
            summary: text("summary", &a.summary, 1000, true)?,
            body_md: body(&a.body_md)?,
            cvss_vector: vector,
            incident_id: incident,
            lookup_url: lookup,
            version: 1,
            published_at: None,
            updated_at: self.now(),
        };
        self.store.create_advisory(&adv).await
    }

    /// Revises a notice: a new version with its own date. Admin only.
    pub async fn revise_advisory(
        &self,
        slug: &str,
        summary: &str,
        body_md: &str,
    ) -> Result<Advisory, TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        let summary = text("summary", summary, 1000, true)?;
        let body_md = body(body_md)?;
        self.store
            .revise_advisory(slug, &summary, &body_md, self.now())
            .await
    }

    /// Publishes a draft and mails the confirmed subscribers of its topic; returns the notice and
    /// the number of mails sent. Publishing twice is refused.
    pub async fn publish_advisory(&self, slug: &str) -> Result<(Advisory, usize), TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        let adv = self.store.publish_advisory(slug, self.now()).await?;
        let url = self.url(&format!("/advisories/{}", adv.slug));
        let mut sent = 0;
        for (addr, unsub) in self.confirmed_subscribers(adv.topic).await? {
            let Ok(to) = Email::parse(&addr) else {
                continue;
            };
            let mail = OutgoingMail {
                to,
                subject: format!("[{}] {}", self.config.company, adv.title),
                text: format!(
                    "{}\n\nRead the full notice: {url}\n\nUnsubscribe: {unsub}\n",
                    adv.summary
                ),
                unsubscribe_url: Some(unsub),
            };
            if self.send(mail).await.is_ok() {
                sent += 1;
            }
        }
        Ok((adv, sent))
    }

    /// Published notices, newest first.
    pub async fn published_advisories(&self) -> Result<Vec<Advisory>, TrustError> {
        self.store.advisories(true).await
    }

    /// Every notice, drafts included. Admin only.
    pub async fn all_advisories(&self) -> Result<Vec<Advisory>, TrustError> {
        self.store.advisories(false).await
    }

    /// A published notice.
    pub async fn published_advisory(&self, slug: &str) -> Result<Advisory, TrustError> {
        let a = self.store.advisory(slug).await?;
        if a.published_at.is_none() {
            return Err(TrustError::NotFound);
        }
        Ok(a)
    }

    /// The revision history of a notice: `(version, date, summary)`.
    pub async fn advisory_revisions(
        &self,
        id: i64,
    ) -> Result<Vec<(i64, Timestamp, String)>, TrustError> {
        self.store.revisions(id).await
    }
}
