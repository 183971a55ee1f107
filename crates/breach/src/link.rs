//! Tying rows of a file to vault people: by the company's `external_id` where the file has one,
//! otherwise through the vault's blind indexes on SSN, licence, e-mail, IMEI, IMSI and phone, in
//! that order (the most specific identifier first), in bulk per batch. A row that resolves to
//! nobody is counted, with each identifier it carries counted by kind: the 2021 breach had files
//! of phone, IMEI and IMSI numbers tied to no person, and a report must show them. A row whose
//! identifier several people share is linked to each of them (any of them may be the one whose
//! data it holds) and counted as shared.

use custodian_db::Database;
use custodian_vault::types::DriversLicense;
use custodian_vault::{DataElement, ElementSet, Field, Searcher};
use time::Date;

use crate::columns::{Basis, ContentVote, KEY_ORDER, Role, key_field, role_by_header};
use crate::error::BreachError;
use crate::input::Row;
use crate::store::vault_people;

/// Values sampled per column to judge its content.
const SAMPLE_ROWS: usize = 1_000;

/// What each column of a file holds, by header position.
#[derive(Debug, Clone, Default)]
pub(crate) struct ColumnPlan {
    pub(crate) names: Vec<String>,
    pub(crate) roles: Vec<Role>,
    pub(crate) basis: Vec<Basis>,
}

impl ColumnPlan {
    /// Adds the header's columns not yet planned: by header name, else (with `today`) by the
    /// content of the sampled rows, else unknown.
    pub(crate) fn extend(&mut self, header: &[String], sample: &[Row], today: Option<Date>) {
        for (i, name) in header.iter().enumerate().skip(self.names.len()) {
            let (role, basis) = match (role_by_header(name), today) {
                (Some(r), _) => (r, Basis::Header),
                (None, Some(today)) => {
                    let mut vote = ContentVote::default();
                    for row in sample.iter().take(SAMPLE_ROWS) {
                        if let Some(v) = row.cell(i) {
                            vote.add(v, today);
                        }
                    }
                    match vote.decide() {
                        Some(e) => (Role::Element(e), Basis::Content),
                        None => (Role::Unknown, Basis::Content),
                    }
                }
                (None, None) => (Role::Unknown, Basis::Header),
            };
            self.names.push(name.clone());
            self.roles.push(role);
            self.basis.push(basis);
        }
    }

    /// The element a column holds, if any.
    pub(crate) fn element(&self, i: usize) -> Option<DataElement> {
        match self.roles.get(i)? {
            Role::Element(e) => Some(*e),
            Role::LicenceState => Some(DataElement::DriversLicense),
            _ => None,
        }
    }

    /// Every element some column holds.
    pub(crate) fn elements(&self) -> ElementSet {
        (0..self.roles.len())
            .filter_map(|i| self.element(i))
            .collect()
    }

    fn find(&self, role: Role) -> Option<usize> {
        self.roles.iter().position(|r| *r == role)
    }

    /// Whether some column can tie a row to a person.
    pub(crate) fn can_link(&self) -> bool {
        self.find(Role::ExternalId).is_some()
            || self
                .roles
                .iter()
                .any(|r| matches!(r, Role::Element(e) if key_field(*e).is_some()))
    }
}

/// The people a batch of rows resolved to, and what could not be resolved.
#[derive(Debug, Default)]
pub(crate) struct Linked {
    /// (person id, element bits) per linked row and person.
    pub(crate) entries: Vec<(i64, u32)>,
    /// Rows that resolved to nobody.
    pub(crate) unlinked_rows: u64,
    /// Rows whose identifier several people share.
    pub(crate) shared_rows: u64,
    /// Identifiers in unlinked rows, by element bit.
    pub(crate) unlinked: [u64; DataElement::ALL.len()],
}

/// Resolves rows through the vault.
pub(crate) struct Linker<'a> {
    pub(crate) db: &'a Database,
    pub(crate) searcher: Searcher<'a>,
}

impl Linker<'_> {
    /// Links a batch. Each linked row's elements are those of its non-empty columns, limited to
    /// `allowed`, plus `always` (elements the dataset holds that the file has no column for).
    pub(crate) async fn link(
        &self,
        plan: &ColumnPlan,
        rows: &[Row],
        allowed: ElementSet,
        always: ElementSet,
    ) -> Result<Linked, BreachError> {
        let mut found: Vec<Option<Vec<i64>>> = vec![None; rows.len()];
        if let Some(col) = plan.find(Role::ExternalId) {
            let ids: Vec<&str> = rows.iter().filter_map(|r| r.cell(col)).collect();
            let map = vault_people::ids_by_external_id(self.db, &ids).await?;
            for (slot, row) in found.iter_mut().zip(rows) {
                if let Some(id) = row.cell(col).and_then(|e| map.get(e)) {
                    *slot = Some(vec![*id]);
                }
            }
        }
        for field in KEY_ORDER {
            self.by_index(plan, rows, field, &mut found).await?;
        }
        let mut out = Linked::default();
        for (row, people) in rows.iter().zip(found) {
            let mut bits = always;
            for i in 0..plan.roles.len() {
                if let (Some(e), Some(_)) = (plan.element(i), row.cell(i)) {
                    bits = bits.with(e);
                }
            }
            let bits = bits.intersect(allowed.union(always));
            match people {
                Some(ids) => {
                    if ids.len() > 1 {
                        out.shared_rows += 1;
                    }
                    out.entries
                        .extend(ids.into_iter().map(|p| (p, bits.bits())));
                }
                None => {
                    out.unlinked_rows += 1;
                    for i in 0..plan.roles.len() {
                        match (plan.roles[i], row.cell(i)) {
                            (Role::Element(e), Some(_)) if key_field(e).is_some() => {
                                out.unlinked[e.bit() as usize] += 1;
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// Resolves the still-unresolved rows that carry `field`, through its blind index.
    async fn by_index(
        &self,
        plan: &ColumnPlan,
        rows: &[Row],
        field: Field,
        found: &mut [Option<Vec<i64>>],
    ) -> Result<(), BreachError> {
        let Some(col) = plan.find(Role::Element(field.element())) else {
            return Ok(());
        };
        let state_col = plan.find(Role::LicenceState);
        let mut which = Vec::new();
        let mut values = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            if found[i].is_some() {
                continue;
            }
            let Some(raw) = row.cell(col) else { continue };
            let normalized = if field == Field::DriversLicense {
                let state = state_col.and_then(|c| row.cell(c));
                state
                    .and_then(|s| DriversLicense::parse(raw, s).ok())
                    .map(|d| d.normalized().to_owned())
            } else {
                custodian_vault::record::normalize(field, raw).ok()
            };
            if let Some(n) = normalized {
                which.push(i);
                values.push(n);
            }
        }
        if values.is_empty() {
            return Ok(());
        }
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let hits = self.searcher.resolve(field, &refs).await?;
        for (i, hit) in which.into_iter().zip(hits) {
            if let Some(ids) = hit.filter(|ids| !ids.is_empty()) {
                found[i] = Some(ids);
            }
        }
        Ok(())
    }
}
