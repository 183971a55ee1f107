//! The breach engine's results as JSON for `--json` and `incident report --format json`: built
//! by hand from the domain types' public fields (they are not `Serialize`), ids, element names
//! and counts only.

use custodian_breach::obligations::{CpniExposure, KeyExposure, ObligationsPlan, RegulatorNotice};
use custodian_breach::report::Report;
use custodian_breach::{CohortTable, Event, Exposure, ImpactDiff, ImpactVersion, Incident};
use custodian_vault::ElementSet;
use serde_json::{Value, json};

pub(crate) fn key_exposure(k: KeyExposure) -> &'static str {
    match k {
        KeyExposure::Exposed => "exposed",
        KeyExposure::NotExposed => "not_exposed",
        _ => "unknown",
    }
}

fn cpni(k: CpniExposure) -> &'static str {
    match k {
        CpniExposure::Exposed => "exposed",
        CpniExposure::NotExposed => "not_exposed",
        _ => "unknown",
    }
}

fn names(set: ElementSet) -> Vec<&'static str> {
    set.iter().map(|e| e.as_str()).collect()
}

fn opt_time(t: Option<custodian_db::Timestamp>) -> Value {
    t.map_or(Value::Null, |t| json!(t.to_rfc3339()))
}

pub(crate) fn incident(i: &Incident) -> Value {
    json!({
        "id": i.id.0,
        "title": i.title,
        "summary": i.summary,
        "owner": i.owner,
        "status": i.status.as_str(),
        "key_exposure": key_exposure(i.key_exposure),
        "cpni": cpni(i.cpni),
        "detected_at": opt_time(i.detected_at),
        "contained_at": opt_time(i.contained_at),
        "determined_at": opt_time(i.determined_at),
        "aware_at": opt_time(i.aware_at),
        "materiality_at": opt_time(i.materiality_at),
        "created_at": i.created_at.to_rfc3339(),
        "created_by": i.created_by,
        "updated_at": i.updated_at.to_rfc3339(),
    })
}

pub(crate) fn event(e: &Event) -> Value {
    json!({
        "id": e.id,
        "occurred_at": e.occurred_at.to_rfc3339(),
        "recorded_at": e.recorded_at.to_rfc3339(),
        "actor": e.actor,
        "kind": e.kind,
        "detail": e.detail,
    })
}

pub(crate) fn exposure(e: &Exposure) -> Value {
    let unlinked: serde_json::Map<String, Value> = e
        .unlinked
        .iter()
        .map(|(k, n)| (k.as_str().to_owned(), json!(n)))
        .collect();
    let columns: Vec<Value> = e
        .columns
        .iter()
        .map(|c| json!({"name": c.name, "element": c.element.map(|e| e.as_str()), "by": format!("{:?}", c.by).to_lowercase()}))
        .collect();
    json!({
        "id": e.id.0,
        "kind": e.kind.as_str(),
        "form": e.form.as_str(),
        "occurred_at": e.occurred_at.to_rfc3339(),
        "note": e.note,
        "dataset": e.dataset.as_ref().map(|d| d.as_str()),
        "elements": names(e.elements),
        "principal": e.principal,
        "window": e.window.map(|(a, b)| json!({"from": a.to_rfc3339(), "to": b.to_rfc3339()})),
        "source": e.source,
        "columns": columns,
        "rows": e.rows,
        "people": e.people,
        "unlinked_rows": e.unlinked_rows,
        "unlinked": unlinked,
    })
}

pub(crate) fn impact(v: &ImpactVersion) -> Value {
    json!({
        "version": v.version,
        "key_exposure": key_exposure(v.key_exposure),
        "ciphertext_counts": v.counts_ciphertext(),
        "exposures": v.exposures.iter().map(|e| e.0).collect::<Vec<_>>(),
        "population": v.population,
        "touched": v.touched,
        "affected": v.affected,
        "computed_at": v.computed_at.to_rfc3339(),
        "computed_by": v.computed_by,
        "elapsed_ms": v.elapsed_ms,
    })
}

