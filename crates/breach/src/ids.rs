//! Identifiers of the breach engine's records, parsed once at the edge: incident and exposure
//! ids, impact version numbers, and dataset names.

use std::fmt;
use std::str::FromStr;

use crate::error::BreachError;

/// The id of an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IncidentId(pub i64);

impl fmt::Display for IncidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for IncidentId {
    type Err = BreachError;

    /// Accepts `12` or `INC-12`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let digits = t
            .strip_prefix("INC-")
            .or_else(|| t.strip_prefix("inc-"))
            .unwrap_or(t);
        digits
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(IncidentId)
            .ok_or_else(|| BreachError::invalid("incident", "must be a positive number such as 12"))
    }
}

/// The id of an exposure of an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExposureId(pub i64);

impl fmt::Display for ExposureId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The name of a dataset (one of the company's systems): 1-64 of `a-z`, `0-9`, `_`, `-`, `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DatasetName(String);

impl DatasetName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DatasetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl FromStr for DatasetName {
    type Err = BreachError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        let ok = !t.is_empty()
            && t.len() <= 64
            && t.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.')
            });
        if ok {
            Ok(DatasetName(t.to_owned()))
        } else {
            Err(BreachError::invalid(
                "dataset",
                "name must be 1-64 of a-z, 0-9, `_`, `-`, `.`",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_parse() {
        assert_eq!("INC-12".parse::<IncidentId>().unwrap(), IncidentId(12));
        assert_eq!(" 7 ".parse::<IncidentId>().unwrap(), IncidentId(7));
        assert!("0".parse::<IncidentId>().is_err());
        assert!("x".parse::<IncidentId>().is_err());
        assert_eq!(
            "billing".parse::<DatasetName>().unwrap().as_str(),
            "billing"
        );
        assert!("Billing".parse::<DatasetName>().is_err());
        assert!("".parse::<DatasetName>().is_err());
    }
}
