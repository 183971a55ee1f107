//! The breach engine end to end on a synthetic carrier: every system of its `systems.toml` loaded
//! into the inventory, the scenario's systems exposed, impact computed, and the cohort table
//! checked against counts computed independently from the generator's files (a plain join of
//! the system CSVs with `people.csv` on external id, phone, IMEI and IMSI — not the engine's
//! code). Also: the unlinked network identifiers are reported, and key exposure on and off
//! changes the cohorts and the obligations as the rules say.

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use custodian_breach::obligations::KeyExposure;
use custodian_breach::{
    BreachService, Change, Existing, ExposureMeta, ExposureSource, FileFormat, Form, IncidentId,
    NewDataset, NewIncident,
};
use custodian_db::Timestamp;
use custodian_db::testing::TestDb;
use custodian_synth::CarrierConfig;
use custodian_vault::{ElementSet, RequestContext};

use crate::common::{Env, NOW, admin, analyst, env, import_people};

type CohortKey = (String, BTreeSet<String>);

fn element_of(column: &str) -> Option<&'static str> {
    Some(match column {
        "first_name" | "last_name" => "full_name",
        "street" | "city" | "state" | "zip" => "postal_address",
        "dob" => "date_of_birth",
        "ssn" => "ssn",
        "dl_number" | "dl_state" => "drivers_license",
        "phone" => "phone_number",
        "email" => "email",
        "imei" => "imei",
        "imsi" => "imsi",
        "pin" => "account_pin",
        _ => return None,
    })
}

/// The cohort counts of exposing `systems`, computed from the files alone.
fn independent_cohorts(
    dir: &Path,
    systems: &[(String, String)],
) -> (BTreeMap<CohortKey, u64>, u64) {
    let mut kind = HashMap::new();
    let mut by_id: HashMap<String, String> = HashMap::new();
    let mut rdr = csv::Reader::from_path(dir.join("people.csv")).unwrap();
    let header = rdr.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (ext, k) = (col("external_id"), col("account_kind"));
    let ids = [col("phone"), col("imei"), col("imsi")];
    for rec in rdr.records() {
        let rec = rec.unwrap();
        kind.insert(rec[ext].to_owned(), rec[k].to_owned());
        for i in ids {
            if !rec[i].is_empty() {
                by_id.insert(rec[i].to_owned(), rec[ext].to_owned());
            }
        }
    }
    let mut exposed: HashMap<String, BTreeSet<String>> = HashMap::new();
    let mut unlinked_rows = 0;
    for (_, file) in systems {
        let mut rdr = csv::Reader::from_path(dir.join(file)).unwrap();
        let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_owned).collect();
        for rec in rdr.records() {
            let rec = rec.unwrap();
            let cell = |name: &str| {
                header
                    .iter()
                    .position(|h| h == name)
                    .map(|i| &rec[i])
                    .filter(|v| !v.is_empty())
            };
            let person = cell("external_id").map(str::to_owned).or_else(|| {
                ["imei", "imsi", "phone"]
                    .iter()
                    .find_map(|c| cell(c).and_then(|v| by_id.get(v).cloned()))
            });
            let Some(person) = person else {
                unlinked_rows += 1;
                continue;
            };
            let set = exposed.entry(person).or_default();
            for (i, h) in header.iter().enumerate() {
                if let (Some(e), false) = (element_of(h), rec[i].is_empty()) {
                    set.insert(e.to_owned());
                }
            }
        }
    }
    let mut cohorts = BTreeMap::new();
    for (person, set) in exposed {
        *cohorts.entry((kind[&person].clone(), set)).or_insert(0) += 1;
    }
    (cohorts, unlinked_rows)
}

