//! Every shipped jurisdiction at and just below each of its notice thresholds (`>` versus `>=`
//! matters at the edge), with a notifiable and a non-notifiable element combination, and with
//! the encryption safe harbour on and off. The tables are written from the sources, not read
//! from the rules file, so a changed fact fails here; a new notice without a row fails too.

// Test helpers outside #[test] functions unwrap too; a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use custodian_breach::obligations::{
    Cohort, CpniExposure, IncidentFacts, KeyExposure, NoticeStatus, ObligationsPlan, PendingRules,
    RuleBook, Scope, SecReporting,
};
use custodian_vault::{AccountKind, ElementSet};
use time::macros::{date, datetime};

fn facts() -> IncidentFacts {
    let mut f = IncidentFacts::new(datetime!(2026-11-23 09:00 UTC));
    f.key_exposure = KeyExposure::NotExposed;
    f.cpni = CpniExposure::NotExposed;
    f
}

fn set(s: &str) -> ElementSet {
    s.parse().unwrap()
}

fn cohort(code: &str, kind: AccountKind, clear: &str, encrypted: &str, count: u64) -> Cohort {
    Cohort::new(code, kind, set(clear), set(encrypted), count).unwrap()
}

fn plan(facts: &IncidentFacts, cohorts: &[Cohort]) -> ObligationsPlan {
    RuleBook::shipped().unwrap().plan(facts, cohorts)
}

/// The status of a notice: `"CRA"` names the consumer-reporting-agency notice, anything else is
/// the prefix of a regulator's name.
fn status(plan: &ObligationsPlan, code: &str, notice: &str) -> NoticeStatus {
    let j = plan
        .jurisdiction(code)
        .unwrap_or_else(|| panic!("{code} not in plan"));
    let n = if notice == "CRA" {
        j.cra_notice.as_ref()
    } else {
        j.regulator_notices
            .iter()
            .find(|r| r.name.starts_with(notice))
    };
    n.unwrap_or_else(|| panic!("{code}: no notice {notice}"))
        .status
        .clone()
}

/// (jurisdiction, notice, smallest count at which it is due, the count just below).
/// A count of 0 below means "any notifiable resident": the just-below case is one resident
/// whose exposure is not notifiable.
const THRESHOLDS: &[(&str, &str, u64, u64)] = &[
    ("US-CA", "California Attorney General", 501, 500),
    ("US-TX", "Texas Attorney General", 250, 249),
    ("US-TX", "CRA", 10_001, 10_000),
    ("US-FL", "Florida Department of Legal Affairs", 500, 499),
    ("US-FL", "CRA", 1_001, 1_000),
    ("US-NY", "New York Attorney General", 1, 0),
    ("US-NY", "CRA", 5_001, 5_000),
    ("US-PA", "Pennsylvania Attorney General", 501, 500),
    ("US-PA", "CRA", 501, 500),
    ("US-IL", "Illinois Attorney General", 501, 500),
    ("US-OH", "CRA", 1_001, 1_000),
    ("US-GA", "CRA", 10_001, 10_000),
    ("US-NC", "North Carolina Attorney General", 1, 0),
    ("US-NC", "CRA", 1_001, 1_000),
    ("US-MI", "CRA", 1_001, 1_000),
    ("US-NJ", "New Jersey Division of State Police", 1, 0),
    ("US-NJ", "CRA", 1_001, 1_000),
    ("US-VA", "Virginia Office of the Attorney General", 1, 0),
    ("US-VA", "CRA", 1_001, 1_000),
    ("US-WA", "Washington Attorney General", 501, 500),
    ("US-AZ", "Arizona Attorney General", 1_001, 1_000),
    (
        "US-AZ",
        "Arizona Department of Homeland Security",
        1_001,
        1_000,
    ),
    ("US-AZ", "CRA", 1_001, 1_000),
    ("US-TN", "CRA", 1_001, 1_000),
    ("US-MA", "Massachusetts Attorney General", 1, 0),
    ("US-MA", "CRA", 1, 0),
    ("US-CO", "Colorado Attorney General", 500, 499),
    ("US-CO", "CRA", 1_001, 1_000),
    ("US-CT", "Connecticut Attorney General", 1, 0),
    ("US-MD", "Maryland Attorney General", 1, 0),
    ("US-MD", "CRA", 1_000, 999),
    ("US-OR", "Oregon Attorney General", 251, 250),
    ("US-OR", "CRA", 1_001, 1_000),
    ("US-DC", "DC Office of the Attorney General", 50, 49),
    ("US-DC", "CRA", 1_001, 1_000),
];

