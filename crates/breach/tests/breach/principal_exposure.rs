//! A compromised principal over a window: the exposure holds exactly the people that key read
//! (through reads and searches) inside the window, each with exactly the elements of the fields
//! read — not the people it read before or after the window, not the people other keys read.

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use custodian_breach::obligations::KeyExposure;
use custodian_breach::{Change, ExposureMeta, ExposureSource, Form, NewIncident};
use custodian_db::Timestamp;
use custodian_db::testing::TestDb;
use custodian_vault::{Field, Lookup, PersonRef, ReadRequest};

use crate::common::{NOW, analyst, env, import_people, principal};

const HEADER: &str = "external_id,account_kind,first_name,last_name,street,city,state,zip,dob,ssn,dl_number,dl_state,phone,email,imei,imsi,pin";

fn people_csv(dir: &std::path::Path) -> std::path::PathBuf {
    let mut text = format!("{HEADER}\n");
    for i in 0..12 {
        // Even people have an SSN; odd ones only a phone; all have a name.
        let ssn = if i % 2 == 0 {
            format!("{:03}-45-{:04}", 120 + i, 1000 + i)
        } else {
            String::new()
        };
        text.push_str(&format!(
            "P{i:03},postpaid,Ana,Diaz,12 Elm St,Austin,TX,78701,1980-01-0{},{ssn},,,+1512555{:04},,,,\n",
            1 + i % 9,
            100 + i
        ));
    }
    let p = dir.join("people.csv");
    std::fs::write(&p, text).unwrap();
    p
}

async fn exposure_is_exactly_what_the_key_read(t: &TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let env = env(t).await;
    import_people(&env, &people_csv(dir.path())).await;
    let thief = principal("svc-stolen", "service", "people.read people.search");
    let other = principal("svc-billing", "service", "people.read people.search");
    let read = |who: &'static str| PersonRef::External(who.to_owned());
    let reader = env.vault.reader(&thief, &env.ctx).unwrap();
    let no_reveal = ReadRequest::default();

    reader.get(&read("P000"), &no_reveal).await.unwrap(); // before the window
    env.clock.advance(3_600);
    let from = Timestamp(NOW + 3_600_000_000);
    reader.get(&read("P001"), &no_reveal).await.unwrap();
    reader.get(&read("P002"), &no_reveal).await.unwrap();
    env.vault
        .searcher(&thief, &env.ctx)
        .unwrap()
        .find(&Lookup {
            field: Field::Ssn,
            normalized: "124451004",
        })
        .await
        .unwrap();
    env.vault
        .reader(&other, &env.ctx)
        .unwrap()
        .get(&read("P005"), &no_reveal)
        .await
        .unwrap();
    env.clock.advance(3_600);
    let to = Timestamp(NOW + 7_200_000_000);
    reader.get(&read("P003"), &no_reveal).await.unwrap(); // at the end: outside [from, to)

    let me = analyst();
    let w = env.breach.incident_writer(&me, &env.ctx).unwrap();
    let i = w
        .create(&NewIncident {
            title: "Stolen key".into(),
            summary: String::new(),
            owner: "sec".into(),
            detected_at: Some(to),
        })
        .await
        .unwrap();
    w.change(i.id, &Change::KeyExposure(KeyExposure::NotExposed), "")
        .await
        .unwrap();
    let meta = ExposureMeta {
        occurred_at: from,
        note: "key in a public repo".into(),
        form: Form::Clear,
    };
    let e = w
        .expose(
            i.id,
            &meta,
            &ExposureSource::Principal {
                name: "svc-stolen".into(),
                from,
                to,
            },
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!(e.people, 3);
    w.recompute_impact(i.id).await.unwrap();

    let mut got = BTreeMap::new();
    env.breach
        .incident_reader(&me, &env.ctx)
        .unwrap()
        .affected(i.id, None, &mut |p| {
            let set: BTreeSet<String> = p.clear.iter().map(|e| e.as_str().to_owned()).collect();
            got.insert(p.external_id.clone(), set);
            Ok(())
        })
        .await
        .unwrap();
    let set = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();
    // A read decrypts every present field the role may see; a search touches its field only.
    let read_odd = set(&[
        "full_name",
        "postal_address",
        "date_of_birth",
        "phone_number",
    ]);
    let read_even = set(&[
        "full_name",
        "postal_address",
        "date_of_birth",
        "ssn",
        "phone_number",
    ]);
    let expected = BTreeMap::from([
        ("P001".to_owned(), read_odd),
        ("P002".to_owned(), read_even),
        ("P004".to_owned(), set(&["ssn"])),
    ]);
    assert_eq!(got, expected);
}

async fn a_window_that_ends_before_it_starts_is_refused(t: &TestDb) {
    let env = env(t).await;
    let me = analyst();
    let w = env.breach.incident_writer(&me, &env.ctx).unwrap();
    let i = w
        .create(&NewIncident {
            title: "x".into(),
            summary: String::new(),
            owner: "sec".into(),
            detected_at: None,
        })
        .await
        .unwrap();
    let meta = ExposureMeta {
        occurred_at: Timestamp(NOW),
        note: String::new(),
        form: Form::Clear,
    };
    let src = ExposureSource::Principal {
        name: "svc".into(),
        from: Timestamp(NOW),
        to: Timestamp(NOW - 1),
    };
    let err = w.expose(i.id, &meta, &src, &|_| {}).await.unwrap_err();
    assert_eq!(err.to_string(), "window: ends before (or when) it starts");
    assert!(
        env.breach
            .incident_reader(&me, &env.ctx)
            .unwrap()
            .exposures(i.id)
            .await
            .unwrap()
            .is_empty()
    );
}

custodian_db::backend_tests!(
    exposure_is_exactly_what_the_key_read,
    a_window_that_ends_before_it_starts_is_refused
);
