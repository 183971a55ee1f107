//! Recomputing impact in memory: one slot per person id (clear bits, ciphertext bits, and the
//! set of contributing exposures, interned), filled by decoding each exposure's person chunks,
//! then one ordered pass over the vault's people for account kind and state. Nothing is
//! written until the whole version is ready; it is then stored in one transaction.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use custodian_vault::types::UsState;
use custodian_vault::{AccountKind, ElementSet};

use super::{AffectedPerson, ImpactVersion};
use crate::codec::{self, CHUNK_ENTRIES, ImpactEntry};
use crate::error::BreachError;
use crate::ids::{ExposureId, IncidentId};
use crate::incident::key_exposure_name;
use crate::obligations::KeyExposure;
use crate::service::Cap;
use crate::store::impact::{GroupRow, NewImpact};
use crate::store::{self, ChunkTable, vault_people};

/// People read from the vault per query.
const PEOPLE_PAGE: i64 = 50_000;

/// Id ranges of the vault's people read concurrently.
const SCAN_PARTS: i64 = 4;

/// The largest person id the dense slot table accepts.
const MAX_PERSON_ID: i64 = 1 << 31;

/// What one person's exposure is so far.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    clear: u16,
    encrypted: u16,
    combo: u32,
}

/// Interned sets of exposure indexes; set 0 is the empty set.
struct Combos {
    lists: Vec<Vec<u32>>,
    index: HashMap<Vec<u32>, u32>,
}

impl Combos {
    fn new() -> Combos {
        Combos {
            lists: vec![Vec::new()],
            index: HashMap::from([(Vec::new(), 0)]),
        }
    }

    /// The set `combo` plus exposure `k`.
    fn with(&mut self, combo: u32, k: u32) -> u32 {
        let mut l = self.lists[combo as usize].clone();
        if !l.contains(&k) {
            l.push(k);
            l.sort_unstable();
        }
        if let Some(n) = self.index.get(&l) {
            return *n;
        }
        let n = self.lists.len() as u32;
        self.index.insert(l.clone(), n);
        self.lists.push(l);
        n
    }
}

/// Fills the slot table from every exposure of the incident.
struct Fill {
    slots: Vec<Slot>,
    combos: Combos,
    out_of_range: u64,
}

impl Fill {
    fn apply(&mut self, k: u32, step: &mut Vec<u32>, person: i64, bits: u16, encrypted: bool) {
        if !(1..MAX_PERSON_ID).contains(&person) || bits == 0 {
            self.out_of_range += u64::from(bits != 0);
            return;
        }
        let i = person as usize;
        if i >= self.slots.len() {
            self.slots.resize(i + 1 + i / 8, Slot::default());
        }
        let slot = &mut self.slots[i];
        if encrypted {
            slot.encrypted |= bits;
        } else {
            slot.clear |= bits;
        }
        let c = slot.combo as usize;
        if c >= step.len() {
            step.resize(c + 1, u32::MAX);
        }
        if step[c] == u32::MAX {
            step[c] = self.combos.with(slot.combo, k);
        }
        slot.combo = step[c];
    }
}

