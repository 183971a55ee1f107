//! The vulnerability disclosure programme: researchers, reports and their state machine (each
//! change with a comment and a mail to the researcher), severity from CVSS, the bounty table, the
//! payouts ledger, reputation by outcome, level badges and the hall of fame (with consent).
//!
//! A researcher follows a report through a secret link mailed on submission; there is no
//! password to lose or to guess.

use custodian_db::Timestamp;

use crate::cvss;
use crate::error::TrustError;
use crate::mail::OutgoingMail;
use crate::service::{TrustService, email, text};
use crate::token;
use crate::types::{Email, ReportState, Severity};

/// Days a report waits in `needs_more_info` before it closes itself as informative.
pub(crate) const NEEDS_INFO_DAYS: i64 = 30;

/// Attachment types accepted, with the leading bytes each must start with (empty: any text).
const ATTACHMENT_TYPES: &[(&str, &[u8])] = &[
    ("image/png", b"\x89PNG\r\n\x1a\n"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("application/pdf", b"%PDF-"),
    ("text/plain", b""),
];

/// The most attachments on one report.
pub(crate) const MAX_ATTACHMENTS: usize = 5;

/// A researcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Researcher {
    /// Row id.
    pub id: i64,
    /// Public handle.
    pub handle: String,
    /// Whether they agreed to be listed in the hall of fame.
    pub is_listed: bool,
    /// Reputation earned by outcomes.
    pub reputation: i64,
}

impl Researcher {
    /// The badge level of this reputation: `none`, `bronze`, `silver`, `gold`.
    pub fn level(&self) -> &'static str {
        match self.reputation {
            i64::MIN..=6 => "none",
            7..=49 => "bronze",
            50..=99 => "silver",
            _ => "gold",
        }
    }
}

/// A report as submitted.
#[derive(Debug, Clone, Default)]
pub struct NewReport {
    /// Researcher e-mail.
    pub email: String,
    /// Researcher handle.
    pub handle: String,
    /// Consent to the hall of fame.
    pub is_listed: bool,
    /// Title.
    pub title: String,
    /// Affected asset.
    pub asset: String,
    /// Weakness (CWE or words).
    pub weakness: String,
    /// Description.
    pub description: String,
    /// Steps to reproduce.
    pub steps: String,
    /// Impact.
    pub impact: String,
    /// Optional CVSS vector.
    pub cvss_vector: String,
    /// Attachments: name, MIME type, bytes.
    pub attachments: Vec<(String, String, Vec<u8>)>,
}

/// What a submission returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmittedReport {
    /// The report id.
    pub id: i64,
    /// The follow-up link (also mailed).
    pub follow_url: String,
}

/// A stored report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Row id.
    pub id: i64,
    /// The researcher's handle.
    pub handle: String,
    /// Title.
    pub title: String,
    /// Asset.
    pub asset: String,
    /// Weakness.
    pub weakness: String,
    /// Description.
    pub description: String,
    /// Steps.
    pub steps: String,
    /// Impact.
    pub impact: String,
    /// CVSS vector.
    pub cvss_vector: Option<String>,
    /// Score in tenths.
    pub score_tenths: Option<i64>,
    /// Severity.
    pub severity: Severity,
    /// State.
    pub state: ReportState,
    /// The original report, for duplicates.
    pub duplicate_of: Option<i64>,
    /// Submitted.
    pub created_at: Timestamp,
    /// Last state change.
    pub state_changed_at: Timestamp,
}

/// A file attached to a report (its bytes are fetched one at a time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Row id.
    pub id: i64,
    /// The file name the researcher gave.
    pub name: String,
    /// Its checked type.
    pub content_type: String,
    /// Its size in bytes.
    pub size: i64,
}

/// A comment or state change on a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// `researcher`, `staff` or `system`.
    pub author: String,
    /// Text.
    pub body: String,
    /// State before, for changes.
    pub from: Option<String>,
    /// State after, for changes.
    pub to: Option<String>,
    /// When.
    pub at: Timestamp,
}

/// A bounty range for a severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BountyRow {
    /// Severity.
    pub severity: Severity,
    /// Lowest award, in cents.
    pub min_cents: i64,
    /// Highest award, in cents.
    pub max_cents: i64,
}

/// A payout in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout {
    /// The report.
    pub report_id: i64,
    /// The researcher's handle.
    pub handle: String,
    /// Amount in cents.
    pub amount_cents: i64,
    /// Note.
    pub note: String,
    /// When.
    pub at: Timestamp,
}

/// A checked report, ready to store.
#[derive(Debug)]
pub(crate) struct CheckedReport {
    pub(crate) email: Email,
    pub(crate) handle: String,
    pub(crate) is_listed: bool,
    pub(crate) fields: [String; 6],
    pub(crate) cvss: Option<cvss::Scored>,
    pub(crate) attachments: Vec<(String, String, Vec<u8>)>,
}

