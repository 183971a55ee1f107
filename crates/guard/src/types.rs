//! The guard's vocabulary as parsed types: account and device identifiers, the kind of secret,
//! the channel and network source of an attempt, and the verdict a verification returns. Each is
//! checked in its constructor, so code that holds one knows it is well formed; none is
//! `Serialize` (the web crate converts them to wire types by hand).

use std::fmt;
use std::net::IpAddr;

use crate::error::GuardError;

/// The longest account or device identifier accepted.
pub const MAX_ID_LEN: usize = 128;

fn check_id(field: &'static str, s: &str) -> Result<(), GuardError> {
    let ok = (1..=MAX_ID_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:@-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(GuardError::invalid(
            field,
            "use 1-128 letters, digits, `.`, `_`, `:`, `@` or `-`",
        ))
    }
}

/// The company's identifier of a customer account (its account number or the vault's
/// `external_id`): opaque to the guard, 1-128 of letters, digits and `._:@-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    /// Parses an account identifier.
    pub fn parse(s: &str) -> Result<AccountId, GuardError> {
        check_id("account_id", s)?;
        Ok(AccountId(s.to_owned()))
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// An identifier read back from storage, where only parsed identifiers are written.
    pub(crate) fn from_stored(s: &str) -> AccountId {
        AccountId(s.to_owned())
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An integration's identifier of the customer's device (an app installation bound to a device
/// key, a retail terminal): same syntax as [`AccountId`]. It must be something the integrator
/// authenticates, not a user-agent string, because a device that has verified before earns a
/// reserve of attempts that strangers cannot use up.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceId(String);

impl DeviceId {
    /// Parses a device identifier.
    pub fn parse(s: &str) -> Result<DeviceId, GuardError> {
        check_id("device_id", s)?;
        Ok(DeviceId(s.to_owned()))
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which secret of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// The numeric account PIN (an activation secret in NIST SP 800-63B terms: 10 failures).
    Pin,
    /// A memorized password (100 failures).
    Password,
}

impl SecretKind {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::Pin => "pin",
            SecretKind::Password => "password",
        }
    }

    /// Parses `pin` or `password`.
    pub fn parse(s: &str) -> Result<SecretKind, GuardError> {
        match s {
            "pin" => Ok(SecretKind::Pin),
            "password" => Ok(SecretKind::Password),
            _ => Err(GuardError::invalid("kind", "must be `pin` or `password`")),
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The system through which a customer (or someone claiming to be one) reached the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// A store counter.
    Retail,
    /// A call-centre agent.
    Care,
    /// The website.
    Web,
    /// The mobile app.
    App,
    /// A number-porting request from another carrier.
    Porting,
}

impl Channel {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Retail => "retail",
            Channel::Care => "care",
            Channel::Web => "web",
            Channel::App => "app",
            Channel::Porting => "porting",
        }
    }

    /// Parses a channel name.
    pub fn parse(s: &str) -> Result<Channel, GuardError> {
        Ok(match s {
            "retail" => Channel::Retail,
            "care" => Channel::Care,
            "web" => Channel::Web,
            "app" => Channel::App,
            "porting" => Channel::Porting,
            _ => {
                return Err(GuardError::invalid(
                    "channel",
                    "must be retail, care, web, app or porting",
                ));
            }
        })
    }
}

/// Where an attempt came from: the channel, the client's address when known, and the device
/// when the integration knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptContext {
    /// The channel.
    pub channel: Channel,
    /// The customer's address as the integration saw it (not the integration's own address).
    pub client_ip: Option<IpAddr>,
    /// The customer's device, when the integration authenticates devices.
    pub device: Option<DeviceId>,
}

impl AttemptContext {
    /// A context with only a channel (a store counter, a phone call).
    pub fn channel(channel: Channel) -> AttemptContext {
        AttemptContext {
            channel,
            client_ip: None,
            device: None,
        }
    }

    /// The source name limits and events use: the client address in canonical form (IPv4-mapped
    /// IPv6 addresses as IPv4), or `channel:<name>` when there is no address.
    pub fn source(&self) -> String {
        match self.client_ip.map(canonical_ip) {
            Some(ip) => ip.to_string(),
            None => format!("channel:{}", self.channel.as_str()),
        }
    }

    /// The network of the client address: its /24 for IPv4, its /64 for IPv6.
    pub fn network(&self) -> Option<String> {
        self.client_ip.map(|ip| network_of(canonical_ip(ip)))
    }
}

fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The /24 (IPv4) or /64 (IPv6) network containing `ip`, as `a.b.c.0/24` or `x:x:x:x::/64`.
pub fn network_of(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// The answer to a verification. The same answers come for accounts that do not exist, so a
/// caller learns nothing about existence from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The secret is right.
    Ok,
    /// The secret is wrong (or the account has no such secret).
    Wrong,
    /// Too many recent failures from this source or device; nothing was checked.
    Throttled {
        /// Seconds until this source may try again.
        retry_after_secs: u64,
    },
    /// Too many consecutive failures: the secret is disabled for this context until the customer
    /// steps up through a one-time code on another channel. Decided before the secret is looked
    /// at, so it never tells whether a guess was right.
    Locked,
    /// The secret was right but has been marked compromised (a forced reset): the customer must
    /// set a new one with their reset code.
    ResetRequired,
}

impl Verdict {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Wrong => "wrong",
            Verdict::Throttled { .. } => "throttled",
            Verdict::Locked => "locked",
            Verdict::ResetRequired => "reset_required",
        }
    }
}

/// The two per-line protections of the FCC's 2023 SIM-swap and port-out order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LockKind {
    /// Refuses SIM changes while on.
    SimChange,
    /// Refuses port-outs while on.
    PortOut,
}

impl LockKind {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            LockKind::SimChange => "sim_change",
            LockKind::PortOut => "port_out",
        }
    }

    /// Parses `sim_change` or `port_out`.
    pub fn parse(s: &str) -> Result<LockKind, GuardError> {
        match s {
            "sim_change" => Ok(LockKind::SimChange),
            "port_out" => Ok(LockKind::PortOut),
            _ => Err(GuardError::invalid(
                "lock",
                "must be `sim_change` or `port_out`",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_without_echoing() {
        assert!(AccountId::parse("ACCT-0001.a@b:c_d").is_ok());
        let e = AccountId::parse("a b").unwrap_err().to_string();
        assert!(!e.contains("a b"), "{e}");
        assert!(AccountId::parse("").is_err());
        assert!(DeviceId::parse(&"x".repeat(129)).is_err());
    }

    #[test]
    fn sources_and_networks() {
        let mut c = AttemptContext::channel(Channel::Retail);
        assert_eq!(c.source(), "channel:retail");
        assert_eq!(c.network(), None);
        c.client_ip = Some("::ffff:10.1.2.3".parse().unwrap());
        assert_eq!(c.source(), "10.1.2.3");
        assert_eq!(c.network().as_deref(), Some("10.1.2.0/24"));
        c.client_ip = Some("2001:db8:aa:bb:1:2:3:4".parse().unwrap());
        assert_eq!(c.network().as_deref(), Some("2001:db8:aa:bb::/64"));
    }
}
