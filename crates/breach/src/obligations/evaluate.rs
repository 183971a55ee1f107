//! The planner: for each jurisdiction, pick the rule version in force on the incident's date,
//! count the cohorts it covers, decide which people are notifiable (safe harbours, key
//! exposure, combinations), and compute deadlines from the right clock in the right unit; then
//! list the jurisdictions nobody has rules for and merge everything into one timeline.

use std::collections::{BTreeMap, HashSet};

use custodian_vault::ElementSet;
use time::{Date, Duration, OffsetDateTime};

use super::DISCLAIMER;
use super::calendar::{add_business_days, add_calendar_days};
use super::facts::{Cohort, CpniExposure, IncidentFacts, KeyExposure, SecReporting};
use super::plan::{
    CounselReview, Due, IndividualNotice, JurisdictionObligation, NoticeStatus, ObligationsPlan,
    Reason, ReasonBasis, RegulatorNotice, RemedyOwed, TimelineEntry, TimelineKind,
};
use super::rules::{
    Clock, Deadline, Jurisdiction, NoticeOrder, NoticeRule, Period, RuleBook, RuleVersion, Scope,
    Trigger, Unit,
};

impl RuleBook {
    /// Plans the notification obligations of an incident.
    ///
    /// `cohorts` are the affected people aggregated by residence, account kind and exposure.
    /// Jurisdictions with affected people but no rules (or no version in force on the incident's
    /// date) are listed under `counsel_review`, never skipped.
    pub fn plan(&self, facts: &IncidentFacts, cohorts: &[Cohort]) -> ObligationsPlan {
        let rule_date = facts.rule_date();
        let mut jurisdictions = Vec::new();
        let mut counsel_review = Vec::new();
        for j in &self.jurisdictions {
            let covered: Vec<&Cohort> = cohorts.iter().filter(|c| in_scope(j, facts, c)).collect();
            let affected = covered.iter().fold(0u64, |n, c| n.saturating_add(c.count));
            let sec_opted_in = j.scope == Scope::Issuer && facts.sec == SecReporting::Registrant;
            if affected == 0 && !sec_opted_in {
                continue;
            }
            match j.version_at(rule_date, facts.pending_rules) {
                Some(v) => jurisdictions.push(evaluate(j, v, facts, &covered)),
                None => counsel_review.push(CounselReview {
                    code: j.code.clone(),
                    affected,
                    reason: format!(
                        "{} ({}): no version of its rules in force on {rule_date} is encoded",
                        j.name, j.citation
                    ),
                }),
            }
        }
        counsel_review.extend(uncovered_residences(self, cohorts));
        let timeline = timeline(&jurisdictions);
        ObligationsPlan {
            disclaimer: DISCLAIMER,
            rules_as_of: rule_date,
            assumptions: assumptions(facts, &jurisdictions),
            jurisdictions,
            counsel_review,
            timeline,
        }
    }
}

/// Whether a jurisdiction counts a cohort.
fn in_scope(j: &Jurisdiction, facts: &IncidentFacts, cohort: &Cohort) -> bool {
    match j.scope {
        Scope::Residents => cohort.residence == j.code,
        Scope::EuResidents => cohort.residence.is_eu(),
        Scope::CarrierCustomers => true,
        Scope::Issuer => facts.sec == SecReporting::Registrant,
    }
}

/// Residences with affected people that no residents' (or EU) rule covers.
fn uncovered_residences(book: &RuleBook, cohorts: &[Cohort]) -> Vec<CounselReview> {
    let known: HashSet<&str> = book
        .jurisdictions
        .iter()
        .filter(|j| j.scope == Scope::Residents)
        .map(|j| j.code.as_str())
        .collect();
    let has_eu = book
        .jurisdictions
        .iter()
        .any(|j| j.scope == Scope::EuResidents);
    let mut counts: BTreeMap<&str, (u64, &Cohort)> = BTreeMap::new();
    for c in cohorts {
        if known.contains(c.residence.as_str()) || (has_eu && c.residence.is_eu()) {
            continue;
        }
        let entry = counts.entry(c.residence.as_str()).or_insert((0, c));
        entry.0 = entry.0.saturating_add(c.count);
    }
    counts
        .into_values()
        .filter(|(n, _)| *n > 0)
        .map(|(affected, c)| CounselReview {
            code: c.residence.clone(),
            affected,
            reason: "needs counsel review: the rules file has no rules for this jurisdiction"
                .into(),
        })
        .collect()
}

