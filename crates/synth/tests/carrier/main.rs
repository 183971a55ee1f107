//! Integration tests of the synthetic carrier, run against the files `write_carrier` writes:
//! validity and uniqueness of every identifier, kind proportions, determinism across seeds and
//! thread counts, and (in `membership`) that each system file holds exactly the people its
//! documented rule names, with the columns `systems.toml` declares.

// Helpers outside `#[test]` functions panic on purpose: a failed read is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod membership;
mod validators;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use custodian_synth::{
    CarrierConfig, KindMix, MAX_PEOPLE, SynthError, person, unlinked_network_row, write_carrier,
};
use validators::*;

/// People in the shared fixture.
const FIXTURE_PEOPLE: u64 = 200_000;
/// The default configuration's reference day.
const AS_OF: (i32, u32, u32) = (2025, 8, 15);

/// A 200,000-person carrier with the default configuration, written once per test run under
/// the target directory.
pub(crate) fn fixture() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("synth-carrier-200k");
        let cfg = CarrierConfig {
            people: FIXTURE_PEOPLE,
            ..CarrierConfig::default()
        };
        write_carrier(&cfg, &dir, &|_| {}).unwrap();
        dir
    })
}

/// A CSV file read whole, with access to fields by header name.
pub(crate) struct Table {
    pub(crate) headers: Vec<String>,
    pub(crate) rows: Vec<csv::StringRecord>,
    index: HashMap<String, usize>,
}

impl Table {
    pub(crate) fn read(path: &Path) -> Table {
        let mut reader = csv::Reader::from_path(path).unwrap();
        let headers: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        let rows = reader.records().map(Result::unwrap).collect();
        let index = headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        Table {
            headers,
            rows,
            index,
        }
    }

    pub(crate) fn has(&self, column: &str) -> bool {
        self.index.contains_key(column)
    }

    pub(crate) fn get<'r>(&self, row: &'r csv::StringRecord, column: &str) -> &'r str {
        &row[self.index[column]]
    }
}

