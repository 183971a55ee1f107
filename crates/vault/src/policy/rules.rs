//! The [`Policy`] itself: parsed from TOML into a table of role → field → [`Disposition`], and
//! the three questions the vault asks it (what does this role get of this field, may it reveal
//! it with this purpose, and what does a plain read show).

use std::collections::BTreeMap;

use toml::Value;

use super::{Disposition, IntoPolicyField, PolicyError, PolicyField, mask};

/// The built-in policy file.
const DEFAULT_POLICY: &str = include_str!("../../policy/default.toml");

/// The longest `min_purpose_len` a policy may set.
const MAX_MIN_PURPOSE_LEN: i64 = 200;

type Dispositions = [Disposition; PolicyField::ALL.len()];

/// A parsed masking policy. Roles not in it get every field [`Disposition::Hidden`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    roles: BTreeMap<String, Dispositions>,
    require_purpose: bool,
    min_purpose_len: usize,
}

impl Default for Policy {
    /// The built-in policy (`crates/vault/policy/default.toml`). It is checked by a unit test; if
    /// it ever failed to parse, the fallback hides every field from every role (fail closed).
    fn default() -> Self {
        Policy::from_toml(DEFAULT_POLICY).unwrap_or_else(|_| Policy::deny_all())
    }
}

impl Policy {
    /// A policy that hides every field from every role and requires a purpose.
    pub fn deny_all() -> Policy {
        Policy {
            roles: BTreeMap::new(),
            require_purpose: true,
            min_purpose_len: 1,
        }
    }

    /// Parses a policy file. Errors name the setting, or the role and field, that is wrong.
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| PolicyError::Syntax(e.to_string().trim().to_owned()))?;
        let mut policy = Policy::deny_all();
        policy.min_purpose_len = 8;
        for (key, value) in &table {
            match key.as_str() {
                "require_purpose" => {
                    policy.require_purpose =
                        value.as_bool().ok_or(PolicyError::InvalidSetting {
                            key: "require_purpose",
                            reason: "must be true or false",
                        })?;
                }
                "min_purpose_len" => {
                    policy.min_purpose_len = value
                        .as_integer()
                        .filter(|n| (1..=MAX_MIN_PURPOSE_LEN).contains(n))
                        .and_then(|n| usize::try_from(n).ok())
                        .ok_or(PolicyError::InvalidSetting {
                            key: "min_purpose_len",
                            reason: "must be a whole number from 1 to 200",
                        })?;
                }
                "roles" => {
                    let roles = value.as_table().ok_or(PolicyError::InvalidSetting {
                        key: "roles",
                        reason: "must be a table of roles",
                    })?;
                    for (role, fields) in roles {
                        policy.roles.insert(role.clone(), parse_role(role, fields)?);
                    }
                }
                other => {
                    return Err(PolicyError::UnknownSetting {
                        key: other.to_owned(),
                    });
                }
            }
        }
        Ok(policy)
    }

    /// What `role` gets of `field`; [`Disposition::Hidden`] for unknown roles and field names.
    pub fn disposition(&self, role: &str, field: impl IntoPolicyField) -> Disposition {
        match (self.roles.get(role), field.into_policy_field()) {
            (Some(d), Some(f)) => d[f.index()],
            _ => Disposition::Hidden,
        }
    }

    /// Whether `role` may see the full value of `field` for `purpose`: `Ok` when the field is
    /// `reveal` for the role and the purpose meets the policy (or the field is `clear`), else an
    /// error naming what is missing.
    pub fn check_reveal(
        &self,
        role: &str,
        field: impl IntoPolicyField,
        purpose: Option<&str>,
    ) -> Result<(), PolicyError> {
        let field = field
            .into_policy_field()
            .ok_or(PolicyError::UnknownFieldName)?;
        match self.disposition(role, field) {
            Disposition::Clear => Ok(()),
            Disposition::Reveal => self.check_purpose(field, purpose),
            disposition => Err(PolicyError::NotAllowed {
                role: role.to_owned(),
                field,
                disposition,
            }),
        }
    }

    /// What a plain read (no reveal) shows `role` of `field` holding `plaintext`: `None` when
    /// hidden, the mask when `reveal` or `masked`, the value itself only when `clear` (which only
    /// non-sensitive fields can be).
    pub fn read_value(
        &self,
        role: &str,
        field: impl IntoPolicyField,
        plaintext: &str,
    ) -> Option<String> {
        let field = field.into_policy_field()?;
        match self.disposition(role, field) {
            Disposition::Hidden => None,
            Disposition::Clear if !field.is_sensitive() => Some(plaintext.to_owned()),
            _ => Some(mask(field, plaintext)),
        }
    }

    /// Whether reveals need a stated purpose.
    pub fn requires_purpose(&self) -> bool {
        self.require_purpose
    }

    /// The shortest purpose accepted, in characters (after trimming).
    pub fn min_purpose_len(&self) -> usize {
        self.min_purpose_len
    }

    /// The roles the policy names.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        self.roles.keys().map(String::as_str)
    }

    fn check_purpose(&self, field: PolicyField, purpose: Option<&str>) -> Result<(), PolicyError> {
        if !self.require_purpose {
            return Ok(());
        }
        let stated = purpose.map(str::trim).unwrap_or("");
        if stated.is_empty() {
            return Err(PolicyError::PurposeRequired { field });
        }
        if stated.chars().count() < self.min_purpose_len {
            return Err(PolicyError::PurposeTooShort {
                field,
                min: self.min_purpose_len,
            });
        }
        Ok(())
    }
}

