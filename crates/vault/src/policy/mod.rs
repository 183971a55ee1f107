//! The masking policy: what each role sees of each field of the canonical record. Reads return
//! masked values by default; revealing a full value needs a role whose policy says `reveal` for
//! that field and a stated purpose. The policy is data, a TOML file (`policy/default.toml` is
//! built in, [`Policy::default`]), never branches on role names in code.
//!
//! Each role gives each field a [`Disposition`]: `reveal` (masked on read, full value on a reveal
//! with a purpose), `masked` (always masked), `hidden` (absent from output), or `clear` (shown in
//! full without a reveal; only for `state`, the one column kept in clear). Unknown roles, and
//! fields a role does not list, are `hidden`. The masks themselves are in [`mask`](mask()).
//!
//! ```toml
//! require_purpose = true
//! min_purpose_len = 8
//!
//! [roles.agent]
//! default = "masked"     # optional: fields not listed below
//! phone = "reveal"
//! ssn = "masked"
//! imsi = "hidden"
//! state = "clear"
//! ```

use std::fmt;

mod error;
mod mask;
mod rules;

pub use error::PolicyError;
pub use mask::{FULLY_MASKED, mask};
pub use rules::Policy;

/// A field of the canonical record as the policy names it: the twelve encrypted fields and
/// `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PolicyField {
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// Street line.
    Street,
    /// City.
    City,
    /// State (kept in clear).
    State,
    /// ZIP code.
    Zip,
    /// Date of birth (`YYYY-MM-DD`).
    Dob,
    /// Social Security number.
    Ssn,
    /// Driver's licence number.
    DlNumber,
    /// Phone number.
    Phone,
    /// E-mail address.
    Email,
    /// IMEI.
    Imei,
    /// IMSI.
    Imsi,
}

impl PolicyField {
    /// Every field, in canonical-record order.
    pub const ALL: [PolicyField; 13] = [
        PolicyField::FirstName,
        PolicyField::LastName,
        PolicyField::Street,
        PolicyField::City,
        PolicyField::State,
        PolicyField::Zip,
        PolicyField::Dob,
        PolicyField::Ssn,
        PolicyField::DlNumber,
        PolicyField::Phone,
        PolicyField::Email,
        PolicyField::Imei,
        PolicyField::Imsi,
    ];

    /// The canonical-record column name (`dl_number` for the licence).
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyField::FirstName => "first_name",
            PolicyField::LastName => "last_name",
            PolicyField::Street => "street",
            PolicyField::City => "city",
            PolicyField::State => "state",
            PolicyField::Zip => "zip",
            PolicyField::Dob => "dob",
            PolicyField::Ssn => "ssn",
            PolicyField::DlNumber => "dl_number",
            PolicyField::Phone => "phone",
            PolicyField::Email => "email",
            PolicyField::Imei => "imei",
            PolicyField::Imsi => "imsi",
        }
    }

    /// The field of that column name; `drivers_license` (the stored field's name) is accepted for
    /// `dl_number`.
    pub fn parse(name: &str) -> Option<PolicyField> {
        if name == "drivers_license" {
            return Some(PolicyField::DlNumber);
        }
        PolicyField::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// Whether the field is stored encrypted (every field but `state`); only non-sensitive
    /// fields may be `clear`.
    pub fn is_sensitive(self) -> bool {
        self != PolicyField::State
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Anything that names a policy field: a [`PolicyField`], the vault's stored
/// [`Field`](crate::record::Field), or a column name (`"ssn"`, `"drivers_license"`). A name that
/// is no field yields `None`, which the policy treats as hidden (fail closed).
pub trait IntoPolicyField {
    /// The field named, if any.
    fn into_policy_field(self) -> Option<PolicyField>;
}

impl IntoPolicyField for PolicyField {
    fn into_policy_field(self) -> Option<PolicyField> {
        Some(self)
    }
}

impl IntoPolicyField for &str {
    fn into_policy_field(self) -> Option<PolicyField> {
        PolicyField::parse(self)
    }
}

impl IntoPolicyField for crate::record::Field {
    fn into_policy_field(self) -> Option<PolicyField> {
        PolicyField::parse(self.as_str())
    }
}

impl fmt::Display for PolicyField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a role gets of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Disposition {
    /// Masked on read; the full value on a reveal with a stated purpose.
    Reveal,
    /// Always masked.
    Masked,
    /// Absent from output.
    Hidden,
    /// Shown in full on every read (only for non-sensitive fields: `state`).
    Clear,
}

impl Disposition {
    /// The word used in policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Reveal => "reveal",
            Disposition::Masked => "masked",
            Disposition::Hidden => "hidden",
            Disposition::Clear => "clear",
        }
    }

    /// The disposition of that word, if it is one.
    pub fn parse(word: &str) -> Option<Disposition> {
        [
            Disposition::Reveal,
            Disposition::Masked,
            Disposition::Hidden,
            Disposition::Clear,
        ]
        .into_iter()
        .find(|d| d.as_str() == word)
    }
}

impl fmt::Display for Disposition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
