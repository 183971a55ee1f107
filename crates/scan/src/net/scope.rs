//! The scanning scope and its targets: which addresses this scanner may ever send a packet to.
//!
//! A [`Scope`] is a list of CIDR blocks and host names that the operator owns. Every target is
//! turned into concrete addresses (CIDRs expanded, host names resolved) and *every* address is
//! checked against the scope before the first probe of a scan leaves the machine, so one
//! out-of-scope target refuses the whole scan with [`ScopeError::OutOfScope`]. CIDR parsing and
//! containment are written here with `std::net` alone.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The most addresses one target may expand to; a larger CIDR is refused rather than allocated.
pub const MAX_TARGET_ADDRS: u128 = 1 << 20;

/// Why a scope or a target was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScopeError {
    /// The text is neither an IP address, a CIDR block nor a valid host name.
    #[error("`{input}` is not an IP address, a CIDR block or a host name: {reason}")]
    Invalid {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The target (or one address it stands for) lies outside the configured scope.
    #[error(
        "target `{target}` is out of scope (address {addr} is not in any scoped range or host)"
    )]
    OutOfScope {
        /// The target as given.
        target: String,
        /// The first address of the target that is not in scope.
        addr: IpAddr,
    },
    /// The target CIDR block is too large to scan address by address.
    #[error("target `{target}` expands to more than {max} addresses")]
    TooLarge {
        /// The target as given.
        target: String,
        /// The limit ([`MAX_TARGET_ADDRS`]).
        max: u128,
    },
    /// A host name could not be resolved.
    #[error("target `{target}` could not be resolved: {reason}")]
    Unresolved {
        /// The target as given.
        target: String,
        /// The resolver's message.
        reason: String,
    },
    /// The scope has no entries, so nothing may be scanned.
    #[error("the scope is empty")]
    Empty,
}

/// A CIDR block (`10.0.0.0/8`, `2001:db8::/32`); a bare address is a /32 or /128.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parses `addr` or `addr/prefix`; host bits set in `addr` are cleared.
    pub fn parse(input: &str) -> Result<Self, ScopeError> {
        let invalid = |reason| ScopeError::Invalid {
            input: input.to_owned(),
            reason,
        };
        let (addr, prefix) = match input.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (input, None),
        };
        let addr: IpAddr = addr.trim().parse().map_err(|_| invalid("bad address"))?;
        let max = max_prefix(addr);
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .map_err(|_| invalid("bad prefix length"))?,
            None => max,
        };
        if prefix > max {
            return Err(invalid("prefix length too long for the address family"));
        }
        Ok(Self {
            network: mask(addr, prefix),
            prefix,
        })
    }

    /// The first address of the block.
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `addr` lies in this block (never across address families).
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.network.is_ipv4() == addr.is_ipv4() && mask(addr, self.prefix) == self.network
    }

    /// How many addresses the block holds (saturating at `u128::MAX` for `::/0`).
    pub fn size(&self) -> u128 {
        let host_bits = u32::from(max_prefix(self.network) - self.prefix);
        1u128.checked_shl(host_bits).unwrap_or(u128::MAX)
    }

    /// Every address in the block, in order; callers bound the size first ([`Cidr::size`]).
    pub fn addrs(&self) -> impl Iterator<Item = IpAddr> + '_ {
        let base = to_u128(self.network);
        let count = self.size();
        let v4 = self.network.is_ipv4();
        (0..count).map(move |i| from_u128(base + i, v4))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// One thing to scan: an address, a CIDR block or a host name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A CIDR block (a bare address is a block of one).
    Net(Cidr),
    /// A DNS name, resolved at scan time and then checked against the scope.
    Host(HostName),
}

impl Target {
    /// Parses an address, a CIDR block or a host name.
    pub fn parse(input: &str) -> Result<Self, ScopeError> {
        let input = input.trim();
        if let Ok(cidr) = Cidr::parse(input) {
            return Ok(Self::Net(cidr));
        }
        if input.contains('/') || input.parse::<IpAddr>().is_ok() {
            return Cidr::parse(input).map(Self::Net);
        }
        HostName::parse(input).map(Self::Host)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Net(c) if c.size() == 1 => write!(f, "{}", c.network()),
            Self::Net(c) => write!(f, "{c}"),
            Self::Host(h) => write!(f, "{h}"),
        }
    }
}

/// A syntactically valid DNS host name (letters, digits, hyphens and dots; labels ≤ 63).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostName(String);

