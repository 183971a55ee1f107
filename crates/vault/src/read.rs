//! Reading, finding and shredding people. Reads decrypt only what the policy lets the role see and
//! return it masked unless the caller asked to reveal a field its role may reveal, with a purpose;
//! every read, reveal, search and shred is in the access log with its purpose.

use crate::audit::Action;
use crate::crypto::{FieldAd, FieldCipher, Revealed};
use crate::keyring::truncate;
use crate::policy::Disposition;
use crate::record::Field;
use crate::service::{Cap, VaultError};
use crate::store::{self, PersonKey, StoredPerson};
use crate::write::{INDEXED, unwrap_key};

/// How a caller names a person.
#[derive(Debug, Clone)]
pub enum PersonRef {
    /// The company's own id.
    External(String),
    /// Custodian's opaque id (32 hex characters).
    Public([u8; 16]),
}

impl PersonRef {
    /// Parses an opaque id (32 hex characters) or else takes the text as an external id.
    pub fn parse(s: &str) -> PersonRef {
        let t = s.trim();
        if t.len() == 32 {
            let mut b = [0u8; 16];
            if hex_decode(t, &mut b) {
                return PersonRef::Public(b);
            }
        }
        PersonRef::External(t.to_owned())
    }
}

fn hex_decode(s: &str, out: &mut [u8; 16]) -> bool {
    let bytes = s.as_bytes();
    for (i, o) in out.iter_mut().enumerate() {
        let hi = (bytes[2 * i] as char).to_digit(16);
        let lo = (bytes[2 * i + 1] as char).to_digit(16);
        match (hi, lo) {
            (Some(h), Some(l)) => *o = (h * 16 + l) as u8,
            _ => return false,
        }
    }
    true
}

/// What to reveal and why.
#[derive(Debug, Clone, Default)]
pub struct ReadRequest {
    /// Fields to show in full (the role must allow each).
    pub reveal: Vec<Field>,
    /// Why (required to reveal; recorded in the access log).
    pub purpose: Option<String>,
}

/// A field's value as returned.
#[derive(Debug)]
pub enum FieldValue {
    /// Masked by policy (`***-**-6789`).
    Masked(String),
    /// The full value, revealed with a purpose.
    Revealed(Revealed<String>),
}

/// A person as a caller may see them.
#[derive(Debug)]
pub struct PersonView {
    /// Custodian's opaque id (hex).
    pub id: String,
    /// Internal row id (for the breach engine; never on the wire).
    pub row_id: i64,
    /// The company's id.
    pub external_id: String,
    /// Account kind.
    pub account_kind: String,
    /// State of residence (clear).
    pub state: Option<String>,
    /// When the person was created (µs since the epoch).
    pub created_at: i64,
    /// When the person's record last changed or was last imported (µs).
    pub updated_at: i64,
    /// When the person was shredded, if they were.
    pub shredded_at: Option<i64>,
    /// Present fields the role may see, masked or revealed.
    pub fields: Vec<(Field, FieldValue)>,
}

/// A search hit: who, not what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonSummary {
    /// Opaque id (hex).
    pub id: String,
    /// Internal row id.
    pub row_id: i64,
    /// The company's id.
    pub external_id: String,
    /// Account kind.
    pub account_kind: String,
    /// State.
    pub state: Option<String>,
}

fn summary(p: &StoredPerson) -> PersonSummary {
    PersonSummary {
        id: hex::encode(p.public_id),
        row_id: p.id,
        external_id: p.external_id.clone(),
        account_kind: p.account_kind.clone(),
        state: p.state.clone(),
    }
}

/// Reading people. Obtained from [`crate::Vault::reader`].
pub struct Reader<'a>(pub(crate) Cap<'a>);

/// The most people one [`Reader::get_many`] call reads.
pub const MAX_BATCH_READ: usize = 1_000;

