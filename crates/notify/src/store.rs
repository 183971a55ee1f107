//! The SQL of campaigns and the outbox. Written once for both backends; where they differ
//! (claiming) the difference is [`custodian_db::Dialect::skip_locked`].

use custodian_db::sqlx::{self, Any, Row, Transaction};
use custodian_db::{Database, Timestamp};

use crate::error::NotifyError;
use crate::model::{
    Campaign, CampaignId, CampaignStatus, ChannelKind, NoticeState, OPEN_STATES, Settings,
};

pub(crate) fn idem_key(campaign: i64, person: i64, channel: ChannelKind) -> String {
    format!("notice/{campaign}/{person}/{channel}")
}

const CAMPAIGN_COLS: &str = "id, name, incident_id, impact_version, status, reason, channels, \
     settings, principal, created_at, started_at, finished_at";

fn campaign_from(r: &sqlx::any::AnyRow) -> Result<Campaign, NotifyError> {
    let channels: String = r.try_get(6)?;
    let settings: String = r.try_get(7)?;
    Ok(Campaign {
        id: CampaignId(r.try_get(0)?),
        name: r.try_get(1)?,
        incident: r.try_get(2)?,
        impact_version: r.try_get(3)?,
        status: CampaignStatus::parse(&r.try_get::<String, _>(4)?),
        reason: r.try_get(5)?,
        channels: crate::model::parse_channels(&channels).map_err(NotifyError::Invalid)?,
        settings: serde_json::from_str::<Settings>(&settings)
            .map_err(|e| NotifyError::Invalid(format!("stored settings: {e}")))?,
        principal: r.try_get(8)?,
        created_at: r.try_get(9)?,
        started_at: r.try_get(10)?,
        finished_at: r.try_get(11)?,
    })
}

pub(crate) async fn campaign_by_name(db: &Database, name: &str) -> Result<Campaign, NotifyError> {
    let sql = format!(
        "SELECT {CAMPAIGN_COLS} FROM notify_campaigns WHERE name = $1 OR CAST(id AS TEXT) = $1"
    );
    let row = sqlx::query(&sql)
        .bind(name)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| NotifyError::NoCampaign(name.to_owned()))?;
    campaign_from(&row)
}