impl HostName {
    /// Checks and lower-cases a host name.
    pub fn parse(input: &str) -> Result<Self, ScopeError> {
        let invalid = |reason| ScopeError::Invalid {
            input: input.to_owned(),
            reason,
        };
        let name = input.trim().trim_end_matches('.').to_ascii_lowercase();
        if name.is_empty() || name.len() > 253 {
            return Err(invalid("empty or longer than 253 characters"));
        }
        for label in name.split('.') {
            let ok_chars = label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if label.is_empty() || label.len() > 63 || !ok_chars || label.starts_with('-') {
                return Err(invalid("bad host name label"));
            }
        }
        Ok(Self(name))
    }

    /// The name, lower-cased.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HostName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The ranges and hosts the operator owns; nothing outside it is ever probed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    nets: Vec<Cidr>,
    hosts: Vec<HostName>,
}

impl Scope {
    /// Parses scope entries: addresses, CIDR blocks and host names. An empty list is refused.
    pub fn parse(entries: &[&str]) -> Result<Self, ScopeError> {
        let mut nets = Vec::new();
        let mut hosts = Vec::new();
        for entry in entries {
            match Target::parse(entry)? {
                Target::Net(c) => nets.push(c),
                Target::Host(h) => hosts.push(h),
            }
        }
        if nets.is_empty() && hosts.is_empty() {
            return Err(ScopeError::Empty);
        }
        Ok(Self { nets, hosts })
    }

    /// The scoped CIDR blocks.
    pub fn nets(&self) -> &[Cidr] {
        &self.nets
    }

    /// The scoped host names.
    pub fn hosts(&self) -> &[HostName] {
        &self.hosts
    }

    /// Whether `addr` lies in a scoped CIDR block.
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(addr))
    }

    /// Whether `name` is itself a scoped host name.
    pub fn has_host(&self, name: &HostName) -> bool {
        self.hosts.contains(name)
    }
}

