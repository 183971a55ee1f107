//! Severity from CVSS vectors. Scoring is the RustSec `cvss` crate's, which implements CVSS 3.0,
//! 3.1 and 4.0 (MacroVector table and interpolation); this module parses, refuses anything else,
//! and turns scores into exact tenths so that comparisons never depend on float noise.

use crate::error::TrustError;
use crate::types::Severity;

/// The longest vector accepted (a full CVSS 4.0 vector with every metric is ~200 bytes).
pub const MAX_VECTOR_LEN: usize = 400;

/// Scores of a CVSS vector, in tenths of a point (0..=100).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scored {
    /// The vector as given (trimmed).
    pub vector: String,
    /// `3.1`, `3.0` or `4.0`.
    pub version: &'static str,
    /// The score the specification names: the base score for 3.x, the single CVSS-B/BT/BE/BTE
    /// score for 4.0.
    pub score: i64,
    /// CVSS 3.x environmental score (with the vector's environmental metrics, Not Defined when
    /// absent); equal to `score` for 4.0.
    pub environmental: i64,
    /// The qualitative rating of `score`.
    pub severity: Severity,
}

fn tenths(x: f64) -> i64 {
    (x * 10.0).round() as i64
}

/// Parses and scores a CVSS 3.0, 3.1 or 4.0 vector.
pub fn score(vector: &str) -> Result<Scored, TrustError> {
    let v = vector.trim();
    if v.len() > MAX_VECTOR_LEN {
        return Err(TrustError::invalid("cvss", "the vector is too long"));
    }
    let bad = |e: &dyn std::fmt::Display| {
        TrustError::invalid("cvss", format!("not a valid CVSS vector: {e}"))
    };
    let required: &[&str] = if v.starts_with("CVSS:4.0/") {
        &[
            "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA",
        ]
    } else {
        &["AV", "AC", "PR", "UI", "S", "C", "I", "A"]
    };
    let mut seen: Vec<&str> = Vec::new();
    for part in v.split('/').skip(1) {
        let key = part.split(':').next().unwrap_or("");
        if seen.contains(&key) {
            return Err(TrustError::invalid(
                "cvss",
                format!("metric {key} appears more than once"),
            ));
        }
        seen.push(key);
    }
    if let Some(missing) = required.iter().find(|m| !seen.contains(m)) {
        return Err(TrustError::invalid(
            "cvss",
            format!("the base metric {missing} is missing"),
        ));
    }
    let (version, score, environmental) = if v.starts_with("CVSS:4.0/") {
        let parsed: cvss::v4::Vector = v.parse().map_err(|e| bad(&e))?;
        let s = tenths(parsed.score().value());
        ("4.0", s, s)
    } else if v.starts_with("CVSS:3.1/") || v.starts_with("CVSS:3.0/") {
        let parsed: cvss::v3::Vector = v.parse().map_err(|e| bad(&e))?;
        let version = if v.starts_with("CVSS:3.1/") {
            "3.1"
        } else {
            "3.0"
        };
        (
            version,
            tenths(parsed.base_score().value()),
            tenths(parsed.environmental_score().value()),
        )
    } else {
        return Err(TrustError::invalid(
            "cvss",
            "only CVSS:3.0, CVSS:3.1 and CVSS:4.0 vectors are accepted",
        ));
    };
    Ok(Scored {
        vector: v.to_owned(),
        version,
        score,
        environmental,
        severity: Severity::from_tenths(score),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_known_vectors() {
        let s =
            score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((s.score, s.severity), (98, Severity::Critical));
        let s = score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.score, 93);
    }

    #[test]
    fn malformed_vectors_are_refused() {
        for bad in [
            "",
            "CVSS:3.1/AV:N",
            "CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:2.0/AV:N",
            "AV:N/AC:L/Au:N/C:C/I:C/A:C",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/SA:N",
            "<script>alert(1)</script>",
        ] {
            assert!(score(bad).is_err(), "{bad:?} accepted");
        }
    }
}
