//! Recall and precision of the PII pack per data element on the synthetic carrier's people
//! (`custodian-synth`), in the two shapes leaked customer data takes: a CSV export with a header
//! (like the carrier's billing and profile systems) and a headerless text dump of mixed
//! identifiers in several layouts, with lines of noise that look like numbers people hold
//! (order numbers, ticket ids, timestamps, ZIP codes, checksum-failing 15-digit serials).
//!
//! Truth is every person's values, normalized the way the pack reports them (digits, `+1` and
//! ten digits, ISO dates, lowercase words); a detected value counts for recall when it equals a
//! true value of the same element, and against precision when it is no true value of that
//! element. The table is printed for BENCHMARKS.md (`cargo test -p custodian-scan
//! content_synth -- --nocapture`); the asserted floors are what the pack meets now, so a rule
//! change that loses ground fails here.

#[cfg(test)]
mod content {
    use std::collections::{BTreeMap, BTreeSet};
    use std::fmt::Write as _;

    use custodian_scan::content::{Confidence, PiiKind, RuleSet, ScanOptions, Scanner};
    use custodian_synth::{CarrierConfig, SynthPerson, person};

    const PEOPLE: u64 = 3_000;

    fn digits(s: &str) -> String {
        s.chars().filter(char::is_ascii_digit).collect()
    }

    /// The person's values of `kinds`, as the pack normalizes them; empty fields left out.
    fn truth_of(p: &SynthPerson, kinds: &[PiiKind]) -> Vec<(PiiKind, String)> {
        kinds
            .iter()
            .map(|&k| {
                let v = match k {
                    PiiKind::FullName => format!("{} {}", p.first_name, p.last_name),
                    PiiKind::PostalAddress => {
                        p.street.split_whitespace().collect::<Vec<_>>().join(" ")
                    }
                    PiiKind::Ssn => digits(&p.ssn),
                    PiiKind::DateOfBirth => p.dob.clone(),
                    PiiKind::PhoneNumber if !p.phone.is_empty() => {
                        format!("+1{}", &digits(&p.phone)[1..])
                    }
                    PiiKind::Email => p.email.clone(),
                    PiiKind::Imei => p.imei.clone(),
                    PiiKind::Imsi => p.imsi.clone(),
                    // The pack reports licence numbers upper-case, the rest lower-case.
                    PiiKind::DriversLicense => {
                        return (k, p.dl_number.replace(['-', ' '], "").to_ascii_uppercase());
                    }
                    _ => String::new(),
                };
                (k, v.to_lowercase())
            })
            .filter(|(_, v)| !v.is_empty())
            .collect()
    }

    const CSV_KINDS: [PiiKind; 9] = [
        PiiKind::FullName,
        PiiKind::PostalAddress,
        PiiKind::DateOfBirth,
        PiiKind::Ssn,
        PiiKind::DriversLicense,
        PiiKind::PhoneNumber,
        PiiKind::Email,
        PiiKind::Imei,
        PiiKind::Imsi,
    ];

    /// `YYYY-MM-DD` as `MM/DD/YYYY`.
    fn us_date(iso: &str) -> String {
        let p: Vec<&str> = iso.split('-').collect();
        format!("{}/{}/{}", p[1], p[2], p[0])
    }

    /// `+1AAABBBCCCC` as `(AAA) BBB-CCCC`.
    fn us_phone(e164: &str) -> String {
        let d = &digits(e164)[1..];
        format!("({}) {}-{}", &d[..3], &d[3..6], &d[6..])
    }

    fn csv_export(people: &[SynthPerson]) -> (String, Vec<(PiiKind, String)>) {
        let truth = people
            .iter()
            .flat_map(|p| truth_of(p, &CSV_KINDS))
            .collect();
        let mut s = String::from(
            "name,street,city,state,zip,dob,ssn,dl_number,dl_state,phone,email,imei,imsi\n",
        );
        for p in people {
            writeln!(
                s,
                "{} {},{},{},{},{},{},{},{},{},{},{},{},{}",
                p.first_name,
                p.last_name,
                p.street,
                p.city,
                p.state,
                p.zip,
                p.dob,
                p.ssn,
                p.dl_number,
                p.dl_state,
                p.phone,
                p.email,
                p.imei,
                p.imsi
            )
            .unwrap();
        }
        (s, truth)
    }

