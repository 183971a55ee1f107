//! Principals and roles as types: a role is a named set of permissions loaded from the database,
//! and a principal carries its role so that any layer can check a permission without a query.

use std::collections::BTreeSet;
use std::fmt;

use crate::error::AuthError;

/// The database id of a principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PrincipalId(pub i64);

impl fmt::Display for PrincipalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Whether a principal is a person or a system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    /// A person; may sign in to the admin console.
    Human,
    /// An integration; uses API keys only.
    Service,
}

impl PrincipalKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Human => "human",
            PrincipalKind::Service => "service",
        }
    }

    pub(crate) fn parse(s: &str) -> PrincipalKind {
        if s == "human" {
            PrincipalKind::Human
        } else {
            PrincipalKind::Service
        }
    }
}

/// A named permission such as `people.read`, or a wildcard (`*`, `people.*`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Permission(String);

impl Permission {
    /// A permission from its name (lowercase letters, digits, `.`, `_`, `:` and `*`).
    pub fn new(name: &str) -> Option<Permission> {
        let ok = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._:*".contains(c));
        ok.then(|| Permission(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this (possibly wildcard) permission grants `wanted`.
    fn grants(&self, wanted: &str) -> bool {
        match self.0.strip_suffix('*') {
            Some(prefix) => wanted.starts_with(prefix),
            None => self.0 == wanted,
        }
    }
}

/// A role: a name and the permissions it grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    name: String,
    permissions: BTreeSet<Permission>,
}

impl Role {
    /// A role from its stored form (permissions separated by white space).
    pub fn from_stored(name: &str, permissions: &str) -> Role {
        Role {
            name: name.to_owned(),
            permissions: permissions
                .split_whitespace()
                .filter_map(Permission::new)
                .collect(),
        }
    }

    /// The role's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the role grants a permission.
    pub fn allows(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p.grants(permission))
    }

    /// The permissions, sorted.
    pub fn permissions(&self) -> impl Iterator<Item = &Permission> {
        self.permissions.iter()
    }
}

/// Who is acting: loaded once per request (from an API key or an admin session) and passed down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The database id.
    pub id: PrincipalId,
    /// The unique name.
    pub name: String,
    /// Human or service.
    pub kind: PrincipalKind,
    /// The role and its permissions.
    pub role: Role,
}

impl Principal {
    /// `Ok` when the principal's role grants `permission`, else [`AuthError::Forbidden`].
    pub fn require(&self, permission: &str) -> Result<(), AuthError> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(AuthError::Forbidden {
                principal: self.name.clone(),
                role: self.role.name().to_owned(),
                permission: permission.to_owned(),
            })
        }
    }

    /// Whether the principal's role grants `permission`.
    pub fn may(&self, permission: &str) -> bool {
        self.role.allows(permission)
    }

    /// A principal for work the system does on its own behalf (migrations, scheduled jobs, the
    /// demo), holding every permission. Its actions are logged under the name given.
    pub fn system(name: &str) -> Principal {
        Principal {
            id: PrincipalId(0),
            name: name.to_owned(),
            kind: PrincipalKind::Service,
            role: Role::from_stored("system", "*"),
        }
    }
}

/// Checks a principal or role name: 1-64 of letters, digits, `-_.@`.
pub(crate) fn check_name(name: &str) -> Result<(), AuthError> {
    let ok = (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(AuthError::InvalidName(name.chars().take(64).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_grant_by_prefix() {
        let r = Role::from_stored("analyst", "incidents.* people.search");
        assert!(r.allows("incidents.write"));
        assert!(r.allows("people.search"));
        assert!(!r.allows("people.read"));
        assert!(Role::from_stored("admin", "*").allows("anything.at.all"));
    }

    #[test]
    fn forbidden_names_the_missing_permission() {
        let p = Principal {
            id: PrincipalId(1),
            name: "care-bot".into(),
            kind: PrincipalKind::Service,
            role: Role::from_stored("agent", "people.read"),
        };
        let e = p.require("keys.rotate").unwrap_err();
        assert_eq!(
            e.to_string(),
            "principal `care-bot` (role `agent`) lacks permission `keys.rotate`"
        );
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("billing-sync@prod").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("a b").is_err());
        assert!(check_name(&"x".repeat(65)).is_err());
    }
}