async fn load_inventory(env: &Env, dir: &Path) -> Vec<(String, String)> {
    let me = analyst();
    let inv = env.breach.inventory_writer(&me, &env.ctx).unwrap();
    let mut systems = Vec::new();
    for spec in custodian_synth::read_systems(dir).unwrap() {
        let d = inv
            .add(
                &NewDataset {
                    name: spec.name.parse().unwrap(),
                    description: spec.description.clone(),
                    elements: spec.elements.join(",").parse().unwrap(),
                    members: dir.join(&spec.file),
                    format: FileFormat::Csv,
                    existing: Existing::Refuse,
                },
                &|_| {},
            )
            .await
            .unwrap();
        assert_eq!(d.rows, spec.rows, "{}", spec.name);
        assert_eq!(d.unlinked_rows, spec.unlinked_rows, "{}", spec.name);
        assert_eq!(d.members, spec.rows - spec.unlinked_rows, "{}", spec.name);
        systems.push((spec.name, spec.file));
    }
    systems
}

async fn incident(
    b: &BreachService,
    ctx: &RequestContext,
    exposed: &[(String, String)],
) -> IncidentId {
    let me = analyst();
    let w = b.incident_writer(&me, ctx).unwrap();
    let i = w
        .create(&NewIncident {
            title: "Carrier customer data breach".into(),
            summary: "Test environment credentials reused.".into(),
            owner: "ciso".into(),
            detected_at: Some(Timestamp(NOW)),
        })
        .await
        .unwrap();
    w.change(
        i.id,
        &Change::KeyExposure(KeyExposure::NotExposed),
        "HSM logs show no key export",
    )
    .await
    .unwrap();
    for (name, _) in exposed {
        let meta = ExposureMeta {
            occurred_at: Timestamp(NOW - 86_400_000_000),
            note: String::new(),
            form: Form::Clear,
        };
        let src = ExposureSource::Dataset {
            name: name.parse().unwrap(),
            columns: None,
        };
        w.expose(i.id, &meta, &src, &|_| {}).await.unwrap();
    }
    i.id
}

async fn cohorts_match_an_independent_count(t: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = CarrierConfig {
        people: 2_500,
        seed: 7,
        ..CarrierConfig::default()
    };
    let summary = custodian_synth::write_carrier(&cfg, dir.path(), &|_| {}).unwrap();
    let env = env(t).await;
    import_people(&env, &dir.path().join("people.csv")).await;
    let systems = load_inventory(&env, dir.path()).await;
    let scenario = custodian_synth::read_scenario(dir.path()).unwrap();
    let exposed: Vec<_> = systems
        .iter()
        .filter(|(n, _)| scenario.exposed_systems.contains(n))
        .cloned()
        .collect();
    let id = incident(&env.breach, &env.ctx, &exposed).await;

    let me = analyst();
    let v = env
        .breach
        .incident_writer(&me, &env.ctx)
        .unwrap()
        .recompute_impact(id)
        .await
        .unwrap();
    assert_eq!(v.version, 1);
    let table = env
        .breach
        .incident_reader(&me, &env.ctx)
        .unwrap()
        .cohorts(id, None)
        .await
        .unwrap();
    let engine: BTreeMap<CohortKey, u64> = table
        .cohorts
        .iter()
        .map(|c| {
            (
                (
                    c.account_kind.to_string(),
                    c.elements.iter().map(|e| e.as_str().to_owned()).collect(),
                ),
                c.people,
            )
        })
        .collect();
    let (expected, unlinked_rows) = independent_cohorts(dir.path(), &exposed);
    assert_eq!(engine, expected);
    assert_eq!(table.affected, expected.values().sum::<u64>());
    assert_eq!(table.population, summary.people);
    assert_eq!(table.not_affected(), summary.people - table.affected);

    let report = env
        .breach
        .incident_reader(&me, &env.ctx)
        .unwrap()
        .report(id, None)
        .await
        .unwrap();
    assert_eq!(report.unlinked_rows, unlinked_rows);
    assert!(
        report
            .unlinked
            .iter()
            .any(|(e, n)| e.as_str() == "imei" && *n > 0),
        "{:?}",
        report.unlinked
    );
    let html = custodian_breach::report::html(&report);
    assert!(
        html.contains("<svg") && html.contains("current postpaid"),
        "report lacks the chart or cohorts"
    );
    // No value from the files appears in the report: spot-check every SSN and phone.
    let mut rdr = csv::Reader::from_path(dir.path().join("people.csv")).unwrap();
    for rec in rdr.records().take(500) {
        let rec = rec.unwrap();
        for v in [&rec[9], &rec[12]] {
            assert!(v.is_empty() || !html.contains(v));
        }
    }
    let plan = report.plan.expect("the incident has a detection date");
    assert!(plan.jurisdiction("US-CA").is_some_and(|j| j.affected > 0));
}

