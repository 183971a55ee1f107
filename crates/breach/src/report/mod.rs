//! The incident report: everything a CISO forwards, assembled once ([`Report`]) and rendered as
//! HTML ([`html`]: summary, timeline, cohort table with an inline SVG bar chart, obligations with
//! deadlines, assumptions, unlinked identifiers) or, for the affected list, as CSV of ids with
//! cohorts ([`affected_csv_header`], [`affected_csv_line`]). The JSON form is built by the edges
//! (`web`, the command line) from the same public fields. No report holds a value of a person's
//! data: only ids, element names and counts.

mod html;

use custodian_db::Timestamp;
use custodian_vault::DataElement;

pub use html::html;

use crate::cohort::{CohortTable, cohorts_of, facts, planner_cohorts, short_label};
use crate::error::BreachError;
use crate::exposure::{self, Exposure, ExposureKind};
use crate::ids::IncidentId;
use crate::impact::{AffectedPerson, ImpactVersion, load_version};
use crate::incident::{self, Event, Incident};
use crate::obligations::{KeyExposure, ObligationsPlan};

/// Everything the report says.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// The incident.
    pub incident: Incident,
    /// Its timeline.
    pub timeline: Vec<Event>,
    /// Its exposures.
    pub exposures: Vec<Exposure>,
    /// The impact version reported.
    pub impact: ImpactVersion,
    /// Its cohorts.
    pub cohorts: CohortTable,
    /// The obligations plan, when the incident's dates allow one.
    pub plan: Option<ObligationsPlan>,
    /// Why there is no plan, when there is none.
    pub plan_missing: Option<String>,
    /// The assumptions the numbers rest on.
    pub assumptions: Vec<String>,
    /// Identifiers linked to nobody, by kind, over all exposures.
    pub unlinked: Vec<(DataElement, u64)>,
    /// Rows linked to nobody, over all exposures.
    pub unlinked_rows: u64,
    /// When the report was made.
    pub generated_at: Timestamp,
}

fn key_assumption(k: KeyExposure) -> &'static str {
    match k {
        KeyExposure::NotExposed => {
            "The vault's keys were not exposed: data copied only as ciphertext does not count as exposed (the encryption safe harbour)."
        }
        KeyExposure::Exposed => {
            "The vault's keys were exposed: ciphertext that was copied counts as exposed data."
        }
        _ => {
            "Whether the vault's keys were exposed is not known: they are assumed exposed, so ciphertext that was copied counts as exposed data."
        }
    }
}

fn assumptions(r: &Report) -> Vec<String> {
    let mut out = vec![key_assumption(r.impact.key_exposure).to_owned()];
    if r.exposures
        .iter()
        .any(|e| e.kind == ExposureKind::Principal)
    {
        out.push("Fields a compromised principal read through the vault count as exposed in clear, even where its role saw them masked.".into());
    }
    out.push(format!(
        "Counts are of people in the vault ({} at version {}); identifiers in exposed data that resolve to nobody are listed separately, not counted as people.",
        r.impact.population, r.impact.version
    ));
    out.push("People are placed in the state the vault holds for them; people without a state are counted under US-UNKNOWN and need counsel review.".into());
    if let Some(p) = &r.plan {
        out.extend(p.assumptions.iter().cloned());
    }
    out
}

impl crate::incident::IncidentReader<'_> {
    /// Assembles the report for a version (the latest when `None`).
    pub async fn report(
        &self,
        id: IncidentId,
        version: Option<i64>,
    ) -> Result<Report, BreachError> {
        let cap = self.0;
        let incident = incident::find(cap, id).await?;
        let impact = load_version(cap, id, version).await?;
        let (plan, plan_missing) = match facts(&incident, &impact) {
            Ok(f) => (Some(cap.rules().plan(&f, &planner_cohorts(&impact)?)), None),
            Err(BreachError::Invalid { reason, .. }) => (None, Some(reason)),
            Err(e) => return Err(e),
        };
        let exposures = exposure::list(cap, id).await?;
        let mut unlinked = [0u64; DataElement::ALL.len()];
        let mut unlinked_rows = 0;
        for e in exposures
            .iter()
            .filter(|e| impact.exposures.contains(&e.id))
        {
            unlinked_rows += e.unlinked_rows;
            for (el, n) in &e.unlinked {
                unlinked[el.bit() as usize] += n;
            }
        }
        let mut r = Report {
            timeline: incident::timeline(cap, id).await?,
            cohorts: cohorts_of(&impact),
            incident,
            exposures,
            impact,
            plan,
            plan_missing,
            assumptions: Vec::new(),
            unlinked: DataElement::ALL
                .into_iter()
                .zip(unlinked)
                .filter(|(_, n)| *n > 0)
                .collect(),
            unlinked_rows,
            generated_at: cap.now(),
        };
        r.assumptions = assumptions(&r);
        Ok(r)
    }
}

/// The header of the affected-people CSV.
pub fn affected_csv_header() -> &'static str {
    "id,external_id,account_kind,state,exposed,exposed_clear,exposed_ciphertext_only,cohort,exposures\n"
}

/// One line of the affected-people CSV: ids, kind, state and element names, never data.
pub fn affected_csv_line(p: &AffectedPerson, counts_ciphertext: bool) -> String {
    let exposed = if counts_ciphertext {
        p.clear.union(p.encrypted)
    } else {
        p.clear
    };
    let cohort: Vec<&str> = exposed.iter().map(short_label).collect();
    let exposures: Vec<String> = p.exposures.iter().map(ToString::to_string).collect();
    format!(
        "{},{},{},{},\"{}\",\"{}\",\"{}\",\"{}: {}\",\"{}\"\n",
        p.public_id,
        csv_text(&p.external_id),
        p.account_kind,
        p.state.as_deref().unwrap_or(""),
        exposed,
        p.clear,
        p.encrypted,
        crate::cohort::kind_label(p.account_kind),
        cohort.join(", "),
        exposures.join(" ")
    )
}

/// An external id as a CSV field (they are printable ASCII without spaces, but may hold `,`).
fn csv_text(s: &str) -> String {
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}