pub(crate) async fn campaign(db: &Database, id: CampaignId) -> Result<Campaign, NotifyError> {
    let sql = format!("SELECT {CAMPAIGN_COLS} FROM notify_campaigns WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| NotifyError::NoCampaign(id.to_string()))?;
    campaign_from(&row)
}

pub(crate) async fn campaigns(db: &Database) -> Result<Vec<Campaign>, NotifyError> {
    let sql = format!("SELECT {CAMPAIGN_COLS} FROM notify_campaigns ORDER BY id");
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await?;
    rows.iter().map(campaign_from).collect()
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert_campaign(
    db: &Database,
    name: &str,
    incident: i64,
    version: i64,
    channels: &[ChannelKind],
    settings: &Settings,
    principal: &str,
    now: Timestamp,
) -> Result<CampaignId, NotifyError> {
    let ch: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
    let settings = serde_json::to_string(settings)
        .map_err(|e| NotifyError::Invalid(format!("settings: {e}")))?;
    let row = sqlx::query(
        "INSERT INTO notify_campaigns (name, incident_id, impact_version, status, reason, channels, \
         settings, principal, created_at, updated_at) VALUES ($1,$2,$3,'draft','',$4,$5,$6,$7,$7) \
         RETURNING id",
    )
    .bind(name)
    .bind(incident)
    .bind(version)
    .bind(ch.join(","))
    .bind(settings)
    .bind(principal)
    .bind(now.0)
    .fetch_one(db.pool())
    .await
    .map_err(|e| {
        if custodian_db::is_unique_violation(&e) {
            NotifyError::invalid(format!("a campaign named `{name}` already exists"))
        } else {
            e.into()
        }
    })?;
    Ok(CampaignId(row.try_get(0)?))
}

/// One planned recipient.
pub(crate) struct NewRecipient {
    pub(crate) person_id: i64,
    pub(crate) public_id: String,
    pub(crate) external_id: String,
    pub(crate) cohort: String,
    pub(crate) elements: i64,
    pub(crate) account_kind: String,
    pub(crate) state: String,
    pub(crate) language: String,
    pub(crate) minor: bool,
    pub(crate) lookup_hash: String,
    pub(crate) channel: ChannelKind,
    pub(crate) verify_hash: String,
}

/// Inserts recipients and their first outbox row; people already planned are left alone.
/// Removes a campaign that failed while being planned (a draft: nothing sent, no code
/// assigned), with its outbox, recipients and templates, in one transaction.
pub(crate) async fn delete_draft(db: &Database, id: CampaignId) -> Result<(), NotifyError> {
    let mut tx = db.pool().begin().await?;
    for table in ["notify_outbox", "notify_recipients", "notify_templates"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE campaign_id = $1"))
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM notify_campaigns WHERE id = $1 AND status = 'draft'")
        .bind(id.0)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn insert_recipients(
    db: &Database,
    campaign: CampaignId,
    rs: &[NewRecipient],
    now: Timestamp,
) -> Result<u64, NotifyError> {
    let mut tx = db.pool().begin().await?;
    let mut n = 0;
    for r in rs {
        let row = sqlx::query(
            "INSERT INTO notify_recipients (campaign_id, person_id, public_id, external_id, cohort, \
             elements, account_kind, state, language, minor, lookup_hash) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) \
             ON CONFLICT (campaign_id, person_id) DO NOTHING RETURNING id",
        )
        .bind(campaign.0)
        .bind(r.person_id)
        .bind(&r.public_id)
        .bind(&r.external_id)
        .bind(&r.cohort)
        .bind(r.elements)
        .bind(&r.account_kind)
        .bind(&r.state)
        .bind(&r.language)
        .bind(i64::from(r.minor))
        .bind(&r.lookup_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { continue };
        let rid: i64 = row.try_get(0)?;
        insert_notice(
            &mut tx,
            campaign.0,
            rid,
            r.person_id,
            r.channel,
            &r.verify_hash,
            now,
        )
        .await?;
        n += 1;
    }
    tx.commit().await?;
    Ok(n)
}

pub(crate) async fn insert_notice(
    tx: &mut Transaction<'_, Any>,
    campaign: i64,
    recipient: i64,
    person: i64,
    channel: ChannelKind,
    verify_hash: &str,
    now: Timestamp,
) -> Result<bool, NotifyError> {
    let r = sqlx::query(
        "INSERT INTO notify_outbox (campaign_id, recipient_id, person_id, channel, state, attempts, \
         next_attempt_at, idem_key, verify_hash, updated_at) VALUES ($1,$2,$3,$4,'queued',0,$5,$6,$7,$5) \
         ON CONFLICT (campaign_id, person_id, channel) DO NOTHING",
    )
    .bind(campaign)
    .bind(recipient)
    .bind(person)
    .bind(channel.as_str())
    .bind(now.0)
    .bind(idem_key(campaign, person, channel))
    .bind(verify_hash)
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected() == 1)
}

pub(crate) async fn set_status(
    db: &Database,
    id: CampaignId,
    from: &[CampaignStatus],
    to: CampaignStatus,
    reason: &str,
    now: Timestamp,
) -> Result<bool, NotifyError> {
    let list: Vec<String> = from.iter().map(|s| format!("'{}'", s.as_str())).collect();
    let started = if to == CampaignStatus::Running {
        ", started_at = COALESCE(started_at, $4)"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE notify_campaigns SET status = $1, reason = $2, updated_at = $4{started} \
         WHERE id = $3 AND status IN ({})",
        list.join(",")
    );
    let r = sqlx::query(&sql)
        .bind(to.as_str())
        .bind(reason)
        .bind(id.0)
        .bind(now.0)
        .execute(db.pool())
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Cancels open notices of a cancelled campaign (claimed ones finish and record their outcome).
pub(crate) async fn cancel_open(
    db: &Database,
    id: CampaignId,
    now: Timestamp,
) -> Result<u64, NotifyError> {
    let r = sqlx::query(
        "UPDATE notify_outbox SET state = 'cancelled', updated_at = $2 \
         WHERE campaign_id = $1 AND state IN ('queued','soft_failed')",
    )
    .bind(id.0)
    .bind(now.0)
    .execute(db.pool())
    .await?;
    Ok(r.rows_affected())
}

/// Marks a running campaign finished, atomically with the check that no notice is open.
pub(crate) async fn try_finish(
    db: &Database,
    id: CampaignId,
    now: Timestamp,
) -> Result<bool, NotifyError> {
    let sql = format!(
        "UPDATE notify_campaigns SET status = 'finished', finished_at = $2, updated_at = $2 \
         WHERE id = $1 AND status = 'running' AND NOT EXISTS \
         (SELECT 1 FROM notify_outbox o WHERE o.campaign_id = $1 AND o.state IN {OPEN_STATES})"
    );
    let r = sqlx::query(&sql)
        .bind(id.0)
        .bind(now.0)
        .execute(db.pool())
        .await?;
    Ok(r.rows_affected() == 1)
}

/// A notice a worker claimed.
#[derive(Debug, Clone)]
pub(crate) struct Claimed {
    pub(crate) id: i64,
    pub(crate) recipient_id: i64,
    pub(crate) person_id: i64,
    pub(crate) channel: ChannelKind,
    pub(crate) attempts: i64,
    pub(crate) idem_key: String,
}

/// Claims up to `limit` due notices of a running campaign for `owner` until `lease_until`:
/// queued ones, soft-failed ones whose retry time came, and claimed ones whose lease expired.
pub(crate) async fn claim(
    db: &Database,
    id: CampaignId,
    owner: &str,
    now: Timestamp,
    lease_until: Timestamp,
    limit: i64,
) -> Result<Vec<Claimed>, NotifyError> {
    // Each kind of due notice is found through the `(campaign_id, state, next_attempt_at)`
    // index, stopping at the limit: one claim reads about as many rows as it takes, however
    // many notices the campaign has (a single query with an OR over the states scanned and
    // sorted every notice of the campaign at each claim).
    let lock = db.dialect().skip_locked();
    let sql = format!(
        "UPDATE notify_outbox SET state = 'claimed', lease_owner = $1, lease_until = $2, \
         attempts = attempts + 1, updated_at = $3 WHERE id IN (\
           SELECT id FROM (SELECT id FROM notify_outbox WHERE campaign_id = $4 AND state = 'queued' \
             AND next_attempt_at <= $3 ORDER BY next_attempt_at LIMIT $5{lock}) q \
           UNION ALL \
           SELECT id FROM (SELECT id FROM notify_outbox WHERE campaign_id = $4 AND state = 'soft_failed' \
             AND next_attempt_at <= $3 ORDER BY next_attempt_at LIMIT $5{lock}) s \
           UNION ALL \
           SELECT id FROM (SELECT id FROM notify_outbox WHERE campaign_id = $4 AND state = 'claimed' \
             AND lease_until < $3 LIMIT $5{lock}) e \
           ORDER BY id LIMIT $5) \
         AND $4 IN (SELECT c.id FROM notify_campaigns c WHERE c.status = 'running') \
         RETURNING id, recipient_id, person_id, channel, attempts, idem_key"
    );
    let rows = sqlx::query(&sql)
        .bind(owner)
        .bind(lease_until.0)
        .bind(now.0)
        .bind(id.0)
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let ch: String = r.try_get(3)?;
        out.push(Claimed {
            id: r.try_get(0)?,
            recipient_id: r.try_get(1)?,
            person_id: r.try_get(2)?,
            channel: ch.parse().map_err(NotifyError::Invalid)?,
            attempts: r.try_get(4)?,
            idem_key: r.try_get(5)?,
        });
    }
    out.sort_by_key(|c| c.id);
    Ok(out)
}

/// The earliest retry time of a campaign's soft-failed notices, and the earliest lease end.
pub(crate) async fn next_due(db: &Database, id: CampaignId) -> Result<Option<i64>, NotifyError> {
    let row = sqlx::query(
        "SELECT MIN(CASE WHEN state = 'claimed' THEN lease_until ELSE next_attempt_at END) \
         FROM notify_outbox WHERE campaign_id = $1 AND state IN ('queued','claimed','soft_failed')",
    )
    .bind(id.0)
    .fetch_one(db.pool())
    .await?;
    Ok(row.try_get(0)?)
}

/// How a send ended.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Sent {
        message_id: String,
    },
    Soft {
        error: String,
        retry_at: Timestamp,
    },
    /// A final failure; `fallback` is the next channel to queue, if any; `suppressed` when the
    /// address was on the suppression list.
    Hard {
        error: String,
        fallback: Option<ChannelKind>,
        suppressed: bool,
    },
}

/// One claimed notice's outcome to record; `fallback_verify_hash` is the verification hash of
/// the fallback notice a hard failure queues.
pub(crate) struct ToRecord<'a> {
    pub(crate) notice: &'a Claimed,
    pub(crate) outcome: &'a Outcome,
    pub(crate) fallback_verify_hash: Option<&'a str>,
}

/// Records claimed notices' outcomes in one transaction, each only while `owner` still holds
/// its claim. Returns, per notice, false when its claim was lost (the lease expired and another
/// worker took it); a lost claim changes nothing, and the others are recorded all the same.
pub(crate) async fn record_many(
    db: &Database,
    campaign: CampaignId,
    owner: &str,
    items: &[ToRecord<'_>],
    now: Timestamp,
) -> Result<Vec<bool>, NotifyError> {
    let mut tx = db.pool().begin().await?;
    let mut kept = vec![false; items.len()];
    // Sent notices (nearly all of them) in one statement per chunk; the rest one at a time.
    let sent: Vec<(usize, i64, &str)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| match it.outcome {
            Outcome::Sent { message_id } => Some((i, it.notice.id, message_id.as_str())),
            _ => None,
        })
        .collect();
    for chunk in sent.chunks(200) {
        let ids = record_sent(&mut tx, owner, chunk, now).await?;
        for (i, id, _) in chunk {
            kept[*i] = ids.contains(id);
        }
    }
    for (i, it) in items.iter().enumerate() {
        if !matches!(it.outcome, Outcome::Sent { .. }) {
            kept[i] = record_in(&mut tx, campaign, owner, it, now).await?;
        }
    }
    tx.commit().await?;
    Ok(kept)
}

/// Marks claimed notices sent, with their message ids, in one statement; returns the ids of
/// those whose claim `owner` still held (the others are left as they are).
async fn record_sent(
    tx: &mut Transaction<'_, Any>,
    owner: &str,
    sent: &[(usize, i64, &str)],
    now: Timestamp,
) -> Result<std::collections::HashSet<i64>, NotifyError> {
    let n = sent.len();
    // $1 now, $2 owner, then (id, message id) pairs for the CASE, then the ids.
    let cases: String = (0..n)
        .map(|k| format!(" WHEN ${} THEN ${}", 3 + 2 * k, 4 + 2 * k))
        .collect();
    let sql = format!(
        "UPDATE notify_outbox SET state = 'sent', message_id = CASE id{cases} END, last_error = '', \
         next_attempt_at = $1, sent_at = $1, lease_owner = NULL, lease_until = NULL, updated_at = $1 \
         WHERE lease_owner = $2 AND state = 'claimed' AND id IN ({}) RETURNING id",
        params(3 + 2 * n, n)
    );
    let mut q = sqlx::query(&sql).bind(now.0).bind(owner);
    for (_, id, mid) in sent {
        q = q.bind(*id).bind(*mid);
    }
    for (_, id, _) in sent {
        q = q.bind(*id);
    }
    let mut out = std::collections::HashSet::with_capacity(n);
    for r in q.fetch_all(&mut **tx).await? {
        out.insert(r.try_get::<i64, _>(0)?);
    }
    Ok(out)
}

async fn record_in(
    tx: &mut Transaction<'_, Any>,
    campaign: CampaignId,
    owner: &str,
    it: &ToRecord<'_>,
    now: Timestamp,
) -> Result<bool, NotifyError> {
    let c = it.notice;
    let (state, msg, err, next, sent) = match it.outcome {
        Outcome::Sent { message_id } => (
            NoticeState::Sent,
            Some(message_id.as_str()),
            "",
            now.0,
            Some(now.0),
        ),
        Outcome::Soft { error, retry_at } => (
            NoticeState::SoftFailed,
            None,
            error.as_str(),
            retry_at.0,
            None,
        ),
        Outcome::Hard {
            error,
            fallback,
            suppressed,
        } => {
            let s = match (fallback, suppressed) {
                (Some(_), _) => NoticeState::FallenBack,
                (None, true) => NoticeState::Suppressed,
                (None, false) => NoticeState::Bounced,
            };
            (s, None, error.as_str(), now.0, None)
        }
    };
    let r = sqlx::query(
        "UPDATE notify_outbox SET state = $1, message_id = COALESCE($2, message_id), last_error = $3, \
         next_attempt_at = $4, sent_at = $5, lease_owner = NULL, lease_until = NULL, updated_at = $6 \
         WHERE id = $7 AND lease_owner = $8 AND state = 'claimed'",
    )
    .bind(state.as_str())
    .bind(msg)
    .bind(err)
    .bind(next)
    .bind(sent)
    .bind(now.0)
    .bind(c.id)
    .bind(owner)
    .execute(&mut **tx)
    .await?;
    if r.rows_affected() != 1 {
        return Ok(false);
    }
    if let (
        Outcome::Hard {
            fallback: Some(next),
            ..
        },
        Some(vh),
    ) = (it.outcome, it.fallback_verify_hash)
    {
        insert_notice(tx, campaign.0, c.recipient_id, c.person_id, *next, vh, now).await?;
    }
    Ok(true)
}

/// Puts an address hash on the suppression list.
pub(crate) async fn suppress(
    db: &Database,
    hash: &str,
    channel: ChannelKind,
    reason: &str,
    now: Timestamp,
) -> Result<(), NotifyError> {
    sqlx::query(
        "INSERT INTO notify_suppressions (address_hash, channel, reason, created_at) VALUES ($1,$2,$3,$4) \
         ON CONFLICT (address_hash) DO NOTHING",
    )
    .bind(hash)
    .bind(channel.as_str())
    .bind(reason)
    .bind(now.0)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Which of these address hashes are on the suppression list.
pub(crate) async fn suppressed_among(
    db: &Database,
    hashes: &[String],
) -> Result<std::collections::HashSet<String>, NotifyError> {
    let mut out = std::collections::HashSet::new();
    for chunk in hashes.chunks(500) {
        let sql = format!(
            "SELECT address_hash FROM notify_suppressions WHERE address_hash IN ({})",
            db.dialect().list_placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for h in chunk {
            q = q.bind(h.as_str());
        }
        for r in q.fetch_all(db.pool()).await? {
            out.insert(r.try_get::<String, _>(0)?);
        }
    }
    Ok(out)
}

/// `$first, $first+1, …` for `n` bound values, for statements that use some parameter twice
/// (anonymous placeholders cannot; see `Dialect::list_placeholders`).
fn params(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// A recipient's planned facts.
#[derive(Debug, Clone)]
#[allow(dead_code)] // `id` and `external_id` complete the row for callers and debugging.
pub(crate) struct RecipientRow {
    pub(crate) id: i64,
    pub(crate) campaign_id: i64,
    pub(crate) person_id: i64,
    pub(crate) public_id: String,
    pub(crate) external_id: String,
    pub(crate) cohort: String,
    pub(crate) elements: i64,
    pub(crate) account_kind: String,
    pub(crate) language: String,
    pub(crate) minor: bool,
    pub(crate) code: Option<(String, String, String)>,
}

const RECIPIENT_SELECT: &str = "SELECT r.id, r.campaign_id, r.person_id, r.public_id, r.external_id, r.cohort, \
     r.elements, r.account_kind, r.language, r.minor, c.code, c.engagement, c.enrol_by \
     FROM notify_recipients r LEFT JOIN notify_codes c ON c.recipient_id = r.id";

fn recipient_from(r: &sqlx::any::AnyRow) -> Result<RecipientRow, NotifyError> {
    let code: Option<String> = r.try_get(10)?;
    let eng: Option<String> = r.try_get(11)?;
    let by: Option<String> = r.try_get(12)?;
    Ok(RecipientRow {
        id: r.try_get(0)?,
        campaign_id: r.try_get(1)?,
        person_id: r.try_get(2)?,
        public_id: r.try_get(3)?,
        external_id: r.try_get(4)?,
        cohort: r.try_get(5)?,
        elements: r.try_get(6)?,
        account_kind: r.try_get(7)?,
        language: r.try_get(8)?,
        minor: r.try_get::<i64, _>(9)? != 0,
        code: code.map(|c| (c, eng.unwrap_or_default(), by.unwrap_or_default())),
    })
}

/// Recipients by id (those that exist), keyed by id.
pub(crate) async fn recipients(
    db: &Database,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, RecipientRow>, NotifyError> {
    let mut out = std::collections::HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = format!(
            "{RECIPIENT_SELECT} WHERE r.id IN ({})",
            db.dialect().list_placeholders(1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        for row in q.fetch_all(db.pool()).await? {
            let r = recipient_from(&row)?;
            out.insert(r.id, r);
        }
    }
    Ok(out)
}

pub(crate) async fn recipient_by_lookup(
    db: &Database,
    hash: &str,
) -> Result<Option<RecipientRow>, NotifyError> {
    let sql = format!("{RECIPIENT_SELECT} WHERE r.lookup_hash = $1");
    let row = sqlx::query(&sql)
        .bind(hash)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(recipient_from).transpose()
}

pub(crate) async fn recipient_by_person(
    db: &Database,
    campaign: CampaignId,
    who: &str,
) -> Result<Option<RecipientRow>, NotifyError> {
    let sql = format!(
        "{RECIPIENT_SELECT} WHERE r.campaign_id = $1 AND (r.external_id = $2 OR r.public_id = $2)"
    );
    let row = sqlx::query(&sql)
        .bind(campaign.0)
        .bind(who)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(recipient_from).transpose()
}

pub(crate) async fn recipients_by_external(
    db: &Database,
    external: &str,
) -> Result<Vec<RecipientRow>, NotifyError> {
    let sql = format!(
        "{RECIPIENT_SELECT} JOIN notify_campaigns k ON k.id = r.campaign_id \
         WHERE r.external_id = $1 AND k.status IN ('running','paused','finished') ORDER BY r.id"
    );
    let rows = sqlx::query(&sql)
        .bind(external)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(recipient_from).collect()
}

/// (cohort, language, minor) combinations planned, with their counts.
pub(crate) async fn audience_shapes(
    db: &Database,
    id: CampaignId,
) -> Result<Vec<(String, String, String, bool, i64)>, NotifyError> {
    let rows = sqlx::query(
        "SELECT r.cohort, r.language, o.channel, r.minor, COUNT(*) FROM notify_recipients r \
         JOIN notify_outbox o ON o.recipient_id = r.id WHERE r.campaign_id = $1 \
         GROUP BY r.cohort, r.language, o.channel, r.minor ORDER BY r.cohort, r.language, o.channel, r.minor",
    )
    .bind(id.0)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get::<i64, _>(3)? != 0,
                r.try_get(4)?,
            ))
        })
        .collect()
}

/// Templates of a campaign: (cohort, channel, language, subject, body).
pub(crate) async fn templates(
    db: &Database,
    id: CampaignId,
) -> Result<Vec<(String, String, String, String, String)>, NotifyError> {
    let rows = sqlx::query(
        "SELECT cohort, channel, language, subject, body FROM notify_templates WHERE campaign_id = $1 \
         ORDER BY cohort, channel, language",
    )
    .bind(id.0)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
            ))
        })
        .collect()
}