async fn key_exposure_changes_cohorts(t: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = CarrierConfig {
        people: 800,
        seed: 11,
        ..CarrierConfig::default()
    };
    custodian_synth::write_carrier(&cfg, dir.path(), &|_| {}).unwrap();
    let env = env(t).await;
    import_people(&env, &dir.path().join("people.csv")).await;
    load_inventory(&env, dir.path()).await;
    let me = admin();
    let w = env.breach.incident_writer(&me, &env.ctx).unwrap();
    let r = env.breach.incident_reader(&me, &env.ctx).unwrap();
    // Prepaid records copied in clear, billing copied only as ciphertext (an encrypted backup).
    let id = incident(&env.breach, &env.ctx, &[("prepaid".into(), String::new())]).await;
    let meta = ExposureMeta {
        occurred_at: Timestamp(NOW - 3_600_000_000),
        note: "encrypted backup".into(),
        form: Form::Encrypted,
    };
    w.expose(
        id,
        &meta,
        &ExposureSource::Dataset {
            name: "billing".parse().unwrap(),
            columns: None,
        },
        &|_| {},
    )
    .await
    .unwrap();

    let off = w.recompute_impact(id).await.unwrap();
    let kinds_off: BTreeSet<String> = r
        .cohorts(id, None)
        .await
        .unwrap()
        .cohorts
        .iter()
        .map(|c| c.account_kind.to_string())
        .collect();
    assert_eq!(
        kinds_off,
        BTreeSet::from(["prepaid".to_owned()]),
        "ciphertext alone is not exposure when keys are safe"
    );
    assert!(off.touched > off.affected);
    let plan_off = r.obligations(id, None).await.unwrap();

    w.change(
        id,
        &Change::KeyExposure(KeyExposure::Exposed),
        "key found on the test server",
    )
    .await
    .unwrap();
    let on = w.recompute_impact(id).await.unwrap();
    assert_eq!(on.version, 2);
    assert_eq!(on.touched, off.touched);
    assert_eq!(on.affected, on.touched);
    let table_on = r.cohorts(id, None).await.unwrap();
    assert!(
        table_on
            .cohorts
            .iter()
            .any(|c| c.account_kind.as_str() == "postpaid"
                && c.elements.contains(custodian_vault::DataElement::Ssn))
    );
    let plan_on = r.obligations(id, None).await.unwrap();
    let notifiable = |p: &custodian_breach::obligations::ObligationsPlan| {
        p.jurisdictions.iter().map(|j| j.notifiable).sum::<u64>()
    };
    assert!(
        notifiable(&plan_on) > notifiable(&plan_off),
        "exposed keys void the safe harbour for SSNs"
    );

    let diff = r.impact_diff(id, None, None).await.unwrap();
    assert_eq!((diff.from_version, diff.to_version), (1, 2));
    assert_eq!(diff.added, on.affected - off.affected);
    assert_eq!(diff.removed, 0);
    assert!(
        diff.newly_exposed
            .iter()
            .any(|(e, n)| *e == custodian_vault::DataElement::Ssn && *n == diff.added)
    );
    // The older version is kept as it was.
    assert_eq!(r.impact(id, Some(1)).await.unwrap().affected, off.affected);
    assert_eq!(r.impact_versions(id).await.unwrap(), [1, 2]);
    let _ = ElementSet::EMPTY;
}

custodian_db::backend_tests!(
    cohorts_match_an_independent_count,
    key_exposure_changes_cohorts
);
