//! The planner's output: per jurisdiction, who is affected, whether notice is required and why,
//! the deadlines, regulator and consumer-reporting-agency notices with their order, what notices
//! must and must not say, remedies owed and every flag counsel must look at; plus the
//! jurisdictions that need counsel review and one dated timeline across all of them.

use time::{Date, OffsetDateTime};

use custodian_vault::ElementSet;

use super::content::ContentItem;
use super::facts::JurisdictionCode;
use super::rules::NoticeOrder;

/// The obligations plan for one incident.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ObligationsPlan {
    /// "Decision support, not legal advice ..." — always present.
    pub disclaimer: &'static str,
    /// The date whose law was applied.
    pub rules_as_of: Date,
    /// The assumptions the planner made (key exposure, missing dates, counting conventions).
    pub assumptions: Vec<String>,
    /// One entry per jurisdiction with rules that covers affected people.
    pub jurisdictions: Vec<JurisdictionObligation>,
    /// Jurisdictions without rules (or without a version in force) that have affected people.
    pub counsel_review: Vec<CounselReview>,
    /// Every dated action, sorted by date (then time, then jurisdiction).
    pub timeline: Vec<TimelineEntry>,
}

impl ObligationsPlan {
    /// The obligation for a jurisdiction code, if the plan has one.
    pub fn jurisdiction(&self, code: &str) -> Option<&JurisdictionObligation> {
        self.jurisdictions.iter().find(|j| j.code.as_str() == code)
    }
}

/// What one jurisdiction's rules require for this incident.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct JurisdictionObligation {
    /// The jurisdiction code.
    pub code: JurisdictionCode,
    /// Its name.
    pub name: String,
    /// The legal citation.
    pub citation: String,
    /// The id of the rule version applied.
    pub version_id: String,
    /// People the jurisdiction covers (residents, customers, ...).
    pub affected: u64,
    /// Of those, people whose exposure meets a notifiable combination (or another trigger).
    pub notifiable: u64,
    /// Whether notice is required on the facts given (before any risk-of-harm exception).
    pub required: bool,
    /// Which rule matched, which elements, for how many people.
    pub reasons: Vec<Reason>,
    /// The risk-of-harm exception counsel may weigh, if the law has one.
    pub harm_exception: Option<String>,
    /// The notice to individuals, if required.
    pub individual_notice: Option<IndividualNotice>,
    /// Notices to regulators, attorneys general and law enforcement.
    pub regulator_notices: Vec<RegulatorNotice>,
    /// The notice to the nationwide consumer reporting agencies.
    pub cra_notice: Option<RegulatorNotice>,
    /// What the individual notice must contain.
    pub content_required: Vec<ContentItem>,
    /// What the individual notice must not contain.
    pub content_prohibited: Vec<ContentItem>,
    /// Remedies owed.
    pub remedies: Vec<RemedyOwed>,
    /// Caveats, unconfirmed facts and other points for counsel.
    pub flags: Vec<String>,
}

/// Why people are notifiable under a jurisdiction.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reason {
    /// What matched.
    pub basis: ReasonBasis,
    /// How many people it matched (a person can match several combinations).
    pub people: u64,
    /// The rule's qualification, if any.
    pub note: Option<String>,
}

/// The kind of match behind a [`Reason`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReasonBasis {
    /// A notifiable combination of elements was exposed.
    Combination(ElementSet),
    /// CPNI was exposed.
    Cpni,
    /// The incident was determined material (SEC).
    Materiality,
}

/// A due date; rules counted in hours also carry the instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub struct Due {
    /// The last day.
    pub date: Date,
    /// The exact instant, for deadlines counted in hours.
    pub at: Option<OffsetDateTime>,
}

/// The notice to individuals.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IndividualNotice {
    /// The latest date, if the law fixes one.
    pub due: Option<Due>,
    /// The rule in words, e.g. "within 30 calendar days after discovery".
    pub rule: String,
    /// The earliest date, if the law imposes a waiting period.
    pub not_before: Option<Due>,
}

/// Whether a regulator (or CRA) notice is due.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoticeStatus {
    /// The threshold is met.
    Due,
    /// Below the threshold: not required.
    NotDue,
    /// A judgment is needed (below a threshold with a harm test, or a pending determination).
    CounselReview(String),
}

/// A notice to a regulator, law enforcement or the consumer reporting agencies.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RegulatorNotice {
    /// Who receives it.
    pub name: String,
    /// Whether it is due.
    pub status: NoticeStatus,
    /// The latest date, when one can be computed.
    pub due: Option<Due>,
    /// The deadline rule in words.
    pub rule: String,
    /// Its place relative to the individual notice.
    pub order: NoticeOrder,
    /// The threshold and the count it was compared with, e.g. "more than 500; 501 notifiable".
    pub threshold: String,
    /// What it must contain or how it is filed.
    pub detail: Option<String>,
}

/// A remedy owed to some of the notified people.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RemedyOwed {
    /// Months of credit monitoring or identity-theft protection.
    pub credit_monitoring_months: u32,
    /// How many people it is owed to.
    pub people: u64,
    /// What exactly is owed.
    pub detail: Option<String>,
}

/// A jurisdiction with affected people that the rules do not cover.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CounselReview {
    /// The residence or rule code.
    pub code: JurisdictionCode,
    /// How many affected people.
    pub affected: u64,
    /// Why it needs review.
    pub reason: String,
}

/// One dated action.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TimelineEntry {
    /// When.
    pub due: Due,
    /// Which jurisdiction.
    pub jurisdiction: JurisdictionCode,
    /// What kind of action.
    pub kind: TimelineKind,
    /// The action in words.
    pub action: String,
}

/// The kind of a timeline entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimelineKind {
    /// The last day to notify individuals.
    IndividualNotice,
    /// The first day individuals may be notified.
    EarliestIndividualNotice,
    /// The last day to notify a regulator.
    RegulatorNotice,
    /// The last day to notify the consumer reporting agencies.
    CraNotice,
}
