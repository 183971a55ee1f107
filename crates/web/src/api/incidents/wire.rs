//! Wire types of `/v1/incidents` and `/v1/inventory`, converted by hand from the breach engine's
//! domain types (which are not `Serialize`): ids, element names, counts and dates only.

use custodian_breach::obligations::{CpniExposure, KeyExposure, ObligationsPlan, RegulatorNotice};
use custodian_breach::report::Report;
use custodian_breach::{
    CohortTable, Dataset, Event, Exposure, ImpactDiff, ImpactVersion, Incident,
};
use custodian_db::Timestamp;
use custodian_vault::{DataElement, ElementSet};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

fn names(set: ElementSet) -> Vec<&'static str> {
    set.iter().map(DataElement::as_str).collect()
}

fn time(t: Option<Timestamp>) -> Option<String> {
    t.map(Timestamp::to_rfc3339)
}

pub(super) fn key_name(k: KeyExposure) -> &'static str {
    match k {
        KeyExposure::Exposed => "exposed",
        KeyExposure::NotExposed => "not_exposed",
        _ => "unknown",
    }
}

fn cpni_name(k: CpniExposure) -> &'static str {
    match k {
        CpniExposure::Exposed => "exposed",
        CpniExposure::NotExposed => "not_exposed",
        _ => "unknown",
    }
}

/// A count of one data element.
#[derive(Serialize, ToSchema)]
pub(super) struct ElementCount {
    element: &'static str,
    count: u64,
}

fn counts(v: &[(DataElement, u64)]) -> Vec<ElementCount> {
    v.iter()
        .map(|(e, n)| ElementCount {
            element: e.as_str(),
            count: *n,
        })
        .collect()
}

/// A new incident.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct IncidentIn {
    pub(super) title: String,
    #[serde(default)]
    pub(super) summary: String,
    pub(super) owner: String,
    /// RFC 3339 or `YYYY-MM-DD`.
    pub(super) detected_at: Option<String>,
}

/// An incident.
#[derive(Serialize, ToSchema)]
pub(super) struct IncidentOut {
    id: i64,
    title: String,
    summary: String,
    owner: String,
    status: &'static str,
    /// `exposed`, `not_exposed` or `unknown`.
    key_exposure: &'static str,
    cpni: &'static str,
    detected_at: Option<String>,
    contained_at: Option<String>,
    determined_at: Option<String>,
    aware_at: Option<String>,
    materiality_at: Option<String>,
    created_at: String,
    created_by: String,
    updated_at: String,
}

impl From<&Incident> for IncidentOut {
    fn from(i: &Incident) -> Self {
        IncidentOut {
            id: i.id.0,
            title: i.title.clone(),
            summary: i.summary.clone(),
            owner: i.owner.clone(),
            status: i.status.as_str(),
            key_exposure: key_name(i.key_exposure),
            cpni: cpni_name(i.cpni),
            detected_at: time(i.detected_at),
            contained_at: time(i.contained_at),
            determined_at: time(i.determined_at),
            aware_at: time(i.aware_at),
            materiality_at: time(i.materiality_at),
            created_at: i.created_at.to_rfc3339(),
            created_by: i.created_by.clone(),
            updated_at: i.updated_at.to_rfc3339(),
        }
    }
}

/// An entry of the timeline.
#[derive(Serialize, ToSchema)]
pub(super) struct EventOut {
    id: i64,
    occurred_at: String,
    recorded_at: String,
    actor: String,
    kind: String,
    detail: String,
}

impl From<&Event> for EventOut {
    fn from(e: &Event) -> Self {
        EventOut {
            id: e.id,
            occurred_at: e.occurred_at.to_rfc3339(),
            recorded_at: e.recorded_at.to_rfc3339(),
            actor: e.actor.clone(),
            kind: e.kind.clone(),
            detail: e.detail.clone(),
        }
    }
}