pub(super) async fn recompute(cap: Cap<'_>, id: IncidentId) -> Result<i64, BreachError> {
    let started = Instant::now();
    let incident = crate::incident::find(cap, id).await?;
    let exposures = store::exposures::list(cap.db(), id.0).await?;
    let max_id = vault_people::max_id(cap.db())
        .await?
        .clamp(0, MAX_PERSON_ID - 1);
    let mut fill = Fill {
        slots: vec![Slot::default(); max_id as usize + 1],
        combos: Combos::new(),
        out_of_range: 0,
    };
    for (k, e) in exposures.iter().enumerate() {
        let encrypted = e.form == "encrypted";
        let mask = (e.element_mask as u32 & 0xffff) as u16;
        let (table, owner) = match e.dataset_id {
            Some(d) => (ChunkTable::Members, d),
            None => (ChunkTable::Exposure, e.id),
        };
        let mut step = Vec::new();
        store::for_each_chunk(cap.db(), table, owner, |data| {
            codec::decode_members(data, |p, bits| {
                fill.apply(k as u32, &mut step, p, bits as u16 & mask, encrypted);
            })
            .map(|_| ())
        })
        .await?;
    }
    if fill.out_of_range > 0 {
        tracing::warn!(
            count = fill.out_of_range,
            "exposure entries name no vault person id"
        );
    }
    let mut acc = scan_people(cap, Arc::new(fill), max_id, incident.key_exposure).await?;
    let key = key_exposure_name(incident.key_exposure);
    let new = NewImpact {
        incident: id.0,
        key_exposure: key,
        exposures: exposures
            .iter()
            .map(|e| e.id.to_string())
            .collect::<Vec<_>>()
            .join(","),
        states: acc.states.join(","),
        population: acc.population.iter().sum::<i64>(),
        touched: acc.touched,
        affected: acc.affected,
        computed_at: cap.now().0,
        computed_by: cap.actor(),
        elapsed_ms: started.elapsed().as_millis() as i64,
        chunks: std::mem::take(&mut acc.chunks),
        groups: acc.group_rows(),
        population_by_kind: AccountKind::ALL
            .iter()
            .zip(acc.population)
            .map(|(k, n)| (k.as_str(), n))
            .collect(),
    };
    let (affected, population) = (new.affected, new.population);
    store::impact::insert(cap.db(), &new, |v| {
        format!(
            "impact version {v}: {affected} of {population} people affected ({} touched, {} exposures, keys {key})",
            new.touched,
            exposures.len()
        )
    })
    .await
}

/// The pass over the vault's people, in `SCAN_PARTS` id ranges read concurrently (each on its
/// own connection: decoding rows is the slow part) and merged in id order, so chunks stay sorted.
/// People added after `max_id` was read are not in this version; the next one has them.
async fn scan_people(
    cap: Cap<'_>,
    fill: Arc<Fill>,
    max_id: i64,
    key: KeyExposure,
) -> Result<Accumulator, BreachError> {
    let parts = SCAN_PARTS.min(max_id.max(1));
    let step = max_id / parts + 1;
    let mut tasks = Vec::new();
    for k in 0..parts {
        let (db, fill) = (cap.db().clone(), fill.clone());
        let (lo, hi) = (k * step, ((k + 1) * step).min(MAX_PERSON_ID));
        tasks.push(tokio::spawn(async move {
            let mut acc = Accumulator::new(key);
            let mut after = lo;
            loop {
                let page = vault_people::page(&db, after, hi, PEOPLE_PAGE).await?;
                for p in &page {
                    acc.person(p, &fill)?;
                    after = p.id;
                }
                if (page.len() as i64) < PEOPLE_PAGE {
                    break;
                }
            }
            acc.flush();
            Ok::<_, BreachError>(acc)
        }));
    }
    let mut all = Accumulator::new(key);
    for t in tasks {
        let part = t
            .await
            .map_err(|e| BreachError::Corrupt(format!("impact scan task failed: {e}")))??;
        all.merge(part);
    }
    Ok(all)
}

/// Collects the version from the ordered pass over the vault's people.
struct Accumulator {
    counts_ciphertext: bool,
    states: Vec<String>,
    state_index: HashMap<String, u32>,
    groups: HashMap<(u8, u32, u16, u16), i64>,
    population: [i64; 4],
    touched: i64,
    affected: i64,
    buf: Vec<ImpactEntry>,
    chunks: Vec<(usize, Vec<u8>)>,
}