/// The elements that count under a version: clear ones, plus ciphertext where no safe harbour
/// applies or the key was exposed and the law has a key exception.
fn counted_elements(v: &RuleVersion, facts: &IncidentFacts, c: &Cohort) -> ElementSet {
    let keys_out = facts.key_exposure.is_assumed_exposed();
    if !v.encryption_safe_harbor || (keys_out && v.key_exception) {
        c.exposed_clear.union(c.exposed_encrypted)
    } else {
        c.exposed_clear
    }
}

fn matches(v: &RuleVersion, elements: ElementSet) -> impl Iterator<Item = usize> + '_ {
    v.personal_info
        .iter()
        .enumerate()
        .filter(move |(_, combo)| combo.elements.intersect(elements) == combo.elements)
        .map(|(i, _)| i)
}

/// Counts over the cohorts a jurisdiction covers.
#[derive(Default)]
struct Tally {
    affected: u64,
    notifiable: u64,
    per_combination: Vec<u64>,
    cpni: u64,
    remedies: Vec<u64>,
    key_flag: u64,
    uncertain_customers: u64,
}

fn tally(j: &Jurisdiction, v: &RuleVersion, facts: &IncidentFacts, covered: &[&Cohort]) -> Tally {
    let mut t = Tally {
        per_combination: vec![0; v.personal_info.len()],
        remedies: vec![0; v.remedies.len()],
        ..Tally::default()
    };
    for c in covered {
        t.affected = t.affected.saturating_add(c.count);
        if j.trigger == Trigger::Materiality {
            t.notifiable = t.notifiable.saturating_add(c.count);
            continue;
        }
        let counted = counted_elements(v, facts, c);
        let hits: Vec<usize> = matches(v, counted).collect();
        let cpni = v.covers_cpni && facts.cpni == CpniExposure::Exposed;
        let hit = !hits.is_empty() || cpni;
        if j.scope == Scope::CarrierCustomers && !c.account_kind.is_current() {
            if hit {
                t.uncertain_customers = t.uncertain_customers.saturating_add(c.count);
            }
            continue;
        }
        if !hit {
            let with_key = c.exposed_clear.union(c.exposed_encrypted);
            let keys_out = facts.key_exposure.is_assumed_exposed();
            if keys_out && !v.key_exception && matches(v, with_key).next().is_some() {
                t.key_flag = t.key_flag.saturating_add(c.count);
            }
            continue;
        }
        t.notifiable = t.notifiable.saturating_add(c.count);
        for i in hits {
            t.per_combination[i] = t.per_combination[i].saturating_add(c.count);
        }
        if cpni {
            t.cpni = t.cpni.saturating_add(c.count);
        }
        for (i, r) in v.remedies.iter().enumerate() {
            if r.requires_any.is_empty() || !counted.intersect(r.requires_any).is_empty() {
                t.remedies[i] = t.remedies[i].saturating_add(c.count);
            }
        }
    }
    t
}

/// The start instants of the clocks, with the fallbacks the plan's assumptions describe.
struct Clocks {
    discovery: OffsetDateTime,
    determination: OffsetDateTime,
    awareness: OffsetDateTime,
    materiality: Option<OffsetDateTime>,
}

impl Clocks {
    fn new(facts: &IncidentFacts) -> Clocks {
        Clocks {
            discovery: facts.discovered_at,
            determination: facts.determined_at.unwrap_or(facts.discovered_at),
            awareness: facts.aware_at.unwrap_or(facts.discovered_at),
            materiality: facts.materiality_at,
        }
    }
}

