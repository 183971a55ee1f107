//! Cohorts: the affected people of an impact version grouped by account kind and by the set of
//! elements that count as exposed for them, with the readable summary a notice or a press
//! statement needs ("7.8M current postpaid: name, DOB, SSN, licence"), the not-affected
//! population (for the login banner), CSV; and the per-state aggregation the obligations
//! planner takes.

use std::collections::BTreeMap;
use std::fmt::Write;

use custodian_vault::{AccountKind, DataElement, ElementSet};

use crate::error::BreachError;
use crate::ids::IncidentId;
use crate::impact::{ImpactVersion, load_version};
use crate::obligations::{self, IncidentFacts, ObligationsPlan};

/// People of one account kind with one exposed-element set.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AffectedCohort {
    /// Their account kind.
    pub account_kind: AccountKind,
    /// The elements that count as exposed for them.
    pub elements: ElementSet,
    /// How many.
    pub people: u64,
}

/// The cohorts of an impact version.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CohortTable {
    /// The incident.
    pub incident: IncidentId,
    /// The impact version.
    pub version: i64,
    /// Whether ciphertext counted as exposed (the key-exposure assumption).
    pub counts_ciphertext: bool,
    /// The cohorts, largest first.
    pub cohorts: Vec<AffectedCohort>,
    /// Affected people.
    pub affected: u64,
    /// People in the vault.
    pub population: u64,
    /// Not-affected people by account kind (the login banner's audience).
    pub not_affected_by_kind: Vec<(AccountKind, u64)>,
}

impl CohortTable {
    /// People in the vault who are not affected.
    pub fn not_affected(&self) -> u64 {
        self.population.saturating_sub(self.affected)
    }

    /// Every cohort's summary, joined with `; `.
    pub fn summary(&self) -> String {
        self.cohorts
            .iter()
            .map(AffectedCohort::summary)
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The table as CSV: `account_kind,elements,people,summary`, then a not-affected line.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("account_kind,elements,people,summary\n");
        for c in &self.cohorts {
            let _ = writeln!(
                out,
                "{},\"{}\",{},\"{}\"",
                c.account_kind,
                c.elements,
                c.people,
                c.summary().replace('"', "'")
            );
        }
        let _ = writeln!(
            out,
            "not_affected,,{},\"not affected\"",
            self.not_affected()
        );
        out
    }
}

/// A short label of an element, as notices write them.
pub fn short_label(e: DataElement) -> &'static str {
    match e {
        DataElement::FullName => "name",
        DataElement::PostalAddress => "address",
        DataElement::DateOfBirth => "DOB",
        DataElement::Ssn => "SSN",
        DataElement::DriversLicense => "licence",
        DataElement::PhoneNumber => "phone",
        DataElement::Email => "e-mail",
        DataElement::Imei => "IMEI",
        DataElement::Imsi => "IMSI",
        DataElement::AccountPin => "PIN",
        DataElement::AccountPassword => "password",
        DataElement::AccountNumber => "account number",
        DataElement::PaymentCard => "card number",
        _ => e.as_str(),
    }
}

/// How a kind is named in a summary.
pub fn kind_label(k: AccountKind) -> &'static str {
    match k {
        AccountKind::Postpaid => "current postpaid",
        AccountKind::Prepaid => "current prepaid",
        AccountKind::Former => "former",
        AccountKind::Prospective => "prospective",
        _ => k.as_str(),
    }
}