fn state_plan(code: &str, count: u64, clear: &str) -> ObligationsPlan {
    plan(
        &facts(),
        &[cohort(code, AccountKind::Postpaid, clear, "", count)],
    )
}

#[test]
fn every_state_notice_is_due_at_its_threshold_and_not_just_below() {
    for &(code, notice, at, below) in THRESHOLDS {
        let due = state_plan(code, at, "full_name,ssn");
        assert_eq!(
            status(&due, code, notice),
            NoticeStatus::Due,
            "{code} {notice} at {at}"
        );
        let not = if below == 0 {
            state_plan(code, 1, "phone_number")
        } else {
            state_plan(code, below, "full_name,ssn")
        };
        assert_eq!(
            status(&not, code, notice),
            NoticeStatus::NotDue,
            "{code} {notice} at {below}"
        );
    }
}

#[test]
fn every_shipped_state_notice_has_a_threshold_row() {
    let book = RuleBook::shipped().unwrap();
    for j in book
        .jurisdictions()
        .iter()
        .filter(|j| j.scope == Scope::Residents)
    {
        let v = j
            .version_at(date!(2026 - 11 - 23), PendingRules::Ignore)
            .unwrap();
        let rows: Vec<&str> = THRESHOLDS
            .iter()
            .filter(|r| r.0 == j.code.as_str())
            .map(|r| r.1)
            .collect();
        for r in &v.regulators {
            assert!(
                rows.iter().any(|p| r.name.starts_with(p)),
                "{}: no row for {}",
                j.code,
                r.name
            );
        }
        assert_eq!(
            v.cra.is_some(),
            rows.contains(&"CRA"),
            "{}: CRA row",
            j.code
        );
        let rule_count = v.regulators.len() + usize::from(v.cra.is_some());
        assert_eq!(rows.len(), rule_count, "{}: rows without a rule", j.code);
    }
}

/// (jurisdiction, a notifiable exposure, a non-notifiable one).
const COMBINATIONS: &[(&str, &str, &str)] = &[
    (
        "US-CA",
        "full_name,drivers_license",
        "full_name,date_of_birth,phone_number,imei,imsi",
    ),
    ("US-TX", "full_name,ssn", "email,account_password"),
    ("US-FL", "email,account_password", "full_name,date_of_birth"),
    (
        "US-NY",
        "full_name,account_number",
        "full_name,postal_address,imei",
    ),
    (
        "US-PA",
        "full_name,drivers_license",
        "full_name,date_of_birth,imsi",
    ),
    ("US-IL", "full_name,ssn", "full_name,phone_number"),
    (
        "US-OH",
        "full_name,account_number,account_pin",
        "email,account_password",
    ),
    ("US-GA", "full_name,account_pin", "email,account_password"),
    (
        "US-NC",
        "full_name,payment_card",
        "full_name,date_of_birth,imei",
    ),
    ("US-MI", "full_name,ssn", "full_name,account_pin"),
    ("US-NJ", "email,account_password", "full_name,account_pin"),
    (
        "US-VA",
        "full_name,drivers_license",
        "email,account_password",
    ),
    (
        "US-WA",
        "full_name,date_of_birth",
        "postal_address,date_of_birth,phone_number",
    ),
    ("US-AZ", "email,account_password", "full_name,date_of_birth"),
    ("US-TN", "full_name,ssn", "email,account_password"),
    ("US-MA", "full_name,ssn", "email,account_password"),
    ("US-CO", "email,account_password", "full_name,imei"),
    ("US-CT", "full_name,payment_card", "full_name,date_of_birth"),
    (
        "US-MD",
        "full_name,drivers_license",
        "full_name,phone_number",
    ),
    ("US-OR", "full_name,ssn", "full_name,date_of_birth"),
    ("US-DC", "phone_number,ssn", "full_name,date_of_birth"),
];