impl Reader<'_> {
    /// One person, masked by policy, with the requested fields revealed.
    pub async fn get(&self, who: &PersonRef, req: &ReadRequest) -> Result<PersonView, VaultError> {
        let cap = self.0;
        self.check(req)?;
        let p = store::load_one(cap.db(), &person_key(who))
            .await?
            .ok_or(VaultError::NotFound)?;
        let (view, touched) = self.open(&p, req)?;
        self.log(req, &touched, &[p.id]).await?;
        Ok(view)
    }

    /// Many people at once, each with its own result (an unknown id does not fail the others),
    /// logged as one access-log entry naming every person read. At most [`MAX_BATCH_READ`].
    pub async fn get_many(
        &self,
        who: &[PersonRef],
        req: &ReadRequest,
    ) -> Result<Vec<Result<PersonView, VaultError>>, VaultError> {
        let cap = self.0;
        if who.len() > MAX_BATCH_READ {
            return Err(VaultError::Invalid(format!(
                "at most {MAX_BATCH_READ} people per batch read"
            )));
        }
        self.check(req)?;
        let mut out = Vec::with_capacity(who.len());
        let mut touched: Vec<&'static str> = Vec::new();
        let mut ids = Vec::new();
        let keys: Vec<PersonKey<'_>> = who.iter().map(person_key).collect();
        for p in store::load_many(cap.db(), &keys).await? {
            let Some(p) = p else {
                out.push(Err(VaultError::NotFound));
                continue;
            };
            match self.open(&p, req) {
                Ok((view, t)) => {
                    for f in t {
                        if !touched.contains(&f) {
                            touched.push(f);
                        }
                    }
                    ids.push(p.id);
                    out.push(Ok(view));
                }
                Err(e) => out.push(Err(e)),
            }
        }
        if !ids.is_empty() {
            self.log(req, &touched, &ids).await?;
        }
        Ok(out)
    }

    /// Refuses a reveal the role may not make (or one without a purpose).
    fn check(&self, req: &ReadRequest) -> Result<(), VaultError> {
        let cap = self.0;
        let role = cap.principal.role.name();
        for f in &req.reveal {
            cap.vault
                .inner
                .policy
                .check_reveal(role, f.as_str(), req.purpose.as_deref())?;
        }
        Ok(())
    }

    /// Decrypts what the policy lets the role see; returns the view and the fields opened.
    fn open(
        &self,
        p: &StoredPerson,
        req: &ReadRequest,
    ) -> Result<(PersonView, Vec<&'static str>), VaultError> {
        let cap = self.0;
        let role = cap.principal.role.name();
        let policy = &cap.vault.inner.policy;
        let mut view = PersonView {
            id: hex::encode(p.public_id),
            row_id: p.id,
            external_id: p.external_id.clone(),
            account_kind: p.account_kind.clone(),
            state: p.state.clone(),
            created_at: p.created_at,
            updated_at: p.updated_at,
            shredded_at: p.shredded_at,
            fields: Vec::new(),
        };
        let mut touched = Vec::new();
        if p.shredded_at.is_none() {
            let dk = unwrap_key(cap, p)?;
            let cipher = FieldCipher::new(&dk, p.key_version);
            for f in Field::ALL {
                let disp = policy.disposition(role, f.as_str());
                let Some(sealed) = p.sealed(f) else { continue };
                if disp == Disposition::Hidden {
                    continue;
                }
                let ad = FieldAd {
                    tenant: cap.keys().tenant(),
                    person: &p.public_id,
                    field: f.as_str(),
                };
                let plain = cipher.open(&ad, sealed)?.into_utf8()?;
                touched.push(f.as_str());
                let value = if disp == Disposition::Reveal && req.reveal.contains(&f) {
                    FieldValue::Revealed(plain)
                } else {
                    FieldValue::Masked(crate::policy::mask(f.as_str(), plain.expose()))
                };
                view.fields.push((f, value));
            }
        }
        Ok((view, touched))
    }

    async fn log(
        &self,
        req: &ReadRequest,
        touched: &[&str],
        ids: &[i64],
    ) -> Result<(), VaultError> {
        let cap = self.0;
        let action = if req.reveal.is_empty() {
            Action::Read
        } else {
            Action::Reveal
        };
        cap.log_alone(action, req.purpose.as_deref().unwrap_or(""), touched, ids)
            .await
    }
}

pub(crate) fn person_key(who: &PersonRef) -> PersonKey<'_> {
    match who {
        PersonRef::External(e) => PersonKey::External(e),
        PersonRef::Public(p) => PersonKey::Public(p),
    }
}

