//! Tokenized export: the output holds no real value of any imported person in any common
//! encoding, every token is valid for its type (the import parser accepts the file), the same
//! named key gives the same tokens and another key different ones, shredded people are left
//! out, each page is one access-log entry, and one undecryptable person does not fail the rest.
//! Every test runs on both backends.

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::ops_common::{Known, admin, ctx, import, known, log_entries, open, principal};
use custodian_db::testing::TestDb;
use custodian_vault::export::{ExportKey, ExportKeyName, ExportOptions, ExternalIds};
use custodian_vault::record::{COLUMNS, parse_row};
use custodian_vault::{Field, PersonRef, Vault};

async fn export(
    v: &Vault,
    opts: &ExportOptions,
) -> (String, custodian_vault::export::ExportReport) {
    let (p, c) = (admin(), ctx());
    let mut out = Vec::new();
    let report = v
        .exporter(&p, &c)
        .unwrap()
        .write_csv(&mut out, opts, &|_| {})
        .await
        .unwrap();
    (String::from_utf8(out).unwrap(), report)
}

fn named(name: &str) -> ExportOptions {
    ExportOptions {
        key: ExportKey::Named(ExportKeyName::parse(name).unwrap()),
        ..ExportOptions::default()
    }
}

/// The data rows of an exported CSV, each as its cells.
fn rows(csv_text: &str) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    assert_eq!(
        r.headers().unwrap().iter().collect::<Vec<_>>(),
        COLUMNS.to_vec()
    );
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Every encoding of a value to look for: lowercase as given, digits only, dashed SSN form.
fn encodings(v: &str) -> Vec<String> {
    let mut out = vec![v.to_lowercase()];
    let d = digits(v);
    if d.len() >= 9 {
        out.push(d.clone());
    }
    if d.len() == 9 {
        out.push(format!("{}-{}-{}", &d[..3], &d[3..5], &d[5..]));
    }
    out
}

async fn tokenized_export_holds_no_real_value(t: &TestDb) {
    let (v, _clock) = open(t).await;
    let people = known(200);
    import(&v, &people).await;
    let (p, c) = (admin(), ctx());
    v.shredder(&p, &c)
        .unwrap()
        .shred(&PersonRef::External("K00005".into()), "test")
        .await
        .unwrap();
    let opts = ExportOptions {
        page_size: 64,
        ..ExportOptions::default()
    };
    let (text, report) = export(&v, &opts).await;
    assert_eq!((report.exported, report.skipped_shredded), (199, 1));
    assert_eq!(report.failed, 0, "{:?}", report.first_failures);
    assert_eq!(report.pages, 4);
    assert_eq!(
        log_entries(t, "export").await,
        4,
        "one access-log entry per page"
    );

    // High-entropy values (and every name, street, city, e-mail and external id) must not occur
    // anywhere in the file, in any encoding.
    let hay = text.to_lowercase();
    let mut hits = Vec::new();
    for k in &people {
        let global = [
            &k.external_id,
            &k.first,
            &k.last,
            &k.street,
            &k.city,
            &k.ssn,
            &k.phone,
            &k.email,
            &k.imei,
            &k.imsi,
        ];
        for value in global {
            for enc in encodings(value) {
                if hay.contains(&enc) {
                    hits.push(format!("{} ({enc})", k.external_id));
                }
            }
        }
    }
    // Format-preserving tokens (a phone's seven digits after the area code, ...) live in the same
    // space as the real values, so a token can equal another person's real value by chance
    // (under 1 % of runs with these 200 people); that links nothing. A leak would show nearly
    // every person's values, and each person's own row is checked exactly below.
    assert!(hits.len() <= 2, "real values in the export: {hits:?}");
    // Low-entropy values (a date of birth, a 7-digit licence number) may collide with another
    // person's token by chance, which links nothing; each person's own row must not hold them.
    // Rows come out in import order, K00005 left out.
    let data = rows(&text);
    let kept: Vec<&Known> = people
        .iter()
        .filter(|k| k.external_id != "K00005")
        .collect();
    assert_eq!(data.len(), kept.len());
    for (row, k) in data.iter().zip(&kept) {
        let own = row.join(",").to_lowercase();
        for value in [
            &k.first, &k.last, &k.street, &k.city, &k.ssn, &k.phone, &k.email, &k.imei, &k.imsi,
        ] {
            for enc in encodings(value) {
                assert!(
                    !own.contains(&enc),
                    "{}'s own row holds {enc}",
                    k.external_id
                );
            }
        }
        assert_ne!(row[8], k.dob, "dob of {}", k.external_id);
        assert!(
            !row.join(",").contains(&digits(&k.dl)),
            "licence of {}",
            k.external_id
        );
        assert_eq!(
            (row[1].as_str(), row[6].as_str(), row[11].as_str()),
            (k.kind, "TX", "TX")
        );
        assert!(
            row[0].starts_with('T') && row[0].len() == 33,
            "tokenized external id"
        );
        assert!(row[16].is_empty(), "no PIN is ever exported");
    }
    assert_tokens_are_valid(&text);
}

