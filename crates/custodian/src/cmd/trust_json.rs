//! What `custodian trust` prints: the JSON form of every Trust Center record for `--json`, built
//! by hand from the domain types' public fields (they are not `Serialize`), and the small text
//! formats its tables share (dates, amounts). Subscriber addresses and researcher details appear
//! here because the operator running the command is the one person meant to see them.

use custodian_db::Timestamp;
use custodian_trust::{
    AccessRequest, AccessStats, Advisory, Attestation, BountyRow, Comment, FaqEntry, Grant, Payout,
    PracticePage, Report, ScopeAsset, Subprocessor,
};
use serde_json::{Value, json};

use crate::config::Settings;

/// Prints `v` with `--json`, else runs `text`.
pub(super) fn show(s: &Settings, v: &Value, text: impl FnOnce()) {
    if s.json {
        crate::output::json(v);
    } else {
        text();
    }
}

/// A date for a table (`2026-03-01`).
pub(super) fn day(t: Timestamp) -> String {
    t.day()
}

/// An amount in cents as an operator types it (`2500.50`).
pub(super) fn money(cents: i64) -> String {
    custodian_trust::types::format_amount(cents)
}

/// The wire form of an attestation, with its expiry flags at `now`.
pub(super) fn attestation_json(a: &Attestation, now: Timestamp) -> Value {
    json!({
        "id": a.id, "slug": a.slug, "title": a.title, "issuer": a.issuer,
        "standard": a.standard, "scope": a.scope, "description": a.description,
        "period_start": a.period_start.to_rfc3339(), "period_end": a.period_end.to_rfc3339(),
        "issued_at": a.issued_at.to_rfc3339(), "expires_at": a.expires_at.to_rfc3339(),
        "visibility": a.visibility.as_str(),
        "document": a.document.as_ref().map(|(name, ty, size)| {
            json!({"name": name, "content_type": ty, "bytes": size})
        }),
        "expired": a.is_expired(now), "expiring": a.is_expiring(now),
    })
}

/// The wire form of an access request.
pub(super) fn request_json(r: &AccessRequest) -> Value {
    json!({
        "id": r.id, "attestation_id": r.attestation_id, "attestation": r.attestation_title,
        "name": r.name, "company": r.company, "email": r.email, "reason": r.reason,
        "nda_version": r.nda_version, "nda_accepted_at": r.nda_accepted_at.to_rfc3339(),
        "ip": r.ip, "status": r.status, "decided_by": r.decided_by,
    })
}

/// The wire form of a grant to `slug`'s document, with its state at `now`.
pub(super) fn grant_json(slug: &str, g: &Grant, now: Timestamp) -> Value {
    let state = match g.revoked_at {
        Some(_) => "revoked",
        None if g.expires_at <= now => "expired",
        None => "live",
    };
    json!({
        "id": g.id, "attestation": slug, "email": g.email, "state": state,
        "expires_at": g.expires_at.to_rfc3339(),
        "revoked_at": g.revoked_at.map(Timestamp::to_rfc3339),
    })
}

/// The views and downloads of one attestation.
pub(super) fn stats_json(a: &AccessStats) -> Value {
    json!({"slug": a.slug, "views": a.views, "downloads": a.downloads})
}

/// The wire form of a notice (without its body), with the severity of its CVSS vector.
pub(super) fn advisory_json(a: &Advisory) -> Value {
    let scored = a
        .cvss_vector
        .as_deref()
        .and_then(|v| custodian_trust::cvss::score(v).ok());
    json!({
        "id": a.id, "slug": a.slug, "kind": a.kind.as_str(), "topic": a.topic.as_str(),
        "title": a.title, "summary": a.summary, "cvss_vector": a.cvss_vector,
        "severity": scored.as_ref().map(|s| s.severity.as_str()),
        "score_tenths": scored.as_ref().map(|s| s.score),
        "incident_id": a.incident_id, "lookup_url": a.lookup_url, "version": a.version,
        "published_at": a.published_at.map(Timestamp::to_rfc3339),
        "updated_at": a.updated_at.to_rfc3339(),
    })
}

/// The wire form of a report with its comments.
pub(super) fn report_json(r: &Report, comments: &[Comment]) -> Value {
    let comments: Vec<Value> = comments
        .iter()
        .map(|c| {
            json!({"author": c.author, "body": c.body, "from": c.from, "to": c.to,
                   "at": c.at.to_rfc3339()})
        })
        .collect();
    json!({
        "id": r.id, "handle": r.handle, "title": r.title, "asset": r.asset,
        "weakness": r.weakness, "description": r.description, "steps": r.steps,
        "impact": r.impact, "cvss_vector": r.cvss_vector, "score_tenths": r.score_tenths,
        "severity": r.severity.as_str(), "state": r.state.as_str(),
        "duplicate_of": r.duplicate_of, "created_at": r.created_at.to_rfc3339(),
        "state_changed_at": r.state_changed_at.to_rfc3339(), "comments": comments,
    })
}

/// One row of the bounty table.
pub(super) fn bounty_json(b: &BountyRow) -> Value {
    json!({"severity": b.severity.as_str(), "min_cents": b.min_cents, "max_cents": b.max_cents})
}

/// One payout of the ledger.
pub(super) fn payout_json(p: &Payout) -> Value {
    json!({"report_id": p.report_id, "handle": p.handle, "amount_cents": p.amount_cents,
           "note": p.note, "at": p.at.to_rfc3339()})
}

/// A practices page with its markdown as written (the pages render it sanitized); the fields
/// are those of the API's page.
pub(super) fn page_json(p: &PracticePage) -> Value {
    json!({"slug": p.slug, "title": p.title, "body": p.body_md, "position": p.position,
           "updated_at": p.updated_at.to_rfc3339()})
}

/// A subprocessor.
pub(super) fn subprocessor_json(s: &Subprocessor) -> Value {
    json!({"id": s.id, "name": s.name, "purpose": s.purpose, "location": s.location,
           "position": s.position})
}

/// A question with its markdown answer.
pub(super) fn faq_json(f: &FaqEntry) -> Value {
    json!({"id": f.id, "question": f.question, "answer": f.answer_md, "position": f.position})
}

/// An asset of the disclosure scope.
pub(super) fn scope_json(a: &ScopeAsset) -> Value {
    json!({"id": a.id, "asset": a.asset, "in_scope": a.in_scope, "notes": a.notes,
           "position": a.position})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_print_with_two_decimals() {
        assert_eq!(money(250_050), "2500.50");
        assert_eq!(money(7), "0.07");
    }
}