/// Finding people by blind index. Obtained from [`crate::Vault::searcher`].
pub struct Searcher<'a>(pub(crate) Cap<'a>);

/// An exact-match query on an indexed field; the value must already be normalized (parse it with
/// the field's type first).
#[derive(Debug)]
pub struct Lookup<'a> {
    /// The indexed field.
    pub field: Field,
    /// The normalized value.
    pub normalized: &'a str,
}

impl Searcher<'_> {
    /// The people whose field equals the value (no decryption involved).
    pub async fn find(&self, q: &Lookup<'_>) -> Result<Vec<PersonSummary>, VaultError> {
        let cap = self.0;
        if !INDEXED.contains(&q.field) {
            return Err(VaultError::Invalid(format!(
                "{} has no blind index (indexed: ssn, phone, email, imei, imsi, drivers_license)",
                q.field
            )));
        }
        let versions = store::index_versions(cap.db()).await?;
        let Some((v, root, _)) = versions.iter().rev().find(|(_, _, s)| s == "active") else {
            return Ok(Vec::new());
        };
        let ix = cap.keys().indexer(q.field, *v, *root)?;
        let digest = truncate(ix.index(q.normalized.as_bytes()));
        let ids = store::lookup_bidx(cap.db(), q.field, *v, &digest).await?;
        let people = store::load_by_ids(cap.db(), &ids).await?;
        cap.log_alone(Action::Search, "", &[q.field.as_str()], &ids)
            .await?;
        Ok(people.iter().map(summary).collect())
    }

    /// Row ids only, for bulk resolution (the breach engine); logged like a search.
    pub async fn resolve(
        &self,
        field: Field,
        normalized: &[&str],
    ) -> Result<Vec<Option<Vec<i64>>>, VaultError> {
        let cap = self.0;
        let versions = store::index_versions(cap.db()).await?;
        let Some((v, root, _)) = versions.iter().rev().find(|(_, _, s)| s == "active") else {
            return Ok(vec![None; normalized.len()]);
        };
        let ix = cap.keys().indexer(field, *v, *root)?;
        let digests: Vec<Vec<u8>> = normalized
            .iter()
            .map(|n| truncate(ix.index(n.as_bytes())))
            .collect();
        let mut unique = digests.clone();
        unique.sort_unstable();
        unique.dedup();
        let mut by_digest: std::collections::HashMap<Vec<u8>, Vec<i64>> =
            std::collections::HashMap::with_capacity(unique.len());
        for (d, id) in store::lookup_bidx_many(cap.db(), field, *v, &unique).await? {
            by_digest.entry(d).or_default().push(id);
        }
        let mut all: Vec<i64> = by_digest.values().flatten().copied().collect();
        all.sort_unstable();
        all.dedup();
        let out = digests
            .iter()
            .map(|d| by_digest.get(d).cloned())
            .collect::<Vec<_>>();
        cap.log_alone(Action::Search, "", &[field.as_str()], &all)
            .await?;
        Ok(out)
    }
}

/// Crypto-shredding. Obtained from [`crate::Vault::shredder`].
pub struct Shredder<'a>(pub(crate) Cap<'a>);

impl Shredder<'_> {
    /// Destroys a person's data key and sealed fields; the tombstone (ids, kind, state) stays so
    /// the breach engine can still count them. Returns false when already shredded.
    pub async fn shred(&self, who: &PersonRef, purpose: &str) -> Result<bool, VaultError> {
        let cap = self.0;
        let key = match who {
            PersonRef::External(e) => PersonKey::External(e),
            PersonRef::Public(p) => PersonKey::Public(p),
        };
        let p = store::load_one(cap.db(), &key)
            .await?
            .ok_or(VaultError::NotFound)?;
        let mut tx = cap.db().pool().begin().await?;
        let done = store::shred(&mut tx, p.id, cap.now()).await?;
        if done {
            let fields: Vec<&str> = Field::ALL.iter().map(|f| f.as_str()).collect();
            cap.log(&mut tx, Action::Shred, purpose, &fields, &[p.id])
                .await?;
        }
        tx.commit().await?;
        cap.keys().forget_data_key(p.id);
        cap.db().purge_deleted().await?;
        Ok(done)
    }
}