/// Turns targets into concrete, de-duplicated addresses, refusing any that is out of scope.
///
/// Nothing is sent to a target before this returns: host names are resolved (the system
/// resolver; `localhost` comes from `/etc/hosts`) and every resulting address is checked. An
/// address a scoped host name resolved to is allowed for this scan only, and the scanner then
/// connects by that address, so a later DNS change cannot redirect a probe.
pub async fn resolve_targets(scope: &Scope, targets: &[Target]) -> Result<Vec<IpAddr>, ScopeError> {
    let mut out = Vec::new();
    for target in targets {
        match target {
            Target::Net(cidr) => {
                check_block(scope, target, cidr)?;
                out.extend(cidr.addrs());
            }
            Target::Host(name) => {
                let addrs = lookup(name).await?;
                let trusted = scope.has_host(name);
                if let Some(addr) = addrs.iter().find(|a| !trusted && !scope.contains(**a)) {
                    return Err(ScopeError::OutOfScope {
                        target: target.to_string(),
                        addr: *addr,
                    });
                }
                out.extend(addrs);
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|a| seen.insert(*a));
    Ok(out)
}

/// Refuses a block unless every address is in scope; the scope error wins over the size one.
fn check_block(scope: &Scope, target: &Target, cidr: &Cidr) -> Result<(), ScopeError> {
    let out_of_scope = |addr| ScopeError::OutOfScope {
        target: target.to_string(),
        addr,
    };
    let covered = |n: &Cidr| n.prefix() <= cidr.prefix() && n.contains(cidr.network());
    if scope.nets.iter().any(covered) {
        return if cidr.size() > MAX_TARGET_ADDRS {
            Err(ScopeError::TooLarge {
                target: target.to_string(),
                max: MAX_TARGET_ADDRS,
            })
        } else {
            Ok(())
        };
    }
    let last = from_u128(
        to_u128(cidr.network()) + (cidr.size() - 1),
        cidr.network().is_ipv4(),
    );
    for edge in [cidr.network(), last] {
        if !scope.contains(edge) {
            return Err(out_of_scope(edge));
        }
    }
    if cidr.size() > MAX_TARGET_ADDRS {
        return Err(ScopeError::TooLarge {
            target: target.to_string(),
            max: MAX_TARGET_ADDRS,
        });
    }
    match cidr.addrs().find(|a| !scope.contains(*a)) {
        Some(addr) => Err(out_of_scope(addr)),
        None => Ok(()),
    }
}

async fn lookup(name: &HostName) -> Result<Vec<IpAddr>, ScopeError> {
    let unresolved = |reason: String| ScopeError::Unresolved {
        target: name.to_string(),
        reason,
    };
    let addrs = tokio::net::lookup_host((name.as_str(), 0))
        .await
        .map_err(|e| unresolved(e.to_string()))?;
    let mut out: Vec<IpAddr> = addrs.map(|sa| sa.ip()).collect();
    out.sort();
    out.dedup();
    if out.is_empty() {
        return Err(unresolved("no addresses".to_owned()));
    }
    Ok(out)
}

fn max_prefix(addr: IpAddr) -> u8 {
    if addr.is_ipv4() { 32 } else { 128 }
}

fn to_u128(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

fn from_u128(value: u128, v4: bool) -> IpAddr {
    if v4 {
        // Only called with values derived from an IPv4 network plus an offset inside it.
        IpAddr::V4(Ipv4Addr::from(u32::try_from(value).unwrap_or(u32::MAX)))
    } else {
        IpAddr::V6(Ipv6Addr::from(value))
    }
}

fn mask(addr: IpAddr, prefix: u8) -> IpAddr {
    let bits = u32::from(max_prefix(addr));
    let host_bits = bits - u32::from(prefix);
    let all = if addr.is_ipv4() {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    let keep = all.checked_shl(host_bits).unwrap_or(0) & all;
    from_u128(to_u128(addr) & keep, addr.is_ipv4())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_parses_and_contains() {
        let c = Cidr::parse("127.0.0.5/8").unwrap();
        assert_eq!(c.to_string(), "127.0.0.0/8");
        assert!(c.contains("127.255.1.2".parse().unwrap()));
        assert!(!c.contains("128.0.0.1".parse().unwrap()));
        assert!(!c.contains("::1".parse().unwrap()));
        assert_eq!(c.size(), 1 << 24);
        let v6 = Cidr::parse("2001:db8::1/32").unwrap();
        assert_eq!(v6.to_string(), "2001:db8::/32");
        assert!(v6.contains("2001:db8:ffff::9".parse().unwrap()));
        assert!(!v6.contains("2001:db9::".parse().unwrap()));
        assert_eq!(Cidr::parse("0.0.0.0/0").unwrap().size(), 1 << 32);
        assert_eq!(Cidr::parse("::/0").unwrap().size(), u128::MAX);
        assert!(
            Cidr::parse("::/0")
                .unwrap()
                .contains("::1".parse().unwrap())
        );
    }

    #[test]
    fn cidr_rejects_garbage() {
        for bad in [
            "10.0.0.0/33",
            "::1/129",
            "10.0.0/8",
            "10.0.0.1/x",
            "1.2.3.4/",
        ] {
            assert!(
                matches!(Cidr::parse(bad), Err(ScopeError::Invalid { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn cidr_expands_small_blocks() {
        let c = Cidr::parse("192.0.2.4/30").unwrap();
        let got: Vec<String> = c.addrs().map(|a| a.to_string()).collect();
        assert_eq!(got, ["192.0.2.4", "192.0.2.5", "192.0.2.6", "192.0.2.7"]);
    }

    #[test]
    fn targets_parse_by_kind() {
        assert!(matches!(Target::parse("10.1.2.3"), Ok(Target::Net(c)) if c.size() == 1));
        assert!(matches!(Target::parse("::1"), Ok(Target::Net(_))));
        assert!(
            matches!(Target::parse("Router.Example."), Ok(Target::Host(h))
                if h.as_str() == "router.example")
        );
        assert!(Target::parse("bad_name!").is_err());
        assert!(Target::parse("10.0.0.0/99").is_err());
        assert!(Target::parse("-x.example").is_err());
    }

    #[tokio::test]
    async fn out_of_scope_target_is_refused_by_name() {
        let scope = Scope::parse(&["127.0.0.0/8", "::1"]).unwrap();
        let targets = [
            Target::parse("127.0.0.1").unwrap(),
            Target::parse("8.8.8.8").unwrap(),
        ];
        let err = resolve_targets(&scope, &targets).await.unwrap_err();
        assert_eq!(
            err,
            ScopeError::OutOfScope {
                target: "8.8.8.8".into(),
                addr: "8.8.8.8".parse().unwrap()
            }
        );
        let wide = [Target::parse("127.0.0.0/7").unwrap()];
        let err = resolve_targets(&scope, &wide).await.unwrap_err();
        assert!(matches!(err, ScopeError::OutOfScope { target, .. } if target == "126.0.0.0/7"));
    }

    #[tokio::test]
    async fn localhost_resolves_inside_loopback_scope() {
        let scope = Scope::parse(&["127.0.0.0/8", "::1"]).unwrap();
        let addrs = resolve_targets(&scope, &[Target::parse("localhost").unwrap()])
            .await
            .unwrap();
        assert!(addrs.iter().all(|a| a.is_loopback()), "{addrs:?}");
        assert!(Scope::parse(&[]).is_err());
    }
}
