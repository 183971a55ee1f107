//! Creating and updating people in batches: idempotent by external id (a re-import updates, never
//! duplicates, and an identical record changes nothing), sealed in parallel, written in one
//! transaction per batch together with its blind indexes and its access-log entry. Each item gets
//! its own outcome, so one bad item does not fail the batch.

use std::collections::HashMap;
use std::sync::Arc;

use rand::RngCore;
use rayon::prelude::*;

use custodian_db::DbError;

use crate::audit::Action;
use crate::crypto::{DataKey, FieldAd, FieldCipher, WrapAd};
use crate::keyring::truncate;
use crate::record::{CanonicalRecord, Field};
use crate::service::{Cap, VaultError};
use crate::store::{self, RowBasis, SealedPerson, StoredPerson};

/// The fields that have a blind index: high-entropy identifiers worth an exact lookup.
pub const INDEXED: [Field; 6] = [
    Field::Ssn,
    Field::Phone,
    Field::Email,
    Field::Imei,
    Field::Imsi,
    Field::DriversLicense,
];

/// How many times a batch is tried when a concurrent writer created one of its people first.
const MAX_ATTEMPTS: u32 = 3;

/// What happened to one item of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemOutcome {
    /// A new person was created.
    Created,
    /// An existing person's fields changed.
    Updated,
    /// The record was identical to what is stored.
    Unchanged,
    /// The item was refused; the reason names no value.
    Rejected(String),
}

/// The outcome of a batch: one entry per input item, in input order, with the person's row id.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    /// Per item: (external id, outcome, internal person id if stored).
    pub items: Vec<(String, ItemOutcome, Option<i64>)>,
}

impl BatchOutcome {
    /// How many items had this outcome.
    pub fn count(&self, want: &ItemOutcome) -> usize {
        self.items.iter().filter(|(_, o, _)| o == want).count()
    }
}

/// Creating and updating people. Obtained from [`crate::Vault::writer`].
pub struct Writer<'a>(pub(crate) Cap<'a>);

enum Plan {
    New,
    Update(i64, DataKey, [u8; 16], u32),
    Same(i64),
    Refuse(String),
}

/// A batch sealed against one reading of the stored state: valid to write while that state
/// (index versions, the existing rows it planned from) is unchanged.
struct Prepared {
    versions: Vec<(u32, u32, String)>,
    basis: Vec<RowBasis>,
    plans: Vec<Plan>,
    sealed: Vec<Result<Option<SealedPerson>, String>>,
}

fn basis(existing: &HashMap<String, StoredPerson>) -> Vec<RowBasis> {
    let mut rows: Vec<RowBasis> = existing
        .values()
        .map(|p| RowBasis {
            id: p.id,
            record_mac: p.record_mac.clone(),
            shredded: p.shredded_at.is_some(),
            key_version: p.key_version,
            public_id: p.public_id,
        })
        .collect();
    rows.sort_unstable_by_key(|r| r.id);
    rows
}

