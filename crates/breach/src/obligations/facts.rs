//! The planner's input: what is known about the incident (its dates and a few yes/no/unknown
//! facts) and the affected people, aggregated into cohorts by residence, account kind and the
//! elements exposed in clear and as ciphertext.

use std::fmt;
use std::str::FromStr;

use custodian_vault::{AccountKind, ElementSet};
use time::{Date, OffsetDateTime};

use super::error::ObligationsError;

/// A jurisdiction code: a residence such as `US-CA` or `EU-DE`, or a rule set such as `US-FCC`.
///
/// Two or more parts of upper-case ASCII letters and digits, joined by `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JurisdictionCode(String);

impl JurisdictionCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the residence code of an EU member state (`EU-xx`).
    pub fn is_eu(&self) -> bool {
        self.0.starts_with("EU-")
    }
}

impl FromStr for JurisdictionCode {
    type Err = ObligationsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('-').collect();
        let well_formed = parts.len() >= 2
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.len() <= 8
                    && p.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            });
        if well_formed {
            Ok(JurisdictionCode(s.to_owned()))
        } else {
            Err(ObligationsError::InvalidCode(s.to_owned()))
        }
    }
}

impl fmt::Display for JurisdictionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether the encryption keys of the exposed ciphertext were exposed too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyExposure {
    /// The keys were not exposed: ciphertext-only elements fall under the safe harbours.
    NotExposed,
    /// The keys were exposed: ciphertext counts as clear where the law has a key exception.
    Exposed,
    /// Not known yet: treated as exposed, and the plan says so.
    Unknown,
}

impl KeyExposure {
    /// Whether the planner treats the keys as exposed.
    pub fn is_assumed_exposed(self) -> bool {
        !matches!(self, KeyExposure::NotExposed)
    }
}

/// Whether customer proprietary network information (call records, services, location) was
/// exposed; CPNI is not one of the vault's data elements, so the caller says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CpniExposure {
    /// No CPNI was exposed.
    NotExposed,
    /// CPNI was exposed.
    Exposed,
    /// Not known yet: the FCC rules are flagged for counsel review.
    Unknown,
}

/// Whether the company files with the SEC (Form 8-K Item 1.05 is then in the plan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecReporting {
    /// Not an SEC registrant, or the SEC rule is left out of this plan.
    NotRegistrant,
    /// An SEC registrant: include Item 1.05.
    Registrant,
}

/// Whether rule versions that are adopted but not yet in force are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PendingRules {
    /// Apply only versions in force; mention pending ones (the default).
    Ignore,
    /// Apply pending versions as if in force, to see the plan under the new rule.
    Apply,
}

/// What is known about the incident.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IncidentFacts {
    /// When the breach was discovered (or the company was told of it).
    pub discovered_at: OffsetDateTime,
    /// When the company determined that a breach occurred; discovery is used if absent.
    pub determined_at: Option<OffsetDateTime>,
    /// When the company became aware of a personal-data breach (GDPR); discovery if absent.
    pub aware_at: Option<OffsetDateTime>,
    /// When the company determined the incident material (SEC); none while undetermined.
    pub materiality_at: Option<OffsetDateTime>,
    /// Whether the keys of exposed ciphertext were exposed too.
    pub key_exposure: KeyExposure,
    /// Whether CPNI was exposed.
    pub cpni: CpniExposure,
    /// Whether the SEC rule belongs in the plan.
    pub sec: SecReporting,
    /// Whether pending rule versions are applied.
    pub pending_rules: PendingRules,
    /// The date whose law applies; the discovery date if absent.
    pub rules_as_of: Option<Date>,
    /// The planned date of the individual notices, for deadlines counted from it.
    pub planned_notice_date: Option<Date>,
}

impl IncidentFacts {
    /// Facts with only the discovery instant known, keys assumed exposed (unknown), CPNI
    /// unknown, no SEC filing and pending rules ignored.
    pub fn new(discovered_at: OffsetDateTime) -> IncidentFacts {
        IncidentFacts {
            discovered_at,
            determined_at: None,
            aware_at: None,
            materiality_at: None,
            key_exposure: KeyExposure::Unknown,
            cpni: CpniExposure::Unknown,
            sec: SecReporting::NotRegistrant,
            pending_rules: PendingRules::Ignore,
            rules_as_of: None,
            planned_notice_date: None,
        }
    }

    /// The date whose law applies.
    pub fn rule_date(&self) -> Date {
        self.rules_as_of.unwrap_or(self.discovered_at.date())
    }
}

/// People who share a residence, an account kind and an exposure.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cohort {
    /// Where they live (`US-CA`, `EU-DE`, ...).
    pub residence: JurisdictionCode,
    /// Their relationship with the company.
    pub account_kind: AccountKind,
    /// Elements exposed in clear.
    pub exposed_clear: ElementSet,
    /// Elements exposed only as ciphertext.
    pub exposed_encrypted: ElementSet,
    /// How many people.
    pub count: u64,
}

impl Cohort {
    /// A cohort; the residence code is parsed here.
    pub fn new(
        residence: &str,
        account_kind: AccountKind,
        exposed_clear: ElementSet,
        exposed_encrypted: ElementSet,
        count: u64,
    ) -> Result<Cohort, ObligationsError> {
        Ok(Cohort {
            residence: residence.parse()?,
            account_kind,
            exposed_clear,
            exposed_encrypted,
            count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jurisdiction_codes_parse() {
        for ok in ["US-CA", "US-FCC", "EU-GDPR", "EU-DE", "US-SEC"] {
            assert!(ok.parse::<JurisdictionCode>().is_ok(), "{ok}");
        }
        for bad in ["", "CA", "us-ca", "US-", "-CA", "US CA", "US-CA-"] {
            assert!(bad.parse::<JurisdictionCode>().is_err(), "{bad}");
        }
        assert!("EU-DE".parse::<JurisdictionCode>().unwrap().is_eu());
        assert!(!"US-CA".parse::<JurisdictionCode>().unwrap().is_eu());
    }
}
