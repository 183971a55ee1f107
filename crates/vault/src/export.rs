//! Tokenized exports for test environments: every live person, page by page in row-id order
//! (bounded memory at any population), decrypted inside the vault and written out as canonical
//! records in which every sensitive value is replaced by a [`Tokenizer`] token of the same shape.
//! `account_kind` and `state` are kept (they are clear in the vault too), the licence's state is
//! kept, `pin` is always empty (the vault never holds PINs), and shredded people are skipped.
//! Each page is one `export` entry in the access log naming its people and the fields decrypted,
//! committed before any of that page is handed out.
//!
//! # Which key: a fresh one, or a named one
//!
//! [`ExportKey::Ephemeral`] (the default) draws 32 random bytes for the export and forgets them
//! when it ends. Tokens are consistent *within* the export (joins between exported tables line
//! up) but two exports cannot be linked to each other, and nobody — not even the vault — can map
//! a token back to its value, since FF1 is invertible only with the key.
//!
//! [`ExportKey::Named`] derives the key from the root key with HKDF (`salt
//! "custodian.export.v1"`, info `"export-key" ‖ len ‖ tenant ‖ name`, root-key version 1, which
//! rotation does not replace), so every export under the same name yields the same tokens: a test
//! environment refreshed weekly keeps its foreign keys and fixtures. The price: tokens of all
//! those exports link the same person across them, and whoever holds the root key can recompute
//! the export key and invert the FF1 tokens (SSN, IMEI, IMSI, phone, licence) to real values.
//! Use a name per environment, and prefer the default where consistency across runs is not
//! needed.

use std::io::Write;

use rand::RngCore;
use rand::rngs::OsRng;
use rayon::prelude::*;
use time::Date;
use zeroize::Zeroizing;

use crate::audit::Action;
use crate::crypto::primitives::{KeyedMac, derive_key};
use crate::crypto::{CryptoError, FieldAd, FieldCipher, Tokenizer, WrapAd};
use crate::keyring::Keyring;
use crate::record::{COLUMNS, Field};
use crate::service::{Cap, VaultError};
use crate::store::{self, StoredPerson};
use crate::types::{
    City, DateOfBirth, DriversLicense, Email, Imei, Imsi, Name, Phone, Ssn, Street, Zip,
};

/// The root-key version named export keys are derived from (kept across rotations).
pub const NAMED_KEY_ROOT_VERSION: u32 = 1;

/// The most people one page decrypts at a time.
pub const MAX_PAGE_SIZE: usize = 20_000;

/// How many failures a report keeps with their reasons (the rest are counted), so a report's
/// size stays bounded whatever the population.
pub const MAX_REPORTED_FAILURES: usize = 20;

/// The name of a persistent export key: 1-64 characters of `A-Z a-z 0-9 . _ -`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportKeyName(String);

impl ExportKeyName {
    /// Parses a key name.
    pub fn parse(s: &str) -> Result<ExportKeyName, VaultError> {
        let ok = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if !ok {
            return Err(VaultError::Invalid(
                "an export key name is 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'".into(),
            ));
        }
        Ok(ExportKeyName(s.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which key tokens are made under (see the module doc for the trade-off).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ExportKey {
    /// A fresh random key, forgotten after the export: tokens link nothing across exports.
    #[default]
    Ephemeral,
    /// A persistent key derived from the root key: the same tokens on every export of the name.
    Named(ExportKeyName),
}

/// What happens to the company's external ids.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ExternalIds {
    /// Replaced by `T` and 32 hex characters of a keyed HMAC (consistent under one key).
    #[default]
    Tokenize,
    /// Kept as they are, for test systems that must find the real account numbers.
    Keep,
}

/// How to export.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The token key.
    pub key: ExportKey,
    /// External ids tokenized or kept.
    pub external_ids: ExternalIds,
    /// People per page (one decryption batch and one access-log entry each), 1 to 20,000.
    pub page_size: usize,
    /// Why (recorded in the access log).
    pub purpose: String,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            key: ExportKey::Ephemeral,
            external_ids: ExternalIds::Tokenize,
            page_size: 2_000,
            purpose: "tokenized export".into(),
        }
    }
}