/// A count the way a statement writes it: 7.8M, 850K, 1,234.
pub fn human_count(n: u64) -> String {
    let one = |v: f64, unit: &str| {
        let s = format!("{v:.1}");
        format!("{}{unit}", s.strip_suffix(".0").unwrap_or(&s))
    };
    match n {
        0..=9_999 => {
            let s = n.to_string();
            let mut out = String::new();
            for (i, c) in s.chars().enumerate() {
                if i > 0 && (s.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(c);
            }
            out
        }
        10_000..=999_999 => format!("{}K", (n + 500) / 1_000),
        _ => one(n as f64 / 1e6, "M"),
    }
}

impl AffectedCohort {
    /// "7.8M current postpaid: name, address, DOB, SSN, licence" (", no SSN" when it lacks one).
    pub fn summary(&self) -> String {
        let labels: Vec<&str> = self.elements.iter().map(short_label).collect();
        let mut s = format!(
            "{} {}: {}",
            human_count(self.people),
            kind_label(self.account_kind),
            labels.join(", ")
        );
        if !self.elements.contains(DataElement::Ssn) {
            s.push_str(", no SSN");
        }
        s
    }
}

/// The cohort table of an impact version.
pub fn cohorts_of(v: &ImpactVersion) -> CohortTable {
    let mut m: BTreeMap<(AccountKind, ElementSet), u64> = BTreeMap::new();
    let mut affected_by_kind: BTreeMap<AccountKind, u64> = BTreeMap::new();
    for g in &v.groups {
        let exposed = v.exposed(g.clear, g.encrypted);
        if !exposed.is_empty() {
            *m.entry((g.account_kind, exposed)).or_default() += g.people;
            *affected_by_kind.entry(g.account_kind).or_default() += g.people;
        }
    }
    let mut cohorts: Vec<AffectedCohort> = m
        .into_iter()
        .map(|((account_kind, elements), people)| AffectedCohort {
            account_kind,
            elements,
            people,
        })
        .collect();
    cohorts.sort_by(|a, b| {
        b.people
            .cmp(&a.people)
            .then(a.account_kind.cmp(&b.account_kind))
            .then(a.elements.cmp(&b.elements))
    });
    let not_affected_by_kind = v
        .population_by_kind
        .iter()
        .map(|(k, n)| {
            (
                *k,
                n.saturating_sub(affected_by_kind.get(k).copied().unwrap_or(0)),
            )
        })
        .collect();
    CohortTable {
        incident: v.incident,
        version: v.version,
        counts_ciphertext: v.counts_ciphertext(),
        cohorts,
        affected: v.affected,
        population: v.population,
        not_affected_by_kind,
    }
}

/// The planner's cohorts: people by residence (`US-XX`; `US-UNKNOWN` without a state), account
/// kind, and elements in clear and as ciphertext only.
pub fn planner_cohorts(v: &ImpactVersion) -> Result<Vec<obligations::Cohort>, BreachError> {
    v.groups
        .iter()
        .map(|g| {
            let residence = format!(
                "US-{}",
                g.state.as_deref().unwrap_or("UNKNOWN").to_ascii_uppercase()
            );
            Ok(obligations::Cohort::new(
                &residence,
                g.account_kind,
                g.clear,
                g.encrypted,
                g.people,
            )?)
        })
        .collect()
}

/// The planner's facts from the incident and the version's key-exposure assumption.
pub(crate) fn facts(
    incident: &crate::incident::Incident,
    v: &ImpactVersion,
) -> Result<IncidentFacts, BreachError> {
    let detected = incident.detected_at.ok_or_else(|| {
        BreachError::invalid(
            "detected",
            "the incident has no detection date; set it first (deadlines count from it)",
        )
    })?;
    let mut f = IncidentFacts::new(detected.to_datetime());
    f.determined_at = incident.determined_at.map(|t| t.to_datetime());
    f.aware_at = incident.aware_at.map(|t| t.to_datetime());
    f.materiality_at = incident.materiality_at.map(|t| t.to_datetime());
    f.key_exposure = v.key_exposure;
    f.cpni = incident.cpni;
    f.sec = incident.sec;
    Ok(f)
}

impl crate::incident::IncidentReader<'_> {
    /// The cohorts of a version (the latest when `None`).
    pub async fn cohorts(
        &self,
        id: IncidentId,
        version: Option<i64>,
    ) -> Result<CohortTable, BreachError> {
        Ok(cohorts_of(&load_version(self.0, id, version).await?))
    }

    /// The obligations plan for a version's affected people and the incident's dates.
    pub async fn obligations(
        &self,
        id: IncidentId,
        version: Option<i64>,
    ) -> Result<ObligationsPlan, BreachError> {
        let incident = crate::incident::find(self.0, id).await?;
        let v = load_version(self.0, id, version).await?;
        Ok(self
            .0
            .rules()
            .plan(&facts(&incident, &v)?, &planner_cohorts(&v)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_like_a_statement() {
        assert_eq!(human_count(7_812_345), "7.8M");
        assert_eq!(human_count(5_300_000), "5.3M");
        assert_eq!(human_count(850_123), "850K");
        assert_eq!(human_count(1_234), "1,234");
        assert_eq!(human_count(40_000_000), "40M");
    }

    #[test]
    fn summaries_name_kind_and_elements() {
        let c = AffectedCohort {
            account_kind: AccountKind::Postpaid,
            elements: "full_name,date_of_birth,ssn,drivers_license"
                .parse()
                .unwrap(),
            people: 7_800_000,
        };
        assert_eq!(
            c.summary(),
            "7.8M current postpaid: name, DOB, SSN, licence"
        );
        let c = AffectedCohort {
            account_kind: AccountKind::Prepaid,
            elements: "full_name,phone_number,account_pin".parse().unwrap(),
            people: 850_000,
        };
        assert_eq!(
            c.summary(),
            "850K current prepaid: name, phone, PIN, no SSN"
        );
    }
}
