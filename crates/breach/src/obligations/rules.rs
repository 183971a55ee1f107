//! The validated rules: one [`Jurisdiction`] per code, each with dated [`RuleVersion`]s that say
//! which element combinations make a notifiable breach, how encryption counts, who must be told
//! by when and in what order, what notices must and must not say, and what remedies are owed.
//! Values of these types only come out of the rules file through `raw`, so every one of them has
//! passed validation; their fields are public for reading and the types cannot be built outside
//! this crate.

use std::fmt;
use std::path::Path;

use custodian_vault::ElementSet;
use time::Date;

use super::content::ContentItem;
use super::error::ObligationsError;
use super::facts::{JurisdictionCode, PendingRules};

/// The rules file shipped with Custodian.
const SHIPPED_RULES: &str = include_str!("../../rules/jurisdictions.toml");

/// Every jurisdiction the engine knows, parsed and validated.
#[derive(Debug, Clone)]
pub struct RuleBook {
    pub(crate) jurisdictions: Vec<Jurisdiction>,
}

impl RuleBook {
    /// The rules file shipped in the repository (`crates/breach/rules/jurisdictions.toml`).
    pub fn shipped() -> Result<RuleBook, ObligationsError> {
        RuleBook::from_toml(SHIPPED_RULES)
    }

    /// Parses and validates a rules file given as text.
    pub fn from_toml(text: &str) -> Result<RuleBook, ObligationsError> {
        super::raw::parse(text)
    }

    /// Reads, parses and validates a rules file supplied by the user.
    pub fn from_path(path: &Path) -> Result<RuleBook, ObligationsError> {
        let text = std::fs::read_to_string(path).map_err(|source| ObligationsError::Read {
            path: path.to_owned(),
            source,
        })?;
        RuleBook::from_toml(&text)
    }

    /// The jurisdictions, in file order.
    pub fn jurisdictions(&self) -> &[Jurisdiction] {
        &self.jurisdictions
    }

    /// The jurisdiction with this code, if the book has one.
    pub fn find(&self, code: &str) -> Option<&Jurisdiction> {
        self.jurisdictions.iter().find(|j| j.code.as_str() == code)
    }
}

/// Who a jurisdiction's rules protect, which decides which cohorts it counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Scope {
    /// Residents of the jurisdiction (cohorts whose residence code equals the jurisdiction code).
    Residents,
    /// Residents of any EU member state (cohorts whose code starts with `EU-`).
    EuResidents,
    /// Customers of a carrier, wherever they live (every cohort; only current accounts count).
    CarrierCustomers,
    /// The company itself as an SEC registrant (every cohort, when the company opted in).
    Issuer,
}

/// What makes a jurisdiction's duty arise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trigger {
    /// Exposure of a listed combination of data elements (or of CPNI, where the rule covers it).
    Elements,
    /// A determination that the incident is material (SEC).
    Materiality,
}

/// One jurisdiction and the versions of its rules over time.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Jurisdiction {
    /// The code, e.g. `US-CA`, `US-FCC`, `EU-GDPR`.
    pub code: JurisdictionCode,
    /// The human name.
    pub name: String,
    /// The main legal citation.
    pub citation: String,
    /// Whom the rules protect.
    pub scope: Scope,
    /// What makes the duty arise.
    pub trigger: Trigger,
    /// The versions, ordered by `effective_from`.
    pub versions: Vec<RuleVersion>,
}

impl Jurisdiction {
    /// The version that governs an incident judged as of `date`: among the versions whose
    /// `[effective_from, effective_until)` window holds the date, the one that took effect last.
    /// Pending versions (adopted, not in force) count only with [`PendingRules::Apply`].
    pub fn version_at(&self, date: Date, pending: PendingRules) -> Option<&RuleVersion> {
        self.versions
            .iter()
            .filter(|v| v.covers(date))
            .filter(|v| v.status == VersionStatus::InForce || pending == PendingRules::Apply)
            .max_by_key(|v| v.effective_from)
    }

    /// The pending versions that the planner skipped for `date`, so the plan can mention them.
    pub fn skipped_pending(&self, date: Date, pending: PendingRules) -> Vec<&RuleVersion> {
        if pending == PendingRules::Apply {
            return Vec::new();
        }
        self.versions
            .iter()
            .filter(|v| v.status == VersionStatus::Pending && v.covers(date))
            .collect()
    }
}

/// Whether a version is law yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VersionStatus {
    /// In force from `effective_from`.
    InForce,
    /// Adopted but its effective date is not settled (e.g. delayed pending approval or litigation).
    Pending,
}