    fn text_dump(people: &[SynthPerson]) -> (String, Vec<(PiiKind, String)>) {
        use PiiKind::*;
        let mut s = String::new();
        let mut truth = Vec::new();
        for (i, p) in people.iter().enumerate() {
            let name = format!("{} {}", p.first_name, p.last_name);
            let kinds: &[PiiKind] = match i % 3 {
                0 => &[FullName, Ssn, DateOfBirth, PhoneNumber, Email],
                1 => &[
                    FullName,
                    Ssn,
                    DateOfBirth,
                    PhoneNumber,
                    Imei,
                    Imsi,
                    DriversLicense,
                ],
                _ => &[FullName, Ssn, DateOfBirth, PhoneNumber, Email],
            };
            truth.extend(truth_of(p, kinds));
            match i % 3 {
                0 => writeln!(
                    s,
                    "{name} | {} | {} | {} | {}",
                    p.ssn,
                    p.dob,
                    if p.phone.is_empty() {
                        "-".into()
                    } else {
                        us_phone(&p.phone)
                    },
                    p.email
                ),
                1 => writeln!(
                    s,
                    "name=\"{name}\" ssn={} dob={} msisdn={} imei={} imsi={} dl={} dl_state={}",
                    digits(&p.ssn),
                    if p.dob.is_empty() {
                        String::new()
                    } else {
                        us_date(&p.dob)
                    },
                    digits(&p.phone),
                    p.imei,
                    p.imsi,
                    p.dl_number,
                    p.dl_state
                ),
                _ => writeln!(
                    s,
                    "{name}\tSSN {}\tDOB {}\tphone {}\temail {}",
                    p.ssn, p.dob, p.phone, p.email
                ),
            }
            .unwrap();
            // Noise: numbers that are not personal data.
            let n = i as u64;
            writeln!(
                s,
                "order {} ticket {} at 2021-08-{:02}T10:{:02}:00Z zip {} serial {:015}",
                100_000_000 + n * 7_919 % 900_000_000,
                4_000_000 + n,
                1 + n % 28,
                n % 60,
                10_000 + n * 37 % 89_999,
                // 15 digits that fail Luhn and carry no country code.
                123_456_789_012_340 + n * 10 + 1
            )
            .unwrap();
        }
        (s, truth)
    }

    #[derive(Default)]
    struct Tally {
        truth: BTreeSet<String>,
        detected: BTreeSet<String>,
    }

    fn measure(
        name: &str,
        (data, truth): (String, Vec<(PiiKind, String)>),
        people: usize,
    ) -> BTreeMap<PiiKind, (f64, f64)> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, &data).unwrap();
        let scanner = Scanner::new(
            RuleSet::pii().unwrap(),
            ScanOptions {
                // What `incident expose --files` keeps by default.
                min_confidence: Confidence::Medium,
                threads: 1,
                ..ScanOptions::default()
            },
        )
        .unwrap();
        let found = scanner.pii_values(&path);
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        let mut t: BTreeMap<PiiKind, Tally> = BTreeMap::new();
        for (k, v) in truth {
            t.entry(k).or_default().truth.insert(v);
        }
        for u in &found.units {
            for v in &u.values {
                t.entry(v.kind)
                    .or_default()
                    .detected
                    .insert(v.value.to_string());
            }
        }
        println!("\n{name}: {people} people\n");
        println!("| element | true values | detected | recall | precision |");
        println!("|---|---:|---:|---:|---:|");
        let mut out = BTreeMap::new();
        for (k, tally) in &t {
            let hits = tally.detected.intersection(&tally.truth).count() as f64;
            let recall = hits / tally.truth.len().max(1) as f64;
            let precision = if tally.detected.is_empty() {
                1.0
            } else {
                hits / tally.detected.len() as f64
            };
            println!(
                "| {k} | {} | {} | {:.1} % | {:.1} % |",
                tally.truth.len(),
                tally.detected.len(),
                100.0 * recall,
                100.0 * precision
            );
            out.insert(*k, (recall, precision));
            if std::env::var_os("CONTENT_SYNTH_VERBOSE").is_some() {
                let fp: Vec<_> = tally.detected.difference(&tally.truth).take(4).collect();
                let miss: Vec<_> = tally.truth.difference(&tally.detected).take(4).collect();
                println!("    {k}: false {fp:?} missed {miss:?}");
            }
        }
        out
    }

    fn population() -> Vec<SynthPerson> {
        let cfg = CarrierConfig {
            people: PEOPLE,
            ..CarrierConfig::default()
        };
        (0..PEOPLE).map(|i| person(&cfg, i)).collect()
    }

    fn floor(table: &BTreeMap<PiiKind, (f64, f64)>, k: PiiKind, recall: f64, precision: f64) {
        let (r, p) = table.get(&k).copied().unwrap_or((0.0, 0.0));
        assert!(
            r >= recall && p >= precision,
            "{k}: recall {r:.3} (floor {recall}), precision {p:.3} (floor {precision})"
        );
    }

    // Floors: what the pack measures now, rounded down. E-mail recall stays near 87 % because
    // the pack skips addresses at example.com (the placeholder of documentation and sample
    // code), a domain the synthetic carrier uses for a share of its customers; names and birth
    // dates in the text dump are found only where a label says what they are (the `|` layout
    // has none), which is the price of not reporting every capitalised pair or date.
    #[test]
    fn pii_pack_recall_and_precision_on_a_synthetic_csv_export() {
        use PiiKind::*;
        let people = population();
        let t = measure("export.csv", csv_export(&people), people.len());
        for k in [Ssn, PhoneNumber, Imei, Imsi, DateOfBirth, PostalAddress] {
            floor(&t, k, 0.99, 0.99);
        }
        floor(&t, FullName, 0.98, 0.99);
        floor(&t, DriversLicense, 0.95, 0.99);
        floor(&t, Email, 0.85, 0.99);
    }

    #[test]
    fn pii_pack_recall_and_precision_on_a_synthetic_text_dump() {
        use PiiKind::*;
        let people = population();
        let t = measure("dump.txt", text_dump(&people), people.len());
        for k in [Ssn, PhoneNumber, Imei, Imsi] {
            floor(&t, k, 0.99, 0.99);
        }
        floor(&t, DriversLicense, 0.95, 0.99);
        floor(&t, Email, 0.85, 0.99);
        floor(&t, DateOfBirth, 0.65, 0.99);
        floor(&t, FullName, 0.30, 0.99);
    }
}
