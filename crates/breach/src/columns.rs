//! What the columns of a system file or an exposed file hold: by header name (the canonical
//! record's columns, the data-element names and common aliases such as `msisdn` or
//! `birth_date`), and, for exposed files whose headers say nothing, by content (validated SSN,
//! Luhn-checked IMEI, IMSI with an assigned country code, NANP phone, e-mail, date of birth),
//! using the vault's own parsers so that what is detected is exactly what the blind indexes
//! can look up.

use custodian_vault::types::{DateOfBirth, Email, Imei, Imsi, Phone, Ssn};
use custodian_vault::{DataElement, Field};
use time::Date;

/// What one column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The company's id of the person.
    ExternalId,
    /// The account kind (not a data element).
    AccountKind,
    /// A data element; identifiers also serve to resolve the row to a person.
    Element(DataElement),
    /// The licence's issuing state: part of the licence element and of its lookup key.
    LicenceState,
    /// Nothing recognised (exposed files only: header and content both unknown).
    Unknown,
}

/// How a column's role was decided (reported with file exposures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Basis {
    /// From its header.
    Header,
    /// From the values it holds.
    Content,
}

/// The role a header names, if any; case, spaces and punctuation do not matter.
pub(crate) fn role_by_header(header: &str) -> Option<Role> {
    let key: String = header
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let key = key.trim_matches('_');
    use DataElement as E;
    let role = match key {
        "external_id" | "customer_id" | "person_id" => Role::ExternalId,
        "account_kind" | "account_type" => Role::AccountKind,
        "dl_state" | "license_state" | "licence_state" => Role::LicenceState,
        "first_name" | "last_name" | "full_name" | "name" | "given_name" | "family_name"
        | "surname" | "fname" | "lname" | "customer_name" => Role::Element(E::FullName),
        "street" | "address" | "street_address" | "address1" | "address_line1" | "city"
        | "state" | "zip" | "zip_code" | "zipcode" | "postal_code" | "postal_address" => {
            Role::Element(E::PostalAddress)
        }
        "dob" | "date_of_birth" | "birth_date" | "birthdate" => Role::Element(E::DateOfBirth),
        "ssn" | "social_security_number" | "ss_number" => Role::Element(E::Ssn),
        "dl_number" | "drivers_license" | "driver_license" | "license_number"
        | "licence_number" | "dl" => Role::Element(E::DriversLicense),
        "phone" | "phone_number" | "msisdn" | "mobile" | "mdn" | "cell" | "telephone" => {
            Role::Element(E::PhoneNumber)
        }
        "email" | "e_mail" | "email_address" => Role::Element(E::Email),
        "imei" => Role::Element(E::Imei),
        "imsi" => Role::Element(E::Imsi),
        "pin" | "account_pin" | "passcode" => Role::Element(E::AccountPin),
        "password" | "account_password" => Role::Element(E::AccountPassword),
        "account_number" | "ban" | "account_no" => Role::Element(E::AccountNumber),
        "card" | "card_number" | "payment_card" | "pan" | "cc_number" => {
            Role::Element(E::PaymentCard)
        }
        _ => return None,
    };
    Some(role)
}

/// The vault field whose blind index can look up a column of this element, if any (the
/// licence needs its state column too).
pub(crate) fn key_field(e: DataElement) -> Option<Field> {
    match e {
        DataElement::Ssn => Some(Field::Ssn),
        DataElement::DriversLicense => Some(Field::DriversLicense),
        DataElement::Email => Some(Field::Email),
        DataElement::Imei => Some(Field::Imei),
        DataElement::Imsi => Some(Field::Imsi),
        DataElement::PhoneNumber => Some(Field::Phone),
        _ => None,
    }
}

/// The order in which identifiers are tried to resolve a row: the most specific first.
pub(crate) const KEY_ORDER: [Field; 6] = [
    Field::Ssn,
    Field::DriversLicense,
    Field::Email,
    Field::Imei,
    Field::Imsi,
    Field::Phone,
];