#[test]
fn notifiable_and_non_notifiable_combinations() {
    for &(code, yes, no) in COMBINATIONS {
        let p = state_plan(code, 3, yes);
        let j = p.jurisdiction(code).unwrap();
        assert!(
            j.required && j.notifiable == 3,
            "{code}: {yes} should be notifiable"
        );
        assert!(
            !j.reasons.is_empty(),
            "{code}: a reason names the combination"
        );
        let p = state_plan(code, 3, no);
        let j = p.jurisdiction(code).unwrap();
        assert!(
            !j.required && j.notifiable == 0 && j.affected == 3,
            "{code}: {no} should not be"
        );
    }
    let states = RuleBook::shipped().unwrap();
    let residents = states
        .jurisdictions()
        .iter()
        .filter(|j| j.scope == Scope::Residents);
    assert_eq!(
        residents.count(),
        COMBINATIONS.len(),
        "every state has a combination row"
    );
}

/// States whose law keeps the safe harbour off when the key went too.
const KEY_EXCEPTION: [&str; 11] = [
    "US-CA", "US-TX", "US-NY", "US-PA", "US-IL", "US-NC", "US-MI", "US-VA", "US-WA", "US-TN",
    "US-MA",
];

#[test]
fn encryption_safe_harbour_on_and_off() {
    for &(code, _, _) in COMBINATIONS {
        let encrypted = [cohort(
            code,
            AccountKind::Postpaid,
            "full_name",
            "ssn,drivers_license",
            4,
        )];
        let mut f = facts();
        let p = plan(&f, &encrypted);
        let j = p.jurisdiction(code).unwrap();
        assert_eq!(
            (j.affected, j.notifiable),
            (4, 0),
            "{code}: ciphertext without key"
        );

        f.key_exposure = KeyExposure::Exposed;
        let p = plan(&f, &encrypted);
        let j = p.jurisdiction(code).unwrap();
        if KEY_EXCEPTION.contains(&code) {
            assert_eq!(j.notifiable, 4, "{code}: key exception");
        } else {
            assert_eq!(j.notifiable, 0, "{code}: no key exception encoded");
            assert!(
                j.flags.iter().any(|f| f.contains("key exception")),
                "{code}: flagged"
            );
        }
        f.key_exposure = KeyExposure::Unknown;
        let unknown = plan(&f, &encrypted);
        assert_eq!(
            unknown.jurisdiction(code).unwrap().notifiable,
            j.notifiable,
            "{code}"
        );
        assert!(
            unknown.assumptions.iter().any(|a| a.contains("unknown")),
            "assumption stated"
        );
    }
}

#[test]
fn fcc_2007_rule_needs_cpni_and_has_no_count_threshold() {
    let people = [cohort(
        "US-OH",
        AccountKind::Postpaid,
        "full_name,ssn",
        "",
        1,
    )];
    let mut f = facts();
    let p = plan(&f, &people);
    let fcc = p.jurisdiction("US-FCC").unwrap();
    assert_eq!((fcc.version_id.as_str(), fcc.required), ("FCC-2007", false));
    assert_eq!(
        status(&p, "US-FCC", "US Secret Service"),
        NoticeStatus::NotDue
    );
    f.cpni = CpniExposure::Exposed;
    let p = plan(&f, &people);
    assert_eq!(status(&p, "US-FCC", "US Secret Service"), NoticeStatus::Due);
    f.cpni = CpniExposure::Unknown;
    let p = plan(&f, &people);
    assert!(
        p.jurisdiction("US-FCC")
            .unwrap()
            .flags
            .iter()
            .any(|f| f.contains("CPNI exposure unknown"))
    );
}