#[test]
fn every_identifier_in_200k_people_is_valid_and_unique() {
    let people = Table::read(&fixture().join("people.csv"));
    assert_eq!(people.rows.len() as u64, FIXTURE_PEOPLE);
    let mut seen: HashMap<&str, HashSet<String>> = HashMap::new();
    let mut states: HashMap<String, u64> = HashMap::new();
    let mut area_state: HashMap<String, String> = HashMap::new();
    let mut minors = 0;
    for (i, row) in people.rows.iter().enumerate() {
        let f = |c: &str| people.get(row, c);
        assert_eq!(f("external_id"), format!("C{i:09}"));
        let kind = f("account_kind");
        let context = format!("row {i} ({kind})");
        let present = |c: &str| !f(c).is_empty();
        assert!(
            present("first_name") && present("last_name") && present("state"),
            "{context}"
        );
        *states.entry(f("state").to_owned()).or_default() += 1;
        // Who has what, as the crate documents it.
        let (address, dob, device, pin) = match kind {
            "postpaid" => (true, true, true, true),
            "prepaid" => (false, false, false, true),
            "former" | "prospective" => (true, true, false, false),
            other => panic!("{context}: unknown kind {other}"),
        };
        for c in ["street", "city", "zip"] {
            assert_eq!(present(c), address, "{context}: {c}");
        }
        assert_eq!(present("dob"), dob, "{context}");
        assert_eq!(present("imei"), device, "{context}");
        assert_eq!(present("imsi"), device, "{context}");
        assert_eq!(present("pin"), pin, "{context}");
        assert_eq!(present("dl_number"), present("ssn"), "{context}");
        assert_eq!(present("dl_state"), present("ssn"), "{context}");
        if kind == "prospective" {
            assert!(present("ssn"), "{context}: an applicant without an SSN");
        }
        if kind == "prepaid" {
            assert!(!present("ssn") && !present("email"), "{context}");
        }
        if kind != "prospective" {
            assert!(present("phone"), "{context}");
        }
        if address {
            assert!(
                is_valid_zip(f("zip"), f("state")),
                "{context}: zip {} in {}",
                f("zip"),
                f("state")
            );
        }
        if dob {
            let age =
                age_on(f("dob"), AS_OF).unwrap_or_else(|| panic!("{context}: dob {}", f("dob")));
            assert!((13..=95).contains(&age), "{context}: age {age}");
            if age < 18 {
                minors += 1;
                assert_eq!(
                    kind, "postpaid",
                    "{context}: only postpaid lines have minors"
                );
                assert!(!present("ssn"), "{context}: a minor with an SSN on file");
            }
        }
        if present("ssn") {
            assert!(is_valid_ssn(f("ssn")), "{context}: ssn {}", f("ssn"));
            assert!(
                is_valid_dl(f("dl_number"), f("dl_state"), f("last_name")),
                "{context}: licence {} from {}",
                f("dl_number"),
                f("dl_state")
            );
            assert!(
                !zip3_ranges(f("dl_state")).is_empty(),
                "{context}: dl_state {}",
                f("dl_state")
            );
        }
        if present("phone") {
            let phone = f("phone");
            assert!(is_valid_phone(phone), "{context}: phone {phone}");
            let area = phone[2..5].to_owned();
            if let Some(code) = single_area_code(f("state")) {
                assert_eq!(area, code, "{context}: area code of {}", f("state"));
            }
            let owner = area_state
                .entry(area)
                .or_insert_with(|| f("state").to_owned());
            assert_eq!(owner, f("state"), "{context}: one area code in two states");
        }
        if present("email") {
            assert!(
                is_valid_email(f("email")),
                "{context}: email {}",
                f("email")
            );
        }
        if device {
            assert!(is_valid_imei(f("imei")), "{context}: imei {}", f("imei"));
            assert!(is_valid_imsi(f("imsi")), "{context}: imsi {}", f("imsi"));
        }
        if pin {
            assert!(is_digits(f("pin"), 6), "{context}: pin");
        }
        for c in ["external_id", "ssn", "phone", "email", "imei", "imsi"] {
            if present(c) {
                let fresh = seen.entry(c).or_default().insert(f(c).to_owned());
                assert!(fresh, "{context}: duplicate {c} {}", f(c));
            }
        }
        if present("dl_number") {
            let key = format!("{}:{}", f("dl_state"), f("dl_number"));
            assert!(
                seen.entry("dl").or_default().insert(key),
                "{context}: duplicate licence"
            );
        }
    }
    assert!(minors > 100, "only {minors} minors");
    assert_eq!(states.len(), 51, "states seen: {states:?}");
    let share = |s: &str| states[s] as f64 / FIXTURE_PEOPLE as f64;
    // 2020 census: CA 11.9%, TX 8.8%, WY 0.17% of the population.
    assert!((0.105..0.133).contains(&share("CA")), "CA {}", share("CA"));
    assert!((0.077..0.099).contains(&share("TX")), "TX {}", share("TX"));
    assert!(share("WY") < 0.004, "WY {}", share("WY"));
}

#[test]
fn kind_proportions_follow_the_mix() {
    let people = Table::read(&fixture().join("people.csv"));
    let n = people.rows.len() as f64;
    let mix = KindMix::default();
    let mut count: HashMap<&str, f64> = HashMap::new();
    let mut with_ssn: HashMap<&str, f64> = HashMap::new();
    let mut with_email = 0.0;
    for row in &people.rows {
        let kind = people.get(row, "account_kind");
        let kind = ["postpaid", "prepaid", "former", "prospective"]
            .into_iter()
            .find(|k| *k == kind)
            .unwrap();
        *count.entry(kind).or_default() += 1.0;
        if !people.get(row, "ssn").is_empty() {
            *with_ssn.entry(kind).or_default() += 1.0;
        }
        if !people.get(row, "email").is_empty() {
            with_email += 1.0;
        }
    }
    let total = mix.total();
    for (kind, weight) in [
        ("postpaid", mix.postpaid),
        ("prepaid", mix.prepaid),
        ("former", mix.former),
        ("prospective", mix.prospective),
    ] {
        let got = count[kind] / n;
        let want = weight / total;
        assert!((got - want).abs() < 0.006, "{kind}: {got:.4} vs {want:.4}");
    }
    // Defaults: 62% of adult postpaid (96%) have an SSN; 2.8% of former do not.
    let postpaid_ssn = with_ssn["postpaid"] / count["postpaid"];
    assert!(
        (postpaid_ssn - 0.62 * 0.96).abs() < 0.02,
        "postpaid with ssn {postpaid_ssn:.4}"
    );
    let former_no_ssn = 1.0 - with_ssn["former"] / count["former"];
    assert!(
        (former_no_ssn - 0.028).abs() < 0.005,
        "former without ssn {former_no_ssn:.4}"
    );
    let email = with_email / (n - count["prepaid"]);
    assert!((email - 0.85).abs() < 0.01, "email {email:.4}");
}