pub(crate) fn cohorts(t: &CohortTable) -> Value {
    let cohorts: Vec<Value> = t
        .cohorts
        .iter()
        .map(|c| json!({"account_kind": c.account_kind.as_str(), "elements": names(c.elements), "people": c.people, "summary": c.summary()}))
        .collect();
    let not_affected: serde_json::Map<String, Value> = t
        .not_affected_by_kind
        .iter()
        .map(|(k, n)| (k.as_str().to_owned(), json!(n)))
        .collect();
    json!({
        "version": t.version,
        "ciphertext_counts": t.counts_ciphertext,
        "affected": t.affected,
        "population": t.population,
        "not_affected": t.not_affected(),
        "not_affected_by_kind": not_affected,
        "summary": t.summary(),
        "cohorts": cohorts,
    })
}

pub(crate) fn diff(d: &ImpactDiff) -> Value {
    let per = |v: &[(custodian_vault::DataElement, u64)]| -> serde_json::Map<String, Value> {
        v.iter()
            .map(|(e, n)| (e.as_str().to_owned(), json!(n)))
            .collect()
    };
    json!({
        "from_version": d.from_version,
        "to_version": d.to_version,
        "affected_before": d.affected_before,
        "affected_after": d.affected_after,
        "added": d.added,
        "removed": d.removed,
        "changed": d.changed,
        "newly_exposed": per(&d.newly_exposed),
        "no_longer_exposed": per(&d.no_longer_exposed),
        "cohorts": d.cohorts.iter().map(|c| json!({"account_kind": c.account_kind.as_str(), "elements": names(c.elements), "before": c.before, "after": c.after})).collect::<Vec<_>>(),
    })
}

fn notice(n: &RegulatorNotice) -> Value {
    json!({"name": n.name, "status": n.status.to_string(), "due": n.due.map(|d| d.to_string()), "rule": n.rule, "threshold": n.threshold})
}

pub(crate) fn plan(p: &ObligationsPlan) -> Value {
    let jurisdictions: Vec<Value> = p
        .jurisdictions
        .iter()
        .map(|j| {
            json!({
                "code": j.code.as_str(),
                "name": j.name,
                "citation": j.citation,
                "affected": j.affected,
                "notifiable": j.notifiable,
                "required": j.required,
                "individual_notice": j.individual_notice.as_ref().map(|n| json!({"due": n.due.map(|d| d.to_string()), "rule": n.rule})),
                "regulator_notices": j.regulator_notices.iter().map(notice).collect::<Vec<_>>(),
                "cra_notice": j.cra_notice.as_ref().map(notice),
                "flags": j.flags,
            })
        })
        .collect();
    json!({
        "disclaimer": p.disclaimer,
        "rules_as_of": p.rules_as_of.to_string(),
        "assumptions": p.assumptions,
        "jurisdictions": jurisdictions,
        "counsel_review": p.counsel_review.iter().map(|c| json!({"code": c.code.as_str(), "affected": c.affected, "reason": c.reason})).collect::<Vec<_>>(),
        "timeline": p.timeline.iter().map(|t| json!({"due": t.due.to_string(), "jurisdiction": t.jurisdiction.as_str(), "action": t.action})).collect::<Vec<_>>(),
    })
}

pub(crate) fn report(r: &Report) -> Value {
    let unlinked: serde_json::Map<String, Value> = r
        .unlinked
        .iter()
        .map(|(e, n)| (e.as_str().to_owned(), json!(n)))
        .collect();
    json!({
        "incident": incident(&r.incident),
        "timeline": r.timeline.iter().map(event).collect::<Vec<_>>(),
        "exposures": r.exposures.iter().map(exposure).collect::<Vec<_>>(),
        "impact": impact(&r.impact),
        "cohorts": cohorts(&r.cohorts),
        "obligations": r.plan.as_ref().map(plan),
        "obligations_missing": r.plan_missing,
        "assumptions": r.assumptions,
        "unlinked_rows": r.unlinked_rows,
        "unlinked": unlinked,
        "generated_at": r.generated_at.to_rfc3339(),
    })
}