/// One person as exported: the canonical record with tokens for every sensitive value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizedRecord {
    /// The external id, tokenized unless [`ExternalIds::Keep`].
    pub external_id: String,
    /// Account kind (clear).
    pub account_kind: String,
    /// State of residence (clear).
    pub state: Option<String>,
    /// The licence's issuing state (not sensitive; kept).
    pub dl_state: Option<String>,
    values: [Option<String>; 12],
}

impl TokenizedRecord {
    /// The token of a field, if the person has that field.
    pub fn value(&self, f: Field) -> Option<&str> {
        self.values[f.index()].as_deref()
    }

    /// The record in [`COLUMNS`] order (`pin` always empty).
    pub fn columns(&self) -> [&str; 17] {
        let v = |f: Field| self.value(f).unwrap_or("");
        [
            &self.external_id,
            &self.account_kind,
            v(Field::FirstName),
            v(Field::LastName),
            v(Field::Street),
            v(Field::City),
            self.state.as_deref().unwrap_or(""),
            v(Field::Zip),
            v(Field::Dob),
            v(Field::Ssn),
            v(Field::DriversLicense),
            self.dl_state.as_deref().unwrap_or(""),
            v(Field::Phone),
            v(Field::Email),
            v(Field::Imei),
            v(Field::Imsi),
            "",
        ]
    }
}

/// One person of a page: the tokenized record, or why it could not be made (never a value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportItem {
    /// The vault's internal row id.
    pub row_id: i64,
    /// The record, or the reason it was left out.
    pub outcome: Result<TokenizedRecord, String>,
}

/// What an export did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportReport {
    /// People written.
    pub exported: u64,
    /// Shredded people (tombstones) left out.
    pub skipped_shredded: u64,
    /// Pages (access-log entries).
    pub pages: u64,
    /// People that could not be exported.
    pub failed: u64,
    /// The first failures (at most [`MAX_REPORTED_FAILURES`]): row id and reason.
    pub first_failures: Vec<(i64, String)>,
}

/// An export failure (as opposed to a person left out, which is reported).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// The vault failed.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// Writing the output failed.
    #[error("writing the export: {0}")]
    Write(#[from] csv::Error),
}

/// Exporting people. Obtained from [`crate::Vault::exporter`].
pub struct Exporter<'a>(pub(crate) Cap<'a>);

impl<'a> Exporter<'a> {
    /// Starts a tokenized export: makes the key and the cursor; nothing is read yet.
    pub fn tokenized(&self, opts: &ExportOptions) -> Result<TokenizedExport<'a>, VaultError> {
        let cap = self.0;
        let key = match &opts.key {
            ExportKey::Ephemeral => {
                let mut k = Zeroizing::new([0u8; 32]);
                OsRng
                    .try_fill_bytes(k.as_mut())
                    .map_err(|_| CryptoError::Rng)?;
                k
            }
            ExportKey::Named(name) => named_key(cap.keys(), name)?,
        };
        let id_key = derive_key(b"custodian.export.v1", key.as_ref(), &[b"external-id"]);
        Ok(TokenizedExport {
            cap,
            tokenizer: Tokenizer::new(&key),
            id_mac: KeyedMac::new(id_key.as_ref()),
            external_ids: opts.external_ids,
            page_size: opts.page_size.clamp(1, MAX_PAGE_SIZE),
            purpose: opts.purpose.clone(),
            after: 0,
        })
    }

    /// How many live (not shredded) people an export would write now, for a progress display.
    pub async fn live_count(&self) -> Result<u64, VaultError> {
        Ok(store::count_by_kek_version(self.0.db())
            .await?
            .iter()
            .map(|(_, n)| n)
            .sum())
    }

    /// Writes every live person as canonical CSV (with header) to `out`, page by page;
    /// `progress` gets the number of people written after each page.
    pub async fn write_csv<W: Write>(
        &self,
        out: W,
        opts: &ExportOptions,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ExportReport, ExportError> {
        let mut export = self.tokenized(opts)?;
        let mut report = ExportReport {
            skipped_shredded: store::count_shredded(self.0.db())
                .await
                .map_err(VaultError::from)?,
            ..ExportReport::default()
        };
        let mut w = csv::Writer::from_writer(out);
        w.write_record(COLUMNS)?;
        while let Some(page) = export.next_page().await? {
            report.pages += 1;
            for item in page {
                match item.outcome {
                    Ok(rec) => {
                        w.write_record(rec.columns())?;
                        report.exported += 1;
                    }
                    Err(reason) => {
                        report.failed += 1;
                        if report.first_failures.len() < MAX_REPORTED_FAILURES {
                            report.first_failures.push((item.row_id, reason));
                        }
                    }
                }
            }
            progress(report.exported);
        }
        w.flush().map_err(csv::Error::from)?;
        Ok(report)
    }
}