/// Every exported row parses as a canonical record: SSNs follow the SSA rules, IMEIs pass Luhn,
/// phones are NANP, dates of birth are real dates in the past.
fn assert_tokens_are_valid(text: &str) {
    let today = time::Date::from_calendar_date(2026, time::Month::November, 23).unwrap();
    for (i, row) in rows(text).iter().enumerate() {
        let rec = parse_row(
            i as u64 + 2,
            |c| {
                COLUMNS
                    .iter()
                    .position(|h| *h == c)
                    .map(|j| row[j].as_str())
            },
            today,
        )
        .unwrap_or_else(|e| panic!("exported row is not a valid record: {e}"));
        for f in Field::ALL {
            assert!(rec.value(f).is_some(), "{f} was dropped");
        }
        assert_eq!(rec.value(Field::Ssn).unwrap().len(), 9);
        assert!(rec.value(Field::Phone).unwrap().starts_with("+1512"));
        assert!(rec.value(Field::Imsi).unwrap().starts_with("310260"));
        assert!(
            rec.value(Field::Email)
                .unwrap()
                .ends_with("@example.invalid")
        );
    }
}

async fn named_keys_give_the_same_tokens_and_other_keys_do_not(t: &TestDb) {
    let (v, _clock) = open(t).await;
    import(&v, &known(40)).await;
    let (qa1, _) = export(&v, &named("qa")).await;
    let (qa2, _) = export(&v, &named("qa")).await;
    assert_eq!(qa1, qa2, "the same named key gives the same tokens");
    let (staging, _) = export(&v, &named("staging")).await;
    let (fresh1, _) = export(&v, &ExportOptions::default()).await;
    let (fresh2, _) = export(&v, &ExportOptions::default()).await;
    let qa = rows(&qa1);
    for other in [&staging, &fresh1, &fresh2] {
        let o = rows(other);
        for (a, b) in qa.iter().zip(&o) {
            for col in [0, 9, 12, 13, 14, 15] {
                assert_ne!(a[col], b[col], "column {} shared across keys", COLUMNS[col]);
            }
        }
    }
    assert_ne!(fresh1, fresh2, "two fresh keys give unlinkable exports");
    // Keeping external ids changes only that column.
    let keep = ExportOptions {
        external_ids: ExternalIds::Keep,
        ..named("qa")
    };
    let (kept, _) = export(&v, &keep).await;
    for (i, (a, b)) in qa.iter().zip(rows(&kept)).enumerate() {
        assert_eq!(b[0], format!("K{i:05}"));
        assert_eq!(a[1..], b[1..]);
    }
}

async fn one_broken_person_does_not_fail_the_page(t: &TestDb) {
    let (v, _clock) = open(t).await;
    import(&v, &known(10)).await;
    // K00003's SSN ciphertext replaced by K00004's: bound to another person, it cannot open.
    custodian_db::sqlx::query(
        "UPDATE vault_people SET ssn = (SELECT ssn FROM vault_people WHERE external_id = 'K00004') \
         WHERE external_id = 'K00003'",
    )
    .execute(t.db.pool())
    .await
    .unwrap();
    let (p, c) = (admin(), ctx());
    let exporter = v.exporter(&p, &c).unwrap();
    let mut run = exporter.tokenized(&ExportOptions::default()).unwrap();
    let page = run.next_page().await.unwrap().unwrap();
    assert_eq!(page.len(), 10);
    let failed: Vec<_> = page.iter().filter(|i| i.outcome.is_err()).collect();
    assert_eq!(failed.len(), 1);
    let reason = failed[0].outcome.as_ref().unwrap_err();
    assert!(reason.starts_with("ssn:"), "{reason}");
    assert!(run.next_page().await.unwrap().is_none());
    // Exporting needs people.export.
    let agent = principal("care", "agent", "people.read people.search");
    assert!(v.exporter(&agent, &c).is_err());
}

custodian_db::backend_tests!(
    tokenized_export_holds_no_real_value,
    named_keys_give_the_same_tokens_and_other_keys_do_not,
    one_broken_person_does_not_fail_the_page
);
