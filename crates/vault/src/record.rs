//! The canonical customer record (DESIGN.md): the import and export format, parsed at the edge
//! into typed fields. `external_id`, `account_kind` and `state` are kept in clear; every other
//! column is a [`Field`] stored encrypted; `pin` goes to the guard and never to the vault.
//!
//! Rows come from CSV (with a header naming the columns) or NDJSON (one object per line, string
//! or null values). A bad row yields a [`RowError`] naming its line and field and never the value.

use std::fmt;

use time::Date;

use crate::element::{AccountKind, DataElement};
use crate::types::{
    City, DateOfBirth, DriversLicense, Email, FieldError, Imei, Imsi, Name, Phone, Pin, Ssn,
    Street, UsState, Zip,
};

/// The columns of the canonical record, in file order.
pub const COLUMNS: [&str; 17] = [
    "external_id",
    "account_kind",
    "first_name",
    "last_name",
    "street",
    "city",
    "state",
    "zip",
    "dob",
    "ssn",
    "dl_number",
    "dl_state",
    "phone",
    "email",
    "imei",
    "imsi",
    "pin",
];

/// A sensitive field as the vault stores it: one encrypted column each (the licence number and
/// its state travel together as one field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Field {
    /// First name.
    FirstName,
    /// Last name.
    LastName,
    /// Street line.
    Street,
    /// City.
    City,
    /// ZIP code.
    Zip,
    /// Date of birth.
    Dob,
    /// Social Security number.
    Ssn,
    /// Driver's licence number with its state.
    DriversLicense,
    /// Phone number (E.164).
    Phone,
    /// E-mail address.
    Email,
    /// IMEI.
    Imei,
    /// IMSI.
    Imsi,
}

impl Field {
    /// Every field, in storage order.
    pub const ALL: [Field; 12] = [
        Field::FirstName,
        Field::LastName,
        Field::Street,
        Field::City,
        Field::Zip,
        Field::Dob,
        Field::Ssn,
        Field::DriversLicense,
        Field::Phone,
        Field::Email,
        Field::Imei,
        Field::Imsi,
    ];

