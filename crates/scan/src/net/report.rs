//! What one scan found, as plain data the caller persists ([`NetScanReport`]), and the pure
//! comparison of two scans ([`diff`]) that tells what appeared, disappeared or changed.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use time::OffsetDateTime;

/// The transport a port was probed over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Proto {
    /// TCP (connect scan).
    Tcp,
    /// UDP (SNMP probe).
    Udp,
}

impl fmt::Display for Proto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Tcp => "tcp",
            Self::Udp => "udp",
        })
    }
}

/// What a probe of one port learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum PortState {
    /// TCP: the connection was accepted. UDP: the service answered.
    Open,
    /// TCP: refused (RST / `ECONNREFUSED`). UDP: ICMP port unreachable.
    Closed,
    /// No answer within the timeout after every retry: a firewall, a black hole, or (UDP) a
    /// service that ignores the probe. Silence is never reported as closed.
    Filtered,
}

impl fmt::Display for PortState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Filtered => "filtered",
        })
    }
}

/// How bad an exposure is, in the order a responder should look at them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// Nothing to act on (a closed or filtered port, an unidentified open port).
    Info,
    /// Reachable and identified, but authenticated and encrypted.
    Low,
    /// Should not be reachable from where the scan ran (a database that asks for a password,
    /// an admin page over HTTPS, a cleartext protocol with no known default access).
    Medium,
    /// An attacker's foothold: a device admin page over plain HTTP, SSH accepting passwords,
    /// anonymous FTP.
    High,
    /// Data or the device is open now: an unauthenticated database or cache, an SNMP default
    /// community, telnet.
    Critical,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        })
    }
}

/// What answers on an open port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServiceId {
    /// The protocol: `http`, `https`, `ssh`, `telnet`, `ftp`, `postgresql`, `mysql`, `redis`,
    /// `mongodb`, `elasticsearch`, `snmp`.
    pub name: String,
    /// The product when it says so (`OpenSSH`, `MariaDB`, `nginx`, a router's page title).
    pub product: Option<String>,
    /// The version when it says so.
    pub version: Option<String>,
    /// One line on what matters: auth methods, the finding, the SNMP `sysDescr`.
    pub detail: Option<String>,
}

impl ServiceId {
    /// A service known only by its protocol name.
    pub fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            product: None,
            version: None,
            detail: None,
        }
    }
}

/// One probed port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortResult {
    /// The port number.
    pub port: u16,
    /// TCP or UDP.
    pub proto: Proto,
    /// Open, closed or filtered.
    pub state: PortState,
    /// The identified service, for open ports that answered a service probe.
    pub service: Option<ServiceId>,
    /// How bad the exposure is.
    pub severity: Severity,
    /// What was seen, for a human: banners, status lines, the reason for the verdict.
    pub evidence: String,
}

/// Every listed port of one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostResult {
    /// The address probed.
    pub addr: IpAddr,
    /// Listed ports, ascending by (port, proto); see [`super::PortListing`].
    pub ports: Vec<PortResult>,
    /// How many probed ports were closed (listed or not).
    pub closed: u32,
    /// How many probed ports were filtered (listed or not).
    pub filtered: u32,
}

/// What the scanner achieved: probes are connection attempts and UDP datagrams sent, retries
/// included; service probes on open ports are not counted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScanStats {
    /// Connection attempts and datagrams sent.
    pub probes_sent: u64,
    /// Wall time of the whole scan, service probes included.
    pub elapsed: Duration,
    /// Probes per second actually achieved over the port-scan phase.
    pub rate: f64,
    /// Times a probe waited for a socket (`EMFILE`, `ENFILE`, `EADDRNOTAVAIL`); each one also
    /// lowered the concurrency.
    pub socket_backoffs: u64,
}

/// One scan: what was asked, when, how fast, and what was found.
#[derive(Debug, Clone, PartialEq)]
pub struct NetScanReport {
    /// The targets as given, in order.
    pub targets: Vec<String>,
    /// When the scan started.
    pub started_at: OffsetDateTime,
    /// Probe counts and the achieved rate.
    pub stats: ScanStats,
    /// One entry per address scanned, ascending.
    pub hosts: Vec<HostResult>,
}

impl NetScanReport {
    /// The listed result for `addr`/`port`/`proto`, if any.
    pub fn find(&self, addr: IpAddr, port: u16, proto: Proto) -> Option<&PortResult> {
        let host = self.hosts.iter().find(|h| h.addr == addr)?;
        host.ports
            .iter()
            .find(|p| p.port == port && p.proto == proto)
    }

