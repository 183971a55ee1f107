//! The inventory and exposed files on small hand-made files: resolution by external id and by
//! blind index, unlinked identifiers counted by kind, columns detected by content; and bad input
//! — unknown datasets, elements and columns, broken quoting, mixed encodings — refused with the
//! place named and nothing half-written (no dataset, no exposure, no new impact version).

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use custodian_breach::{
    BreachError, Existing, ExposureMeta, ExposureSource, FileFormat, Form, IncidentId, NewDataset,
    NewIncident,
};
use custodian_db::Timestamp;
use custodian_db::testing::TestDb;
use custodian_vault::{DataElement, ElementSet};

use crate::common::{Env, NOW, analyst, env, import_people};

const HEADER: &str = "external_id,account_kind,first_name,last_name,street,city,state,zip,dob,ssn,dl_number,dl_state,phone,email,imei,imsi,pin";

fn write(dir: &Path, name: &str, text: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

async fn setup(t: &TestDb, dir: &Path) -> Env {
    let env = env(t).await;
    let mut text = format!("{HEADER}\n");
    for i in 0..10 {
        text.push_str(&format!(
            "E{i},former,Bo,Ng,1 Main St,Dallas,TX,75201,1970-02-0{},{:03}-22-{:04},D{i:07},TX,+1214555{:04},bo{i}@example.com,,,\n",
            1 + i % 9,
            200 + i,
            3000 + i,
            2000 + i
        ));
    }
    import_people(&env, &write(dir, "people.csv", text.as_bytes())).await;
    env
}

fn dataset(name: &str, elements: &str, file: PathBuf, format: FileFormat) -> NewDataset {
    NewDataset {
        name: name.parse().unwrap(),
        description: String::new(),
        elements: elements.parse().unwrap(),
        members: file,
        format,
        existing: Existing::Refuse,
    }
}

async fn count(t: &TestDb, table: &str) -> i64 {
    custodian_db::sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(t.db.pool())
        .await
        .unwrap()
}

async fn datasets_resolve_by_id_and_by_blind_index(t: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let env = setup(t, dir.path()).await;
    let me = analyst();
    let inv = env.breach.inventory_writer(&me, &env.ctx).unwrap();
    // By external id; the PIN column has no element in the file, so every member holds it.
    let f = write(
        dir.path(),
        "crm.csv",
        b"external_id,first_name,email\nE1,Bo,\nE2,Bo,bo2@example.com\nE99,X,\n",
    );
    let d = inv
        .add(
            &dataset("crm", "full_name,email,account_pin", f, FileFormat::Csv),
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!((d.rows, d.members, d.unlinked_rows), (3, 2, 1));
    // By blind index, NDJSON: a phone, a licence with its state, an IMEI linked to nobody.
    let f = write(
        dir.path(),
        "legacy.ndjson",
        b"{\"phone\":\"(214) 555-2003\"}\n{\"dl_number\":\"D0000004\",\"dl_state\":\"tx\"}\n{\"imei\":\"490154203237518\",\"phone\":\"2145559999\"}\n",
    );
    let d = inv
        .add(
            &dataset(
                "legacy",
                "phone_number,drivers_license,imei",
                f,
                FileFormat::Ndjson,
            ),
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!((d.rows, d.members, d.unlinked_rows), (3, 2, 1));
    assert_eq!(
        d.unlinked,
        [(DataElement::PhoneNumber, 1), (DataElement::Imei, 1)]
    );
    let err = inv
        .add(
            &dataset(
                "legacy",
                "imei",
                dir.path().join("legacy.ndjson"),
                FileFormat::Ndjson,
            ),
            &|_| {},
        )
        .await
        .unwrap_err();
    assert!(matches!(err, BreachError::DatasetExists(_)), "{err}");
    let list = env
        .breach
        .inventory_reader(&me, &env.ctx)
        .unwrap()
        .list()
        .await
        .unwrap();
    assert_eq!(
        list.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        ["crm", "legacy"]
    );
}

async fn bad_files_are_refused_with_their_place(t: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let env = setup(t, dir.path()).await;
    let me = analyst();
    let inv = env.breach.inventory_writer(&me, &env.ctx).unwrap();
    let cases: [(&str, &[u8], &str); 5] = [
        (
            "unknown.csv",
            b"external_id,shoe_size\nE1,9\n",
            ":1: shoe_size: unknown column",
        ),
        (
            "quote.csv",
            b"external_id,ssn\nE1,\"200-22-3000\nE2,201-22-3001\n",
            ":2: ssn: holds a line break",
        ),
        (
            "latin1.csv",
            b"external_id,first_name\nE1,Jos\xe9\n",
            ":2: first_name: is not valid UTF-8",
        ),
        (
            "fields.csv",
            b"external_id,ssn\nE1,200-22-3000,x\n",
            ":2: row: has 3 fields where the header has 2",
        ),
        (
            "undeclared.csv",
            b"external_id,ssn\nE1,200-22-3000\n",
            ":1: ssn: holds ssn, which is not among the dataset's elements",
        ),
    ];
    for (name, text, want) in cases {
        let f = write(dir.path(), name, text);
        let err = inv
            .add(&dataset("bad", "full_name", f, FileFormat::Csv), &|_| {})
            .await
            .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(name) && msg.contains(want), "{name}: {msg}");
        assert!(
            !msg.contains("3000") && !msg.contains("Jos"),
            "values never appear: {msg}"
        );
    }
    assert_eq!(
        count(t, "breach_datasets").await,
        0,
        "failed loads leave nothing"
    );
    assert_eq!(count(t, "breach_member_chunks").await, 0);
    let err = "full_name,blood_type".parse::<ElementSet>().unwrap_err();
    assert!(
        err.to_string()
            .contains("unknown data element `blood_type`")
    );
}

async fn incident(env: &Env) -> IncidentId {
    let me = analyst();
    let w = env.breach.incident_writer(&me, &env.ctx).unwrap();
    w.create(&NewIncident {
        title: "Dump".into(),
        summary: String::new(),
        owner: "sec".into(),
        detected_at: Some(Timestamp(NOW)),
    })
    .await
    .unwrap()
    .id
}

async fn exposed_files_are_detected_by_content(t: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let env = setup(t, dir.path()).await;
    let id = incident(&env).await;
    let me = analyst();
    let w = env.breach.incident_writer(&me, &env.ctx).unwrap();
    // Headers say nothing; the content says SSN, e-mail and date of birth. One SSN is unknown.
    let f = write(
        dir.path(),
        "dump.csv",
        b"c1,c2,c3,c4\n200-22-3000,bo0@example.com,1970-02-01,x\n201-22-3001,bo1@example.com,1970-02-02,y\n123-45-6789,nobody@example.com,1970-02-03,z\n",
    );
    let meta = ExposureMeta {
        occurred_at: Timestamp(NOW),
        note: "sample posted on a forum".into(),
        form: Form::Clear,
    };
    let e = w
        .expose(
            id,
            &meta,
            &ExposureSource::File {
                path: f,
                format: FileFormat::Csv,
            },
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!((e.rows, e.people, e.unlinked_rows), (3, 2, 1));
    let found: Vec<_> = e
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.element.map(|e| e.as_str())))
        .collect();
    assert_eq!(
        found,
        [
            ("c1", Some("ssn")),
            ("c2", Some("email")),
            ("c3", Some("date_of_birth")),
            ("c4", None)
        ]
    );
    assert_eq!(e.unlinked, [(DataElement::Ssn, 1), (DataElement::Email, 1)]);
    let v = w.recompute_impact(id).await.unwrap();
    assert_eq!(v.affected, 2);
    let table = env
        .breach
        .incident_reader(&me, &env.ctx)
        .unwrap()
        .cohorts(id, None)
        .await
        .unwrap();
    assert_eq!(table.summary(), "2 former: DOB, SSN, e-mail");
}

async fn bad_exposures_leave_nothing_half_written(t: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let env = setup(t, dir.path()).await;
    let id = incident(&env).await;
    let me = analyst();
    let w = env.breach.incident_writer(&me, &env.ctx).unwrap();
    let meta = ExposureMeta {
        occurred_at: Timestamp(NOW),
        note: String::new(),
        form: Form::Clear,
    };
    let f = write(
        dir.path(),
        "dump.csv",
        b"ssn,phone\n200-22-3000,2145552000\n",
    );
    w.expose(
        id,
        &meta,
        &ExposureSource::File {
            path: f,
            format: FileFormat::Csv,
        },
        &|_| {},
    )
    .await
    .unwrap();
    w.recompute_impact(id).await.unwrap();
    let events = count(t, "breach_incident_events").await;

    let unknown = ExposureSource::Dataset {
        name: "nope".parse().unwrap(),
        columns: None,
    };
    let err = w.expose(id, &meta, &unknown, &|_| {}).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown dataset `nope` (see `custodian inventory list`)"
    );
    let broken = write(
        dir.path(),
        "broken.csv",
        b"ssn,phone\n201-22-3001,2145552001\n\"202-22-3002,2145552002\n",
    );
    let err = w
        .expose(
            id,
            &meta,
            &ExposureSource::File {
                path: broken,
                format: FileFormat::Csv,
            },
            &|_| {},
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, BreachError::Malformed { line: 3, .. }),
        "{err}"
    );
    let nothing = write(dir.path(), "nothing.csv", b"a,b\nx,y\n");
    let err = w
        .expose(
            id,
            &meta,
            &ExposureSource::File {
                path: nothing,
                format: FileFormat::Csv,
            },
            &|_| {},
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("no column holds an identifier"),
        "{err}"
    );
    let inv = env.breach.inventory_writer(&me, &env.ctx).unwrap();
    let f = write(dir.path(), "crm.csv", b"external_id,first_name\nE1,Bo\n");
    inv.add(&dataset("crm", "full_name", f, FileFormat::Csv), &|_| {})
        .await
        .unwrap();
    let cols = ExposureSource::Dataset {
        name: "crm".parse().unwrap(),
        columns: Some(vec!["ssn".into()]),
    };
    let err = w.expose(id, &meta, &cols, &|_| {}).await.unwrap_err();
    assert!(
        err.to_string().contains(
            "`ssn` is not a column or element of dataset `crm` (columns: external_id, first_name)"
        ),
        "{err}"
    );

    assert_eq!(
        count(t, "breach_exposures").await,
        1,
        "only the good exposure is kept"
    );
    assert_eq!(count(t, "breach_exposure_chunks").await, 1);
    assert_eq!(
        count(t, "breach_incident_events").await,
        events,
        "no event for refused input"
    );
    let r = env.breach.incident_reader(&me, &env.ctx).unwrap();
    assert_eq!(r.impact_versions(id).await.unwrap(), [1]);
    assert!(matches!(
        r.impact(IncidentId(999), None).await,
        Err(BreachError::UnknownIncident(999))
    ));
    assert!(matches!(
        r.impact(id, Some(5)).await,
        Err(BreachError::NoImpact {
            version: Some(5),
            ..
        })
    ));
    // Principals without the permission cannot even get the capability.
    let viewer = crate::common::principal("v", "viewer", "incidents.read");
    assert!(matches!(
        env.breach.incident_writer(&viewer, &env.ctx),
        Err(BreachError::Auth(_))
    ));
}

custodian_db::backend_tests!(
    datasets_resolve_by_id_and_by_blind_index,
    bad_files_are_refused_with_their_place,
    exposed_files_are_detected_by_content,
    bad_exposures_leave_nothing_half_written,
);