/// Changes to an incident; each given field becomes one event.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangeIn {
    /// open, investigating, contained, notifying or closed.
    pub(super) status: Option<String>,
    pub(super) owner: Option<String>,
    /// detected, contained, determined, aware or materiality, with `at`.
    pub(super) milestone: Option<String>,
    /// When the milestone or finding happened (RFC 3339 or `YYYY-MM-DD`).
    pub(super) at: Option<String>,
    /// exposed, not_exposed or unknown.
    pub(super) key_exposure: Option<String>,
    /// exposed, not_exposed or unknown.
    pub(super) cpni: Option<String>,
    /// Whether SEC Item 1.05 applies.
    pub(super) sec_registrant: Option<bool>,
    pub(super) finding: Option<String>,
    #[serde(default)]
    pub(super) note: String,
}

/// An exposure to record: exactly one of `dataset` or `principal`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ExposureIn {
    pub(super) dataset: Option<String>,
    /// Only these columns (or elements) of the dataset.
    pub(super) columns: Option<Vec<String>>,
    pub(super) principal: Option<String>,
    /// Window start (RFC 3339 or `YYYY-MM-DD`).
    pub(super) from: Option<String>,
    /// Window end, exclusive.
    pub(super) to: Option<String>,
    /// `clear` (default) or `encrypted`.
    pub(super) form: Option<String>,
    pub(super) occurred_at: Option<String>,
    #[serde(default)]
    pub(super) note: String,
}

/// A column of an exposed file and what it holds.
#[derive(Serialize, ToSchema)]
pub(super) struct ColumnOut {
    name: String,
    element: Option<&'static str>,
    /// `header` or `content`.
    by: &'static str,
}

/// An exposure.
#[derive(Serialize, ToSchema)]
pub(super) struct ExposureOut {
    id: i64,
    /// `dataset`, `principal` or `file`.
    kind: &'static str,
    /// `clear` or `encrypted`.
    form: &'static str,
    occurred_at: String,
    note: String,
    dataset: Option<String>,
    elements: Vec<&'static str>,
    principal: Option<String>,
    window_from: Option<String>,
    window_to: Option<String>,
    source: String,
    columns: Vec<ColumnOut>,
    rows: u64,
    people: u64,
    unlinked_rows: u64,
    unlinked: Vec<ElementCount>,
}

impl From<&Exposure> for ExposureOut {
    fn from(e: &Exposure) -> Self {
        ExposureOut {
            id: e.id.0,
            kind: e.kind.as_str(),
            form: e.form.as_str(),
            occurred_at: e.occurred_at.to_rfc3339(),
            note: e.note.clone(),
            dataset: e.dataset.as_ref().map(ToString::to_string),
            elements: names(e.elements),
            principal: e.principal.clone(),
            window_from: e.window.map(|w| w.0.to_rfc3339()),
            window_to: e.window.map(|w| w.1.to_rfc3339()),
            source: e.source.clone(),
            columns: e
                .columns
                .iter()
                .map(|c| ColumnOut {
                    name: c.name.clone(),
                    element: c.element.map(DataElement::as_str),
                    by: if c.by == custodian_breach::DetectedBy::Content {
                        "content"
                    } else {
                        "header"
                    },
                })
                .collect(),
            rows: e.rows,
            people: e.people,
            unlinked_rows: e.unlinked_rows,
            unlinked: counts(&e.unlinked),
        }
    }
}

/// An incident with its timeline and exposures.
#[derive(Serialize, ToSchema)]
pub(super) struct IncidentDetail {
    pub(super) incident: IncidentOut,
    pub(super) timeline: Vec<EventOut>,
    pub(super) exposures: Vec<ExposureOut>,
}

/// An impact version, with what changed since an older one when asked.
#[derive(Serialize, ToSchema)]
pub(super) struct ImpactOut {
    version: i64,
    key_exposure: &'static str,
    /// Whether ciphertext counted as exposed.
    ciphertext_counts: bool,
    exposures: Vec<i64>,
    population: u64,
    touched: u64,
    affected: u64,
    computed_at: String,
    computed_by: String,
    elapsed_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) diff: Option<DiffOut>,
}

impl From<&ImpactVersion> for ImpactOut {
    fn from(v: &ImpactVersion) -> Self {
        ImpactOut {
            version: v.version,
            key_exposure: key_name(v.key_exposure),
            ciphertext_counts: v.counts_ciphertext(),
            exposures: v.exposures.iter().map(|e| e.0).collect(),
            population: v.population,
            touched: v.touched,
            affected: v.affected,
            computed_at: v.computed_at.to_rfc3339(),
            computed_by: v.computed_by.clone(),
            elapsed_ms: v.elapsed_ms,
            diff: None,
        }
    }
}