/// A tokenized export in progress: a key and a cursor. Obtained from [`Exporter::tokenized`].
pub struct TokenizedExport<'a> {
    cap: Cap<'a>,
    tokenizer: Tokenizer,
    id_mac: KeyedMac,
    external_ids: ExternalIds,
    page_size: usize,
    purpose: String,
    after: i64,
}

impl std::fmt::Debug for TokenizedExport<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenizedExport")
            .field("after", &self.after)
            .finish_non_exhaustive()
    }
}

/// One person's tokenizing: the record or why not, the fields opened, the row id if read.
type Tokenized = (Result<TokenizedRecord, VaultError>, Vec<Field>, Option<i64>);

impl TokenizedExport<'_> {
    /// The next page of people, one outcome each, after its access-log entry is committed;
    /// `None` when every live person has been handed out.
    pub async fn next_page(&mut self) -> Result<Option<Vec<ExportItem>>, VaultError> {
        let cap = self.cap;
        let people = store::live_page(cap.db(), self.after, self.page_size).await?;
        let Some(last) = people.last() else {
            return Ok(None);
        };
        self.after = last.id;
        let today = cap.vault.inner.clock.now().to_datetime().date();
        let keys = cap.keys();
        let results: Vec<(i64, Result<TokenizedRecord, String>, Vec<Field>)> = people
            .par_iter()
            .map(|p| {
                let mut touched = Vec::new();
                let r = self.tokenize(keys, p, today, &mut touched);
                (p.id, r, touched)
            })
            .collect();
        let mut fields: Vec<&str> = results
            .iter()
            .flat_map(|(_, _, t)| t.iter().map(|f| f.as_str()))
            .collect();
        fields.sort_unstable();
        fields.dedup();
        let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
        let mut tx = cap.db().pool().begin().await?;
        cap.log(&mut tx, Action::Export, &self.purpose, &fields, &ids)
            .await?;
        tx.commit().await?;
        Ok(Some(
            results
                .into_iter()
                .map(|(row_id, outcome, _)| ExportItem { row_id, outcome })
                .collect(),
        ))
    }

    /// The named people tokenized (the batch API for test environments), each with its own
    /// outcome: an unknown id or a shredded person does not fail the others. One access-log
    /// entry names everyone tokenized. At most [`crate::MAX_BATCH_READ`] people.
    pub async fn tokenize_people(
        &self,
        who: &[crate::PersonRef],
    ) -> Result<Vec<Result<TokenizedRecord, VaultError>>, VaultError> {
        let cap = self.cap;
        if who.len() > crate::read::MAX_BATCH_READ {
            return Err(VaultError::Invalid(format!(
                "at most {} people per batch",
                crate::read::MAX_BATCH_READ
            )));
        }
        let mut people = Vec::with_capacity(who.len());
        for w in who {
            people.push(store::load_one(cap.db(), &crate::read::person_key(w)).await?);
        }
        let today = cap.vault.inner.clock.now().to_datetime().date();
        let keys = cap.keys();
        let results: Vec<Tokenized> = people
            .par_iter()
            .map(|p| match p {
                None => (Err(VaultError::NotFound), Vec::new(), None),
                Some(p) if p.shredded_at.is_some() => (Err(VaultError::Shredded), Vec::new(), None),
                Some(p) => {
                    let mut touched = Vec::new();
                    let r = self
                        .tokenize(keys, p, today, &mut touched)
                        .map_err(VaultError::Invalid);
                    (r, touched, Some(p.id))
                }
            })
            .collect();
        let mut fields: Vec<&str> = results
            .iter()
            .flat_map(|(_, t, _)| t.iter().map(|f| f.as_str()))
            .collect();
        fields.sort_unstable();
        fields.dedup();
        let mut ids: Vec<i64> = results.iter().filter_map(|(_, _, id)| *id).collect();
        ids.sort_unstable();
        ids.dedup();
        if !ids.is_empty() {
            cap.log_alone(Action::Export, &self.purpose, &fields, &ids)
                .await?;
        }
        Ok(results.into_iter().map(|(r, _, _)| r).collect())
    }

    fn tokenize(
        &self,
        keys: &Keyring,
        p: &StoredPerson,
        today: Date,
        touched: &mut Vec<Field>,
    ) -> Result<TokenizedRecord, String> {
        let wrapped = p.wrapped_key.as_deref().ok_or("the person was shredded")?;
        let tenant = keys.tenant();
        let kek = keys.kek(p.kek_version).map_err(|e| e.to_string())?;
        let dk = kek
            .unwrap(
                wrapped,
                &WrapAd {
                    tenant,
                    person: &p.public_id,
                    key_version: p.key_version,
                },
            )
            .map_err(|e| format!("data key: {e}"))?;
        let cipher = FieldCipher::new(&dk, p.key_version);
        let mut rec = TokenizedRecord {
            external_id: match self.external_ids {
                ExternalIds::Keep => p.external_id.clone(),
                ExternalIds::Tokenize => {
                    let mac = self.id_mac.compute(&[p.external_id.as_bytes()]);
                    format!("T{}", hex::encode(&mac[..16]))
                }
            },
            account_kind: p.account_kind.clone(),
            state: p.state.clone(),
            dl_state: None,
            values: Default::default(),
        };
        for f in Field::ALL {
            let Some(sealed) = p.sealed(f) else { continue };
            touched.push(f);
            let ad = FieldAd {
                tenant,
                person: &p.public_id,
                field: f.as_str(),
            };
            let plain = cipher
                .open(&ad, sealed)
                .and_then(|r| r.into_utf8())
                .map_err(|e| format!("{f}: {e}"))?;
            let token = self
                .token(f, plain.expose(), today, &mut rec.dl_state)
                .map_err(|e| format!("{f}: the stored value does not parse: {}", e.reason()))?;
            rec.values[f.index()] = Some(token);
        }
        Ok(rec)
    }

    /// The token of one decrypted, normalized value.
    fn token(
        &self,
        f: Field,
        plain: &str,
        today: Date,
        dl_state: &mut Option<String>,
    ) -> Result<String, crate::FieldError> {
        let t = &self.tokenizer;
        Ok(match f {
            Field::FirstName => t.first_name(&Name::parse(plain)?),
            Field::LastName => t.last_name(&Name::parse(plain)?),
            Field::Street => t.street(&Street::parse(plain)?),
            Field::City => t.city(&City::parse(plain)?),
            Field::Zip => t.zip(&Zip::parse(plain)?),
            Field::Dob => t.date_of_birth(&DateOfBirth::parse(plain, today)?, today),
            Field::Ssn => t.ssn(&Ssn::parse(plain)?),
            Field::DriversLicense => {
                let dl = DriversLicense::parse_normalized(plain)?;
                *dl_state = Some(dl.state().code().to_owned());
                t.drivers_license(&dl)
            }
            Field::Phone => t.phone(&Phone::parse(plain)?),
            Field::Email => t.email(&Email::parse(plain)?),
            Field::Imei => t.imei(&Imei::parse(plain)?),
            Field::Imsi => t.imsi(&Imsi::parse(plain)?),
        })
    }
}

/// The persistent export key of `name` (see the module doc).
fn named_key(keys: &Keyring, name: &ExportKeyName) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    let root = keys.provider().root_key(NAMED_KEY_ROOT_VERSION)?;
    let tenant = keys.tenant().as_bytes();
    let len = u32::try_from(tenant.len())
        .unwrap_or(u32::MAX)
        .to_be_bytes();
    Ok(derive_key(
        b"custodian.export.v1",
        root.as_bytes(),
        &[b"export-key", &len, tenant, name.as_str().as_bytes()],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_are_checked() {
        assert!(ExportKeyName::parse("qa-weekly_1.0").is_ok());
        for bad in ["", "has space", "ü", &"x".repeat(65)] {
            assert!(ExportKeyName::parse(bad).is_err(), "{bad:?}");
        }
    }
}
