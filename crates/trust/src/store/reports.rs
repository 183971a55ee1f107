//! Researchers, reports, comments, attachments, the bounty table and payouts in storage. A state
//! change is a guarded update (`WHERE state = <from>`), so two triagers cannot both move the same
//! report, and its comment and reputation change go in the same transaction.

use custodian_db::sqlx::{self, Row, any::AnyRow};
use custodian_db::{Timestamp, is_unique_violation};

use super::Store;
use crate::error::TrustError;
use crate::reports::{BountyRow, CheckedReport, Comment, Payout, Report, Researcher};
use crate::types::{ReportState, Severity};

/// One state change to store.
#[derive(Debug)]
pub(crate) struct StateChange<'a> {
    pub(crate) id: i64,
    pub(crate) from: ReportState,
    pub(crate) to: ReportState,
    pub(crate) comment: &'a str,
    pub(crate) author: &'a str,
    pub(crate) duplicate_of: Option<i64>,
    pub(crate) reputation: i64,
}

const COLUMNS: &str = "r.id, p.handle, r.title, r.asset, r.weakness, r.description, r.steps, \
     r.impact, r.cvss_vector, r.score_tenths, r.severity, r.state, r.duplicate_of, r.created_at, \
     r.state_changed_at";

fn report(r: &AnyRow) -> Result<Report, TrustError> {
    let sev: String = r.try_get(10)?;
    let state: String = r.try_get(11)?;
    Ok(Report {
        id: r.try_get(0)?,
        handle: r.try_get(1)?,
        title: r.try_get(2)?,
        asset: r.try_get(3)?,
        weakness: r.try_get(4)?,
        description: r.try_get(5)?,
        steps: r.try_get(6)?,
        impact: r.try_get(7)?,
        cvss_vector: r.try_get(8)?,
        score_tenths: r.try_get(9)?,
        severity: Severity::parse(&sev)?,
        state: ReportState::parse(&state)?,
        duplicate_of: r.try_get(12)?,
        created_at: Timestamp(r.try_get(13)?),
        state_changed_at: Timestamp(r.try_get(14)?),
    })
}