/// How one cohort's count moved.
#[derive(Serialize, ToSchema)]
pub(super) struct CohortDeltaOut {
    account_kind: &'static str,
    elements: Vec<&'static str>,
    before: u64,
    after: u64,
}

/// What changed between two versions.
#[derive(Serialize, ToSchema)]
pub(super) struct DiffOut {
    from_version: i64,
    to_version: i64,
    affected_before: u64,
    affected_after: u64,
    added: u64,
    removed: u64,
    changed: u64,
    newly_exposed: Vec<ElementCount>,
    no_longer_exposed: Vec<ElementCount>,
    cohorts: Vec<CohortDeltaOut>,
}

impl From<&ImpactDiff> for DiffOut {
    fn from(d: &ImpactDiff) -> Self {
        DiffOut {
            from_version: d.from_version,
            to_version: d.to_version,
            affected_before: d.affected_before,
            affected_after: d.affected_after,
            added: d.added,
            removed: d.removed,
            changed: d.changed,
            newly_exposed: counts(&d.newly_exposed),
            no_longer_exposed: counts(&d.no_longer_exposed),
            cohorts: d
                .cohorts
                .iter()
                .map(|c| CohortDeltaOut {
                    account_kind: c.account_kind.as_str(),
                    elements: names(c.elements),
                    before: c.before,
                    after: c.after,
                })
                .collect(),
        }
    }
}

/// One cohort.
#[derive(Serialize, ToSchema)]
pub(super) struct CohortOut {
    account_kind: &'static str,
    elements: Vec<&'static str>,
    people: u64,
    /// "7.8M current postpaid: name, DOB, SSN, licence".
    summary: String,
}

/// A kind's not-affected count.
#[derive(Serialize, ToSchema)]
pub(super) struct KindCount {
    account_kind: &'static str,
    people: u64,
}

/// The cohorts of a version.
#[derive(Serialize, ToSchema)]
pub(super) struct CohortsOut {
    version: i64,
    ciphertext_counts: bool,
    affected: u64,
    population: u64,
    not_affected: u64,
    not_affected_by_kind: Vec<KindCount>,
    summary: String,
    cohorts: Vec<CohortOut>,
}

impl From<&CohortTable> for CohortsOut {
    fn from(t: &CohortTable) -> Self {
        CohortsOut {
            version: t.version,
            ciphertext_counts: t.counts_ciphertext,
            affected: t.affected,
            population: t.population,
            not_affected: t.not_affected(),
            not_affected_by_kind: t
                .not_affected_by_kind
                .iter()
                .map(|(k, n)| KindCount {
                    account_kind: k.as_str(),
                    people: *n,
                })
                .collect(),
            summary: t.summary(),
            cohorts: t
                .cohorts
                .iter()
                .map(|c| CohortOut {
                    account_kind: c.account_kind.as_str(),
                    elements: names(c.elements),
                    people: c.people,
                    summary: c.summary(),
                })
                .collect(),
        }
    }
}

/// A notice to a regulator, law enforcement or the consumer reporting agencies.
#[derive(Serialize, ToSchema)]
pub(super) struct NoticeOut {
    name: String,
    status: String,
    due: Option<String>,
    rule: String,
    threshold: String,
}

fn notice(n: &RegulatorNotice) -> NoticeOut {
    NoticeOut {
        name: n.name.clone(),
        status: n.status.to_string(),
        due: n.due.map(|d| d.to_string()),
        rule: n.rule.clone(),
        threshold: n.threshold.clone(),
    }
}

/// One jurisdiction's obligations.
#[derive(Serialize, ToSchema)]
pub(super) struct JurisdictionOut {
    code: String,
    name: String,
    citation: String,
    affected: u64,
    notifiable: u64,
    required: bool,
    individual_due: Option<String>,
    individual_rule: Option<String>,
    notices: Vec<NoticeOut>,
    flags: Vec<String>,
}

