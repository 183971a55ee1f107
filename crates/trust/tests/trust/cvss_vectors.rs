//! CVSS scores against the published vector files (tests/data/cvss, copied from Red Hat's Python
//! `cvss` test suite; see its README for the source and licence): every line must score exactly.

use std::path::Path;

fn tenths(s: &str) -> i64 {
    let s = s.trim().trim_end_matches(',');
    let (w, f) = s.split_once('.').unwrap_or_else(|| panic!("score {s}"));
    w.parse::<i64>().unwrap() * 10 + f.parse::<i64>().unwrap()
}

fn check_file(name: &str) -> usize {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/cvss")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut failures = Vec::new();
    let mut n = 0;
    for line in text.lines() {
        let (vector, expected) = line.split_once(" - ").unwrap();
        let expected: Vec<i64> = expected
            .trim_matches(|c| c == '(' || c == ')')
            .split(", ")
            .filter(|s| !s.is_empty() && *s != ",")
            .map(tenths)
            .collect();
        let got = custodian_trust::cvss::score(vector).unwrap_or_else(|e| panic!("{vector}: {e}"));
        let ok = match expected.as_slice() {
            [base, temporal, env] => {
                got.score == *base && got.score == *temporal && got.environmental == *env
            }
            [score] => got.score == *score,
            other => panic!("unexpected line {other:?}"),
        };
        if !ok {
            failures.push(format!(
                "{vector}: expected {expected:?}, got {} / {}",
                got.score, got.environmental
            ));
        }
        n += 1;
    }
    assert!(
        failures.is_empty(),
        "{name}: {} of {n} wrong, e.g.\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
    n
}

#[test]
fn cvss31_scores_equal_the_vector_file() {
    assert_eq!(check_file("vectors_simple31"), 2031);
}

#[test]
fn cvss40_scores_equal_the_vector_files() {
    let n: usize = [
        "vectors_simple4",
        "vectors_threat4",
        "vectors_security4",
        "vectors_supplemental4",
    ]
    .iter()
    .map(|f| check_file(f))
    .sum();
    assert_eq!(n, 819 + 5 + 46 + 460);
}