#[allow(clippy::too_many_arguments)] // one column per argument; callers name each
pub(crate) async fn put_template(
    db: &Database,
    id: CampaignId,
    cohort: &str,
    channel: ChannelKind,
    language: &str,
    subject: &str,
    body: &str,
    now: Timestamp,
) -> Result<(), NotifyError> {
    sqlx::query(
        "INSERT INTO notify_templates (campaign_id, cohort, channel, language, subject, body, updated_at) \
         VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (campaign_id, cohort, channel, language) \
         DO UPDATE SET subject = excluded.subject, body = excluded.body, updated_at = excluded.updated_at",
    )
    .bind(id.0)
    .bind(cohort)
    .bind(channel.as_str())
    .bind(language)
    .bind(subject)
    .bind(body)
    .bind(now.0)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Imports codes; duplicates of codes already present are skipped. Returns (added, skipped).
pub(crate) async fn import_codes(
    db: &Database,
    codes: &[crate::codes::ProtectionCode],
    now: Timestamp,
) -> Result<(u64, u64), NotifyError> {
    let mut tx = db.pool().begin().await?;
    let (mut added, mut skipped) = (0, 0);
    for c in codes {
        let r = sqlx::query(
            "INSERT INTO notify_codes (code, engagement, enrol_by, minor, imported_at) VALUES ($1,$2,$3,$4,$5) \
             ON CONFLICT (code) DO NOTHING",
        )
        .bind(&c.code)
        .bind(&c.engagement)
        .bind(&c.enrol_by)
        .bind(i64::from(c.minor))
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 1 {
            added += 1;
        } else {
            skipped += 1;
        }
    }
    tx.commit().await?;
    Ok((added, skipped))
}

/// (adults, minors) of a campaign still without a code, and free (adult, minor) codes.
pub(crate) async fn code_needs(
    db: &Database,
    id: CampaignId,
) -> Result<((i64, i64), (i64, i64)), NotifyError> {
    let need = sqlx::query(
        "SELECT CAST(COALESCE(SUM(CASE WHEN r.minor = 0 THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(r.minor), 0) AS BIGINT) \
         FROM notify_recipients r WHERE r.campaign_id = $1 \
         AND NOT EXISTS (SELECT 1 FROM notify_codes c WHERE c.recipient_id = r.id)",
    )
    .bind(id.0)
    .fetch_one(db.pool())
    .await?;
    let free = sqlx::query(
        "SELECT CAST(COALESCE(SUM(CASE WHEN minor = 0 THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(minor), 0) AS BIGINT) \
         FROM notify_codes WHERE recipient_id IS NULL",
    )
    .fetch_one(db.pool())
    .await?;
    Ok((
        (need.try_get(0)?, need.try_get(1)?),
        (free.try_get(0)?, free.try_get(1)?),
    ))
}

/// Assigns a free code of the right kind to every recipient without one, in one transaction:
/// all or nothing. Each code goes to one recipient (`recipient_id UNIQUE`), each recipient gets
/// one (skipped when it has one).
pub(crate) async fn assign_codes(
    db: &Database,
    id: CampaignId,
    now: Timestamp,
) -> Result<u64, NotifyError> {
    let mut tx = db.pool().begin().await?;
    let mut n = 0;
    for minor in [0_i64, 1] {
        let rows = sqlx::query(
            "SELECT r.id FROM notify_recipients r WHERE r.campaign_id = $1 AND r.minor = $2 \
             AND NOT EXISTS (SELECT 1 FROM notify_codes c WHERE c.recipient_id = r.id) ORDER BY r.id",
        )
        .bind(id.0)
        .bind(minor)
        .fetch_all(&mut *tx)
        .await?;
        let want: Vec<i64> = rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        if want.is_empty() {
            continue;
        }
        let sql = format!(
            "SELECT id FROM notify_codes WHERE recipient_id IS NULL AND minor = $1 ORDER BY id LIMIT $2{}",
            db.dialect().skip_locked()
        );
        let free = sqlx::query(&sql)
            .bind(minor)
            .bind(want.len() as i64)
            .fetch_all(&mut *tx)
            .await?;
        if free.len() < want.len() {
            tx.rollback().await?;
            let kind = if minor == 1 { "minor" } else { "adult" };
            return Err(NotifyError::NotReady(vec![format!(
                "the identity-protection code pool has {} free {kind} codes for {} {kind} recipients",
                free.len(),
                want.len()
            )]));
        }
        for (rid, code) in want.iter().zip(free.iter()) {
            let cid: i64 = code.try_get(0)?;
            sqlx::query(
                "UPDATE notify_codes SET campaign_id = $1, recipient_id = $2, assigned_at = $3 \
                 WHERE id = $4 AND recipient_id IS NULL",
            )
            .bind(id.0)
            .bind(*rid)
            .bind(now.0)
            .bind(cid)
            .execute(&mut *tx)
            .await?;
            n += 1;
        }
    }
    tx.commit().await?;
    Ok(n)
}

/// Counts by channel and state; recipients; sends in the last minute; codes.
pub(crate) async fn counts(
    db: &Database,
    id: CampaignId,
    since: Timestamp,
) -> Result<(Vec<(String, String, i64)>, i64, i64, i64, (i64, i64)), NotifyError> {
    let rows = sqlx::query(
        "SELECT channel, state, COUNT(*) FROM notify_outbox WHERE campaign_id = $1 GROUP BY channel, state",
    )
    .bind(id.0)
    .fetch_all(db.pool())
    .await?;
    let by = rows
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<Vec<_>, NotifyError>>()?;
    let rec: i64 = sqlx::query("SELECT COUNT(*) FROM notify_recipients WHERE campaign_id = $1")
        .bind(id.0)
        .fetch_one(db.pool())
        .await?
        .try_get(0)?;
    let recent: i64 =
        sqlx::query("SELECT COUNT(*) FROM notify_outbox WHERE campaign_id = $1 AND sent_at >= $2")
            .bind(id.0)
            .bind(since.0)
            .fetch_one(db.pool())
            .await?
            .try_get(0)?;
    let assigned: i64 = sqlx::query("SELECT COUNT(*) FROM notify_codes WHERE campaign_id = $1")
        .bind(id.0)
        .fetch_one(db.pool())
        .await?
        .try_get(0)?;
    let ((_, _), free) = code_needs(db, id).await?;
    Ok((by, rec, recent, assigned, free))
}

/// A sent notice found by its verification hash: (campaign name, channel, sent_at).
pub(crate) async fn notice_by_verify(
    db: &Database,
    hash: &str,
) -> Result<Option<(String, String, Option<i64>, String)>, NotifyError> {
    let row = sqlx::query(
        "SELECT c.name, o.channel, o.sent_at, o.state FROM notify_outbox o JOIN notify_campaigns c ON c.id = o.campaign_id \
         WHERE o.verify_hash = $1",
    )
    .bind(hash)
    .fetch_optional(db.pool())
    .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)))
        .transpose()
}
