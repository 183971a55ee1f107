//! The scanner's configuration ([`NetScanConfig`]), parsed and validated by the caller once, and
//! the scan's error type ([`NetScanError`]).

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use super::ports::PortList;
use super::scope::ScopeError;

/// Which probed ports a [`super::HostResult`] lists one by one; the others are only counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PortListing {
    /// Open ports only (closed and filtered are counted): the right size for large ranges.
    #[default]
    OpenOnly,
    /// Every probed port, whatever its state.
    All,
}

/// Where the scanner may try a well-known default credential that is a real login attempt
/// (today: MySQL/MariaDB `root` with an empty password). Checks that log nobody in (the
/// PostgreSQL startup message, Redis `PING`, anonymous FTP, SNMP communities) always run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CredentialChecks {
    /// Only against loopback addresses (tests and the machine's own services).
    #[default]
    LoopbackOnly,
    /// Against every in-scope address; a failed login can appear in the target's logs.
    InScope,
}

/// How a scan runs. `Default` is a polite scan of [`PortList::default`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetScanConfig {
    /// TCP ports to connect to.
    pub ports: PortList,
    /// Most connection attempts in flight; capped below the process's open-file limit.
    pub concurrency: usize,
    /// Most probes (connection attempts and datagrams) per second; `None` is unlimited.
    pub rate: Option<NonZeroU32>,
    /// How long one connection attempt or SNMP request waits for an answer.
    pub timeout: Duration,
    /// Further attempts after a silent one, before a port is called filtered.
    pub retries: u32,
    /// Whether to send SNMP GetRequests (v1 and v2c) to `snmp_port` over UDP.
    pub udp_snmp: bool,
    /// The UDP port for SNMP (161 in the field; tests use a high port).
    pub snmp_port: u16,
    /// Communities tried, in order; the first that answers is the finding.
    pub snmp_communities: Vec<String>,
    /// Whether to identify the service on every open TCP port.
    pub probe_services: bool,
    /// How long one service probe waits for each answer.
    pub probe_timeout: Duration,
    /// Which ports the report lists one by one.
    pub listing: PortListing,
    /// Where default-credential logins may be tried.
    pub credential_checks: CredentialChecks,
}

impl Default for NetScanConfig {
    fn default() -> Self {
        Self {
            ports: PortList::default(),
            concurrency: 512,
            rate: NonZeroU32::new(2_000),
            timeout: Duration::from_millis(1_000),
            retries: 1,
            udp_snmp: true,
            snmp_port: 161,
            snmp_communities: [
                "public",
                "private",
                "community",
                "cisco",
                "admin",
                "manager",
            ]
            .map(String::from)
            .to_vec(),
            probe_services: true,
            probe_timeout: Duration::from_millis(2_000),
            listing: PortListing::default(),
            credential_checks: CredentialChecks::default(),
        }
    }
}

impl NetScanConfig {
    pub(crate) fn validate(&self) -> Result<(), NetScanError> {
        let bad = |reason: &str| {
            Err(NetScanError::Config {
                reason: reason.to_owned(),
            })
        };
        if self.concurrency == 0 {
            return bad("concurrency must be at least 1");
        }
        if self.timeout.is_zero() || self.probe_timeout.is_zero() {
            return bad("timeouts must be longer than zero");
        }
        if self.retries > 10 {
            return bad("at most 10 retries");
        }
        if self.udp_snmp && (self.snmp_port == 0 || self.snmp_communities.is_empty()) {
            return bad("SNMP needs a non-zero port and at least one community");
        }
        if self
            .snmp_communities
            .iter()
            .any(|c| c.is_empty() || c.len() > 64)
        {
            return bad("SNMP communities are 1 to 64 bytes");
        }
        Ok(())
    }
}

/// Why a scan did not run or did not finish.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetScanError {
    /// A target is out of scope, unparsable or unresolvable; nothing was sent.
    #[error(transparent)]
    Scope(#[from] ScopeError),
    /// The configuration is unusable; nothing was sent.
    #[error("invalid scan configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// No socket could be had even at a concurrency of one, after backing off for a while
    /// (open-file or ephemeral-port exhaustion caused by something outside the scan).
    #[error("out of sockets probing {addr} after backing off: {source}")]
    Resources {
        /// The probe that could not be sent.
        addr: SocketAddr,
        /// The last error (`EMFILE`, `ENFILE`, `EADDRNOTAVAIL`, ...).
        #[source]
        source: std::io::Error,
    },
    /// A scan task ended abnormally (a bug); the scan's partial results are discarded.
    #[error("internal scanner error: {reason}")]
    Internal {
        /// What failed.
        reason: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_zero_concurrency_is_not() {
        assert!(NetScanConfig::default().validate().is_ok());
        let cfg = NetScanConfig {
            concurrency: 0,
            ..NetScanConfig::default()
        };
        assert!(matches!(cfg.validate(), Err(NetScanError::Config { .. })));
    }
}
