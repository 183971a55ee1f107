//! Notification obligations per jurisdiction: the rules file (`rules/jurisdictions.toml`), its
//! typed and validated form ([`RuleBook`]), and the planner that turns the facts of an incident
//! and its affected cohorts into an [`ObligationsPlan`] with a dated timeline.
//!
//! The map of this module:
//!
//! - `raw` parses the TOML into serde structs and converts them, once, into the validated domain
//!   types of `rules` (errors name the jurisdiction and the field);
//! - `rules` holds those domain types and [`RuleBook`] itself;
//! - `content` is the closed vocabulary of notice-content items;
//! - `facts` is the planner's input: [`IncidentFacts`] and [`Cohort`]s;
//! - `calendar` counts calendar and business days (US federal holidays, observed);
//! - `evaluate` applies one rule version to the cohorts it covers;
//! - `plan` is the output, and `report` renders it as text.
//!
//! Everything here is decision support for counsel, never legal advice; the plan says so itself.

mod calendar;
mod content;
mod error;
mod evaluate;
mod facts;
mod plan;
mod raw;
mod report;
mod rules;

pub use calendar::{add_business_days, is_business_day, us_federal_holidays};
pub use content::ContentItem;
pub use error::ObligationsError;
pub use facts::{
    Cohort, CpniExposure, IncidentFacts, JurisdictionCode, KeyExposure, PendingRules, SecReporting,
};
pub use plan::{
    CounselReview, Due, IndividualNotice, JurisdictionObligation, NoticeStatus, ObligationsPlan,
    Reason, ReasonBasis, RegulatorNotice, RemedyOwed, TimelineEntry, TimelineKind,
};
pub use rules::{
    Clock, Combination, Confidence, Deadline, Jurisdiction, NoticeOrder, NoticeRule, Period,
    RemedyRule, RuleBook, RuleVersion, Scope, Source, StandardTiming, Threshold, ThresholdOp,
    Trigger, Unit, VersionStatus,
};

/// The sentence every plan opens with.
pub const DISCLAIMER: &str = "Decision support, not legal advice: this plan applies the rules \
file shipped with Custodian (or the one you supplied) to the facts you gave. Laws change and \
their application depends on facts the engine cannot see; counsel must review every obligation, \
every flagged or unconfirmed fact, and every jurisdiction listed as needing counsel review.";
