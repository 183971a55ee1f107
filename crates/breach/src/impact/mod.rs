//! Impact: per person, the union of exposed elements (in clear, and as ciphertext only), the
//! account kind and state of residence (from the vault), and which exposures contributed.
//! Every recomputation is kept as a new version ([`compute`]); [`diff`] says what changed
//! between two versions — people added or removed, elements newly exposed — the numbers a
//! communications team must get right.
//!
//! Ciphertext counts as exposed when the incident's keys were exposed (or when that is not yet
//! known: the engine assumes the worse case and the report says so). A version records the
//! assumption it was computed under.

mod compute;
mod diff;

use custodian_db::Timestamp;
use custodian_vault::{AccountKind, ElementSet};

pub use diff::{CohortDelta, ImpactDiff};

use crate::error::BreachError;
use crate::ids::{ExposureId, IncidentId};
use crate::incident::parse_key_exposure;
use crate::obligations::KeyExposure;
use crate::service::Cap;
use crate::store;

/// People of one account kind and state with one exposure.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImpactGroup {
    /// Their account kind.
    pub account_kind: AccountKind,
    /// Their state of residence (two-letter code), if the vault has one.
    pub state: Option<String>,
    /// Elements exposed in clear.
    pub clear: ElementSet,
    /// Elements exposed only as ciphertext.
    pub encrypted: ElementSet,
    /// How many people.
    pub people: u64,
}

/// One version of an incident's impact.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ImpactVersion {
    /// The incident.
    pub incident: IncidentId,
    /// The version number, from 1.
    pub version: i64,
    /// The key-exposure assumption it was computed under.
    pub key_exposure: KeyExposure,
    /// The exposures that went into it.
    pub exposures: Vec<ExposureId>,
    /// People in the vault (not shredded) when it was computed.
    pub population: u64,
    /// People with any exposure, in clear or as ciphertext.
    pub touched: u64,
    /// People whose exposure counts (clear, or ciphertext with keys exposed).
    pub affected: u64,
    /// When it was computed.
    pub computed_at: Timestamp,
    /// By whom.
    pub computed_by: String,
    /// How long the computation took, in milliseconds.
    pub elapsed_ms: u64,
    /// People by kind, state and exposure.
    pub groups: Vec<ImpactGroup>,
    /// The population by account kind.
    pub population_by_kind: Vec<(AccountKind, u64)>,
    pub(crate) row_id: i64,
    pub(crate) states: Vec<String>,
}

impl ImpactVersion {
    /// Whether ciphertext counts as exposed in this version.
    pub fn counts_ciphertext(&self) -> bool {
        self.key_exposure.is_assumed_exposed()
    }

    /// The elements that count as exposed for a group.
    pub fn exposed(&self, clear: ElementSet, encrypted: ElementSet) -> ElementSet {
        if self.counts_ciphertext() {
            clear.union(encrypted)
        } else {
            clear
        }
    }
}

fn kind(s: &str) -> Result<AccountKind, BreachError> {
    s.parse()
        .map_err(|_| BreachError::Corrupt(format!("unknown account kind {s:?} in impact data")))
}

