//! What changed between two impact versions: people added and removed, people whose exposed
//! elements changed, which elements newly count as exposed for how many people, and how each
//! cohort's count moved. Both versions are read in person order; the older one is held as a
//! compact sorted list while the newer one streams past it.

use std::collections::BTreeMap;

use custodian_vault::{AccountKind, DataElement, ElementSet};

use super::{ImpactVersion, load_version};
use crate::codec;
use crate::error::BreachError;
use crate::ids::IncidentId;
use crate::service::Cap;
use crate::store::{self, ChunkTable};

/// How one cohort's count moved.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CohortDelta {
    /// The account kind.
    pub account_kind: AccountKind,
    /// The exposed elements.
    pub elements: ElementSet,
    /// People in the older version.
    pub before: u64,
    /// People in the newer version.
    pub after: u64,
}

/// What changed from one version to another.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ImpactDiff {
    /// The incident.
    pub incident: IncidentId,
    /// The older version (0: nothing).
    pub from_version: i64,
    /// The newer version.
    pub to_version: i64,
    /// Affected people in the older version.
    pub affected_before: u64,
    /// Affected people in the newer version.
    pub affected_after: u64,
    /// People affected now and not before.
    pub added: u64,
    /// People affected before and not now.
    pub removed: u64,
    /// People affected in both whose exposed elements changed.
    pub changed: u64,
    /// Per element, people for whom it newly counts as exposed (added people included).
    pub newly_exposed: Vec<(DataElement, u64)>,
    /// Per element, people for whom it no longer counts (removed people included).
    pub no_longer_exposed: Vec<(DataElement, u64)>,
    /// Cohorts whose count moved.
    pub cohorts: Vec<CohortDelta>,
}

/// (person, exposed bits) of every affected person of a version, in person order.
async fn affected_bits(cap: Cap<'_>, v: &ImpactVersion) -> Result<Vec<(i64, u16)>, BreachError> {
    let mut out = Vec::with_capacity(v.affected as usize);
    store::for_each_chunk(cap.db(), ChunkTable::Impact, v.row_id, |data| {
        codec::decode_impact(data, |e| {
            let bits = v.exposed(
                ElementSet::from_bits(e.clear),
                ElementSet::from_bits(e.encrypted),
            );
            if !bits.is_empty() {
                out.push((e.person, bits.bits() as u16));
            }
        })
        .map(|_| ())
    })
    .await?;
    Ok(out)
}

fn cohort_counts(v: Option<&ImpactVersion>) -> BTreeMap<(AccountKind, ElementSet), u64> {
    let mut m = BTreeMap::new();
    for g in v.iter().flat_map(|v| v.groups.iter().map(move |g| (v, g))) {
        let (v, g) = g;
        let exposed = v.exposed(g.clear, g.encrypted);
        if !exposed.is_empty() {
            *m.entry((g.account_kind, exposed)).or_insert(0) += g.people;
        }
    }
    m
}

pub(super) async fn diff(
    cap: Cap<'_>,
    id: IncidentId,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<ImpactDiff, BreachError> {
    let newer = load_version(cap, id, to).await?;
    let from = from.unwrap_or(newer.version - 1);
    if from >= newer.version {
        return Err(BreachError::invalid(
            "diff",
            format!("version {from} is not older than version {}", newer.version),
        ));
    }
    let older = if from >= 1 {
        Some(load_version(cap, id, Some(from)).await?)
    } else {
        None
    };
    let old_bits = match &older {
        Some(v) => affected_bits(cap, v).await?,
        None => Vec::new(),
    };
    let new_bits = affected_bits(cap, &newer).await?;
    let mut gained = [0u64; DataElement::ALL.len()];
    let mut lost = [0u64; DataElement::ALL.len()];
    let (mut added, mut removed, mut changed) = (0u64, 0u64, 0u64);
    let mut count = |before: u16, after: u16| {
        for e in DataElement::ALL {
            let bit = 1u16 << e.bit();
            if after & bit != 0 && before & bit == 0 {
                gained[e.bit() as usize] += 1;
            }
            if before & bit != 0 && after & bit == 0 {
                lost[e.bit() as usize] += 1;
            }
        }
    };
    let (mut i, mut j) = (0, 0);
    while i < old_bits.len() || j < new_bits.len() {
        let o = old_bits.get(i).copied();
        let n = new_bits.get(j).copied();
        match (o, n) {
            (Some((po, bo)), Some((pn, bn))) if po == pn => {
                if bo != bn {
                    changed += 1;
                }
                count(bo, bn);
                i += 1;
                j += 1;
            }
            (Some((po, bo)), Some((pn, _))) if po < pn => {
                removed += 1;
                count(bo, 0);
                i += 1;
            }
            (Some((_, bo)), None) => {
                removed += 1;
                count(bo, 0);
                i += 1;
            }
            (_, Some((_, bn))) => {
                added += 1;
                count(0, bn);
                j += 1;
            }
            (None, None) => break,
        }
    }
    let before = cohort_counts(older.as_ref());
    let after = cohort_counts(Some(&newer));
    let mut keys: Vec<_> = before.keys().chain(after.keys()).copied().collect();
    keys.sort();
    keys.dedup();
    let cohorts = keys
        .into_iter()
        .map(|k| CohortDelta {
            account_kind: k.0,
            elements: k.1,
            before: before.get(&k).copied().unwrap_or(0),
            after: after.get(&k).copied().unwrap_or(0),
        })
        .filter(|d| d.before != d.after)
        .collect();
    let per_element = |counts: [u64; 13]| {
        DataElement::ALL
            .into_iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .collect::<Vec<_>>()
    };
    Ok(ImpactDiff {
        incident: id,
        from_version: older.as_ref().map_or(0, |v| v.version),
        to_version: newer.version,
        affected_before: older.as_ref().map_or(0, |v| v.affected),
        affected_after: newer.affected,
        added,
        removed,
        changed,
        newly_exposed: per_element(gained),
        no_longer_exposed: per_element(lost),
        cohorts,
    })
}