    /// The stable name (also the column name and the associated-data field name).
    pub fn as_str(self) -> &'static str {
        match self {
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::Street => "street",
            Field::City => "city",
            Field::Zip => "zip",
            Field::Dob => "dob",
            Field::Ssn => "ssn",
            Field::DriversLicense => "drivers_license",
            Field::Phone => "phone",
            Field::Email => "email",
            Field::Imei => "imei",
            Field::Imsi => "imsi",
        }
    }

    /// The data element the field holds (for breach rules and reports).
    pub fn element(self) -> DataElement {
        match self {
            Field::FirstName | Field::LastName => DataElement::FullName,
            Field::Street | Field::City | Field::Zip => DataElement::PostalAddress,
            Field::Dob => DataElement::DateOfBirth,
            Field::Ssn => DataElement::Ssn,
            Field::DriversLicense => DataElement::DriversLicense,
            Field::Phone => DataElement::PhoneNumber,
            Field::Email => DataElement::Email,
            Field::Imei => DataElement::Imei,
            Field::Imsi => DataElement::Imsi,
        }
    }

    /// Parses a field name; `dl_number` is accepted for the licence.
    pub fn parse(s: &str) -> Option<Field> {
        let s = s.trim();
        if s == "dl_number" || s == "dl" {
            return Some(Field::DriversLicense);
        }
        Field::ALL.into_iter().find(|f| f.as_str() == s)
    }

    /// The position in [`Field::ALL`].
    pub fn index(self) -> usize {
        Field::ALL.iter().position(|f| *f == self).unwrap_or(0)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The company's own identifier of a person: 1-64 printable ASCII characters, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExternalId(String);

impl ExternalId {
    /// Parses an external id.
    pub fn parse(s: &str) -> Result<ExternalId, FieldError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(FieldError::new("external_id", "is required"));
        }
        if t.len() > 64 || !t.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(FieldError::new(
                "external_id",
                "must be 1-64 printable ASCII characters without spaces",
            ));
        }
        Ok(ExternalId(t.to_owned()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ExternalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One parsed record: typed, validated, ready to seal.
#[derive(Debug, Clone)]
pub struct CanonicalRecord {
    /// The company's id.
    pub external_id: ExternalId,
    /// Postpaid, prepaid, former or prospective.
    pub account_kind: AccountKind,
    /// State of residence, kept in clear for jurisdiction counts.
    pub state: Option<UsState>,
    /// First name.
    pub first_name: Option<Name>,
    /// Last name.
    pub last_name: Option<Name>,
    /// Street line.
    pub street: Option<Street>,
    /// City.
    pub city: Option<City>,
    /// ZIP.
    pub zip: Option<Zip>,
    /// Date of birth.
    pub dob: Option<DateOfBirth>,
    /// SSN.
    pub ssn: Option<Ssn>,
    /// Licence with state.
    pub drivers_license: Option<DriversLicense>,
    /// Phone.
    pub phone: Option<Phone>,
    /// E-mail.
    pub email: Option<Email>,
    /// IMEI.
    pub imei: Option<Imei>,
    /// IMSI.
    pub imsi: Option<Imsi>,
    /// PIN, for the guard only.
    pub pin: Option<Pin>,
}

impl CanonicalRecord {
    /// The plaintext of a field as stored, if present: what is sealed, indexed and tokenized
    /// (identifiers in their normalized form, names and address lines as written).
    pub fn value(&self, f: Field) -> Option<&str> {
        match f {
            // Names and address lines are stored as written; their normalized (folded) form is
            // only for comparisons.
            Field::FirstName => self.first_name.as_ref().map(Name::as_str),
            Field::LastName => self.last_name.as_ref().map(Name::as_str),
            Field::Street => self.street.as_ref().map(Street::as_str),
            Field::City => self.city.as_ref().map(City::as_str),
            Field::Zip => self.zip.as_ref().map(Zip::normalized),
            Field::Dob => self.dob.as_ref().map(DateOfBirth::normalized),
            Field::Ssn => self.ssn.as_ref().map(Ssn::normalized),
            Field::DriversLicense => self
                .drivers_license
                .as_ref()
                .map(DriversLicense::normalized),
            Field::Phone => self.phone.as_ref().map(Phone::normalized),
            Field::Email => self.email.as_ref().map(Email::normalized),
            Field::Imei => self.imei.as_ref().map(Imei::normalized),
            Field::Imsi => self.imsi.as_ref().map(Imsi::normalized),
        }
    }
}

/// The normalized form of one field's value, as blind indexes see it (a licence is given as
/// `STATE:NUMBER`). Dates of birth are not accepted: they have no index.
pub fn normalize(field: Field, value: &str) -> Result<String, FieldError> {
    Ok(match field {
        Field::Ssn => Ssn::parse(value)?.normalized().to_owned(),
        Field::Phone => Phone::parse(value)?.normalized().to_owned(),
        Field::Email => Email::parse(value)?.normalized().to_owned(),
        Field::Imei => Imei::parse(value)?.normalized().to_owned(),
        Field::Imsi => Imsi::parse(value)?.normalized().to_owned(),
        Field::DriversLicense => DriversLicense::parse_normalized(value)?
            .normalized()
            .to_owned(),
        Field::FirstName | Field::LastName => Name::parse(value)?.normalized().to_owned(),
        Field::Street => Street::parse(value)?.normalized().to_owned(),
        Field::City => City::parse(value)?.normalized().to_owned(),
        Field::Zip => Zip::parse(value)?.normalized().to_owned(),
        Field::Dob => {
            return Err(FieldError::new(
                "dob",
                "has no index; search by another field",
            ));
        }
    })
}

/// A row that could not be parsed: where, which field, why (never the value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {field}: {reason}")]
pub struct RowError {
    /// The 1-based line of the file (the header is line 1 in CSV).
    pub line: u64,
    /// The field at fault (or `row` for the row's shape).
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

impl RowError {
    fn from_field(line: u64, e: &FieldError) -> RowError {
        RowError {
            line,
            field: e.field().to_owned(),
            reason: e.reason().to_owned(),
        }
    }
}

/// Parses one row given a lookup from column name to raw text (`None` or empty = absent).
pub fn parse_row<'a>(
    line: u64,
    get: impl Fn(&str) -> Option<&'a str>,
    today: Date,
) -> Result<CanonicalRecord, RowError> {
    let val = |c: &str| get(c).map(str::trim).filter(|s| !s.is_empty());
    let f = |e: FieldError| RowError::from_field(line, &e);
    fn opt<T>(
        v: Option<&str>,
        p: impl Fn(&str) -> Result<T, FieldError>,
    ) -> Result<Option<T>, FieldError> {
        v.map(p).transpose()
    }
    let external_id = ExternalId::parse(val("external_id").unwrap_or("")).map_err(f)?;
    let account_kind = val("account_kind")
        .ok_or_else(|| FieldError::new("account_kind", "is required"))
        .map_err(f)?
        .parse::<AccountKind>()
        .map_err(|_| RowError {
            line,
            field: "account_kind".into(),
            reason: "must be postpaid, prepaid, former or prospective".into(),
        })?;
    let drivers_license = match (val("dl_number"), val("dl_state")) {
        (Some(n), Some(s)) => Some(DriversLicense::parse(n, s).map_err(f)?),
        (None, None) => None,
        (Some(_), None) => {
            return Err(f(FieldError::new("dl_state", "is required with dl_number")));
        }
        (None, Some(_)) => {
            return Err(f(FieldError::new("dl_number", "is required with dl_state")));
        }
    };
    Ok(CanonicalRecord {
        external_id,
        account_kind,
        state: opt(val("state"), UsState::parse).map_err(f)?,
        first_name: opt(val("first_name"), Name::parse).map_err(f)?,
        last_name: opt(val("last_name"), Name::parse).map_err(f)?,
        street: opt(val("street"), Street::parse).map_err(f)?,
        city: opt(val("city"), City::parse).map_err(f)?,
        zip: opt(val("zip"), Zip::parse).map_err(f)?,
        dob: opt(val("dob"), |s| DateOfBirth::parse(s, today)).map_err(f)?,
        ssn: opt(val("ssn"), Ssn::parse).map_err(f)?,
        drivers_license,
        phone: opt(val("phone"), Phone::parse).map_err(f)?,
        email: opt(val("email"), Email::parse).map_err(f)?,
        imei: opt(val("imei"), Imei::parse).map_err(f)?,
        imsi: opt(val("imsi"), Imsi::parse).map_err(f)?,
        pin: opt(val("pin"), Pin::parse).map_err(f)?,
    })
}

/// Checks a CSV header: every column must be known and `external_id`, `account_kind` present.
pub fn check_header(header: &[&str]) -> Result<(), RowError> {
    for h in header {
        if !COLUMNS.contains(&h.trim()) {
            return Err(RowError {
                line: 1,
                field: (*h).to_owned(),
                reason: format!("unknown column (expected some of: {})", COLUMNS.join(", ")),
            });
        }
    }
    for required in ["external_id", "account_kind"] {
        if !header.iter().any(|h| h.trim() == required) {
            return Err(RowError {
                line: 1,
                field: required.to_owned(),
                reason: "required column is missing from the header".to_owned(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::from_calendar_date(2026, time::Month::November, 23).unwrap()
    }

    fn row<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |c| pairs.iter().find(|(k, _)| *k == c).map(|(_, v)| *v)
    }

    #[test]
    fn parses_a_full_row() {
        let pairs = [
            ("external_id", "C001"),
            ("account_kind", "postpaid"),
            ("first_name", "Ana"),
            ("last_name", "Diaz"),
            ("state", "tx"),
            ("dob", "1980-02-29"),
            ("ssn", "123-45-6789"),
            ("dl_number", "12345678"),
            ("dl_state", "TX"),
            ("phone", "(512) 555-0142"),
            ("email", "Ana@Example.com"),
            ("imei", "490154203237518"),
            ("imsi", "310260123456789"),
            ("pin", "482913"),
        ];
        let r = parse_row(2, row(&pairs), today()).unwrap();
        assert_eq!(r.value(Field::Ssn), Some("123456789"));
        assert_eq!(r.value(Field::Email), Some("ana@example.com"));
        assert_eq!(r.value(Field::DriversLicense), Some("TX:12345678"));
        assert_eq!(r.state, Some(UsState::parse("TX").unwrap()));
        assert!(r.pin.is_some());
    }

    #[test]
    fn errors_name_line_and_field_but_not_the_value() {
        let pairs = [
            ("external_id", "C1"),
            ("account_kind", "postpaid"),
            ("ssn", "000-12-3456"),
        ];
        let e = parse_row(7, row(&pairs), today()).unwrap_err();
        assert_eq!(e.line, 7);
        assert_eq!(e.field, "ssn");
        assert!(!e.to_string().contains("000-12-3456") && !e.to_string().contains("3456"));
        let pairs = [("external_id", "C1"), ("account_kind", "gold")];
        assert_eq!(
            parse_row(3, row(&pairs), today()).unwrap_err().field,
            "account_kind"
        );
        let pairs = [
            ("external_id", "C1"),
            ("account_kind", "former"),
            ("dl_number", "X1"),
        ];
        assert_eq!(
            parse_row(3, row(&pairs), today()).unwrap_err().field,
            "dl_state"
        );
    }

    #[test]
    fn header_must_be_known_and_complete() {
        assert!(check_header(&COLUMNS).is_ok());
        assert_eq!(
            check_header(&["external_id", "account_kind", "sssn"])
                .unwrap_err()
                .field,
            "sssn"
        );
        assert_eq!(
            check_header(&["external_id", "ssn"]).unwrap_err().field,
            "account_kind"
        );
    }

    #[test]
    fn fields_round_trip_by_name() {
        for f in Field::ALL {
            assert_eq!(Field::parse(f.as_str()), Some(f));
        }
        assert_eq!(Field::parse("dl_number"), Some(Field::DriversLicense));
    }
}