/// The due date of a deadline; `anchor` is the date of the notice that relative clocks
/// (individual notice, regulator notice) count from.
fn due(deadline: Deadline, clocks: &Clocks, anchor: Option<Date>) -> Option<Due> {
    let Deadline::Within(p) = deadline else {
        return None;
    };
    period_due(p, clocks, anchor)
}

fn period_due(p: Period, clocks: &Clocks, anchor: Option<Date>) -> Option<Due> {
    let start = match p.clock {
        Clock::Discovery => Some(clocks.discovery),
        Clock::Determination => Some(clocks.determination),
        Clock::Awareness => Some(clocks.awareness),
        Clock::Materiality => clocks.materiality,
        Clock::IndividualNotice | Clock::RegulatorNotice => {
            let day = anchor?;
            return Some(Due {
                date: add_days(day, p),
                at: None,
            });
        }
    }?;
    Some(match p.unit {
        Unit::Hours => {
            let at = start.saturating_add(Duration::hours(i64::from(p.amount)));
            Due {
                date: at.date(),
                at: Some(at),
            }
        }
        _ => Due {
            date: add_days(start.date(), p),
            at: None,
        },
    })
}

fn add_days(day: Date, p: Period) -> Date {
    match p.unit {
        Unit::BusinessDays => add_business_days(day, p.amount),
        // Hours counted from a notice date: whole days only, rounded down (the earlier date).
        Unit::Hours => add_calendar_days(day, p.amount / 24),
        Unit::CalendarDays => add_calendar_days(day, p.amount),
    }
}

fn evaluate(
    j: &Jurisdiction,
    v: &RuleVersion,
    facts: &IncidentFacts,
    covered: &[&Cohort],
) -> JurisdictionObligation {
    let t = tally(j, v, facts, covered);
    let clocks = Clocks::new(facts);
    let required = match j.trigger {
        Trigger::Materiality => facts.materiality_at.is_some(),
        Trigger::Elements => t.notifiable > 0,
    };
    let individual = v
        .individual_deadline
        .filter(|_| required && j.trigger == Trigger::Elements)
        .map(|d| IndividualNotice {
            due: due(d, &clocks, None),
            rule: d.to_string(),
            not_before: None,
        });
    let individual_due = individual.as_ref().and_then(|i| i.due).map(|d| d.date);
    let anchor = facts.planned_notice_date.or(individual_due);
    let notice = |r: &NoticeRule| regulator_notice(j, r, &t, required, facts, &clocks, anchor);
    let regulator_notices: Vec<RegulatorNotice> = v.regulators.iter().map(notice).collect();
    let cra_notice = v.cra.as_ref().map(notice);
    let individual = individual.map(|mut i| {
        let first = regulator_notices
            .iter()
            .find(|r| r.order == NoticeOrder::BeforeIndividuals && r.status != NoticeStatus::NotDue)
            .and_then(|r| r.due);
        i.not_before = v
            .individual_not_before
            .and_then(|p| period_due(p, &clocks, first.map(|d| d.date)));
        i
    });
    JurisdictionObligation {
        code: j.code.clone(),
        name: j.name.clone(),
        citation: j.citation.clone(),
        version_id: v.id.clone(),
        affected: t.affected,
        notifiable: t.notifiable,
        required,
        reasons: reasons(v, facts, &t, required),
        harm_exception: v.risk_of_harm.clone(),
        individual_notice: individual,
        regulator_notices,
        cra_notice,
        content_required: v.content_required.clone(),
        content_prohibited: v.content_prohibited.clone(),
        remedies: remedies(v, &t),
        flags: flags(j, v, facts, &t),
    }
}

