//! The rules file: the shipped one parses and covers the jurisdictions the issue asks for, every
//! version cites dated sources, and a broken file is rejected with an error that names the
//! jurisdiction and the field (or the line, for TOML syntax).

// Test helpers outside #[test] functions unwrap too; a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use custodian_breach::obligations::{ObligationsError, RuleBook, Scope, VersionStatus};
use time::macros::date;

/// The 15 most populous states, the extra states the reference covers, DC and the sector rules.
const REQUIRED: [&str; 24] = [
    "US-CA", "US-TX", "US-FL", "US-NY", "US-PA", "US-IL", "US-OH", "US-GA", "US-NC", "US-MI",
    "US-NJ", "US-VA", "US-WA", "US-AZ", "US-TN", "US-MA", "US-CO", "US-CT", "US-MD", "US-OR",
    "US-DC", "US-FCC", "EU-GDPR", "US-SEC",
];

#[test]
fn shipped_rules_parse_and_cover_required_jurisdictions() {
    let book = RuleBook::shipped().expect("shipped rules parse");
    for code in REQUIRED {
        assert!(
            book.find(code).is_some(),
            "{code} missing from the shipped rules"
        );
    }
    assert_eq!(book.jurisdictions().len(), REQUIRED.len());
}

#[test]
fn every_version_cites_dated_sources() {
    let book = RuleBook::shipped().unwrap();
    for j in book.jurisdictions() {
        for v in &j.versions {
            assert!(!v.sources.is_empty(), "{} {}", j.code, v.id);
            for s in &v.sources {
                assert_eq!(
                    s.checked,
                    date!(2026 - 11 - 23),
                    "{} {}: {}",
                    j.code,
                    v.id,
                    s.fact
                );
                assert!(s.url.starts_with("http"), "{} {}: {}", j.code, v.id, s.url);
            }
        }
    }
}

#[test]
fn every_jurisdiction_has_a_version_in_force_today() {
    let book = RuleBook::shipped().unwrap();
    let today = date!(2026 - 11 - 23);
    for j in book.jurisdictions() {
        let v = j.version_at(today, custodian_breach::obligations::PendingRules::Ignore);
        assert!(v.is_some(), "{} has no version in force on {today}", j.code);
        assert_eq!(v.unwrap().status, VersionStatus::InForce);
    }
}

#[test]
fn fcc_2023_order_is_shipped_as_pending() {
    let book = RuleBook::shipped().unwrap();
    let fcc = book.find("US-FCC").unwrap();
    assert_eq!(fcc.scope, Scope::CarrierCustomers);
    let pending: Vec<&str> = fcc
        .versions
        .iter()
        .filter(|v| v.status == VersionStatus::Pending)
        .map(|v| v.id.as_str())
        .collect();
    assert_eq!(pending, ["FCC-2023"]);
}

/// A minimal valid file, edited by each rejection test.
const MINIMAL: &str = r#"
schema_version = 1
[[jurisdiction]]
code = "US-ZZ"
name = "Test State"
citation = "Test Code § 1"
scope = "residents"
[[jurisdiction.version]]
id = "ZZ-1"
effective_from = "2020-01-01"
personal_info = [["full_name", "ssn"]]
encryption_safe_harbor = true
key_exception = true
individual_deadline = { within = 30, unit = "calendar_days", from = "discovery" }
regulators = [{ name = "AG", threshold = { op = ">", count = 500 }, order = "any" }]
sources = [{ fact = "f", url = "https://example.test", checked = "2026-11-23" }]
"#;

