//! What happens to a notice after it is sent: delivery reports and late bounces, from a bounce
//! mailbox (delivery status notifications, RFC 3464) or from a provider's webhook.
//!
//! A report names its notice by idempotency key (`notice/{campaign}/{person}/{channel}`, carried
//! in every e-mail's `X-Idempotency-Key` header and sent to the SMS gateway) or by the Message-ID
//! the channel returned. `delivered` moves a sent notice to `delivered`. A bounce moves a sent (or
//! delivered) notice to `bounced`, puts the address on the suppression list when the report
//! names it, and queues the next channel of the campaign's order (`fallen_back`) — in one
//! transaction, so a report applied twice changes nothing the second time. A campaign that had
//! finished runs again until the fallback notices are out; a cancelled one queues nothing.

use custodian_auth::Principal;
use custodian_db::sqlx::{self, Row};

use crate::codes;
use crate::error::NotifyError;
use crate::model::{CampaignId, CampaignStatus, ChannelKind};
use crate::service::Notify;
use crate::store;

/// What a report says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// The provider or receiving server confirmed delivery.
    Delivered,
    /// The message bounced for good (or the recipient complained); the address is not used again.
    Bounced,
}

/// One delivery report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The notice: its idempotency key, or the Message-ID the channel returned.
    pub notice: String,
    /// What happened.
    pub kind: ReportKind,
    /// The address the report is about, when it names one (suppressed on a bounce).
    pub recipient: Option<String>,
    /// The provider's words (a DSN's `Status` and `Diagnostic-Code`), kept as the notice's error.
    pub reason: String,
}

/// What applying a set of reports did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    /// Notices now delivered.
    pub delivered: u64,
    /// Notices now bounced (including those that fell back).
    pub bounced: u64,
    /// Of those, notices for which the next channel was queued.
    pub fallen_back: u64,
    /// Reports whose notice was already in that state or past it (applied before).
    pub unchanged: u64,
    /// Reports that named no notice of ours.
    pub unknown: u64,
}

struct Notice {
    id: i64,
    campaign: i64,
    recipient: i64,
    person: i64,
    channel: ChannelKind,
}

async fn find(db: &custodian_db::Database, key: &str) -> Result<Option<Notice>, NotifyError> {
    let key = key.trim();
    let bare = key.trim_start_matches('<').trim_end_matches('>');
    let bracketed = format!("<{bare}>");
    let row = sqlx::query(
        "SELECT id, campaign_id, recipient_id, person_id, channel FROM notify_outbox \
         WHERE idem_key = $1 OR message_id = $2 OR message_id = $3",
    )
    .bind(key)
    .bind(bare)
    .bind(&bracketed)
    .fetch_optional(db.pool())
    .await?;
    let Some(r) = row else { return Ok(None) };
    let channel: String = r.try_get(4)?;
    Ok(Some(Notice {
        id: r.try_get(0)?,
        campaign: r.try_get(1)?,
        recipient: r.try_get(2)?,
        person: r.try_get(3)?,
        channel: channel.parse().map_err(NotifyError::Invalid)?,
    }))
}

impl Notify {
    /// Applies delivery reports (from a bounce mailbox or a provider's webhook). Needs
    /// `notify.write`. Reports for unknown notices are counted, not errors.
    pub async fn apply_reports(
        &self,
        p: &Principal,
        reports: &[Report],
    ) -> Result<Applied, NotifyError> {
        p.require("notify.write")?;
        let db = self.db();
        let mut out = Applied::default();
        for r in reports {
            let Some(n) = find(db, &r.notice).await? else {
                out.unknown += 1;
                continue;
            };
            let now = self.now();
            let changed = match r.kind {
                ReportKind::Delivered => {
                    let done = sqlx::query(
                        "UPDATE notify_outbox SET state = 'delivered', updated_at = $1 \
                         WHERE id = $2 AND state = 'sent'",
                    )
                    .bind(now.0)
                    .bind(n.id)
                    .execute(db.pool())
                    .await?;
                    if done.rows_affected() == 1 {
                        out.delivered += 1;
                    }
                    done.rows_affected() == 1
                }
                ReportKind::Bounced => {
                    if let Some(addr) = &r.recipient {
                        let hash = codes::hash(&format!(
                            "{}:{}",
                            n.channel.as_str(),
                            addr.trim().to_ascii_lowercase()
                        ));
                        store::suppress(db, &hash, n.channel, &r.reason, now).await?;
                    }
                    let c = store::campaign(db, CampaignId(n.campaign)).await?;
                    let next = if c.status == CampaignStatus::Cancelled {
                        None
                    } else {
                        c.channels
                            .iter()
                            .position(|x| *x == n.channel)
                            .and_then(|i| c.channels.get(i + 1).copied())
                    };
                    let mut tx = db.pool().begin().await?;
                    let state = if next.is_some() {
                        "fallen_back"
                    } else {
                        "bounced"
                    };
                    let done = sqlx::query(
                        "UPDATE notify_outbox SET state = $1, last_error = $2, updated_at = $3 \
                         WHERE id = $4 AND state IN ('sent', 'delivered')",
                    )
                    .bind(state)
                    .bind(&r.reason)
                    .bind(now.0)
                    .bind(n.id)
                    .execute(&mut *tx)
                    .await?;
                    let changed = done.rows_affected() == 1;
                    if changed {
                        out.bounced += 1;
                        if let Some(ch) = next {
                            let idem = store::idem_key(n.campaign, n.person, ch);
                            let vh = codes::hash(&self.inner.key.verify_code(&idem));
                            store::insert_notice(
                                &mut tx,
                                n.campaign,
                                n.recipient,
                                n.person,
                                ch,
                                &vh,
                                now,
                            )
                            .await?;
                            // The campaign is not done while the fallback notice is open.
                            sqlx::query(
                                "UPDATE notify_campaigns SET status = 'running', finished_at = NULL \
                                 WHERE id = $1 AND status = 'finished'",
                            )
                            .bind(n.campaign)
                            .execute(&mut *tx)
                            .await?;
                            out.fallen_back += 1;
                        }
                    }
                    tx.commit().await?;
                    changed
                }
            };
            if !changed {
                out.unchanged += 1;
            }
        }
        Ok(out)
    }
}

