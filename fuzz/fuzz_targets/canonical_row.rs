//! A canonical CSV row's columns from arbitrary text: parsing never panics, and a record it
//! accepts holds no empty sensitive value.
#![no_main]

use custodian_vault::record::{COLUMNS, Field, parse_row};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let cells: Vec<&str> = text.split('\u{1f}').collect();
    let today = time::macros::date!(2026 - 11 - 23);
    let get = |c: &str| {
        COLUMNS
            .iter()
            .position(|k| *k == c)
            .and_then(|i| cells.get(i).copied())
    };
    if let Ok(r) = parse_row(1, get, today) {
        for f in Field::ALL {
            assert!(r.value(f).is_none_or(|v| !v.is_empty()), "{f} stored empty");
        }
    }
});
