//! Port lists: the `22,80,8000-8100` / `-` / `1-65535` syntax, parsed once into a sorted,
//! de-duplicated list of valid ports (1..=65535; port 0 is never scanned).

use std::fmt;

/// Why a port specification was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PortSpecError {
    /// One comma-separated item is not a port or a range of ports.
    #[error("port spec `{spec}`: `{item}` is not a port (1-65535) or a range `a-b` with a <= b")]
    BadItem {
        /// The whole specification.
        spec: String,
        /// The item that failed.
        item: String,
    },
    /// The specification names no port at all.
    #[error("port spec `{spec}` names no port")]
    Empty {
        /// The whole specification.
        spec: String,
    },
}

/// A sorted, de-duplicated, non-empty list of TCP or UDP ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortList(Vec<u16>);

impl PortList {
    /// Parses `22,80,8000-8100`; `-` alone means every port, as does `1-65535`.
    pub fn parse(spec: &str) -> Result<Self, PortSpecError> {
        let mut ports = Vec::new();
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let bad = || PortSpecError::BadItem {
                spec: spec.to_owned(),
                item: item.to_owned(),
            };
            let (lo, hi) = match item.split_once('-') {
                Some((a, b)) => (
                    parse_bound(a, 1).ok_or_else(bad)?,
                    parse_bound(b, 65535).ok_or_else(bad)?,
                ),
                None => {
                    let p = parse_port(item).ok_or_else(bad)?;
                    (p, p)
                }
            };
            if lo > hi {
                return Err(bad());
            }
            ports.extend(lo..=hi);
        }
        Self::from_ports(ports).ok_or_else(|| PortSpecError::Empty {
            spec: spec.to_owned(),
        })
    }

    /// Every port, 1 to 65535.
    pub fn all() -> Self {
        Self((1..=65535).collect())
    }

    /// Builds a list from ports given directly; `None` when no valid (non-zero) port remains.
    pub fn from_ports(ports: impl IntoIterator<Item = u16>) -> Option<Self> {
        let mut v: Vec<u16> = ports.into_iter().filter(|p| *p != 0).collect();
        v.sort_unstable();
        v.dedup();
        (!v.is_empty()).then_some(Self(v))
    }

    /// The ports, ascending.
    pub fn as_slice(&self) -> &[u16] {
        &self.0
    }

    /// How many ports.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false: a `PortList` is never empty (kept for the `len` convention).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Default for PortList {
    /// The ports most worth a look on a carrier's edge: remote admin, web admin, and the
    /// databases and caches that must never be reachable.
    fn default() -> Self {
        Self(vec![
            21, 22, 23, 80, 443, 3306, 5432, 6379, 8000, 8008, 8080, 8081, 8443, 8888, 9200, 27017,
        ])
    }
}

impl fmt::Display for PortList {
    /// Renders ranges back in the input syntax (`22,80,8000-8100`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut i = 0;
        let mut first = true;
        while i < self.0.len() {
            let start = self.0[i];
            let mut end = start;
            while i + 1 < self.0.len() && self.0[i + 1] == end + 1 {
                i += 1;
                end = self.0[i];
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            if start == end {
                write!(f, "{start}")?;
            } else {
                write!(f, "{start}-{end}")?;
            }
            i += 1;
        }
        Ok(())
    }
}

fn parse_port(s: &str) -> Option<u16> {
    s.trim().parse::<u16>().ok().filter(|p| *p != 0)
}

/// A range bound; an empty bound is open (`-100`, `8000-`, and `-` alone).
fn parse_bound(s: &str, open: u16) -> Option<u16> {
    if s.trim().is_empty() {
        Some(open)
    } else {
        parse_port(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_ranges() {
        let p = PortList::parse("80, 22,8000-8003,22").unwrap();
        assert_eq!(p.as_slice(), [22, 80, 8000, 8001, 8002, 8003]);
        assert_eq!(p.to_string(), "22,80,8000-8003");
        assert_eq!(PortList::parse("-").unwrap(), PortList::all());
        assert_eq!(PortList::parse("1-65535").unwrap().len(), 65535);
        assert_eq!(PortList::parse("65530-").unwrap().len(), 6);
    }

    #[test]
    fn refuses_bad_specs() {
        for bad in ["0", "65536", "90-80", "http", "1-2-3", "22,x"] {
            assert!(
                matches!(PortList::parse(bad), Err(PortSpecError::BadItem { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            PortList::parse(" , "),
            Err(PortSpecError::Empty { .. })
        ));
    }
}