/// Reads a delivery status notification (RFC 3464, `multipart/report;
/// report-type=delivery-status`) as the bounce mailbox receives it: one report per failed or
/// delivered recipient, naming the notice by the returned message's `X-Idempotency-Key`, or by
/// its `Message-ID`. `None` when the message is not a DSN about one of our notices (delayed-only
/// DSNs, auto-replies, spam).
pub fn parse_dsn(message: &str) -> Option<Vec<Report>> {
    let text = message.replace("\r\n", "\n");
    let lower = text.to_ascii_lowercase();
    if !(lower.contains("multipart/report") && lower.contains("delivery-status")) {
        return None;
    }
    let header = |name: &str, from: usize| -> Option<(usize, String)> {
        let needle = format!("\n{}:", name.to_ascii_lowercase());
        let at = lower[from..].find(&needle)? + from + needle.len();
        let end = text[at..].find('\n').map_or(text.len(), |e| at + e);
        Some((at, text[at..end].trim().to_owned()))
    };
    // The notice: the returned headers carry our idempotency key, else our Message-ID (the
    // DSN's own Message-ID comes first, so take a `notice.` one).
    let notice = header("x-idempotency-key", 0).map(|(_, v)| v).or_else(|| {
        let mut from = 0;
        let mut found = None;
        while let Some((at, v)) = header("message-id", from) {
            if v.trim_start_matches('<').starts_with("notice.") {
                found = Some(v);
            }
            from = at;
        }
        found
    })?;
    // Per-recipient fields: blocks of `Final-Recipient`, `Action`, `Status`, `Diagnostic-Code`.
    let starts: Vec<usize> = lower
        .match_indices("\nfinal-recipient:")
        .map(|(i, _)| i)
        .collect();
    let mut reports = Vec::new();
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(text.len());
        let field = |name: &str| {
            header(name, start)
                .filter(|(pos, _)| *pos < end)
                .map(|(_, v)| v)
                .unwrap_or_default()
        };
        let recipient = field("final-recipient");
        let action = field("action").to_ascii_lowercase();
        let reason = format!("{} {}", field("status"), field("diagnostic-code"));
        let address = recipient
            .split_once(';')
            .map_or(recipient.as_str(), |(_, a)| a)
            .trim()
            .to_owned();
        let kind = match action.as_str() {
            "failed" => ReportKind::Bounced,
            "delivered" | "relayed" | "expanded" => ReportKind::Delivered,
            _ => continue,
        };
        reports.push(Report {
            notice: notice.clone(),
            kind,
            recipient: (!address.is_empty()).then_some(address),
            reason: reason.trim().to_owned(),
        });
    }
    (!reports.is_empty()).then_some(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DSN: &str = "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example\r\nMessage-ID: <dsn.1@mx.example>\r\n\
Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n\
--B\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. Your message could not be delivered.\r\n\r\n\
--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n\
Final-Recipient: rfc822; Gone@Example.test\r\nAction: failed\r\nStatus: 5.1.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n\
--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: Acme <notices@acme.example>\r\n\
To: Gone@Example.test\r\nMessage-ID: <notice.00aa11@acme.example>\r\n\
X-Idempotency-Key: notice/3/17/email\r\nSubject: Notice of Data Breach\r\n\r\n--B--\r\n";

    #[test]
    fn a_failed_dsn_is_a_bounce_of_the_notice_it_returns() {
        let r = parse_dsn(DSN).unwrap();
        assert_eq!(
            r,
            vec![Report {
                notice: "notice/3/17/email".into(),
                kind: ReportKind::Bounced,
                recipient: Some("Gone@Example.test".into()),
                reason: "5.1.1 smtp; 550 5.1.1 user unknown".into(),
            }]
        );
    }

    #[test]
    fn the_message_id_serves_when_the_key_was_not_returned() {
        let no_key = DSN.replace("X-Idempotency-Key: notice/3/17/email\r\n", "");
        let r = parse_dsn(&no_key).unwrap();
        assert_eq!(r[0].notice, "<notice.00aa11@acme.example>");
    }

    #[test]
    fn delays_and_other_mail_are_not_reports() {
        assert!(parse_dsn(&DSN.replace("Action: failed", "Action: delayed")).is_none());
        assert!(parse_dsn("Subject: Out of office\r\n\r\nI am away.\r\n").is_none());
        let delivered = parse_dsn(&DSN.replace("Action: failed", "Action: delivered")).unwrap();
        assert_eq!(delivered[0].kind, ReportKind::Delivered);
    }
}