/// One version of a jurisdiction's rules, in force over a window of dates.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RuleVersion {
    /// A stable id, e.g. `CA-2026`.
    pub id: String,
    /// The first day the version applies.
    pub effective_from: Date,
    /// The first day it no longer applies, if it has been replaced.
    pub effective_until: Option<Date>,
    /// In force or pending.
    pub status: VersionStatus,
    /// The element combinations that make a notifiable breach (any one suffices).
    pub personal_info: Vec<Combination>,
    /// Whether exposure of CPNI (customer proprietary network information) triggers the rule.
    pub covers_cpni: bool,
    /// Whether data exposed only as ciphertext is exempt.
    pub encryption_safe_harbor: bool,
    /// Whether the exemption is lost when the key was also exposed.
    pub key_exception: bool,
    /// The risk-of-harm exception, in words, if the law has one.
    pub risk_of_harm: Option<String>,
    /// When individuals must be told; none where the rule owes no individual notice (SEC).
    pub individual_deadline: Option<Deadline>,
    /// A waiting period before individuals may be told, if any.
    pub individual_not_before: Option<Period>,
    /// Notices to regulators, attorneys general and law enforcement.
    pub regulators: Vec<NoticeRule>,
    /// The notice to the nationwide consumer reporting agencies, if the law requires one.
    pub cra: Option<NoticeRule>,
    /// What the individual notice must contain.
    pub content_required: Vec<ContentItem>,
    /// What the individual notice must not contain.
    pub content_prohibited: Vec<ContentItem>,
    /// Remedies owed to the people notified.
    pub remedies: Vec<RemedyRule>,
    /// Warnings counsel must read whenever this version applies.
    pub caveats: Vec<String>,
    /// Where each fact comes from, and how sure we are of it.
    pub sources: Vec<Source>,
}

impl RuleVersion {
    /// Whether `date` falls inside the version's window.
    pub fn covers(&self, date: Date) -> bool {
        self.effective_from <= date && self.effective_until.is_none_or(|until| date < until)
    }

    /// The sources marked unconfirmed.
    pub fn unconfirmed(&self) -> impl Iterator<Item = &Source> {
        self.sources
            .iter()
            .filter(|s| s.confidence == Confidence::Unconfirmed)
    }
}

/// A set of elements that, exposed together, make a notifiable breach.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Combination {
    /// The elements, all of which must be exposed.
    pub elements: ElementSet,
    /// A qualification counsel must weigh (e.g. "only if the account is a financial account").
    pub note: Option<String>,
}

/// When a notice is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Deadline {
    /// A standard without a fixed number of days.
    Standard(StandardTiming),
    /// A fixed period from an event.
    Within(Period),
}

impl fmt::Display for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Deadline::Standard(s) => write!(f, "{s} (no fixed number of days)"),
            Deadline::Within(p) => write!(f, "within {p}"),
        }
    }
}

/// The wording of a deadline that has no fixed number of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StandardTiming {
    /// "Most expedient time possible and without unreasonable delay".
    WithoutUnreasonableDelay,
    /// GDPR's "without undue delay".
    WithoutUndueDelay,
    /// "As soon as practicable".
    AsSoonAsPracticable,
}

impl fmt::Display for StandardTiming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StandardTiming::WithoutUnreasonableDelay => "without unreasonable delay",
            StandardTiming::WithoutUndueDelay => "without undue delay",
            StandardTiming::AsSoonAsPracticable => "as soon as practicable",
        })
    }
}

/// A number of days or hours counted from an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Period {
    /// How many units.
    pub amount: u32,
    /// Calendar days, business days or hours.
    pub unit: Unit,
    /// The event the clock starts from.
    pub clock: Clock,
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} after {}", self.amount, self.unit, self.clock)
    }
}

/// The unit a period is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unit {
    /// Calendar days.
    CalendarDays,
    /// Business days: Monday to Friday except US federal holidays (observed).
    BusinessDays,
    /// Hours, counted from the instant of the event.
    Hours,
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unit::CalendarDays => "calendar days",
            Unit::BusinessDays => "business days",
            Unit::Hours => "hours",
        })
    }
}

/// The event a clock starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Clock {
    /// Discovery of (or being notified of) the breach.
    Discovery,
    /// Determination that a breach occurred.
    Determination,
    /// Becoming aware of a personal-data breach (GDPR).
    Awareness,
    /// Determination that the incident is material (SEC).
    Materiality,
    /// The notice to individuals.
    IndividualNotice,
    /// The notice to the regulator that must come first.
    RegulatorNotice,
}

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Clock::Discovery => "discovery",
            Clock::Determination => "determination that a breach occurred",
            Clock::Awareness => "awareness",
            Clock::Materiality => "the materiality determination",
            Clock::IndividualNotice => "notice to individuals",
            Clock::RegulatorNotice => "the regulator notice",
        })
    }
}