impl Writer<'_> {
    /// Creates or updates a batch of records (last one wins when an external id repeats).
    ///
    /// The batch is sealed (the expensive part) from a read of the stored state outside any
    /// transaction; then the write transaction takes the write lock first (`BEGIN IMMEDIATE`
    /// on SQLite, whose deferred transactions cannot safely read before they write), reads the
    /// state again and writes the sealed batch if nothing it was planned from changed, or plans
    /// and seals it again under the lock if something did.
    ///
    /// On PostgreSQL two writers creating the same new person at once both plan a create; the
    /// second insert then fails on the unique external id, and the batch is run again, once
    /// the first has committed, as an update.
    pub async fn upsert_batch(
        &self,
        records: &[CanonicalRecord],
    ) -> Result<BatchOutcome, VaultError> {
        let early = self.read_and_prepare(records).await?;
        self.write_prepared(records, early).await
    }

    /// Reads the stored state the batch depends on (outside any transaction) and seals it.
    async fn read_and_prepare(&self, records: &[CanonicalRecord]) -> Result<Prepared, VaultError> {
        let cap = self.0;
        let ids: Vec<&str> = records.iter().map(|r| r.external_id.as_str()).collect();
        let versions = store::index_versions(cap.db()).await?;
        let existing = {
            let mut conn = cap.db().pool().acquire().await?;
            store::find_by_external_ids(&mut conn, &ids).await?
        };
        let planned = self.plan(records, &existing, &versions)?;
        Ok(Prepared {
            sealed: seal_all(records, &planned),
            basis: basis(&existing),
            versions,
            plans: planned.plans,
        })
    }

    /// Writes a prepared batch. On PostgreSQL two writers creating the same new person at once
    /// both plan a create; the second insert then fails on the unique external id, and the
    /// batch is planned and written again, once the first has committed, as an update.
    async fn write_prepared(
        &self,
        records: &[CanonicalRecord],
        early: Prepared,
    ) -> Result<BatchOutcome, VaultError> {
        let mut early = Some(early);
        let mut attempt = 1;
        loop {
            match self.write_once(records, early.take()).await {
                Err(VaultError::Db(DbError::Sqlx(e)))
                    if attempt < MAX_ATTEMPTS && custodian_db::is_unique_violation(&e) =>
                {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// One write transaction: takes the write lock, checks that what `early` was planned from
    /// is unchanged (else plans and seals again under the lock), writes.
    async fn write_once(
        &self,
        records: &[CanonicalRecord],
        early: Option<Prepared>,
    ) -> Result<BatchOutcome, VaultError> {
        let cap = self.0;
        let ids: Vec<&str> = records.iter().map(|r| r.external_id.as_str()).collect();
        let mut tx = cap.db().begin_write().await?;
        // Read inside the transaction: an index rotation waits for it (see the store).
        let versions = store::index_versions_in(&mut tx).await?;
        let now_basis = store::basis_by_external_ids(&mut tx, &ids).await?;
        let (plans, sealed) = match early {
            Some(e) if e.versions == versions && e.basis == now_basis => (e.plans, e.sealed),
            _ => {
                let existing = store::find_by_external_ids(&mut tx, &ids).await?;
                let planned = self.plan(records, &existing, &versions)?;
                let sealed = seal_all(records, &planned);
                (planned.plans, sealed)
            }
        };
        let now = cap.now();
        let mut out = BatchOutcome::default();
        let mut new_people = Vec::new();
        let mut touched_same = Vec::new();
        let mut bidx_rows: Vec<(Field, u32, Vec<u8>, i64)> = Vec::new();
        let mut changed: Vec<i64> = Vec::new();
        let mut slots: Vec<(String, ItemOutcome, Option<i64>)> = Vec::with_capacity(records.len());
        for ((r, plan), s) in records.iter().zip(plans).zip(sealed) {
            let ext = r.external_id.as_str().to_owned();
            match (plan, s) {
                (_, Err(e)) => slots.push((ext, ItemOutcome::Rejected(e), None)),
                (Plan::Refuse(e), _) => slots.push((ext, ItemOutcome::Rejected(e), None)),
                (Plan::Same(id), _) => {
                    touched_same.push(id);
                    slots.push((ext, ItemOutcome::Unchanged, Some(id)));
                }
                (Plan::Update(id, ..), Ok(Some(p))) => {
                    store::update_person(&mut tx, id, &p, now).await?;
                    bidx_rows.extend(p.bidx.into_iter().map(|(f, v, d)| (f, v, d, id)));
                    changed.push(id);
                    slots.push((ext, ItemOutcome::Updated, Some(id)));
                }
                (Plan::New, Ok(Some(p))) => {
                    new_people.push(p);
                    slots.push((ext, ItemOutcome::Created, None));
                }
                (_, Ok(None)) => slots.push((
                    ext,
                    ItemOutcome::Rejected("internal: nothing sealed".into()),
                    None,
                )),
            }
        }
        // Within one batch an external id may repeat; keep the last and reject earlier copies.
        dedupe_new(&mut new_people, &mut slots);
        let dialect = cap.db().dialect();
        let new_ids = store::insert_people(&mut tx, &new_people, now, dialect).await?;
        for p in new_people {
            if let Some(id) = new_ids.get(&p.external_id) {
                bidx_rows.extend(p.bidx.into_iter().map(|(f, v, d)| (f, v, d, *id)));
            }
        }
        for slot in &mut slots {
            if slot.1 == ItemOutcome::Created {
                slot.2 = new_ids.get(&slot.0).copied();
            }
        }
        store::delete_bidx(&mut tx, &changed).await?;
        let refs: Vec<(Field, u32, &[u8], i64)> = bidx_rows
            .iter()
            .map(|(f, v, d, id)| (*f, *v, d.as_slice(), *id))
            .collect();
        store::insert_bidx(&mut tx, &refs, dialect).await?;
        store::touch(&mut tx, &touched_same, now).await?;

        let created: Vec<i64> = new_ids.values().copied().collect();
        let fields: Vec<&str> = Field::ALL.iter().map(|f| f.as_str()).collect();
        if !created.is_empty() {
            cap.log(&mut tx, Action::Create, "", &fields, &created)
                .await?;
        }
        if !changed.is_empty() {
            cap.log(&mut tx, Action::Update, "", &fields, &changed)
                .await?;
        }
        tx.commit().await?;
        out.items = slots;
        Ok(out)
    }

    /// Decides per record what to do against the stored state (create, update, nothing,
    /// refuse), unwrapping the keys of people to update once each, and gathers the keys the
    /// sealing needs.
    fn plan(
        &self,
        records: &[CanonicalRecord],
        existing: &HashMap<String, StoredPerson>,
        versions: &[(u32, u32, String)],
    ) -> Result<Planned, VaultError> {
        let cap = self.0;
        let keys = cap.keys();
        let digester = keys.record_digester()?;
        let mut indexers = Vec::new();
        for (v, root, _) in versions.iter().filter(|(_, _, s)| s != "retired") {
            for f in INDEXED {
                indexers.push((f, *v, keys.indexer(f, *v, *root)?));
            }
        }
        let kek_version = keys.current_version()?;
        let kek = keys.kek(kek_version)?;
        let macs: Vec<Vec<u8>> = records
            .par_iter()
            .map(|r| record_mac(&digester, r))
            .collect();
        let mut plans = Vec::with_capacity(records.len());
        for (r, mac) in records.iter().zip(&macs) {
            plans.push(match existing.get(r.external_id.as_str()) {
                None => Plan::New,
                Some(p) if p.shredded_at.is_some() => Plan::Refuse(
                    "the person was shredded; their record cannot be re-created".into(),
                ),
                Some(p) if p.record_mac.as_deref() == Some(mac.as_slice()) => Plan::Same(p.id),
                Some(p) => {
                    let dk = unwrap_key(cap, p)?;
                    Plan::Update(p.id, dk, p.public_id, p.key_version)
                }
            });
        }
        Ok(Planned {
            plans,
            macs,
            indexers,
            kek,
            kek_version,
            tenant: keys.tenant().to_owned(),
        })
    }
}

/// A batch's plan and what sealing it needs.
struct Planned {
    plans: Vec<Plan>,
    macs: Vec<Vec<u8>>,
    indexers: Vec<(Field, u32, Arc<crate::crypto::BlindIndexer>)>,
    kek: Arc<crate::crypto::Kek>,
    kek_version: u32,
    tenant: String,
}

/// Seals every record that must be written, in parallel: the expensive part of a write.
fn seal_all(records: &[CanonicalRecord], p: &Planned) -> Vec<Result<Option<SealedPerson>, String>> {
    let tenant = p.tenant.as_str();
    records
        .par_iter()
        .zip(p.plans.par_iter())
        .zip(p.macs.par_iter())
        .map(|((r, plan), mac)| {
            let (dk, public_id, key_version, wrapped) = match plan {
                Plan::New => {
                    let dk = DataKey::generate().map_err(|e| e.to_string())?;
                    let mut public_id = [0u8; 16];
                    rand::thread_rng().fill_bytes(&mut public_id);
                    let wrapped = p.kek.wrap(
                        &dk,
                        &WrapAd {
                            tenant,
                            person: &public_id,
                            key_version: 1,
                        },
                    );
                    (dk, public_id, 1, wrapped)
                }
                Plan::Update(_, dk, public_id, kv) => (dk.duplicate(), *public_id, *kv, Vec::new()),
                Plan::Same(_) | Plan::Refuse(_) => return Ok(None),
            };
            seal(
                r,
                &dk,
                &public_id,
                key_version,
                tenant,
                &p.indexers,
                mac.clone(),
                wrapped,
                p.kek_version,
            )
            .map(Some)
        })
        .collect()
}

fn dedupe_new(
    new_people: &mut Vec<SealedPerson>,
    slots: &mut [(String, ItemOutcome, Option<i64>)],
) {
    let mut last: HashMap<String, usize> = HashMap::new();
    for (i, p) in new_people.iter().enumerate() {
        last.insert(p.external_id.clone(), i);
    }
    if last.len() == new_people.len() {
        return;
    }
    let mut i = 0;
    new_people.retain(|p| {
        let keep = last.get(&p.external_id) == Some(&i);
        i += 1;
        keep
    });
    let mut seen: HashMap<String, usize> = HashMap::new();
    for s in slots.iter().filter(|s| s.1 == ItemOutcome::Created) {
        *seen.entry(s.0.clone()).or_default() += 1;
    }
    for s in slots.iter_mut().filter(|s| s.1 == ItemOutcome::Created) {
        if let Some(n) = seen.get_mut(&s.0)
            && *n > 1
        {
            *n -= 1;
            s.1 =
                ItemOutcome::Rejected("superseded by a later row with the same external_id".into());
        }
    }
}

pub(crate) fn unwrap_key(cap: Cap<'_>, p: &StoredPerson) -> Result<DataKey, VaultError> {
    if let Some(k) = cap.keys().cached_data_key(p.id) {
        return Ok(k);
    }
    let wrapped = p.wrapped_key.as_deref().ok_or(VaultError::Shredded)?;
    let kek = cap.keys().kek(p.kek_version)?;
    let dk = kek.unwrap(
        wrapped,
        &WrapAd {
            tenant: cap.keys().tenant(),
            person: &p.public_id,
            key_version: p.key_version,
        },
    )?;
    cap.keys().cache_data_key(p.id, &dk);
    Ok(dk)
}

fn record_mac(digester: &crate::crypto::BlindIndexer, r: &CanonicalRecord) -> Vec<u8> {
    let mut buf = Vec::with_capacity(256);
    buf.extend_from_slice(r.account_kind.as_str().as_bytes());
    buf.push(0);
    buf.extend_from_slice(r.state.map(|s| s.code()).unwrap_or("").as_bytes());
    for f in Field::ALL {
        buf.push(0);
        match r.value(f) {
            Some(v) => {
                buf.push(1);
                buf.extend_from_slice(&(v.len() as u32).to_be_bytes());
                buf.extend_from_slice(v.as_bytes());
            }
            None => buf.push(0),
        }
    }
    let d = digester.index(&buf);
    zeroize::Zeroize::zeroize(&mut buf);
    d.to_vec()
}

#[allow(clippy::too_many_arguments)] // One call site; a struct would only rename these.
fn seal(
    r: &CanonicalRecord,
    dk: &DataKey,
    public_id: &[u8; 16],
    key_version: u32,
    tenant: &str,
    indexers: &[(Field, u32, Arc<crate::crypto::BlindIndexer>)],
    record_mac: Vec<u8>,
    wrapped_key: Vec<u8>,
    kek_version: u32,
) -> Result<SealedPerson, String> {
    let cipher = FieldCipher::new(dk, key_version);
    let mut fields: [Option<Vec<u8>>; 12] = Default::default();
    for f in Field::ALL {
        if let Some(v) = r.value(f) {
            let ad = FieldAd {
                tenant,
                person: public_id,
                field: f.as_str(),
            };
            fields[f.index()] = Some(
                cipher
                    .seal(&ad, v.as_bytes())
                    .map_err(|e| format!("{f}: {e}"))?,
            );
        }
    }
    let mut bidx = Vec::new();
    for (f, v, ix) in indexers {
        if let Some(val) = r.value(*f) {
            bidx.push((*f, *v, truncate(ix.index(val.as_bytes()))));
        }
    }
    Ok(SealedPerson {
        external_id: r.external_id.as_str().to_owned(),
        public_id: *public_id,
        account_kind: r.account_kind.as_str(),
        state: r.state.map(|s| s.code()),
        kek_version,
        key_version,
        wrapped_key,
        record_mac,
        fields,
        bidx,
    })
}