impl Store {
    pub(crate) async fn create_report(
        &self,
        c: &CheckedReport,
        follow_hash: &str,
        now: Timestamp,
    ) -> Result<i64, TrustError> {
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "INSERT INTO trust_researchers (email, handle, hall_of_fame, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (email) DO NOTHING",
        )
        .bind(c.email.as_str())
        .bind(&c.handle)
        .bind(i64::from(c.is_listed))
        .bind(now.0)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                TrustError::Duplicate("a researcher with this handle")
            } else {
                e.into()
            }
        })?;
        let row = sqlx::query("SELECT id, handle FROM trust_researchers WHERE email = $1")
            .bind(c.email.as_str())
            .fetch_one(&mut *tx)
            .await?;
        let researcher: i64 = row.try_get(0)?;
        let known_handle: String = row.try_get(1)?;
        if known_handle != c.handle {
            return Err(TrustError::invalid(
                "handle",
                "this e-mail is registered with another handle",
            ));
        }
        sqlx::query("UPDATE trust_researchers SET hall_of_fame = $2 WHERE id = $1")
            .bind(researcher)
            .bind(i64::from(c.is_listed))
            .execute(&mut *tx)
            .await?;
        let (vector, score, severity) = match &c.cvss {
            Some(s) => (Some(s.vector.clone()), Some(s.score), s.severity),
            None => (None, None, Severity::None),
        };
        let [title, asset, weakness, description, steps, impact] = &c.fields;
        let row = sqlx::query(
            "INSERT INTO trust_reports (researcher_id, title, asset, weakness, description, steps, \
             impact, cvss_vector, score_tenths, severity, state, follow_hash, state_changed_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'new', $11, $12, $12) RETURNING id",
        )
        .bind(researcher)
        .bind(title)
        .bind(asset)
        .bind(weakness)
        .bind(description)
        .bind(steps)
        .bind(impact)
        .bind(vector)
        .bind(score)
        .bind(severity.as_str())
        .bind(follow_hash)
        .bind(now.0)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get(0)?;
        for (name, ty, bytes) in &c.attachments {
            sqlx::query(
                "INSERT INTO trust_report_attachments (report_id, name, content_type, size, bytes) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(name)
            .bind(ty)
            .bind(bytes.len() as i64)
            .bind(bytes.clone())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    pub(crate) async fn attachments(
        &self,
        report_id: i64,
    ) -> Result<Vec<crate::reports::Attachment>, TrustError> {
        let rows = sqlx::query(
            "SELECT id, name, content_type, size FROM trust_report_attachments \
             WHERE report_id = $1 ORDER BY id",
        )
        .bind(report_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(crate::reports::Attachment {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    content_type: r.try_get(2)?,
                    size: r.try_get(3)?,
                })
            })
            .collect()
    }

    pub(crate) async fn attachment_bytes(
        &self,
        report_id: i64,
        id: i64,
    ) -> Result<(String, String, Vec<u8>), TrustError> {
        let row = sqlx::query(
            "SELECT name, content_type, bytes FROM trust_report_attachments \
             WHERE report_id = $1 AND id = $2",
        )
        .bind(report_id)
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or(TrustError::NotFound)?;
        Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
    }

    pub(crate) async fn report_by_follow(&self, hash: &str) -> Result<i64, TrustError> {
        let row = sqlx::query("SELECT id FROM trust_reports WHERE follow_hash = $1")
            .bind(hash)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or(TrustError::BadLink)?;
        Ok(row.try_get(0)?)
    }

    pub(crate) async fn report(&self, id: i64) -> Result<Report, TrustError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM trust_reports r JOIN trust_researchers p ON p.id = r.researcher_id \
             WHERE r.id = $1"
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or(TrustError::NotFound)?;
        report(&row)
    }

    pub(crate) async fn reports(
        &self,
        state: Option<ReportState>,
    ) -> Result<Vec<Report>, TrustError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM trust_reports r JOIN trust_researchers p ON p.id = r.researcher_id \
             WHERE ($1 = '' OR r.state = $1) ORDER BY r.id DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(state.map_or("", ReportState::as_str))
            .fetch_all(self.db.pool())
            .await?;
        rows.iter().map(report).collect()
    }

    pub(crate) async fn researcher_of(
        &self,
        report_id: i64,
    ) -> Result<(String, String), TrustError> {
        let row = sqlx::query(
            "SELECT p.email, p.handle FROM trust_reports r JOIN trust_researchers p \
             ON p.id = r.researcher_id WHERE r.id = $1",
        )
        .bind(report_id)
        .fetch_optional(self.db.pool())
        .await?
        .ok_or(TrustError::NotFound)?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    pub(crate) async fn comments(&self, id: i64) -> Result<Vec<Comment>, TrustError> {
        let rows = sqlx::query(
            "SELECT author, body, state_from, state_to, at FROM trust_report_comments \
             WHERE report_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Comment {
                    author: r.try_get(0)?,
                    body: r.try_get(1)?,
                    from: r.try_get(2)?,
                    to: r.try_get(3)?,
                    at: Timestamp(r.try_get(4)?),
                })
            })
            .collect()
    }

    pub(crate) async fn reply(
        &self,
        id: i64,
        body: &str,
        now: Timestamp,
    ) -> Result<(), TrustError> {
        let mut tx = self.db.pool().begin().await?;
        let moved = sqlx::query(
            "UPDATE trust_reports SET state = 'new', state_changed_at = $2 \
             WHERE id = $1 AND state = 'needs_more_info'",
        )
        .bind(id)
        .bind(now.0)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let (from, to) = if moved {
            (Some("needs_more_info"), Some("new"))
        } else {
            (None, None)
        };
        sqlx::query(
            "INSERT INTO trust_report_comments (report_id, author, body, state_from, state_to, at) \
             VALUES ($1, 'researcher', $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(body)
        .bind(from)
        .bind(to)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn change_state(
        &self,
        c: &StateChange<'_>,
        now: Timestamp,
    ) -> Result<(), TrustError> {
        let mut tx = self.db.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE trust_reports SET state = $3, state_changed_at = $4, duplicate_of = $5 \
             WHERE id = $1 AND state = $2",
        )
        .bind(c.id)
        .bind(c.from.as_str())
        .bind(c.to.as_str())
        .bind(now.0)
        .bind(c.duplicate_of)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(TrustError::BadTransition {
                from: c.from.as_str(),
                to: c.to.as_str(),
            });
        }
        sqlx::query(
            "INSERT INTO trust_report_comments (report_id, author, body, state_from, state_to, at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(c.id)
        .bind(c.author)
        .bind(c.comment)
        .bind(c.from.as_str())
        .bind(c.to.as_str())
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        if c.reputation != 0 {
            sqlx::query(
                "UPDATE trust_researchers SET reputation = reputation + $2 \
                 WHERE id = (SELECT researcher_id FROM trust_reports WHERE id = $1)",
            )
            .bind(c.id)
            .bind(c.reputation)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn stale_reports(&self, cutoff: Timestamp) -> Result<Vec<i64>, TrustError> {
        let rows = sqlx::query(
            "SELECT id FROM trust_reports WHERE state = 'needs_more_info' AND state_changed_at <= $1",
        )
        .bind(cutoff.0)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    pub(crate) async fn set_bounty(
        &self,
        s: Severity,
        min: i64,
        max: i64,
    ) -> Result<(), TrustError> {
        sqlx::query(
            "INSERT INTO trust_bounty_table (severity, min_cents, max_cents) VALUES ($1, $2, $3) \
             ON CONFLICT (severity) DO UPDATE SET min_cents = excluded.min_cents, max_cents = excluded.max_cents",
        )
        .bind(s.as_str())
        .bind(min)
        .bind(max)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub(crate) async fn bounty_table(&self) -> Result<Vec<BountyRow>, TrustError> {
        let rows = sqlx::query("SELECT severity, min_cents, max_cents FROM trust_bounty_table")
            .fetch_all(self.db.pool())
            .await?;
        let mut out = rows
            .iter()
            .map(|r| {
                let s: String = r.try_get(0)?;
                Ok(BountyRow {
                    severity: Severity::parse(&s)?,
                    min_cents: r.try_get(1)?,
                    max_cents: r.try_get(2)?,
                })
            })
            .collect::<Result<Vec<_>, TrustError>>()?;
        out.sort_by_key(|b| std::cmp::Reverse(b.max_cents));
        Ok(out)
    }

    pub(crate) async fn record_payout(
        &self,
        report_id: i64,
        cents: i64,
        note: &str,
        now: Timestamp,
    ) -> Result<(), TrustError> {
        sqlx::query(
            "INSERT INTO trust_payouts (report_id, researcher_id, amount_cents, note, at) \
             SELECT id, researcher_id, $2, $3, $4 FROM trust_reports WHERE id = $1",
        )
        .bind(report_id)
        .bind(cents)
        .bind(note)
        .bind(now.0)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub(crate) async fn payouts(&self) -> Result<Vec<Payout>, TrustError> {
        let rows = sqlx::query(
            "SELECT y.report_id, p.handle, y.amount_cents, y.note, y.at FROM trust_payouts y \
             JOIN trust_researchers p ON p.id = y.researcher_id ORDER BY y.id",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Payout {
                    report_id: r.try_get(0)?,
                    handle: r.try_get(1)?,
                    amount_cents: r.try_get(2)?,
                    note: r.try_get(3)?,
                    at: Timestamp(r.try_get(4)?),
                })
            })
            .collect()
    }

    pub(crate) async fn hall_of_fame(&self) -> Result<Vec<Researcher>, TrustError> {
        let rows = sqlx::query(
            "SELECT id, handle, hall_of_fame, reputation FROM trust_researchers \
             WHERE hall_of_fame = 1 AND reputation > 0 ORDER BY reputation DESC, handle",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Researcher {
                    id: r.try_get(0)?,
                    handle: r.try_get(1)?,
                    is_listed: r.try_get::<i64, _>(2)? == 1,
                    reputation: r.try_get(3)?,
                })
            })
            .collect()
    }
}