/// One `[roles.<role>]` table.
fn parse_role(role: &str, value: &Value) -> Result<Dispositions, PolicyError> {
    let table = value.as_table().ok_or_else(|| PolicyError::RoleNotATable {
        role: role.to_owned(),
    })?;
    let default = match table.get("default") {
        Some(v) => parse_disposition(role, "default", None, v)?,
        None => Disposition::Hidden,
    };
    let mut out = [default; PolicyField::ALL.len()];
    if default == Disposition::Clear {
        // `clear` only makes sense for `state`; as a default it would cover sensitive fields.
        return Err(PolicyError::ClearNotAllowed {
            role: role.to_owned(),
            field: "default".to_owned(),
        });
    }
    for (name, v) in table {
        if name == "default" {
            continue;
        }
        let field = PolicyField::parse(name).ok_or_else(|| PolicyError::UnknownField {
            role: role.to_owned(),
            field: name.clone(),
        })?;
        out[field.index()] = parse_disposition(role, name, Some(field), v)?;
    }
    Ok(out)
}

fn parse_disposition(
    role: &str,
    name: &str,
    field: Option<PolicyField>,
    value: &Value,
) -> Result<Disposition, PolicyError> {
    let word = value.as_str().unwrap_or("");
    let d = Disposition::parse(word).ok_or_else(|| PolicyError::InvalidDisposition {
        role: role.to_owned(),
        field: name.to_owned(),
        value: value.to_string(),
    })?;
    if d == Disposition::Clear && field.is_some_and(PolicyField::is_sensitive) {
        return Err(PolicyError::ClearNotAllowed {
            role: role.to_owned(),
            field: name.to_owned(),
        });
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_policy_parses() {
        let p = Policy::from_toml(DEFAULT_POLICY).unwrap();
        assert_eq!(Policy::default(), p);
        assert!(p.requires_purpose());
        for role in ["admin", "agent", "analyst", "notifier", "service"] {
            assert!(p.roles().any(|r| r == role), "{role} missing");
        }
    }

    #[test]
    fn deny_all_hides_everything() {
        let p = Policy::deny_all();
        for f in PolicyField::ALL {
            assert_eq!(p.disposition("admin", f), Disposition::Hidden);
            assert_eq!(p.read_value("admin", f, "x"), None);
        }
    }
}