fn regulator_notice(
    j: &Jurisdiction,
    r: &NoticeRule,
    t: &Tally,
    required: bool,
    facts: &IncidentFacts,
    clocks: &Clocks,
    anchor: Option<Date>,
) -> RegulatorNotice {
    let status = if j.trigger == Trigger::Materiality && facts.materiality_at.is_none() {
        NoticeStatus::CounselReview(
            "materiality not yet determined: make the determination without unreasonable delay \
             after discovery; the filing is due after it"
                .into(),
        )
    } else if !required {
        NoticeStatus::NotDue
    } else if r.threshold.is_met(t.notifiable) {
        NoticeStatus::Due
    } else if let Some(text) = &r.below_threshold {
        NoticeStatus::CounselReview(text.clone())
    } else {
        NoticeStatus::NotDue
    };
    let mut when = match status {
        NoticeStatus::NotDue => None,
        _ => due(r.deadline, clocks, anchor),
    };
    // A notice that must precede (or accompany) the individual notices is due by their date at
    // the latest, even where its own rule has no fixed period.
    if status != NoticeStatus::NotDue
        && matches!(
            r.order,
            NoticeOrder::BeforeIndividuals | NoticeOrder::NoLaterThanIndividuals
        )
        && let Some(day) = anchor
    {
        let cap = Due {
            date: day,
            at: None,
        };
        when = Some(when.map_or(cap, |w| if w.date > day { cap } else { w }));
    }
    RegulatorNotice {
        name: r.name.clone(),
        status,
        due: when,
        rule: format!("{}; {}", r.deadline, r.order),
        order: r.order,
        threshold: match j.trigger {
            Trigger::Materiality => "a material incident, whatever the number of people".into(),
            Trigger::Elements => format!("{}; {} notifiable", r.threshold, t.notifiable),
        },
        detail: r.detail.clone(),
    }
}

fn reasons(v: &RuleVersion, facts: &IncidentFacts, t: &Tally, required: bool) -> Vec<Reason> {
    let mut out: Vec<Reason> = v
        .personal_info
        .iter()
        .zip(&t.per_combination)
        .filter(|(_, n)| **n > 0)
        .map(|(combo, n)| Reason {
            basis: ReasonBasis::Combination(combo.elements),
            people: *n,
            note: combo.note.clone(),
        })
        .collect();
    if t.cpni > 0 {
        out.push(Reason {
            basis: ReasonBasis::Cpni,
            people: t.cpni,
            note: None,
        });
    }
    if required && facts.materiality_at.is_some() && v.personal_info.is_empty() && !v.covers_cpni {
        out.push(Reason {
            basis: ReasonBasis::Materiality,
            people: t.notifiable,
            note: None,
        });
    }
    out
}

fn remedies(v: &RuleVersion, t: &Tally) -> Vec<RemedyOwed> {
    v.remedies
        .iter()
        .zip(&t.remedies)
        .filter(|(_, n)| **n > 0)
        .map(|(r, n)| RemedyOwed {
            credit_monitoring_months: r.credit_monitoring_months,
            people: *n,
            detail: r.detail.clone(),
        })
        .collect()
}

fn flags(j: &Jurisdiction, v: &RuleVersion, facts: &IncidentFacts, t: &Tally) -> Vec<String> {
    let mut out = v.caveats.clone();
    for s in v.unconfirmed() {
        let note = s.note.as_deref().unwrap_or("not confirmed");
        out.push(format!("Unconfirmed: {} ({note}; {})", s.fact, s.url));
    }
    if v.status == super::rules::VersionStatus::Pending {
        out.push(format!(
            "Applied pending version `{}` as if in force, as requested.",
            v.id
        ));
    }
    for p in j.skipped_pending(facts.rule_date(), facts.pending_rules) {
        out.push(format!(
            "Pending version `{}` (adopted, not in force) was not applied; counsel should check \
             whether it has taken effect.",
            p.id
        ));
    }
    if t.key_flag > 0 {
        out.push(format!(
            "{} more people would be notifiable if ciphertext whose key was exposed counted; this \
             law has no explicit key exception encoded: counsel review.",
            t.key_flag
        ));
    }
    if v.covers_cpni && facts.cpni == CpniExposure::Unknown {
        out.push(
            "CPNI exposure unknown: if CPNI was exposed, every affected current customer is \
             notifiable under this rule."
                .into(),
        );
    }
    if t.uncertain_customers > 0 {
        out.push(format!(
            "{} former or prospective customers have notifiable exposure; whether they are \
             \"customers\" under this rule is an open question: counsel review.",
            t.uncertain_customers
        ));
    }
    out
}