fn invalid_field(text: &str) -> (String, String) {
    match RuleBook::from_toml(text) {
        Err(ObligationsError::Invalid {
            jurisdiction,
            field,
            ..
        }) => (jurisdiction, field),
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

#[test]
fn minimal_file_parses() {
    let book = RuleBook::from_toml(MINIMAL).unwrap();
    assert_eq!(book.jurisdictions()[0].versions[0].id, "ZZ-1");
}

#[test]
fn bad_threshold_operator_names_jurisdiction_and_field() {
    let text = MINIMAL.replace(r#"op = ">""#, r#"op = "=>""#);
    assert_eq!(
        invalid_field(&text),
        (
            "US-ZZ".into(),
            "version[0].regulators[0].threshold.op".into()
        )
    );
}

#[test]
fn unknown_element_is_rejected() {
    let text = MINIMAL.replace(r#"["full_name", "ssn"]"#, r#"["full_name", "social"]"#);
    assert_eq!(
        invalid_field(&text),
        ("US-ZZ".into(), "version[0].personal_info[0]".into())
    );
}

#[test]
fn version_without_sources_is_rejected() {
    let text = MINIMAL.replace(
        r#"sources = [{ fact = "f", url = "https://example.test", checked = "2026-11-23" }]"#,
        "",
    );
    assert_eq!(
        invalid_field(&text),
        ("US-ZZ".into(), "version[0].sources".into())
    );
}

#[test]
fn unconfirmed_fact_needs_a_note() {
    let text = MINIMAL.replace(
        r#"checked = "2026-11-23" }"#,
        r#"checked = "2026-11-23", confidence = "unconfirmed" }"#,
    );
    assert_eq!(
        invalid_field(&text),
        ("US-ZZ".into(), "version[0].sources[0].note".into())
    );
}

#[test]
fn bad_date_and_reversed_window_are_rejected() {
    let text = MINIMAL.replace(
        r#"effective_from = "2020-01-01""#,
        r#"effective_from = "2020-13-01""#,
    );
    assert_eq!(
        invalid_field(&text),
        ("US-ZZ".into(), "version[0].effective_from".into())
    );
    let text = MINIMAL.replace(
        r#"effective_from = "2020-01-01""#,
        "effective_from = \"2020-01-01\"\neffective_until = \"2019-01-01\"",
    );
    assert_eq!(
        invalid_field(&text),
        ("US-ZZ".into(), "version[0].effective_until".into())
    );
}

#[test]
fn overlapping_in_force_versions_are_rejected() {
    let second = MINIMAL
        .split("[[jurisdiction.version]]")
        .nth(1)
        .unwrap()
        .replace("ZZ-1", "ZZ-2")
        .replace("2020-01-01", "2021-01-01");
    let text = format!("{MINIMAL}[[jurisdiction.version]]{second}");
    assert_eq!(
        invalid_field(&text),
        ("US-ZZ".into(), "version.effective_until".into())
    );
}

#[test]
fn half_given_deadline_is_rejected() {
    let text = MINIMAL.replace(
        r#"within = 30, unit = "calendar_days", "#,
        r#"within = 30, "#,
    );
    assert_eq!(
        invalid_field(&text),
        ("US-ZZ".into(), "version[0].individual_deadline".into())
    );
}

#[test]
fn content_both_required_and_prohibited_is_rejected() {
    let text = MINIMAL.replace(
        "sources =",
        "content_required = [\"number_affected\"]\ncontent_prohibited = [\"number_affected\"]\nsources =",
    );
    assert_eq!(
        invalid_field(&text),
        ("US-ZZ".into(), "version[0].content_prohibited".into())
    );
}

#[test]
fn duplicate_and_malformed_codes_are_rejected() {
    let twice = format!("{MINIMAL}{}", MINIMAL.replace("schema_version = 1", ""));
    assert_eq!(invalid_field(&twice), ("US-ZZ".into(), "code".into()));
    let text = MINIMAL.replace(r#"code = "US-ZZ""#, r#"code = "zz""#);
    assert_eq!(invalid_field(&text), ("#0".into(), "code".into()));
}

#[test]
fn unknown_key_is_a_parse_error_with_a_line() {
    let text = MINIMAL.replace(
        "key_exception = true",
        "key_exception = true\nkey_excepton = true",
    );
    match RuleBook::from_toml(&text) {
        Err(ObligationsError::Parse { message }) => {
            assert!(message.contains("key_excepton"), "{message}");
            assert!(message.contains("line"), "{message}");
        }
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn missing_rules_file_is_a_read_error() {
    let err = RuleBook::from_path(std::path::Path::new("/nonexistent/rules.toml")).unwrap_err();
    assert!(matches!(err, ObligationsError::Read { .. }), "{err:?}");
}

#[test]
fn user_rules_file_loads_from_a_path() {
    let dir = std::env::temp_dir().join(format!("custodian-obligations-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rules.toml");
    std::fs::write(&path, MINIMAL).unwrap();
    let book = RuleBook::from_path(&path).unwrap();
    assert!(book.find("US-ZZ").is_some());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_obligations_file_opens_with_a_module_doc() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![root.join("src/obligations")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    for entry in std::fs::read_dir(root.join("tests")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("obligations_") && name.ends_with(".rs") {
            files.push(path);
        }
    }
    assert!(files.len() >= 10, "{files:?}");
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(
            text.starts_with("//! "),
            "{} lacks a //! paragraph",
            f.display()
        );
    }
}