pub(crate) async fn load_version(
    cap: Cap<'_>,
    incident: IncidentId,
    version: Option<i64>,
) -> Result<ImpactVersion, BreachError> {
    crate::incident::find(cap, incident).await?;
    let row = store::impact::find(cap.db(), incident.0, version)
        .await?
        .ok_or(BreachError::NoImpact {
            incident: incident.0,
            version,
        })?;
    let mut groups = Vec::new();
    for g in store::impact::groups(cap.db(), row.id).await? {
        groups.push(ImpactGroup {
            account_kind: kind(&g.account_kind)?,
            state: (!g.state.is_empty()).then_some(g.state),
            clear: ElementSet::from_bits(g.clear as u32),
            encrypted: ElementSet::from_bits(g.encrypted as u32),
            people: g.people.max(0) as u64,
        });
    }
    let mut population_by_kind = Vec::new();
    for (k, n) in store::impact::population(cap.db(), row.id).await? {
        population_by_kind.push((kind(&k)?, n.max(0) as u64));
    }
    population_by_kind.sort();
    Ok(ImpactVersion {
        incident,
        version: row.version,
        key_exposure: parse_key_exposure(&row.key_exposure),
        exposures: row
            .exposures
            .split(',')
            .filter_map(|s| s.parse().ok().map(ExposureId))
            .collect(),
        population: row.population.max(0) as u64,
        touched: row.touched.max(0) as u64,
        affected: row.affected.max(0) as u64,
        computed_at: Timestamp(row.computed_at),
        computed_by: row.computed_by,
        elapsed_ms: row.elapsed_ms.max(0) as u64,
        groups,
        population_by_kind,
        row_id: row.id,
        states: row.states.split(',').map(str::to_owned).collect(),
    })
}

/// One affected (or touched) person of a version: ids only, never data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AffectedPerson {
    /// Custodian's opaque id (hex).
    pub public_id: String,
    /// The company's id.
    pub external_id: String,
    /// Account kind.
    pub account_kind: AccountKind,
    /// State of residence.
    pub state: Option<String>,
    /// Elements exposed in clear.
    pub clear: ElementSet,
    /// Elements exposed only as ciphertext.
    pub encrypted: ElementSet,
    /// The exposures that contributed.
    pub exposures: Vec<ExposureId>,
}

impl crate::incident::IncidentReader<'_> {
    /// A version of the incident's impact; the latest when `version` is `None`.
    pub async fn impact(
        &self,
        id: IncidentId,
        version: Option<i64>,
    ) -> Result<ImpactVersion, BreachError> {
        load_version(self.0, id, version).await
    }

    /// Every version's number, in order.
    pub async fn impact_versions(&self, id: IncidentId) -> Result<Vec<i64>, BreachError> {
        crate::incident::find(self.0, id).await?;
        Ok(store::impact::list(self.0.db(), id.0)
            .await?
            .into_iter()
            .map(|r| r.version)
            .collect())
    }

    /// What changed from version `from` to version `to` (default: the latest against the one
    /// before it; against nothing when there is only one).
    pub async fn impact_diff(
        &self,
        id: IncidentId,
        from: Option<i64>,
        to: Option<i64>,
    ) -> Result<ImpactDiff, BreachError> {
        diff::diff(self.0, id, from, to).await
    }

    /// Calls `f` for each person of a version whose exposure counts, in person order, with ids
    /// and cohort data only. Memory stays bounded: people are read a page at a time.
    pub async fn affected(
        &self,
        id: IncidentId,
        version: Option<i64>,
        f: &mut (dyn FnMut(&AffectedPerson) -> Result<(), BreachError> + Send),
    ) -> Result<u64, BreachError> {
        let v = load_version(self.0, id, version).await?;
        let mut n = 0;
        let mut page = 0;
        while let Some(people) = compute::affected_chunk(self.0, &v, page).await? {
            for p in &people {
                f(p)?;
                n += 1;
            }
            page += 1;
        }
        Ok(n)
    }

    /// Page `page` (from 0) of the people of a version whose exposure counts, in person order;
    /// `None` past the last page. Pages hold up to 65,536 people.
    pub async fn affected_page(
        &self,
        v: &ImpactVersion,
        page: i64,
    ) -> Result<Option<Vec<AffectedPerson>>, BreachError> {
        compute::affected_chunk(self.0, v, page).await
    }
}

impl crate::incident::IncidentWriter<'_> {
    /// Recomputes the incident's impact from its exposures and stores it as a new version.
    pub async fn recompute_impact(&self, id: IncidentId) -> Result<ImpactVersion, BreachError> {
        let version = compute::recompute(self.0, id).await?;
        load_version(self.0, id, Some(version)).await
    }
}