fn timeline(obligations: &[JurisdictionObligation]) -> Vec<TimelineEntry> {
    let mut out = Vec::new();
    for o in obligations {
        let entry = |due: Due, kind: TimelineKind, action: String| TimelineEntry {
            due,
            jurisdiction: o.code.clone(),
            kind,
            action,
        };
        if let Some(i) = &o.individual_notice {
            if let Some(d) = i.not_before {
                out.push(entry(d, TimelineKind::EarliestIndividualNotice, format!(
                    "earliest day to notify individuals ({} notifiable) after the waiting period",
                    o.notifiable
                )));
            }
            if let Some(d) = i.due {
                out.push(entry(
                    d,
                    TimelineKind::IndividualNotice,
                    format!(
                        "last day to notify {} individuals ({})",
                        o.notifiable, i.rule
                    ),
                ));
            }
        }
        let notices = o
            .regulator_notices
            .iter()
            .map(|r| (r, TimelineKind::RegulatorNotice));
        let cra = o.cra_notice.iter().map(|r| (r, TimelineKind::CraNotice));
        for (r, kind) in notices.chain(cra) {
            if let (Some(d), false) = (r.due, r.status == NoticeStatus::NotDue) {
                let pending = match &r.status {
                    NoticeStatus::CounselReview(_) => " [counsel review]",
                    _ => "",
                };
                out.push(entry(
                    d,
                    kind,
                    format!("notify {} ({}){pending}", r.name, r.order),
                ));
            }
        }
    }
    out.sort_by(|a, b| {
        (a.due.date, a.due.at, &a.jurisdiction).cmp(&(b.due.date, b.due.at, &b.jurisdiction))
    });
    out
}

fn assumptions(facts: &IncidentFacts, obligations: &[JurisdictionObligation]) -> Vec<String> {
    let mut out = vec![match facts.rules_as_of {
        Some(d) => format!("The law applied is the law in force on {d}, the date you gave."),
        None => format!(
            "The law applied is the law in force on the discovery date, {}.",
            facts.discovered_at.date()
        ),
    }];
    out.push(match facts.key_exposure {
        KeyExposure::NotExposed => "Encryption keys were not exposed: elements exposed only as \
            ciphertext count only under rules without an encryption safe harbour."
            .into(),
        KeyExposure::Exposed => "Encryption keys were exposed: ciphertext counts as clear under \
            rules with a key exception; rules without one are flagged for counsel."
            .into(),
        KeyExposure::Unknown => "Whether encryption keys were exposed is unknown; they are \
            treated as exposed (ciphertext counts under rules with a key exception)."
            .into(),
    });
    if facts.determined_at.is_none() {
        out.push(format!(
            "No determination date was given: clocks that start at determination start at \
             discovery ({}), the earliest possible.",
            facts.discovered_at.date()
        ));
    }
    if facts.aware_at.is_none() && obligations.iter().any(|o| o.code.is_eu()) {
        out.push("No GDPR awareness instant was given: the 72 hours run from discovery.".into());
    }
    if facts.planned_notice_date.is_none() {
        out.push(
            "Deadlines counted from the individual notice assume it goes out on its last \
             permitted day."
                .into(),
        );
    }
    out.push(
        "Required means required on the elements exposed, before any risk-of-harm exception; \
         relying on an exception is counsel's decision and usually must be documented."
            .into(),
    );
    out.push(
        "Thresholds are compared with the people notifiable under each jurisdiction (residents, \
         or customers for the FCC), not with everyone affected."
            .into(),
    );
    out.push(
        "Business days are Monday to Friday except US federal holidays as observed; state \
         holidays are not modelled. Day counts start the day after the event, in the UTC offset \
         of the instants given."
            .into(),
    );
    out.push(
        "For FCC rules, current postpaid and prepaid accounts are customers; former and \
         prospective customers are flagged, not counted."
            .into(),
    );
    out
}