/// A count threshold on notifiable residents (or customers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Threshold {
    /// `>` or `>=`.
    pub op: ThresholdOp,
    /// The number compared against.
    pub count: u64,
}

impl Threshold {
    /// Whether `n` meets the threshold.
    pub fn is_met(self, n: u64) -> bool {
        match self.op {
            ThresholdOp::Greater => n > self.count,
            ThresholdOp::AtLeast => n >= self.count,
        }
    }
}

impl fmt::Display for Threshold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.op, self.count) {
            (ThresholdOp::AtLeast, 1) => f.write_str("any notifiable person"),
            (ThresholdOp::Greater, n) => write!(f, "more than {n}"),
            (ThresholdOp::AtLeast, n) => write!(f, "{n} or more"),
        }
    }
}

/// The comparison of a threshold; the statutes use both, and the difference matters at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThresholdOp {
    /// Strictly more than the count.
    Greater,
    /// The count or more.
    AtLeast,
}

/// Where a regulator notice sits relative to the notice to individuals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoticeOrder {
    /// Before any individual is told.
    BeforeIndividuals,
    /// No later than individuals are told (at the same time at the latest).
    NoLaterThanIndividuals,
    /// After individuals are told.
    AfterIndividuals,
    /// The law sets no order.
    Any,
}

impl fmt::Display for NoticeOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NoticeOrder::BeforeIndividuals => "before individuals are notified",
            NoticeOrder::NoLaterThanIndividuals => "no later than individuals are notified",
            NoticeOrder::AfterIndividuals => "after individuals are notified",
            NoticeOrder::Any => "no required order",
        })
    }
}

/// A notice to a regulator, law enforcement or the consumer reporting agencies.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NoticeRule {
    /// Who receives it.
    pub name: String,
    /// How many notifiable people make it due.
    pub threshold: Threshold,
    /// By when.
    pub deadline: Deadline,
    /// Its place relative to the individual notice.
    pub order: NoticeOrder,
    /// What it must contain or how it is filed.
    pub detail: Option<String>,
    /// What applies below the threshold, when that is a judgment rather than "nothing".
    pub below_threshold: Option<String>,
}

/// A remedy owed to notified people, such as months of credit monitoring.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RemedyRule {
    /// Months of credit monitoring or identity-theft protection.
    pub credit_monitoring_months: u32,
    /// The remedy is owed to a person whose exposed elements include any of these (empty: all).
    pub requires_any: ElementSet,
    /// What exactly is owed.
    pub detail: Option<String>,
}

/// How sure the rules file is of a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Confidence {
    /// Checked against the cited source.
    Confirmed,
    /// Not confirmed, or sources disagree; the plan surfaces it.
    Unconfirmed,
}

/// The source of one fact in a rule version.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Source {
    /// The fact, in words.
    pub fact: String,
    /// Where it was checked.
    pub url: String,
    /// When it was checked.
    pub checked: Date,
    /// Confirmed or not.
    pub confidence: Confidence,
    /// Why it is unconfirmed, or what else to know.
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greater_and_at_least_differ_only_at_the_count() {
        let gt = Threshold {
            op: ThresholdOp::Greater,
            count: 500,
        };
        let ge = Threshold {
            op: ThresholdOp::AtLeast,
            count: 500,
        };
        assert!(!gt.is_met(500) && gt.is_met(501));
        assert!(!ge.is_met(499) && ge.is_met(500));
        assert_eq!(gt.to_string(), "more than 500");
        assert_eq!(ge.to_string(), "500 or more");
        let any = Threshold {
            op: ThresholdOp::AtLeast,
            count: 1,
        };
        assert_eq!(any.to_string(), "any notifiable person");
    }

    #[test]
    fn deadlines_read_as_sentences() {
        let p = Period {
            amount: 7,
            unit: Unit::BusinessDays,
            clock: Clock::Determination,
        };
        assert_eq!(
            Deadline::Within(p).to_string(),
            "within 7 business days after determination that a breach occurred"
        );
        assert_eq!(
            Deadline::Standard(StandardTiming::WithoutUnreasonableDelay).to_string(),
            "without unreasonable delay (no fixed number of days)"
        );
    }
}