/// The element one value holds, judged by the vault's parsers; `None` when nothing fits.
pub(crate) fn classify_value(value: &str, today: Date) -> Option<DataElement> {
    let v = value.trim();
    if v.is_empty() || v.len() > 254 {
        return None;
    }
    let digits = v.bytes().filter(u8::is_ascii_digit).count();
    if digits == 9 && Ssn::parse(v).is_ok() {
        return Some(DataElement::Ssn);
    }
    if digits == 15 {
        if Imei::parse(v).is_ok() {
            return Some(DataElement::Imei);
        }
        if Imsi::parse(v).is_ok() {
            return Some(DataElement::Imsi);
        }
    }
    if Phone::parse(v).is_ok() {
        return Some(DataElement::PhoneNumber);
    }
    if v.contains('@') && Email::parse(v).is_ok() {
        return Some(DataElement::Email);
    }
    if DateOfBirth::parse(v, today).is_ok() {
        return Some(DataElement::DateOfBirth);
    }
    None
}

/// Decides a column's element from sampled values: the element at least 80% of the non-empty
/// samples parse as. IMEI wins over IMSI when both qualify (a Luhn check is the stricter test:
/// only one in ten IMSIs passes it by chance).
#[derive(Debug, Clone, Default)]
pub(crate) struct ContentVote {
    seen: u32,
    votes: [u32; DataElement::ALL.len()],
}

impl ContentVote {
    /// Counts one sampled value.
    pub(crate) fn add(&mut self, value: &str, today: Date) {
        if value.trim().is_empty() {
            return;
        }
        self.seen += 1;
        if let Some(e) = classify_value(value, today) {
            self.votes[e.bit() as usize] += 1;
            // An IMEI with a valid MCC prefix is also a valid IMSI; count it for both.
            if e == DataElement::Imei && Imsi::parse(value).is_ok() {
                self.votes[DataElement::Imsi.bit() as usize] += 1;
            }
        }
    }

    /// The element decided, if any.
    pub(crate) fn decide(&self) -> Option<DataElement> {
        if self.seen == 0 {
            return None;
        }
        let order = [
            DataElement::Ssn,
            DataElement::Imei,
            DataElement::Imsi,
            DataElement::PhoneNumber,
            DataElement::Email,
            DataElement::DateOfBirth,
        ];
        order
            .into_iter()
            .find(|e| self.votes[e.bit() as usize] * 5 >= self.seen * 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::from_calendar_date(2026, time::Month::January, 1).unwrap()
    }

    #[test]
    fn headers_name_roles() {
        assert_eq!(
            role_by_header("MSISDN"),
            Some(Role::Element(DataElement::PhoneNumber))
        );
        assert_eq!(
            role_by_header(" Birth Date "),
            Some(Role::Element(DataElement::DateOfBirth))
        );
        assert_eq!(role_by_header("dl_state"), Some(Role::LicenceState));
        assert_eq!(role_by_header("external_id"), Some(Role::ExternalId));
        assert_eq!(role_by_header("col7"), None);
    }

    #[test]
    fn values_are_classified_by_the_vaults_parsers() {
        assert_eq!(
            classify_value("123-45-6789", today()),
            Some(DataElement::Ssn)
        );
        assert_eq!(
            classify_value("490154203237518", today()),
            Some(DataElement::Imei)
        );
        assert_eq!(
            classify_value("310260123456780", today()),
            Some(DataElement::Imsi)
        );
        assert_eq!(
            classify_value("(512) 555-0142", today()),
            Some(DataElement::PhoneNumber)
        );
        assert_eq!(
            classify_value("a@example.com", today()),
            Some(DataElement::Email)
        );
        assert_eq!(
            classify_value("1980-02-29", today()),
            Some(DataElement::DateOfBirth)
        );
        assert_eq!(classify_value("hello", today()), None);
        assert_eq!(classify_value("000-12-3456", today()), None);
    }

    #[test]
    fn columns_are_decided_by_majority() {
        let mut v = ContentVote::default();
        for s in ["490154203237518", "356938035643809", "", "x"] {
            v.add(s, today());
        }
        assert_eq!(v.decide(), None, "2 of 3 is below 80%");
        v.add("352099001761481", today());
        v.add("490154203237518", today());
        assert_eq!(v.decide(), Some(DataElement::Imei));
        let mut imsi = ContentVote::default();
        for s in ["310260123456780", "310260123456781", "310260123456782"] {
            imsi.add(s, today());
        }
        assert_eq!(imsi.decide(), Some(DataElement::Imsi));
    }
}
