//! The vault's security invariants, each by a test that fails if the invariant breaks: no
//! plaintext at rest after an import, ciphertexts bound to their person and field, no full value
//! for a role without reveal permission, shredding destroys key material; plus idempotent
//! re-import, blind-index search and per-row import errors. Every test runs on both backends.

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::Arc;

use custodian_auth::{Principal, PrincipalId, PrincipalKind, Role};
use custodian_db::testing::TestDb;
use custodian_db::{ManualClock, Timestamp};
use custodian_vault::import::{Format, ImportOptions, import_file};
use custodian_vault::policy::Policy;
use custodian_vault::{
    DEFAULT_TENANT, Field, FieldValue, FileKeyProvider, KeyCacheConfig, Keyring, Lookup, PersonRef,
    ReadRequest, RequestContext, Vault, VaultError,
};

fn principal(name: &str, role: &str, perms: &str) -> Principal {
    Principal {
        id: PrincipalId(1),
        name: name.into(),
        kind: PrincipalKind::Service,
        role: Role::from_stored(role, perms),
    }
}

fn admin() -> Principal {
    principal("ops", "admin", "*")
}

async fn open(t: &TestDb) -> Vault {
    t.db.migrate(&[custodian_vault::COMPONENT]).await.unwrap();
    let provider = Arc::new(FileKeyProvider::open(t.dir.path()).unwrap());
    let keys = Keyring::new(provider, DEFAULT_TENANT, KeyCacheConfig::default());
    let clock = Arc::new(ManualClock::new(Timestamp(1_763_856_000_000_000)));
    Vault::open(t.db.clone(), keys, Policy::default(), clock)
        .await
        .unwrap()
}

const HEADER: &str = "external_id,account_kind,first_name,last_name,street,city,state,zip,dob,ssn,dl_number,dl_state,phone,email,imei,imsi,pin";

/// Known records: (external id, ssn, dob, dl, phone, imei, imsi) with distinctive values.
fn known_rows() -> Vec<[String; 7]> {
    (0..200)
        .map(|i| {
            [
                format!("K{i:05}"),
                format!("{:03}-{:02}-{:04}", 101 + i % 500, 11 + i % 80, 1001 + i),
                format!("19{:02}-0{}-1{}", 50 + i % 40, 1 + i % 9, i % 10),
                format!("D{:07}", 4_000_000 + i),
                format!("+1512{:07}", 7_300_000 + i),
                imei(35_209_900_176_000 + i as u64),
                format!("310260{:09}", 555_000_000 + i),
            ]
        })
        .collect()
}

fn imei(body14: u64) -> String {
    let s = format!("{body14:014}");
    let sum: u32 = s
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    format!("{s}{}", (10 - sum % 10) % 10)
}

fn write_csv(dir: &Path, rows: &[[String; 7]]) -> std::path::PathBuf {
    let mut text = format!("{HEADER}\n");
    for r in rows {
        text.push_str(&format!(
            "{},postpaid,Quentin,Zyzzyva,12 Elm St,Austin,TX,78701,{},{},{},TX,{},q{}@example.com,{},{},482913\n",
            r[0], r[2], r[1], r[3], r[4], r[0].to_lowercase(), r[5], r[6]
        ));
    }
    let p = dir.join("people.csv");
    std::fs::write(&p, text).unwrap();
    p
}

fn opts() -> ImportOptions {
    ImportOptions {
        format: Format::Csv,
        batch_size: 64,
        rejects: None,
        today: time::Date::from_calendar_date(2026, time::Month::November, 23).unwrap(),
    }
}

async fn import(v: &Vault, path: &Path) -> custodian_vault::import::ImportReport {
    let p = admin();
    let ctx = RequestContext {
        request_id: "t".into(),
    };
    import_file(&v.writer(&p, &ctx).unwrap(), path, &opts(), &|_| {})
        .await
        .unwrap()
}

