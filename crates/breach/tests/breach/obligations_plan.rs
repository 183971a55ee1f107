//! The plan as a whole: deadlines from the right clock in the right unit (business days across
//! holidays and weekends, hours for GDPR), notice order, rule versions chosen by the incident's
//! date, jurisdictions without rules listed for counsel review, Massachusetts' prohibitions,
//! remedies, the disclaimer, and one full plan as a snapshot.

// Test helpers outside #[test] functions unwrap too; a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use custodian_breach::obligations::{
    Cohort, ContentItem, CpniExposure, Due, IncidentFacts, KeyExposure, ObligationsPlan,
    PendingRules, RuleBook, SecReporting, TimelineKind,
};
use custodian_vault::{AccountKind, ElementSet};
use expect_test::expect;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

fn facts(discovered: OffsetDateTime) -> IncidentFacts {
    let mut f = IncidentFacts::new(discovered);
    f.key_exposure = KeyExposure::NotExposed;
    f.cpni = CpniExposure::NotExposed;
    f
}

fn cohort(code: &str, kind: AccountKind, clear: &str, count: u64) -> Cohort {
    let clear: ElementSet = clear.parse().unwrap();
    Cohort::new(code, kind, clear, ElementSet::EMPTY, count).unwrap()
}

fn plan(facts: &IncidentFacts, cohorts: &[Cohort]) -> ObligationsPlan {
    RuleBook::shipped().unwrap().plan(facts, cohorts)
}

fn individual_due(p: &ObligationsPlan, code: &str) -> Option<Date> {
    p.jurisdiction(code)?
        .individual_notice
        .as_ref()?
        .due
        .map(|d| d.date)
}

fn notice_due(p: &ObligationsPlan, code: &str, prefix: &str) -> Option<Due> {
    let j = p.jurisdiction(code)?;
    j.regulator_notices
        .iter()
        .chain(&j.cra_notice)
        .find(|r| r.name.starts_with(prefix))?
        .due
}

#[test]
fn business_day_deadlines_skip_thanksgiving_christmas_and_weekends() {
    let mut f = facts(datetime!(2026-11-20 10:00 UTC));
    f.determined_at = Some(datetime!(2026-11-25 10:00 UTC)); // the day before Thanksgiving
    f.cpni = CpniExposure::Exposed;
    f.sec = SecReporting::Registrant;
    f.materiality_at = Some(datetime!(2026-12-22 16:00 UTC)); // Tuesday before Christmas
    let p = plan(
        &f,
        &[cohort("US-OH", AccountKind::Postpaid, "full_name", 10)],
    );
    // 27 Nov, 30 Nov, 1-4 Dec, 7 Dec: seven business days.
    let fbi = notice_due(&p, "US-FCC", "US Secret Service").unwrap();
    assert_eq!(fbi.date, date!(2026 - 12 - 07));
    // Customers only after seven full business days more: 8-11, 14-16 Dec.
    let fcc = p
        .jurisdiction("US-FCC")
        .unwrap()
        .individual_notice
        .as_ref()
        .unwrap();
    assert_eq!(fcc.not_before.unwrap().date, date!(2026 - 12 - 16));
    assert_eq!(fcc.due, None, "the 2007 rule fixes no customer deadline");
    // 23, 24, (25 Christmas, weekend), 28, 29 Dec.
    assert_eq!(
        notice_due(&p, "US-SEC", "SEC").unwrap().date,
        date!(2026 - 12 - 29)
    );
}

