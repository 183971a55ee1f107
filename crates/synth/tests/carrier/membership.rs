//! Each system file holds exactly the people its rule names, with exactly the columns
//! `systems.toml` declares, and values equal to the canonical record's.
//!
//! The rules, the expected columns and the column-to-element map are restated here from the
//! crate's documentation rather than taken from its code; membership is recomputed from
//! `people.csv` alone, and network rows are resolved by phone, IMEI and IMSI the way a
//! consumer would.

use std::collections::{HashMap, HashSet};

use custodian_synth::{read_scenario, read_systems};

use crate::validators::{is_valid_imei, is_valid_imsi, is_valid_phone};
use crate::{Table, fixture};

/// Who belongs in each system, from the account kind and whether an SSN is on file.
fn rule(system: &str, kind: &str, has_ssn: bool) -> bool {
    match system {
        "billing" => kind == "postpaid" && has_ssn,
        "customer_profiles" | "network" => kind == "postpaid",
        "credit_applications" => (kind == "former" || kind == "prospective") && has_ssn,
        "legacy_former" => kind == "former" && !has_ssn,
        "prepaid" => kind == "prepaid",
        other => panic!("unexpected system {other}"),
    }
}

/// The documented columns of each system.
fn documented_columns(system: &str) -> &'static str {
    match system {
        "billing" | "credit_applications" => {
            "external_id,first_name,last_name,street,city,state,zip,dob,ssn,dl_number,dl_state"
        }
        "customer_profiles" => {
            "external_id,first_name,last_name,street,city,state,zip,dob,phone,email,imei,imsi"
        }
        "legacy_former" => "first_name,last_name,street,city,state,zip,dob,phone",
        "prepaid" => "external_id,first_name,last_name,phone,pin",
        "network" => "phone,imei,imsi",
        other => panic!("unexpected system {other}"),
    }
}

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

#[test]
fn systems_hold_exactly_the_people_their_rules_name() {
    let dir = fixture();
    let people = Table::read(&dir.join("people.csv"));
    let specs = read_systems(dir).unwrap();
    let scenario = read_scenario(dir).unwrap();

    let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "billing",
            "customer_profiles",
            "credit_applications",
            "legacy_former",
            "prepaid",
            "network"
        ]
    );
    assert_eq!(
        scenario.exposed_systems, names,
        "the default scenario exposes every system"
    );
    assert_eq!(scenario.dates.detected.to_string(), "2025-08-15");

    // Lookups a consumer would build from the canonical record.
    let by_column = |column: &str| -> HashMap<String, usize> {
        people
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| !people.get(r, column).is_empty())
            .map(|(i, r)| (people.get(r, column).to_owned(), i))
            .collect()
    };
    let by_id = by_column("external_id");
    let by_phone = by_column("phone");
    let by_imei = by_column("imei");
    let by_imsi = by_column("imsi");

    for spec in &specs {
        let name = spec.name.as_str();
        let table = Table::read(&dir.join(&spec.file));
        assert_eq!(
            table.headers.join(","),
            documented_columns(name),
            "{name} header"
        );
        assert_eq!(spec.columns, table.headers, "{name}: systems.toml columns");
        let mut elements: Vec<&str> = table.headers.iter().filter_map(|c| element_of(c)).collect();
        elements.dedup();
        let declared: HashSet<&str> = spec.elements.iter().map(String::as_str).collect();
        assert_eq!(declared, elements.into_iter().collect(), "{name}: elements");
        assert_eq!(spec.rows, table.rows.len() as u64, "{name}: row count");

        let expected: HashSet<usize> = people
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                rule(
                    name,
                    people.get(r, "account_kind"),
                    !people.get(r, "ssn").is_empty(),
                )
            })
            .map(|(i, _)| i)
            .collect();
        let mut found = HashSet::new();
        let mut unlinked = HashSet::new();
        for (line, row) in table.rows.iter().enumerate() {
            let at = format!("{} line {}", spec.file, line + 2);
            let resolved = if table.has("external_id") {
                Some(by_id[table.get(row, "external_id")])
            } else if name == "legacy_former" {
                Some(by_phone[table.get(row, "phone")])
            } else {
                // Network rows: every identifier must point at the same person, or none.
                let hits: Vec<Option<usize>> =
                    [("phone", &by_phone), ("imei", &by_imei), ("imsi", &by_imsi)]
                        .iter()
                        .map(|(c, map)| map.get(table.get(row, c)).copied())
                        .collect();
                if hits.iter().all(Option::is_none) {
                    assert!(is_valid_imei(table.get(row, "imei")), "{at}");
                    assert!(is_valid_imsi(table.get(row, "imsi")), "{at}");
                    let phone = table.get(row, "phone");
                    assert!(phone.is_empty() || is_valid_phone(phone), "{at}");
                    assert!(
                        unlinked.insert(row.iter().collect::<Vec<_>>().join(",")),
                        "{at}: repeated"
                    );
                    None
                } else {
                    assert!(
                        hits.iter().all(|h| *h == hits[1]),
                        "{at}: identifiers of different people"
                    );
                    hits[1]
                }
            };
            let Some(index) = resolved else { continue };
            assert!(found.insert(index), "{at}: person {index} twice");
            let person = &people.rows[index];
            for column in &table.headers {
                assert_eq!(
                    table.get(row, column),
                    people.get(person, column),
                    "{at}: {column}"
                );
            }
        }
        assert!(
            found == expected,
            "{name}: {} rows resolve, {} expected",
            found.len(),
            expected.len()
        );
        assert_eq!(
            spec.unlinked_rows,
            unlinked.len() as u64,
            "{name}: unlinked rows"
        );
        if name == "network" {
            let share = unlinked.len() as f64 / table.rows.len() as f64;
            assert!((0.09..0.11).contains(&share), "unlinked share {share}");
        } else {
            assert!(unlinked.is_empty());
        }
    }
}