#[test]
fn fcc_2023_rule_at_500_customers_and_just_below() {
    let mut f = facts();
    f.pending_rules = PendingRules::Apply;
    let at = [cohort(
        "US-OH",
        AccountKind::Prepaid,
        "full_name,phone_number,account_pin",
        "",
        500,
    )];
    let p = plan(&f, &at);
    assert_eq!(p.jurisdiction("US-FCC").unwrap().version_id, "FCC-2023");
    assert_eq!(
        status(&p, "US-FCC", "FCC, US Secret Service"),
        NoticeStatus::Due
    );
    let below = [cohort(
        "US-OH",
        AccountKind::Prepaid,
        "full_name,phone_number,account_pin",
        "",
        499,
    )];
    let p = plan(&f, &below);
    assert!(matches!(
        status(&p, "US-FCC", "FCC, US Secret Service"),
        NoticeStatus::CounselReview(_)
    ));
}

#[test]
fn fcc_former_and_prospective_customers_are_flagged_not_counted() {
    let mut f = facts();
    f.pending_rules = PendingRules::Apply;
    let people = [
        cohort("US-OH", AccountKind::Former, "full_name,ssn", "", 700),
        cohort("US-OH", AccountKind::Prospective, "full_name,ssn", "", 300),
        cohort("US-OH", AccountKind::Postpaid, "full_name,ssn", "", 2),
    ];
    let p = plan(&f, &people);
    let fcc = p.jurisdiction("US-FCC").unwrap();
    assert_eq!((fcc.affected, fcc.notifiable), (1002, 2));
    assert!(
        fcc.flags
            .iter()
            .any(|f| f.starts_with("1000 former or prospective")),
        "{:?}",
        fcc.flags
    );
}

#[test]
fn gdpr_authority_notice_at_one_eu_resident_and_below() {
    let p = plan(
        &facts(),
        &[cohort("EU-DE", AccountKind::Postpaid, "email", "", 1)],
    );
    assert_eq!(
        status(&p, "EU-GDPR", "Lead supervisory authority"),
        NoticeStatus::Due
    );
    let p = plan(
        &facts(),
        &[cohort("EU-FR", AccountKind::Postpaid, "", "", 1)],
    );
    assert_eq!(
        status(&p, "EU-GDPR", "Lead supervisory authority"),
        NoticeStatus::NotDue
    );
    let p = plan(
        &facts(),
        &[cohort("US-OH", AccountKind::Postpaid, "email", "", 1)],
    );
    assert!(
        p.jurisdiction("EU-GDPR").is_none(),
        "no EU residents, no GDPR entry"
    );
}

#[test]
fn sec_item_1_05_only_for_registrants_and_only_once_material() {
    let people = [cohort("US-OH", AccountKind::Postpaid, "full_name", "", 1)];
    let mut f = facts();
    assert!(
        plan(&f, &people).jurisdiction("US-SEC").is_none(),
        "not a registrant"
    );
    f.sec = SecReporting::Registrant;
    let p = plan(&f, &people);
    assert!(matches!(
        status(&p, "US-SEC", "SEC"),
        NoticeStatus::CounselReview(_)
    ));
    assert!(!p.jurisdiction("US-SEC").unwrap().required);
    f.materiality_at = Some(datetime!(2026-11-24 12:00 UTC));
    let p = plan(&f, &people);
    assert_eq!(status(&p, "US-SEC", "SEC"), NoticeStatus::Due);
    assert!(p.jurisdiction("US-SEC").unwrap().required);
}