fn handle(h: &str) -> Result<String, TrustError> {
    let h = h.trim();
    let ok = (2..=40).contains(&h.len())
        && h.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(h.to_owned())
    } else {
        Err(TrustError::invalid(
            "handle",
            "use 2 to 40 of a-z, A-Z, 0-9, _ and -",
        ))
    }
}

impl TrustService {
    fn check_report(&self, r: &NewReport) -> Result<CheckedReport, TrustError> {
        let cvss = match r.cvss_vector.trim() {
            "" => None,
            v => Some(cvss::score(v)?),
        };
        if r.attachments.len() > MAX_ATTACHMENTS {
            return Err(TrustError::invalid(
                "attachments",
                format!("at most {MAX_ATTACHMENTS} files"),
            ));
        }
        let mut attachments = Vec::new();
        for (name, ty, bytes) in &r.attachments {
            let limit = self.config.max_attachment_bytes;
            if bytes.len() > limit {
                return Err(TrustError::TooLarge {
                    size: bytes.len(),
                    limit,
                });
            }
            let magic = ATTACHMENT_TYPES
                .iter()
                .find(|(t, _)| t == ty)
                .map(|(_, m)| *m)
                .ok_or_else(|| TrustError::WrongType(ty.chars().take(60).collect()))?;
            let is_text_ok = !magic.is_empty() || std::str::from_utf8(bytes).is_ok();
            if !bytes.starts_with(magic) || !is_text_ok {
                return Err(TrustError::WrongType(format!(
                    "{ty} (contents do not match)"
                )));
            }
            let name = text("attachment name", name, 120, false)?;
            attachments.push((name, ty.clone(), bytes.clone()));
        }
        Ok(CheckedReport {
            email: email(&r.email)?,
            handle: handle(&r.handle)?,
            is_listed: r.is_listed,
            fields: [
                text("title", &r.title, 200, false)?,
                text("asset", &r.asset, 300, false)?,
                text("weakness", &r.weakness, 200, false)?,
                text("description", &r.description, 20_000, true)?,
                text("steps", &r.steps, 20_000, true)?,
                text("impact", &r.impact, 5_000, true)?,
            ],
            cvss,
            attachments,
        })
    }