#[test]
fn calendar_deadlines_run_from_their_own_clocks() {
    let mut f = facts(datetime!(2026-11-02 08:00 UTC));
    f.determined_at = Some(datetime!(2026-11-10 08:00 UTC));
    f.aware_at = Some(datetime!(2026-11-03 15:30 UTC));
    let people = [
        cohort("US-TX", AccountKind::Postpaid, "full_name,ssn", 300),
        cohort("US-CA", AccountKind::Postpaid, "full_name,ssn", 600),
        cohort(
            "US-WA",
            AccountKind::Postpaid,
            "full_name,date_of_birth",
            600,
        ),
        cohort("EU-IE", AccountKind::Postpaid, "email", 1),
    ];
    let p = plan(&f, &people);
    // Texas counts from determination, California and Washington from discovery.
    assert_eq!(individual_due(&p, "US-TX"), Some(date!(2027 - 01 - 09)));
    assert_eq!(
        notice_due(&p, "US-TX", "Texas").unwrap().date,
        date!(2026 - 12 - 10)
    );
    assert_eq!(individual_due(&p, "US-CA"), Some(date!(2026 - 12 - 02)));
    assert_eq!(
        notice_due(&p, "US-WA", "Washington").unwrap().date,
        date!(2026 - 12 - 02)
    );
    // California's AG is due 15 days after the individual notice (its last day, by default).
    assert_eq!(
        notice_due(&p, "US-CA", "California").unwrap().date,
        date!(2026 - 12 - 17)
    );
    // GDPR: 72 hours from awareness, to the minute.
    let gdpr = notice_due(&p, "EU-GDPR", "Lead supervisory").unwrap();
    assert_eq!(gdpr.at, Some(datetime!(2026-11-06 15:30 UTC)));

    f.planned_notice_date = Some(date!(2026 - 11 - 20));
    let p = plan(&f, &people);
    assert_eq!(
        notice_due(&p, "US-CA", "California").unwrap().date,
        date!(2026 - 12 - 05)
    );
}

#[test]
fn notices_that_precede_individuals_are_due_by_their_date() {
    let f = facts(datetime!(2026-03-02 12:00 UTC));
    let people = [
        cohort("US-MD", AccountKind::Postpaid, "full_name,ssn", 5),
        cohort("US-CT", AccountKind::Postpaid, "full_name,ssn", 5),
        cohort("US-NJ", AccountKind::Postpaid, "full_name,ssn", 5),
    ];
    let p = plan(&f, &people);
    let md = p.jurisdiction("US-MD").unwrap();
    assert_eq!(individual_due(&p, "US-MD"), Some(date!(2026 - 04 - 16)));
    assert_eq!(
        notice_due(&p, "US-MD", "Maryland").unwrap().date,
        date!(2026 - 04 - 16)
    );
    assert_eq!(
        md.regulator_notices[0].order.to_string(),
        "before individuals are notified"
    );
    assert_eq!(
        notice_due(&p, "US-CT", "Connecticut").unwrap().date,
        date!(2026 - 05 - 01)
    );
    // New Jersey has no fixed day for either notice; the order is still stated.
    assert_eq!(notice_due(&p, "US-NJ", "New Jersey"), None);
    let nj = &p.jurisdiction("US-NJ").unwrap().regulator_notices[0];
    assert!(nj.rule.contains("before individuals"), "{}", nj.rule);
}

#[test]
fn rule_versions_follow_the_incident_date() {
    let ca = [cohort("US-CA", AccountKind::Postpaid, "full_name,ssn", 1)];
    let p = plan(&facts(datetime!(2025-12-31 23:00 UTC)), &ca);
    assert_eq!(p.jurisdiction("US-CA").unwrap().version_id, "CA-2016");
    assert_eq!(
        individual_due(&p, "US-CA"),
        None,
        "no fixed days before SB 446"
    );
    let p = plan(&facts(datetime!(2026-01-01 00:30 UTC)), &ca);
    assert_eq!(p.jurisdiction("US-CA").unwrap().version_id, "CA-2026");
    assert_eq!(individual_due(&p, "US-CA"), Some(date!(2026 - 01 - 31)));

    let ny = [cohort("US-NY", AccountKind::Postpaid, "full_name,ssn", 1)];
    let p = plan(&facts(datetime!(2024-12-20 12:00 UTC)), &ny);
    assert_eq!(p.jurisdiction("US-NY").unwrap().version_id, "NY-2019");
    let p = plan(&facts(datetime!(2024-12-21 12:00 UTC)), &ny);
    let j = p.jurisdiction("US-NY").unwrap();
    assert_eq!(j.version_id, "NY-2024");
    assert!(j.regulator_notices[0].name.contains("Financial Services"));

    // An explicit date overrides the discovery date.
    let mut f = facts(datetime!(2026-06-01 12:00 UTC));
    f.rules_as_of = Some(date!(2025 - 06 - 01));
    assert_eq!(
        plan(&f, &ca).jurisdiction("US-CA").unwrap().version_id,
        "CA-2016"
    );
}