#[test]
fn a_custom_mix_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let mix = KindMix {
        postpaid: 1.0,
        prepaid: 0.0,
        former: 1.0,
        prospective: 0.0,
    };
    let cfg = CarrierConfig {
        people: 4_000,
        seed: 5,
        mix,
        ..CarrierConfig::default()
    };
    let summary = write_carrier(&cfg, dir.path(), &|_| {}).unwrap();
    assert_eq!(summary.kinds.prepaid + summary.kinds.prospective, 0);
    assert_eq!(summary.kinds.postpaid + summary.kinds.former, 4_000);
    let half = summary.kinds.postpaid as f64 / 4_000.0;
    assert!((half - 0.5).abs() < 0.03, "{half}");
    let prepaid = Table::read(&dir.path().join("prepaid.csv"));
    assert!(prepaid.rows.is_empty());
}

fn write_with_threads(cfg: &CarrierConfig, threads: usize, dir: &Path) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| write_carrier(cfg, dir, &|_| {})).unwrap();
}

fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().into_string().unwrap(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn same_seed_gives_identical_files_whatever_the_thread_count() {
    // Not a multiple of the chunk size, and more than one batch on one thread.
    let cfg = CarrierConfig {
        people: 37_123,
        seed: 77,
        ..CarrierConfig::default()
    };
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    write_with_threads(&cfg, 1, a.path());
    write_with_threads(&cfg, 2, b.path());
    write_with_threads(&cfg, 3, c.path());
    let first = files_of(a.path());
    assert_eq!(
        first.len(),
        9,
        "{:?}",
        first.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert!(first == files_of(b.path()), "1 and 2 threads differ");
    assert!(first == files_of(c.path()), "1 and 3 threads differ");

    // The streamed rows are the pure function's people.
    let people = Table::read(&a.path().join("people.csv"));
    for index in [0, 1, 4_095, 4_096, 20_000, 37_122] {
        let p = person(&cfg, index);
        let row = &people.rows[index as usize];
        let got: Vec<&str> = row.iter().collect();
        let want = [
            p.external_id.as_str(),
            p.account_kind.as_str(),
            p.first_name,
            p.last_name,
            &p.street,
            p.city,
            p.state,
            &p.zip,
            &p.dob,
            &p.ssn,
            &p.dl_number,
            p.dl_state,
            &p.phone,
            &p.email,
            &p.imei,
            &p.imsi,
            &p.pin,
        ];
        assert_eq!(got, want, "person {index}");
    }

    // Another seed: other people.
    let other = CarrierConfig { seed: 78, ..cfg };
    let d = tempfile::tempdir().unwrap();
    write_with_threads(&other, 2, d.path());
    let people2 = Table::read(&d.path().join("people.csv"));
    let same = people
        .rows
        .iter()
        .zip(&people2.rows)
        .filter(|(x, y)| {
            x.iter().skip(2).collect::<Vec<_>>() == y.iter().skip(2).collect::<Vec<_>>()
        })
        .count();
    assert_eq!(same, 0, "rows identical across seeds");
    let same_phone = people
        .rows
        .iter()
        .zip(&people2.rows)
        .filter(|(x, y)| !x[12].is_empty() && x[12] == y[12])
        .count();
    assert!(same_phone < 5, "{same_phone} phones shared across seeds");
}

#[test]
fn identifiers_stay_unique_and_valid_up_to_max_people() {
    let cfg = CarrierConfig::default();
    let indexes = (0..4_000)
        .chain(MAX_PEOPLE / 2..MAX_PEOPLE / 2 + 2_000)
        .chain(MAX_PEOPLE - 4_000..MAX_PEOPLE);
    let mut seen: HashMap<&str, HashSet<String>> = HashMap::new();
    let mut insert = |what: &'static str, value: &str| {
        if !value.is_empty() {
            assert!(
                seen.entry(what).or_default().insert(value.to_owned()),
                "duplicate {what} {value}"
            );
        }
    };
    for index in indexes {
        let p = person(&cfg, index);
        assert!(p.ssn.is_empty() || is_valid_ssn(&p.ssn), "{}", p.ssn);
        assert!(p.imei.is_empty() || is_valid_imei(&p.imei), "{}", p.imei);
        assert!(
            p.email.is_empty() || is_valid_email(&p.email),
            "{}",
            p.email
        );
        assert!(
            is_valid_phone(&p.phone) || p.phone.is_empty(),
            "{}",
            p.phone
        );
        insert("ssn", &p.ssn);
        insert("phone", &p.phone);
        insert("imei", &p.imei);
        insert("imsi", &p.imsi);
        insert("email", &p.email);
        insert("dl", &format!("{}{}", p.dl_state, p.dl_number));
    }
    // Unlinked network rows count down from the top of each domain: never a person's.
    for j in 0..4_000 {
        let row = unlinked_network_row(&cfg, j);
        assert!(
            is_valid_imei(&row.imei) && is_valid_imsi(&row.imsi),
            "{row:?}"
        );
        insert("phone", &row.phone);
        insert("imei", &row.imei);
        insert("imsi", &row.imsi);
    }
}

#[test]
fn progress_counts_up_to_the_population() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = CarrierConfig {
        people: 70_001,
        seed: 3,
        ..CarrierConfig::default()
    };
    let calls = Mutex::new(Vec::new());
    let summary = write_carrier(&cfg, dir.path(), &|n| calls.lock().unwrap().push(n)).unwrap();
    let calls = calls.into_inner().unwrap();
    assert!(calls.len() >= 2, "{calls:?}");
    assert!(calls.windows(2).all(|w| w[0] < w[1]), "{calls:?}");
    assert_eq!(calls.last(), Some(&70_001));
    assert_eq!(summary.people, 70_001);
    assert_eq!(summary.files.len(), 9);
    let on_disk: u64 = summary
        .files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "csv"))
        .map(|f| std::fs::metadata(f).unwrap().len())
        .sum();
    assert_eq!(on_disk, summary.csv_bytes);
}

#[test]
fn errors_name_the_problem_and_touch_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let out = blocker.join("carrier");
    let cfg = CarrierConfig {
        people: 10,
        ..CarrierConfig::default()
    };
    match write_carrier(&cfg, &out, &|_| {}) {
        Err(SynthError::Io { path, .. }) => assert!(path.starts_with(&blocker), "{path:?}"),
        other => panic!("{other:?}"),
    }
    let bad = CarrierConfig {
        email_share: 2.0,
        ..cfg
    };
    let target = dir.path().join("never-created");
    assert!(matches!(
        write_carrier(&bad, &target, &|_| {}),
        Err(SynthError::InvalidConfig {
            field: "email_share",
            ..
        })
    ));
    assert!(!target.exists());
}

#[test]
fn every_source_file_opens_with_a_module_doc() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stack = vec![root.join("src"), root.join("tests"), root.join("examples")];
    let mut checked = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    text.starts_with("//!"),
                    "{} lacks a //! paragraph",
                    path.display()
                );
                assert!(
                    text.lines().count() <= 650,
                    "{} is too long",
                    path.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "{checked}");
}