impl Accumulator {
    fn new(key: KeyExposure) -> Accumulator {
        // A fixed dictionary (no state, then every US state code), so that the concurrent parts
        // of a scan agree on state numbers; the vault stores only these codes.
        let states: Vec<String> = std::iter::once(String::new())
            .chain(UsState::ALL.iter().map(|s| s.code().to_owned()))
            .collect();
        let state_index = states
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i as u32))
            .collect();
        Accumulator {
            counts_ciphertext: key.is_assumed_exposed(),
            states,
            state_index,
            groups: HashMap::new(),
            population: [0; 4],
            touched: 0,
            affected: 0,
            buf: Vec::with_capacity(CHUNK_ENTRIES),
            chunks: Vec::new(),
        }
    }

    fn person(&mut self, p: &vault_people::PersonFacts, fill: &Fill) -> Result<(), BreachError> {
        let kind = AccountKind::ALL
            .iter()
            .position(|k| k.as_str() == p.account_kind)
            .ok_or_else(|| {
                BreachError::Corrupt(format!(
                    "person {} has account kind {:?}",
                    p.id, p.account_kind
                ))
            })?;
        self.population[kind] += 1;
        let Some(slot) = usize::try_from(p.id).ok().and_then(|i| fill.slots.get(i)) else {
            return Ok(());
        };
        if slot.clear == 0 && slot.encrypted == 0 {
            return Ok(());
        }
        self.touched += 1;
        let encrypted_only = slot.encrypted & !slot.clear;
        let counted = slot.clear
            | if self.counts_ciphertext {
                encrypted_only
            } else {
                0
            };
        if counted != 0 {
            self.affected += 1;
        }
        let state = p.state.as_deref().unwrap_or("");
        let s = self.state_index.get(state).copied().unwrap_or_else(|| {
            tracing::warn!(
                person = p.id,
                "a state the vault does not issue; counted without one"
            );
            0
        });
        *self
            .groups
            .entry((kind as u8, s, slot.clear, encrypted_only))
            .or_default() += 1;
        self.buf.push(ImpactEntry {
            person: p.id,
            clear: u32::from(slot.clear),
            encrypted: u32::from(encrypted_only),
            kind: kind as u8,
            state: s,
            exposures: fill.combos.lists[slot.combo as usize].clone(),
        });
        if self.buf.len() >= CHUNK_ENTRIES {
            self.flush();
        }
        Ok(())
    }

    /// Adds a later id range's results (its chunks follow this one's).
    fn merge(&mut self, other: Accumulator) {
        self.flush();
        self.chunks.extend(other.chunks);
        for (k, n) in other.groups {
            *self.groups.entry(k).or_default() += n;
        }
        for (a, b) in self.population.iter_mut().zip(other.population) {
            *a += b;
        }
        self.touched += other.touched;
        self.affected += other.affected;
    }

    fn flush(&mut self) {
        if !self.buf.is_empty() {
            self.chunks
                .push((self.buf.len(), codec::encode_impact(&self.buf)));
            self.buf.clear();
        }
    }

    fn group_rows(&self) -> Vec<GroupRow> {
        let mut rows: Vec<GroupRow> = self
            .groups
            .iter()
            .map(|((k, s, c, e), n)| GroupRow {
                account_kind: AccountKind::ALL[*k as usize].as_str().to_owned(),
                state: self.states[*s as usize].clone(),
                clear: i64::from(*c),
                encrypted: i64::from(*e),
                people: *n,
            })
            .collect();
        rows.sort_by(|a, b| {
            (&a.account_kind, &a.state, a.clear, a.encrypted).cmp(&(
                &b.account_kind,
                &b.state,
                b.clear,
                b.encrypted,
            ))
        });
        rows
    }
}

/// The people of chunk `no` of the version whose exposure counts, with ids from the vault;
/// `None` past the last chunk.
pub(super) async fn affected_chunk(
    cap: Cap<'_>,
    v: &ImpactVersion,
    no: i64,
) -> Result<Option<Vec<AffectedPerson>>, BreachError> {
    let page = store::chunk_page(cap.db(), ChunkTable::Impact, v.row_id, no, 1).await?;
    let Some((_, data)) = page.into_iter().find(|(n, _)| *n == no) else {
        return Ok(None);
    };
    let mut entries = Vec::new();
    codec::decode_impact(&data, |e| {
        let exposed = v.exposed(
            ElementSet::from_bits(e.clear),
            ElementSet::from_bits(e.encrypted),
        );
        if !exposed.is_empty() {
            entries.push(e.clone());
        }
    })?;
    let ids: Vec<i64> = entries.iter().map(|e| e.person).collect();
    let public = vault_people::public_ids(cap.db(), &ids).await?;
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let Some((public_id, external_id)) = public.get(&e.person) else {
            continue;
        };
        out.push(AffectedPerson {
            public_id: public_id.clone(),
            external_id: external_id.clone(),
            account_kind: AccountKind::ALL[usize::from(e.kind).min(AccountKind::ALL.len() - 1)],
            state: v
                .states
                .get(e.state as usize)
                .filter(|s| !s.is_empty())
                .cloned(),
            clear: ElementSet::from_bits(e.clear),
            encrypted: ElementSet::from_bits(e.encrypted),
            exposures: e
                .exposures
                .iter()
                .filter_map(|i| v.exposures.get(*i as usize).copied())
                .collect::<Vec<ExposureId>>(),
        });
    }
    Ok(Some(out))
}