#[test]
fn fcc_old_rule_applies_until_the_2023_order_is_in_force() {
    let people = [cohort("US-OH", AccountKind::Postpaid, "full_name,ssn", 1)];
    let mut f = facts(datetime!(2026-11-23 09:00 UTC));
    let p = plan(&f, &people);
    let fcc = p.jurisdiction("US-FCC").unwrap();
    assert_eq!(fcc.version_id, "FCC-2007");
    assert!(
        fcc.flags
            .iter()
            .any(|f| f.contains("Pending version `FCC-2023`")),
        "{:?}",
        fcc.flags
    );
    f.pending_rules = PendingRules::Apply;
    let p = plan(&f, &people);
    let fcc = p.jurisdiction("US-FCC").unwrap();
    assert_eq!(fcc.version_id, "FCC-2023");
    assert!(fcc.flags.iter().any(|f| f.contains("as if in force")));
    assert_eq!(individual_due(&p, "US-FCC"), Some(date!(2026 - 12 - 23)));
}

#[test]
fn incidents_before_the_encoded_history_go_to_counsel() {
    let p = plan(
        &facts(datetime!(2023-08-31 12:00 UTC)),
        &[cohort("US-TX", AccountKind::Postpaid, "full_name,ssn", 9)],
    );
    assert!(p.jurisdiction("US-TX").is_none());
    let r = p
        .counsel_review
        .iter()
        .find(|r| r.code.as_str() == "US-TX")
        .unwrap();
    assert_eq!(r.affected, 9);
    assert!(r.reason.contains("no version"), "{}", r.reason);
}

#[test]
fn jurisdictions_without_rules_need_counsel_review() {
    let people = [
        cohort("US-PR", AccountKind::Postpaid, "full_name,ssn", 7),
        cohort("US-PR", AccountKind::Former, "full_name", 3),
        cohort("CA-ON", AccountKind::Prospective, "full_name,ssn", 2),
        cohort("US-CA", AccountKind::Postpaid, "full_name,ssn", 1),
    ];
    let p = plan(&facts(datetime!(2026-11-23 09:00 UTC)), &people);
    let codes: Vec<(&str, u64)> = p
        .counsel_review
        .iter()
        .map(|r| (r.code.as_str(), r.affected))
        .collect();
    assert_eq!(codes, [("CA-ON", 2), ("US-PR", 10)]);
    assert!(
        p.counsel_review
            .iter()
            .all(|r| r.reason.contains("needs counsel review"))
    );
    assert!(p.to_string().contains("Needs counsel review:"));
}

#[test]
fn massachusetts_prohibitions_are_surfaced() {
    let p = plan(
        &facts(datetime!(2026-11-23 09:00 UTC)),
        &[cohort("US-MA", AccountKind::Postpaid, "full_name,ssn", 12)],
    );
    let ma = p.jurisdiction("US-MA").unwrap();
    assert!(ma.content_prohibited.contains(&ContentItem::NumberAffected));
    assert!(ma.content_prohibited.contains(&ContentItem::NatureOfBreach));
    assert!(
        p.to_string()
            .contains("notice must NOT include: nature_of_breach, number_affected")
    );
}

#[test]
fn remedies_differ_by_state_and_by_exposure() {
    let f = facts(datetime!(2026-11-23 09:00 UTC));
    let people = [
        cohort("US-CT", AccountKind::Postpaid, "full_name,ssn", 4),
        cohort("US-CT", AccountKind::Postpaid, "email,account_password", 6),
        cohort("US-MA", AccountKind::Postpaid, "full_name,ssn", 3),
        cohort(
            "US-CA",
            AccountKind::Postpaid,
            "full_name,drivers_license",
            2,
        ),
        cohort("US-DC", AccountKind::Postpaid, "full_name,ssn", 5),
        cohort(
            "US-PA",
            AccountKind::Postpaid,
            "full_name,drivers_license",
            8,
        ),
    ];
    let p = plan(&f, &people);
    let owed = |code: &str| -> Vec<(u32, u64)> {
        let j = p.jurisdiction(code).unwrap();
        j.remedies
            .iter()
            .map(|r| (r.credit_monitoring_months, r.people))
            .collect()
    };
    assert_eq!(owed("US-CT"), [(24, 4)]);
    assert_eq!(owed("US-MA"), [(18, 3)]);
    assert_eq!(owed("US-CA"), [(12, 2)]);
    assert_eq!(owed("US-DC"), [(18, 5)]);
    assert_eq!(owed("US-PA"), [(12, 8)]);
}