    /// The highest severity in the report.
    pub fn max_severity(&self) -> Severity {
        let ports = self.hosts.iter().flat_map(|h| &h.ports);
        ports.map(|p| p.severity).max().unwrap_or(Severity::Info)
    }
}

/// Where a port is: address, number and transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortKey {
    /// The address.
    pub addr: IpAddr,
    /// The port.
    pub port: u16,
    /// The transport.
    pub proto: Proto,
}

/// A port whose state, service or severity differs between two scans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortChange {
    /// Where.
    pub key: PortKey,
    /// The result in the older scan.
    pub old: PortResult,
    /// The result in the newer scan.
    pub new: PortResult,
}

/// What changed between two scans. Only open ports count as exposed: a port that went from
/// closed to open "appeared"; one that stopped being open "disappeared".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetDiff {
    /// Open in the new scan, not open in the old one.
    pub appeared: Vec<(PortKey, PortResult)>,
    /// Open in the old scan, not open in the new one.
    pub disappeared: Vec<(PortKey, PortResult)>,
    /// Open in both, with a different service, severity or evidence of a different service.
    pub changed: Vec<PortChange>,
}

impl NetDiff {
    /// Whether the two scans show the same exposure.
    pub fn is_empty(&self) -> bool {
        self.appeared.is_empty() && self.disappeared.is_empty() && self.changed.is_empty()
    }
}

/// Compares two scans of (usually) the same targets. Pure; ordering is by address, port, proto.
pub fn diff(old: &NetScanReport, new: &NetScanReport) -> NetDiff {
    let old_open = open_ports(old);
    let new_open = open_ports(new);
    let mut out = NetDiff::default();
    for (key, n) in &new_open {
        match old_open.get(key) {
            None => out.appeared.push((*key, (*n).clone())),
            Some(o) if o.service != n.service || o.severity != n.severity => {
                let change = PortChange {
                    key: *key,
                    old: (*o).clone(),
                    new: (*n).clone(),
                };
                out.changed.push(change);
            }
            Some(_) => {}
        }
    }
    for (key, o) in &old_open {
        if !new_open.contains_key(key) {
            out.disappeared.push((*key, (*o).clone()));
        }
    }
    out
}

fn open_ports(report: &NetScanReport) -> BTreeMap<PortKey, &PortResult> {
    let mut map = BTreeMap::new();
    for host in &report.hosts {
        for p in host.ports.iter().filter(|p| p.state == PortState::Open) {
            map.insert(
                PortKey {
                    addr: host.addr,
                    port: p.port,
                    proto: p.proto,
                },
                p,
            );
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(port: u16, state: PortState, service: Option<&str>, severity: Severity) -> PortResult {
        let service = service.map(ServiceId::named);
        PortResult {
            port,
            proto: Proto::Tcp,
            state,
            service,
            severity,
            evidence: String::new(),
        }
    }

    fn report(ports: Vec<PortResult>) -> NetScanReport {
        let stats = ScanStats {
            probes_sent: 0,
            elapsed: Duration::ZERO,
            rate: 0.0,
            socket_backoffs: 0,
        };
        let host = HostResult {
            addr: [127, 0, 0, 1].into(),
            ports,
            closed: 0,
            filtered: 0,
        };
        NetScanReport {
            targets: vec!["127.0.0.1".into()],
            started_at: OffsetDateTime::UNIX_EPOCH,
            stats,
            hosts: vec![host],
        }
    }

    #[test]
    fn diff_sees_appeared_disappeared_and_changed() {
        use PortState::*;
        let old = report(vec![
            port(22, Open, Some("ssh"), Severity::Low),
            port(80, Open, Some("http"), Severity::Info),
            port(6379, Closed, None, Severity::Info),
        ]);
        let new = report(vec![
            port(22, Open, Some("ssh"), Severity::High),
            port(80, Closed, None, Severity::Info),
            port(6379, Open, Some("redis"), Severity::Critical),
        ]);
        let d = diff(&old, &new);
        let ports = |v: &[(PortKey, PortResult)]| v.iter().map(|(k, _)| k.port).collect::<Vec<_>>();
        assert_eq!(ports(&d.appeared), [6379]);
        assert_eq!(ports(&d.disappeared), [80]);
        assert_eq!(d.changed.len(), 1);
        assert_eq!(d.changed[0].new.severity, Severity::High);
        assert!(diff(&new, &new).is_empty());
        assert_eq!(new.max_severity(), Severity::Critical);
    }
}