/// A jurisdiction needing counsel review.
#[derive(Serialize, ToSchema)]
pub(super) struct ReviewOut {
    code: String,
    affected: u64,
    reason: String,
}

/// A dated action.
#[derive(Serialize, ToSchema)]
pub(super) struct DeadlineOut {
    due: String,
    jurisdiction: String,
    action: String,
}

/// The obligations plan (decision support, not legal advice).
#[derive(Serialize, ToSchema)]
pub(super) struct PlanOut {
    disclaimer: &'static str,
    rules_as_of: String,
    assumptions: Vec<String>,
    jurisdictions: Vec<JurisdictionOut>,
    counsel_review: Vec<ReviewOut>,
    timeline: Vec<DeadlineOut>,
}

impl From<&ObligationsPlan> for PlanOut {
    fn from(p: &ObligationsPlan) -> Self {
        PlanOut {
            disclaimer: p.disclaimer,
            rules_as_of: p.rules_as_of.to_string(),
            assumptions: p.assumptions.clone(),
            jurisdictions: p
                .jurisdictions
                .iter()
                .map(|j| JurisdictionOut {
                    code: j.code.to_string(),
                    name: j.name.clone(),
                    citation: j.citation.clone(),
                    affected: j.affected,
                    notifiable: j.notifiable,
                    required: j.required,
                    individual_due: j
                        .individual_notice
                        .as_ref()
                        .and_then(|n| n.due)
                        .map(|d| d.to_string()),
                    individual_rule: j.individual_notice.as_ref().map(|n| n.rule.clone()),
                    notices: j
                        .regulator_notices
                        .iter()
                        .chain(&j.cra_notice)
                        .map(notice)
                        .collect(),
                    flags: j.flags.clone(),
                })
                .collect(),
            counsel_review: p
                .counsel_review
                .iter()
                .map(|c| ReviewOut {
                    code: c.code.to_string(),
                    affected: c.affected,
                    reason: c.reason.clone(),
                })
                .collect(),
            timeline: p
                .timeline
                .iter()
                .map(|t| DeadlineOut {
                    due: t.due.to_string(),
                    jurisdiction: t.jurisdiction.to_string(),
                    action: t.action.clone(),
                })
                .collect(),
        }
    }
}

/// The whole report as JSON.
#[derive(Serialize, ToSchema)]
pub(super) struct ReportOut {
    incident: IncidentOut,
    timeline: Vec<EventOut>,
    exposures: Vec<ExposureOut>,
    impact: ImpactOut,
    cohorts: CohortsOut,
    obligations: Option<PlanOut>,
    obligations_missing: Option<String>,
    assumptions: Vec<String>,
    unlinked_rows: u64,
    unlinked: Vec<ElementCount>,
    generated_at: String,
}

impl From<&Report> for ReportOut {
    fn from(r: &Report) -> Self {
        ReportOut {
            incident: (&r.incident).into(),
            timeline: r.timeline.iter().map(Into::into).collect(),
            exposures: r.exposures.iter().map(Into::into).collect(),
            impact: (&r.impact).into(),
            cohorts: (&r.cohorts).into(),
            obligations: r.plan.as_ref().map(Into::into),
            obligations_missing: r.plan_missing.clone(),
            assumptions: r.assumptions.clone(),
            unlinked_rows: r.unlinked_rows,
            unlinked: counts(&r.unlinked),
            generated_at: r.generated_at.to_rfc3339(),
        }
    }
}

/// A dataset of the inventory.
#[derive(Serialize, ToSchema)]
pub(super) struct DatasetOut {
    name: String,
    description: String,
    elements: Vec<&'static str>,
    rows: u64,
    members: u64,
    unlinked_rows: u64,
    unlinked: Vec<ElementCount>,
    loaded_at: String,
    loaded_by: String,
}

impl From<&Dataset> for DatasetOut {
    fn from(d: &Dataset) -> Self {
        DatasetOut {
            name: d.name.to_string(),
            description: d.description.clone(),
            elements: names(d.elements),
            rows: d.rows,
            members: d.members,
            unlinked_rows: d.unlinked_rows,
            unlinked: counts(&d.unlinked),
            loaded_at: d.created_at.to_rfc3339(),
            loaded_by: d.created_by.clone(),
        }
    }
}