#[test]
fn plan_says_it_is_decision_support_not_legal_advice() {
    let p = plan(&facts(datetime!(2026-11-23 09:00 UTC)), &[]);
    assert!(
        p.disclaimer
            .starts_with("Decision support, not legal advice")
    );
    assert!(p.to_string().contains("Decision support, not legal advice"));
    assert!(p.jurisdictions.is_empty() && p.timeline.is_empty());
}

#[test]
fn unconfirmed_facts_are_surfaced() {
    let p = plan(
        &facts(datetime!(2026-11-23 09:00 UTC)),
        &[cohort(
            "US-AZ",
            AccountKind::Postpaid,
            "full_name,ssn",
            2000,
        )],
    );
    let az = p.jurisdiction("US-AZ").unwrap();
    assert!(
        az.flags
            .iter()
            .any(|f| f.starts_with("Unconfirmed: AG notice only above 1,000"))
    );
}

#[test]
fn timeline_is_sorted() {
    let mut f = facts(datetime!(2026-08-10 14:00 UTC));
    f.determined_at = Some(datetime!(2026-08-13 09:00 UTC));
    let p = plan(&f, &tmobile_like_cohorts());
    let keys: Vec<(Date, Option<OffsetDateTime>)> =
        p.timeline.iter().map(|e| (e.due.date, e.due.at)).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(
        p.timeline
            .iter()
            .any(|e| e.kind == TimelineKind::RegulatorNotice)
    );
    assert!(
        p.timeline
            .iter()
            .any(|e| e.kind == TimelineKind::IndividualNotice)
    );
}

/// A scaled-down version of the 2021 carrier breach: several states, prepaid PIN holders,
/// former customers, an EU resident and a territory without rules.
fn tmobile_like_cohorts() -> Vec<Cohort> {
    vec![
        cohort(
            "US-CA",
            AccountKind::Postpaid,
            "full_name,ssn,drivers_license,date_of_birth,phone_number,imei,imsi",
            600,
        ),
        cohort(
            "US-TX",
            AccountKind::Prepaid,
            "full_name,phone_number,account_pin",
            300,
        ),
        cohort(
            "US-TX",
            AccountKind::Prospective,
            "full_name,ssn,drivers_license,date_of_birth",
            260,
        ),
        cohort(
            "US-WA",
            AccountKind::Former,
            "full_name,date_of_birth,postal_address",
            10,
        ),
        cohort("US-MA", AccountKind::Postpaid, "full_name,ssn", 5),
        cohort("US-PR", AccountKind::Postpaid, "full_name,ssn", 7),
        cohort("EU-DE", AccountKind::Postpaid, "email,phone_number", 2),
    ]
}

