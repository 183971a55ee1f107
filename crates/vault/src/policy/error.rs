//! The policy error type: a policy file that cannot be used (naming the role and field), or a
//! reveal that the policy refuses (naming the role, the field and what is missing).

use super::{Disposition, PolicyField};

/// Why a policy file was refused, or why a reveal is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file is not valid TOML; the message names the line and column.
    #[error("policy file: {0}")]
    Syntax(String),
    /// A top-level key the policy format does not have.
    #[error("policy file: unknown setting `{key}`")]
    UnknownSetting {
        /// The key.
        key: String,
    },
    /// A top-level setting has the wrong type or an out-of-range value.
    #[error("policy file: `{key}` {reason}")]
    InvalidSetting {
        /// The key.
        key: &'static str,
        /// What it must be.
        reason: &'static str,
    },
    /// `roles.<role>` is not a table of field dispositions.
    #[error(
        "policy file: role `{role}` must be a table of field = \"reveal\" | \"masked\" | \"hidden\""
    )]
    RoleNotATable {
        /// The role.
        role: String,
    },
    /// A role names a field the canonical record does not have.
    #[error("policy file: role `{role}`: unknown field `{field}`")]
    UnknownField {
        /// The role.
        role: String,
        /// The unknown field name.
        field: String,
    },
    /// A field's disposition is not one of the known words.
    #[error(
        "policy file: role `{role}`, field `{field}`: `{value}` is not reveal, masked, hidden or clear"
    )]
    InvalidDisposition {
        /// The role.
        role: String,
        /// The field (or `default`).
        field: String,
        /// What was written.
        value: String,
    },
    /// `clear` was given for a sensitive field; only `state` may be shown without masking.
    #[error("policy file: role `{role}`, field `{field}`: only `state` may be `clear`")]
    ClearNotAllowed {
        /// The role.
        role: String,
        /// The field (or `default`).
        field: String,
    },
    /// The role may not reveal the field.
    #[error("role `{role}` may not reveal `{field}` (policy: {disposition})")]
    NotAllowed {
        /// The role.
        role: String,
        /// The field.
        field: PolicyField,
        /// What the policy says for the role and field.
        disposition: Disposition,
    },
    /// A reveal named something that is not a field of the canonical record.
    #[error("cannot reveal: not a field of the canonical record")]
    UnknownFieldName,
    /// A reveal came without a purpose.
    #[error("revealing `{field}` needs a stated purpose")]
    PurposeRequired {
        /// The field.
        field: PolicyField,
    },
    /// The stated purpose is shorter than the policy's minimum.
    #[error("revealing `{field}`: the purpose must be at least {min} characters")]
    PurposeTooShort {
        /// The field.
        field: PolicyField,
        /// The minimum length, in characters.
        min: usize,
    },
}