    /// Submits a report (registering the researcher on first use); everything is checked before
    /// anything is stored, and stored in one transaction. Mails the follow-up link.
    pub async fn submit_report(&self, r: &NewReport) -> Result<SubmittedReport, TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        let checked = self.check_report(r)?;
        let (link, digest) = token::issue();
        let id = self
            .store
            .create_report(&checked, &digest, self.now())
            .await?;
        let follow_url = self.url(&format!("/security/reports/{link}"));
        let mail = OutgoingMail {
            to: checked.email.clone(),
            subject: format!("{}: report #{id} received", self.config.company),
            text: format!(
                "Thank you for your report \"{}\".\n\nFollow it and reply here (keep this link private):\n{follow_url}\n",
                checked.fields[0]
            ),
            unsubscribe_url: None,
        };
        let _ = self.send(mail).await;
        Ok(SubmittedReport { id, follow_url })
    }

    /// The report a follow-up link opens, with its public comments.
    pub async fn followed_report(&self, link: &str) -> Result<(Report, Vec<Comment>), TrustError> {
        let id = self.store.report_by_follow(&token::digest(link)).await?;
        let report = self.store.report(id).await?;
        let comments = self.store.comments(id).await?;
        Ok((report, comments))
    }

    /// A researcher's reply; a report waiting for information goes back to `new`.
    pub async fn researcher_reply(&self, link: &str, body: &str) -> Result<(), TrustError> {
        let body = text("comment", body, 20_000, true)?;
        let id = self.store.report_by_follow(&token::digest(link)).await?;
        self.store.reply(id, &body, self.now()).await
    }

    /// Moves a report to another state with a comment (and the original for duplicates),
    /// adjusts the researcher's reputation and mails them. Staff only.
    pub async fn transition_report(
        &self,
        id: i64,
        to: ReportState,
        comment: &str,
        duplicate_of: Option<i64>,
    ) -> Result<Report, TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        let comment = text("comment", comment, 20_000, true)?;
        let report = self.store.report(id).await?;
        if !report.state.can_move_to(to) {
            return Err(TrustError::BadTransition {
                from: report.state.as_str(),
                to: to.as_str(),
            });
        }
        let original = match (to, duplicate_of) {
            (ReportState::Duplicate, Some(o)) if o != id => Some(self.store.report(o).await?.id),
            (ReportState::Duplicate, _) => {
                return Err(TrustError::invalid(
                    "duplicate_of",
                    "name the original report",
                ));
            }
            _ => None,
        };
        let delta = to.reputation() - report.state.reputation();
        let change = crate::store::StateChange {
            id,
            from: report.state,
            to,
            comment: &comment,
            author: "staff",
            duplicate_of: original,
            reputation: delta,
        };
        self.store.change_state(&change, self.now()).await?;
        let updated = self.store.report(id).await?;
        if let Ok((addr, _)) = self.store.researcher_of(id).await {
            let mail = OutgoingMail {
                to: Email::parse(&addr)?,
                subject: format!(
                    "{}: report #{id} is now {}",
                    self.config.company,
                    to.as_str().replace('_', " ")
                ),
                text: format!(
                    "{comment}\n\nUse the follow-up link from your first mail to reply.\n"
                ),
                unsubscribe_url: None,
            };
            let _ = self.send(mail).await;
        }
        Ok(updated)
    }

    /// Closes reports that waited in `needs_more_info` for [`NEEDS_INFO_DAYS`] as informative;
    /// returns how many.
    pub async fn close_stale_reports(&self) -> Result<usize, TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        let now = self.now();
        let cutoff = now.plus_seconds(-NEEDS_INFO_DAYS * 86_400);
        let mut n = 0;
        for id in self.store.stale_reports(cutoff).await? {
            let change = crate::store::StateChange {
                id,
                from: ReportState::NeedsMoreInfo,
                to: ReportState::Informative,
                comment: "Closed as informative: no reply within 30 days.",
                author: "system",
                duplicate_of: None,
                reputation: 0,
            };
            if self.store.change_state(&change, now).await.is_ok() {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Reports, newest first, optionally in one state. Staff only.
    pub async fn reports(&self, state: Option<ReportState>) -> Result<Vec<Report>, TrustError> {
        self.store.reports(state).await
    }

    /// One report with every comment. Staff only.
    pub async fn report(&self, id: i64) -> Result<(Report, Vec<Comment>), TrustError> {
        Ok((self.store.report(id).await?, self.store.comments(id).await?))
    }

    /// Runs [`TrustService::close_stale_reports`] now and then every `every`, logging what it
    /// closed, so a report waiting for more information closes itself after 30 days while the
    /// server runs. Several servers may run it; each report closes once.
    pub fn spawn_housekeeping(&self, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match me.close_stale_reports().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(closed = n, "closed stale disclosure reports"),
                    Err(e) => tracing::warn!(error = %e, "closing stale disclosure reports failed"),
                }
            }
        })
    }

    /// The files attached to a report. Admin only.
    pub async fn report_attachments(&self, id: i64) -> Result<Vec<Attachment>, TrustError> {
        self.store.attachments(id).await
    }

    /// One attachment's name, type and bytes. Admin only.
    pub async fn report_attachment(
        &self,
        report_id: i64,
        id: i64,
    ) -> Result<(String, String, Vec<u8>), TrustError> {
        self.store.attachment_bytes(report_id, id).await
    }

    /// Sets the bounty range of a severity.
    pub async fn set_bounty(
        &self,
        severity: Severity,
        min_cents: i64,
        max_cents: i64,
    ) -> Result<(), TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        if min_cents < 0 || max_cents < min_cents {
            return Err(TrustError::invalid("bounty", "need 0 <= min <= max"));
        }
        self.store.set_bounty(severity, min_cents, max_cents).await
    }

    /// The bounty table, by severity.
    pub async fn bounty_table(&self) -> Result<Vec<BountyRow>, TrustError> {
        self.store.bounty_table().await
    }

    /// Records a payout for a resolved (or disclosed) report.
    pub async fn record_payout(
        &self,
        report_id: i64,
        amount_cents: i64,
        note: &str,
    ) -> Result<(), TrustError> {
        // Public pages cached under the old content are stale once this returns.
        let _touch = self.touched();
        let r = self.store.report(report_id).await?;
        if !matches!(r.state, ReportState::Resolved | ReportState::Disclosed) {
            return Err(TrustError::invalid(
                "report",
                "only resolved reports are paid",
            ));
        }
        if amount_cents <= 0 {
            return Err(TrustError::invalid("amount", "must be positive"));
        }
        let note = text("note", note, 500, false)?;
        self.store
            .record_payout(report_id, amount_cents, &note, self.now())
            .await
    }

    /// The payouts ledger.
    pub async fn payouts(&self) -> Result<Vec<Payout>, TrustError> {
        self.store.payouts().await
    }

    /// Researchers who agreed to be listed and earned reputation, best first.
    pub async fn hall_of_fame(&self) -> Result<Vec<Researcher>, TrustError> {
        self.store.hall_of_fame().await
    }
}

/// The badge of a level as SVG (fixed text only; no researcher input reaches it).
pub fn badge_svg(level: &str) -> Option<String> {
    let (label, colour) = match level {
        "bronze" => ("Bronze", "#8c5a2b"),
        "silver" => ("Silver", "#5f6b73"),
        "gold" => ("Gold", "#8a6d00"),
        _ => return None,
    };
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"160\" height=\"32\" role=\"img\" aria-label=\"Security researcher: {label}\">\
<rect width=\"160\" height=\"32\" rx=\"6\" fill=\"{colour}\"/>\
<text x=\"80\" y=\"21\" font-family=\"sans-serif\" font-size=\"14\" fill=\"#fff\" text-anchor=\"middle\">Researcher · {label}</text></svg>"
    ))
}