#[test]
fn full_plan_snapshot() {
    let mut f = facts(datetime!(2026-08-10 14:00 UTC));
    f.determined_at = Some(datetime!(2026-08-13 09:00 UTC));
    f.sec = SecReporting::Registrant;
    f.materiality_at = Some(datetime!(2026-08-20 17:00 UTC));
    let p = plan(&f, &tmobile_like_cohorts());
    expect![[r#"
        NOTIFICATION OBLIGATIONS PLAN (law as of 2026-08-10)
        Decision support, not legal advice: this plan applies the rules file shipped with Custodian (or the one you supplied) to the facts you gave. Laws change and their application depends on facts the engine cannot see; counsel must review every obligation, every flagged or unconfirmed fact, and every jurisdiction listed as needing counsel review.

        Assumptions:
          - The law applied is the law in force on the discovery date, 2026-08-10.
          - Encryption keys were not exposed: elements exposed only as ciphertext count only under rules without an encryption safe harbour.
          - No GDPR awareness instant was given: the 72 hours run from discovery.
          - Deadlines counted from the individual notice assume it goes out on its last permitted day.
          - Required means required on the elements exposed, before any risk-of-harm exception; relying on an exception is counsel's decision and usually must be documented.
          - Thresholds are compared with the people notifiable under each jurisdiction (residents, or customers for the FCC), not with everyone affected.
          - Business days are Monday to Friday except US federal holidays as observed; state holidays are not modelled. Day counts start the day after the event, in the UTC offset of the instants given.
          - For FCC rules, current postpaid and prepaid accounts are customers; former and prospective customers are flagged, not counted.

        Timeline:
          2026-08-13 14:00 UTC+00:00  EU-GDPR notify Lead supervisory authority (Art. 33) (no required order)
          2026-08-26  US-SEC notify SEC: Form 8-K Item 1.05 (no required order)
          2026-09-09  US-CA last day to notify 600 individuals (within 30 calendar days after discovery)
          2026-09-09  US-WA last day to notify 10 individuals (within 30 calendar days after discovery)
          2026-09-12  US-TX notify Texas Attorney General (online form) (no required order)
          2026-09-24  US-CA notify California Attorney General (sample copy of the notice, electronically) (after individuals are notified)
          2026-10-12  US-TX last day to notify 260 individuals (within 60 calendar days after determination that a breach occurred)

        US-CA California (Cal. Civ. Code § 1798.82), rules version CA-2026
          affected 600, notifiable 600: notice REQUIRED
          because: exposed full_name,ssn (600 people)
          because: exposed full_name,drivers_license (600 people)
          individuals: within 30 calendar days after discovery -> 2026-09-09
          regulator: California Attorney General (sample copy of the notice, electronically) [DUE] threshold more than 500; 600 notifiable -> 2026-09-24
            when: within 15 calendar days after notice to individuals; after individuals are notified
            detail: one sample copy of the notice, excluding personal information
          notice must include: title_notice_of_data_breach, what_happened, information_involved, what_we_are_doing, what_you_can_do, contact, date_of_breach, cra_contacts, plain_language
          remedy: 12 months credit monitoring for 600 people (identity theft prevention and mitigation services at no cost, owed if the company was the source of the breach)
          ! Headings are fixed: What Happened, What Information Was Involved, What We Are Doing, What You Can Do, For More Information; at least 10-point type.
          ! CRA contact details are required when a Social Security or licence/ID number was exposed.
          ! The 30 days may be exceeded only for a law-enforcement request or to determine the scope of the breach and restore the system.

        US-TX Texas (Tex. Bus. & Com. Code § 521.053), rules version TX-2023
          affected 560, notifiable 260: notice REQUIRED
          because: exposed full_name,ssn (260 people)
          because: exposed full_name,drivers_license (260 people)
          individuals: within 60 calendar days after determination that a breach occurred -> 2026-10-12
          regulator: Texas Attorney General (online form) [DUE] threshold 250 or more; 260 notifiable -> 2026-09-12
            when: within 30 calendar days after determination that a breach occurred; no required order
            detail: the form asks, among other things, how many Texans were notified by mail so far
          CRAs: Nationwide consumer reporting agencies [not due] threshold more than 10000; 260 notifiable -> no fixed date
            when: without unreasonable delay (no fixed number of days); no required order
            detail: timing, distribution and content of the notices
          ! Late notice costs up to $100 per person per day, capped at $250,000 per breach.
          ! Health information that identifies a person is personal information on its own; Custodian holds none.
          ! Unconfirmed: CRA notice when more than 10,000 persons are notified; penalties (taken from the reference table; the statute text of subsection (h) was not re-read; https://csrps.com/privacy-regulations/texas/)
          ! Unconfirmed: Rules before 2023-09-01 (60-day AG deadline) are not encoded (earlier incidents are listed for counsel review; https://legiscan.com/TX/text/SB768/id/2808752/Texas-2023-SB768-Enrolled.html)

        US-WA Washington (RCW 19.255.010), rules version WA-2020
          affected 10, notifiable 10: notice REQUIRED
          because: exposed full_name,date_of_birth (10 people)
          risk-of-harm exception: No notice if the breach is not reasonably likely to subject consumers to a risk of harm.
          individuals: within 30 calendar days after discovery -> 2026-09-09
          regulator: Washington Attorney General (web form) [not due] threshold more than 500; 10 notifiable -> no fixed date
            when: within 30 calendar days after discovery; no required order
            detail: types of information, time frame of exposure, number of Washingtonians, containment steps, sample notice
          notice must include: contact, information_involved, date_of_breach, cra_contacts, plain_language
          ! The elements count even without the name if they suffice for identity theft; this is not encoded.

        US-MA Massachusetts (Mass. Gen. Laws ch. 93H §§ 1, 3, 3A), rules version MA-2019
          affected 5, notifiable 5: notice REQUIRED
          because: exposed full_name,ssn (5 people)
          risk-of-harm exception: A breach is one that creates a substantial risk of identity theft or fraud against a resident.
          individuals: as soon as practicable (no fixed number of days) -> no fixed date
          regulator: Massachusetts Attorney General and Director of the Office of Consumer Affairs and Business Regulation [DUE] threshold any notifiable person; 5 notifiable -> no fixed date
            when: as soon as practicable (no fixed number of days); no required order
            detail: nature of the breach, number of residents, steps taken, whether a written information security program is maintained; OCABR posts the sample notice within 1 business day
          CRAs: Nationwide consumer reporting agencies [DUE] threshold any notifiable person; 5 notifiable -> no fixed date
            when: as soon as practicable (no fixed number of days); no required order
            detail: the consumer reporting agencies and state agencies that OCABR identifies
          notice must include: police_report_right, freeze_info, what_you_can_do, monitoring_offer
          notice must NOT include: nature_of_breach, number_affected
          remedy: 18 months credit monitoring for 5 people (credit monitoring at no cost)
          ! Unconfirmed: Substantial-risk definition of breach; version start 2019-04-11 (recalled, not re-read in the statute text; https://github.com/Ansvar-Systems/US-law-mcp/blob/main/data/seed/states/ma.json)

        US-FCC FCC: carrier breach notification (47 CFR § 64.2011), rules version FCC-2007
          affected 1184, notifiable 0: notice not required
          regulator: US Secret Service and FBI (FCC central reporting facility) [not due] threshold any notifiable person; 0 notifiable -> no fixed date
            when: within 7 business days after determination that a breach occurred; before individuals are notified
            detail: electronic notice; then wait 7 full business days before telling customers or the public, unless an agency asks for delay or the carrier consults it for urgent earlier notice
          ! This rule covers CPNI only (call details, services, location); none of Custodian's data elements is CPNI, so it applies when the incident facts say CPNI was exposed.
          ! The FCC's 2023 order (FCC 23-111) amends this section; its amendments are delayed indefinitely and in litigation. See the pending version.
          ! Unconfirmed: Start date of the 2007 CPNI rule (the 2007 order's effective date was not checked; https://jdsupra.com/legalnews/fcc-adopts-data-breach-notification-9269679)
          ! Pending version `FCC-2023` (adopted, not in force) was not applied; counsel should check whether it has taken effect.

        EU-GDPR EU General Data Protection Regulation (Regulation (EU) 2016/679, Art. 33 and 34), rules version GDPR-2018
          affected 2, notifiable 2: notice REQUIRED
          because: exposed phone_number (2 people)
          because: exposed email (2 people)
          risk-of-harm exception: Art. 33: no authority notice if the breach is unlikely to result in a risk to people's rights and freedoms. Art. 34: data subjects are told only if the risk is high, and not if the data was unintelligible (e.g. encrypted) to the attacker.
          individuals: without undue delay (no fixed number of days) -> no fixed date
          regulator: Lead supervisory authority (Art. 33) [DUE] threshold any notifiable person; 2 notifiable -> 2026-08-13 14:00 UTC+00:00
            when: within 72 hours after awareness; no required order
            detail: nature, categories and approximate numbers of people and records, DPO contact, likely consequences, measures; may be given in phases; reasons if later than 72 hours
          notice must include: what_happened, dpo_contact, likely_consequences, what_we_are_doing, plain_language
          ! Every breach is documented (Art. 33(5)), notified or not.
          ! Encryption is not a safe harbour for the authority notice; it is an exemption from telling data subjects (Art. 34(3)(a)).

        US-SEC SEC: Form 8-K Item 1.05 (material cybersecurity incidents) (17 CFR 229.106; Form 8-K Item 1.05), rules version SEC-2023
          affected 1184, notifiable 1184: notice REQUIRED
          because: incident determined material (1184 people)
          regulator: SEC: Form 8-K Item 1.05 [DUE] threshold a material incident, whatever the number of people -> 2026-08-26
            when: within 4 business days after the materiality determination; no required order
            detail: nature, scope, timing and material impact; amend the 8-K as facts emerge; a delay needs a US Attorney General determination (30 days, extendable); immaterial or undetermined incidents may go under Item 8.01
          ! The materiality determination itself must be made without unreasonable delay after discovery.

        Needs counsel review:
          US-PR: 7 affected. needs counsel review: the rules file has no rules for this jurisdiction
    "#]]
    .assert_eq(&p.to_string());
}