/// Every common encoding of a value: as given, digits only, and hex of the UTF-8 bytes.
fn encodings(v: &str) -> Vec<Vec<u8>> {
    let digits: String = v.chars().filter(char::is_ascii_digit).collect();
    let mut out = vec![v.as_bytes().to_vec(), hex::encode(v).into_bytes()];
    if digits.len() >= 6 {
        out.push(digits.clone().into_bytes());
        out.push(hex::encode(&digits).into_bytes());
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// Every byte the database holds, as text, for PostgreSQL (whose files are not ours to read).
async fn dump_all(t: &TestDb) -> Vec<u8> {
    let mut out = Vec::new();
    for table in [
        "vault_people",
        "vault_bidx",
        "vault_import_jobs",
        "access_log",
        "access_log_person",
    ] {
        let sql = format!("SELECT * FROM {table}");
        let rows = custodian_db::sqlx::query(&sql)
            .fetch_all(t.db.pool())
            .await
            .unwrap();
        use custodian_db::sqlx::Row;
        for r in rows {
            for (i, _) in r.columns().iter().enumerate() {
                if let Ok(Some(b)) = r.try_get::<Option<Vec<u8>>, _>(i) {
                    out.extend(b);
                } else if let Ok(Some(s)) = r.try_get::<Option<String>, _>(i) {
                    out.extend(s.into_bytes());
                } else if let Ok(Some(n)) = r.try_get::<Option<i64>, _>(i) {
                    out.extend(n.to_string().into_bytes());
                }
                out.push(b'\n');
            }
        }
    }
    out
}

async fn import_leaves_no_plaintext_at_rest(t: &TestDb) {
    let v = open(t).await;
    let src = tempfile::tempdir().unwrap();
    let rows = known_rows();
    let r = import(&v, &write_csv(src.path(), &rows)).await;
    assert_eq!((r.created, r.rejected), (200, 0));
    // Read everything back once so reads, too, would have had the chance to leave plaintext.
    let p = admin();
    let ctx = RequestContext::default();
    v.reader(&p, &ctx)
        .unwrap()
        .get(
            &PersonRef::External("K00007".into()),
            &ReadRequest::default(),
        )
        .await
        .unwrap();

    let mut haystacks: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in walk(t.dir.path()) {
        haystacks.push((entry.display().to_string(), std::fs::read(&entry).unwrap()));
    }
    haystacks.push(("database rows".into(), dump_all(t).await));
    for row in &rows {
        for value in &row[1..] {
            for enc in encodings(value) {
                for (name, hay) in &haystacks {
                    assert!(
                        !contains(hay, &enc),
                        "plaintext of a sensitive value found in {name}"
                    );
                }
            }
        }
    }
    // The test can fail: the clear columns are there, so the search itself works.
    assert!(haystacks.iter().any(|(_, h)| contains(h, b"K00007")));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

async fn ciphertexts_are_bound_to_person_and_field(t: &TestDb) {
    let v = open(t).await;
    let src = tempfile::tempdir().unwrap();
    import(&v, &write_csv(src.path(), &known_rows()[..3])).await;
    let p = admin();
    let ctx = RequestContext::default();
    let reader = v.reader(&p, &ctx).unwrap();
    let req = ReadRequest::default();
    let (k0, k1, k2) = (
        PersonRef::External("K00000".into()),
        PersonRef::External("K00001".into()),
        PersonRef::External("K00002".into()),
    );
    let get = |who| reader.get(who, &req);
    get(&k1).await.unwrap();
    // Another person's SSN ciphertext copied onto K00001.
    custodian_db::sqlx::query("UPDATE vault_people SET ssn = (SELECT ssn FROM vault_people WHERE external_id = 'K00002') WHERE external_id = 'K00001'")
        .execute(t.db.pool()).await.unwrap();
    assert!(matches!(get(&k1).await, Err(VaultError::Crypto(_))));
    // The person's own phone ciphertext copied into their IMEI column.
    custodian_db::sqlx::query("UPDATE vault_people SET imei = phone WHERE external_id = 'K00000'")
        .execute(t.db.pool())
        .await
        .unwrap();
    assert!(matches!(get(&k0).await, Err(VaultError::Crypto(_))));
    get(&k2).await.unwrap();
}

async fn roles_without_reveal_never_get_full_values(t: &TestDb) {
    let v = open(t).await;
    let src = tempfile::tempdir().unwrap();
    let rows = known_rows();
    import(&v, &write_csv(src.path(), &rows[..5])).await;
    let ctx = RequestContext::default();
    let agent = principal("care", "agent", "people.read people.search");
    let reader = v.reader(&agent, &ctx).unwrap();
    let who = PersonRef::External("K00003".into());
    let refused = reader
        .get(
            &who,
            &ReadRequest {
                reveal: vec![Field::Ssn],
                purpose: Some("customer asked".into()),
            },
        )
        .await;
    assert!(matches!(refused, Err(VaultError::Policy(_))), "{refused:?}");
    let masked = reader.get(&who, &ReadRequest::default()).await.unwrap();
    let ssn_digits: String = rows[3][1].chars().filter(char::is_ascii_digit).collect();
    for (f, val) in &masked.fields {
        let FieldValue::Masked(m) = val else {
            panic!("{f} revealed without asking")
        };
        let md: String = m.chars().filter(char::is_ascii_digit).collect();
        assert!(!md.contains(&ssn_digits), "{f} shows the SSN");
        for full in &rows[3][1..] {
            assert!(!m.contains(full.as_str()), "{f} shows a full value");
        }
    }
    // An admin may reveal with a purpose, but not without one.
    let a = admin();
    let r = v.reader(&a, &ctx).unwrap();
    assert!(matches!(
        r.get(
            &who,
            &ReadRequest {
                reveal: vec![Field::Ssn],
                purpose: None
            }
        )
        .await,
        Err(VaultError::Policy(_))
    ));
    let full = r
        .get(
            &who,
            &ReadRequest {
                reveal: vec![Field::Ssn],
                purpose: Some("fraud case 42".into()),
            },
        )
        .await
        .unwrap();
    let revealed = full
        .fields
        .iter()
        .find_map(|(f, v)| match v {
            FieldValue::Revealed(x) if *f == Field::Ssn => Some(x.expose().clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(revealed, ssn_digits);
    // A principal without people.read cannot even get a reader.
    assert!(
        v.reader(&principal("x", "service", "people.write"), &ctx)
            .is_err()
    );
}

async fn shredding_destroys_key_material(t: &TestDb) {
    let v = open(t).await;
    let src = tempfile::tempdir().unwrap();
    import(&v, &write_csv(src.path(), &known_rows()[..4])).await;
    let wrapped: Vec<u8> = custodian_db::sqlx::query_scalar(
        "SELECT wrapped_key FROM vault_people WHERE external_id = 'K00002'",
    )
    .fetch_one(t.db.pool())
    .await
    .unwrap();
    let sealed_ssn: Vec<u8> = custodian_db::sqlx::query_scalar(
        "SELECT ssn FROM vault_people WHERE external_id = 'K00002'",
    )
    .fetch_one(t.db.pool())
    .await
    .unwrap();
    let a = admin();
    let ctx = RequestContext::default();
    assert!(
        v.shredder(&a, &ctx)
            .unwrap()
            .shred(&PersonRef::External("K00002".into()), "retention")
            .await
            .unwrap()
    );
    assert!(
        !v.shredder(&a, &ctx)
            .unwrap()
            .shred(&PersonRef::External("K00002".into()), "again")
            .await
            .unwrap()
    );
    let view = v
        .reader(&a, &ctx)
        .unwrap()
        .get(
            &PersonRef::External("K00002".into()),
            &ReadRequest::default(),
        )
        .await
        .unwrap();
    assert!(view.shredded_at.is_some() && view.fields.is_empty());
    // Blind indexes are gone too: the SSN no longer finds anyone.
    let hits = v
        .searcher(&a, &ctx)
        .unwrap()
        .find(&Lookup {
            field: Field::Ssn,
            normalized: &known_rows()[2][1].replace('-', ""),
        })
        .await
        .unwrap();
    assert!(hits.is_empty());
    // The wrapped key and sealed fields are gone from the live database and (SQLite) its files.
    let mut hays = vec![dump_all(t).await];
    for f in walk(t.dir.path()) {
        hays.push(std::fs::read(f).unwrap());
    }
    for h in &hays {
        assert!(!contains(h, &wrapped), "wrapped data key still present");
        assert!(!contains(h, &sealed_ssn), "sealed field still present");
    }
}

/// On PostgreSQL an import ends with `VACUUM (ANALYZE)` of the tables it filled (lookups right
/// after a large import are otherwise ten times slower); an import that changes nothing skips it.
async fn an_import_leaves_its_tables_vacuumed_and_analyzed(t: &TestDb) {
    let v = open(t).await;
    let src = tempfile::tempdir().unwrap();
    let path = write_csv(src.path(), &known_rows()[..20]);
    assert_eq!(import(&v, &path).await.created, 20);
    if t.db.backend() != custodian_db::Backend::Postgres {
        return;
    }
    let stats = "SELECT relname::text FROM pg_stat_user_tables WHERE schemaname = current_schema() \
                 AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL \
                 AND relname IN ('vault_people', 'vault_bidx', 'access_log_person') ORDER BY relname";
    let mut done: Vec<String> = Vec::new();
    // Statistics reach the view through shared memory; allow them a moment.
    for _ in 0..20 {
        done = custodian_db::sqlx::query_scalar(stats)
            .fetch_all(t.db.pool())
            .await
            .unwrap();
        if done.len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(done, ["access_log_person", "vault_bidx", "vault_people"]);
}

async fn reimport_is_idempotent_and_updates(t: &TestDb) {
    let v = open(t).await;
    let src = tempfile::tempdir().unwrap();
    let mut rows = known_rows()[..50].to_vec();
    let path = write_csv(src.path(), &rows);
    let first = import(&v, &path).await;
    assert_eq!((first.created, first.updated, first.unchanged), (50, 0, 0));
    let again = import(&v, &path).await;
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 50));
    rows[10][4] = "+15129990000".into();
    let changed = import(&v, &write_csv(src.path(), &rows)).await;
    assert_eq!(
        (changed.created, changed.updated, changed.unchanged),
        (0, 1, 49)
    );
    let n: i64 = custodian_db::sqlx::query_scalar("SELECT COUNT(*) FROM vault_people")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 50);
    let a = admin();
    let ctx = RequestContext::default();
    let s = v.searcher(&a, &ctx).unwrap();
    let new_hit = s
        .find(&Lookup {
            field: Field::Phone,
            normalized: "+15129990000",
        })
        .await
        .unwrap();
    assert_eq!(new_hit.len(), 1);
    assert_eq!(new_hit[0].external_id, "K00010");
    let old = s
        .find(&Lookup {
            field: Field::Phone,
            normalized: &rows[11][4],
        })
        .await
        .unwrap();
    assert_eq!(old.len(), 1);
    let gone = s
        .find(&Lookup {
            field: Field::Phone,
            normalized: &known_rows()[10][4],
        })
        .await
        .unwrap();
    assert!(gone.is_empty(), "the old phone's index was not removed");
}

/// A person repeated in consecutive batches ends as one person with the last row's values,
/// counted once created and then updated, and no earlier value stays findable.
async fn a_person_repeated_across_batches_ends_with_the_last_row(t: &TestDb) {
    let v = open(t).await;
    let src = tempfile::tempdir().unwrap();
    let mut rows = known_rows()[..150].to_vec();
    for (at, phone) in [(70, "+15129990001"), (135, "+15129990002")] {
        let mut again = rows[10].clone();
        again[4] = phone.into();
        rows.insert(at, again);
    }
    let r = import(&v, &write_csv(src.path(), &rows)).await;
    assert_eq!((r.created, r.updated, r.rejected), (150, 2, 0));
    let n: i64 = custodian_db::sqlx::query_scalar("SELECT COUNT(*) FROM vault_people")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 150);
    let a = admin();
    let ctx = RequestContext::default();
    let s = v.searcher(&a, &ctx).unwrap();
    for (phone, hits) in [
        ("+15129990002", 1),
        ("+15129990001", 0),
        (known_rows()[10][4].as_str(), 0),
    ] {
        let found = s
            .find(&Lookup {
                field: Field::Phone,
                normalized: phone,
            })
            .await
            .unwrap();
        assert_eq!(found.len(), hits, "{phone}");
    }
}

async fn bad_rows_are_named_and_do_not_stop_the_rest(t: &TestDb) {
    let v = open(t).await;
    let src = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER}\nA1,postpaid,Ann,Lee,,,TX,,,123-45-6789,,,,,,,\nA2,postpaid,Bob,Lee,,,TX,,,000-12-3456,,,,,,,\nA3,gold,Cy,Lee,,,TX,,,,,,,,,,\nA4,former,Di,Lee,,,ZZ,,,,,,,,,,\nA5,prepaid,Ed,Lee,,,TX,,,,,,,,490154203237519,,\nA6,prospective,Flo,Lee,,,CA,,,,,,,,,,\n"
    );
    let path = src.path().join("mixed.csv");
    std::fs::write(&path, text).unwrap();
    let rejects = src.path().join("rejects.csv");
    let a = admin();
    let ctx = RequestContext::default();
    let mut o = opts();
    o.rejects = Some(rejects.clone());
    let r = import_file(&v.writer(&a, &ctx).unwrap(), &path, &o, &|_| {})
        .await
        .unwrap();
    assert_eq!((r.created, r.rejected), (2, 4));
    let got: Vec<(u64, &str)> = r
        .first_errors
        .iter()
        .map(|e| (e.line, e.field.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![(3, "ssn"), (4, "account_kind"), (5, "state"), (6, "imei")]
    );
    let rej = std::fs::read_to_string(rejects).unwrap();
    assert!(rej.starts_with("line,field,reason\n3,ssn,"), "{rej}");
    assert!(!rej.contains("000-12-3456") && !rej.contains("490154203237519"));

    // A file with an unknown column is refused whole, naming the column.
    let bad = src.path().join("bad.csv");
    std::fs::write(&bad, "external_id,account_kind,social\nX,postpaid,1\n").unwrap();
    let e = import_file(&v.writer(&a, &ctx).unwrap(), &bad, &opts(), &|_| {})
        .await
        .unwrap_err();
    assert!(e.to_string().contains("social"), "{e}");
}

async fn import_resumes_from_the_last_committed_batch(t: &TestDb) {
    let v = open(t).await;
    let src = tempfile::tempdir().unwrap();
    let rows = known_rows();
    let path = write_csv(src.path(), &rows);
    // Simulate a run killed after 128 lines were committed: import those, leave the job running.
    let other = tempfile::tempdir().unwrap();
    let head = write_csv(other.path(), &rows[..128]);
    import(&v, &head).await;
    let first = import_file(
        &v.writer(&admin(), &RequestContext::default()).unwrap(),
        &path,
        &opts(),
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(first.created, 72);
    assert_eq!(first.unchanged, 128);
    custodian_db::sqlx::query("UPDATE vault_import_jobs SET status = 'running', lines_done = 128")
        .execute(t.db.pool())
        .await
        .unwrap();
    let resumed = import_file(
        &v.writer(&admin(), &RequestContext::default()).unwrap(),
        &path,
        &opts(),
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(resumed.resumed_from, 128);
    assert_eq!(resumed.created + resumed.updated + resumed.unchanged, 72);
}

/// Bulk resolution (the breach engine's path) answers per value, in order: duplicates and
/// unknown values included, across more values than one statement binds.
async fn resolve_answers_each_value_in_order(t: &TestDb) {
    let v = open(t).await;
    let rows = known_rows();
    import(&v, &write_csv(t.dir.path(), &rows)).await;
    let a = admin();
    let ctx = RequestContext::default();
    let s = v.searcher(&a, &ctx).unwrap();
    let mut values: Vec<String> = Vec::new();
    for i in 0..1_500usize {
        values.push(match i % 3 {
            0 => rows[i % rows.len()][1].replace('-', ""),
            1 => format!("9{i:08}"),
            _ => rows[(i * 7) % rows.len()][1].replace('-', ""),
        });
    }
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    let hits = s.resolve(Field::Ssn, &refs).await.unwrap();
    assert_eq!(hits.len(), values.len());
    let mut expected = std::collections::HashMap::new();
    for (n, (value, hit)) in values.iter().zip(&hits).enumerate() {
        if value.starts_with('9') {
            assert!(hit.is_none(), "unknown value {value} resolved");
            continue;
        }
        let ids = hit.as_ref().expect("known value resolves");
        assert_eq!(ids.len(), 1);
        if n % 25 == 0 {
            let single = s
                .find(&Lookup {
                    field: Field::Ssn,
                    normalized: value,
                })
                .await
                .unwrap();
            assert_eq!(
                single[0].row_id, ids[0],
                "resolve and find agree for {value}"
            );
        }
        // The same value always maps to the same person; different values to different people.
        if let Some(prev) = expected.insert(value.clone(), ids[0]) {
            assert_eq!(prev, ids[0]);
        }
    }
    let mut people: Vec<i64> = expected.values().copied().collect();
    people.sort_unstable();
    people.dedup();
    assert_eq!(people.len(), expected.len());
}

custodian_db::backend_tests!(
    resolve_answers_each_value_in_order,
    import_leaves_no_plaintext_at_rest,
    ciphertexts_are_bound_to_person_and_field,
    roles_without_reveal_never_get_full_values,
    shredding_destroys_key_material,
    reimport_is_idempotent_and_updates,
    a_person_repeated_across_batches_ends_with_the_last_row,
    an_import_leaves_its_tables_vacuumed_and_analyzed,
    bad_rows_are_named_and_do_not_stop_the_rest,
    import_resumes_from_the_last_committed_batch
);
