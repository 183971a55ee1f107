//! The shared vocabulary of personal data: which data elements exist, how sensitive each is, and
//! which kinds of account a person can have. The breach rules, the masking policy and the import
//! format all speak in these names, so they live here, in the crate that owns the data.

use std::fmt;
use std::str::FromStr;

/// One kind of personal data the company holds about a person.
///
/// The string form (`ssn`, `date_of_birth`, ...) is the stable name used in files, rules and the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DataElement {
    /// First and last name.
    FullName,
    /// Street, city, ZIP (the state is kept in clear for jurisdiction counts).
    PostalAddress,
    /// Full date of birth.
    DateOfBirth,
    /// US Social Security number.
    Ssn,
    /// Driver's licence or state ID number, with its issuing state.
    DriversLicense,
    /// Phone number (MSISDN).
    PhoneNumber,
    /// E-mail address.
    Email,
    /// Handset identity (15 digits, Luhn).
    Imei,
    /// Subscriber identity (15 digits, MCC + MNC + MSIN).
    Imsi,
    /// Account PIN (held by the guard, hashed).
    AccountPin,
    /// Account password (held by the guard, hashed).
    AccountPassword,
    /// The company's account number.
    AccountNumber,
    /// Payment card number.
    PaymentCard,
}

/// How much harm the exposure of an element can do on its own; drives defaults for masking and
/// for the order of fields in reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Sensitivity {
    /// Contact data: harmful mostly in combination (name, e-mail, phone, address).
    Contact,
    /// Device and subscriber identifiers that enable SIM and device fraud.
    Identifier,
    /// Government identifiers and birth dates that enable identity theft.
    Identity,
    /// Secrets and financial data that open accounts directly.
    Credential,
}

impl DataElement {
    /// Every element, in a fixed order used for reports and bit sets.
    pub const ALL: [DataElement; 13] = [
        DataElement::FullName,
        DataElement::PostalAddress,
        DataElement::DateOfBirth,
        DataElement::Ssn,
        DataElement::DriversLicense,
        DataElement::PhoneNumber,
        DataElement::Email,
        DataElement::Imei,
        DataElement::Imsi,
        DataElement::AccountPin,
        DataElement::AccountPassword,
        DataElement::AccountNumber,
        DataElement::PaymentCard,
    ];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DataElement::FullName => "full_name",
            DataElement::PostalAddress => "postal_address",
            DataElement::DateOfBirth => "date_of_birth",
            DataElement::Ssn => "ssn",
            DataElement::DriversLicense => "drivers_license",
            DataElement::PhoneNumber => "phone_number",
            DataElement::Email => "email",
            DataElement::Imei => "imei",
            DataElement::Imsi => "imsi",
            DataElement::AccountPin => "account_pin",
            DataElement::AccountPassword => "account_password",
            DataElement::AccountNumber => "account_number",
            DataElement::PaymentCard => "payment_card",
        }
    }

    /// A human label for reports and notices.
    pub fn label(self) -> &'static str {
        match self {
            DataElement::FullName => "name",
            DataElement::PostalAddress => "address",
            DataElement::DateOfBirth => "date of birth",
            DataElement::Ssn => "Social Security number",
            DataElement::DriversLicense => "driver's licence / state ID",
            DataElement::PhoneNumber => "phone number",
            DataElement::Email => "e-mail address",
            DataElement::Imei => "IMEI",
            DataElement::Imsi => "IMSI",
            DataElement::AccountPin => "account PIN",
            DataElement::AccountPassword => "account password",
            DataElement::AccountNumber => "account number",
            DataElement::PaymentCard => "payment card number",
        }
    }

    /// The element's sensitivity class.
    pub fn sensitivity(self) -> Sensitivity {
        match self {
            DataElement::FullName
            | DataElement::PostalAddress
            | DataElement::PhoneNumber
            | DataElement::Email => Sensitivity::Contact,
            DataElement::Imei | DataElement::Imsi | DataElement::AccountNumber => {
                Sensitivity::Identifier
            }
            DataElement::DateOfBirth | DataElement::Ssn | DataElement::DriversLicense => {
                Sensitivity::Identity
            }
            DataElement::AccountPin | DataElement::AccountPassword | DataElement::PaymentCard => {
                Sensitivity::Credential
            }
        }
    }

    /// The element's position in [`DataElement::ALL`], used as a bit number in element sets.
    pub fn bit(self) -> u32 {
        // The position always exists because ALL lists every variant.
        DataElement::ALL
            .iter()
            .position(|e| *e == self)
            .unwrap_or(0) as u32
    }
}

impl fmt::Display for DataElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the known data elements.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown data element `{0}` (expected one of: full_name, postal_address, date_of_birth, ssn, drivers_license, phone_number, email, imei, imsi, account_pin, account_password, account_number, payment_card)"
)]
pub struct UnknownElement(pub String);

impl FromStr for DataElement {
    type Err = UnknownElement;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        DataElement::ALL
            .into_iter()
            .find(|e| e.as_str() == t)
            .ok_or_else(|| UnknownElement(s.to_owned()))
    }
}

/// A set of data elements, stored as a bit set (bit = [`DataElement::bit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct ElementSet(u32);

impl ElementSet {
    /// The empty set.
    pub const EMPTY: ElementSet = ElementSet(0);

    /// A set from its raw bits (as stored in the database); unknown bits are dropped.
    pub fn from_bits(bits: u32) -> Self {
        ElementSet(bits & ((1 << DataElement::ALL.len()) - 1))
    }

    /// The raw bits.
    pub fn bits(self) -> u32 {
        self.0
    }

    /// This set plus one element.
    #[must_use]
    pub fn with(self, e: DataElement) -> Self {
        ElementSet(self.0 | (1 << e.bit()))
    }

    /// The union of two sets.
    #[must_use]
    pub fn union(self, other: ElementSet) -> Self {
        ElementSet(self.0 | other.0)
    }

    /// The intersection of two sets.
    #[must_use]
    pub fn intersect(self, other: ElementSet) -> Self {
        ElementSet(self.0 & other.0)
    }

    /// Whether the set holds the element.
    pub fn contains(self, e: DataElement) -> bool {
        self.0 & (1 << e.bit()) != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The elements, in [`DataElement::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = DataElement> {
        DataElement::ALL
            .into_iter()
            .filter(move |e| self.contains(*e))
    }

    /// The number of elements.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
}

impl FromIterator<DataElement> for ElementSet {
    fn from_iter<I: IntoIterator<Item = DataElement>>(iter: I) -> Self {
        iter.into_iter().fold(ElementSet::EMPTY, ElementSet::with)
    }
}

impl fmt::Display for ElementSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(DataElement::as_str).collect();
        f.write_str(&names.join(","))
    }
}

impl FromStr for ElementSet {
    type Err = UnknownElement;

    /// Parses a comma-separated list such as `full_name,ssn,drivers_license`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',')
            .filter(|p| !p.trim().is_empty())
            .map(str::parse::<DataElement>)
            .collect()
    }
}

/// The relationship a person has, or had, with the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum AccountKind {
    /// A current postpaid (contract) customer.
    Postpaid,
    /// A current prepaid customer.
    Prepaid,
    /// A former customer.
    Former,
    /// A prospective customer (applied, e.g. a credit check, never became a customer).
    Prospective,
}

impl AccountKind {
    /// Every kind.
    pub const ALL: [AccountKind; 4] = [
        AccountKind::Postpaid,
        AccountKind::Prepaid,
        AccountKind::Former,
        AccountKind::Prospective,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Postpaid => "postpaid",
            AccountKind::Prepaid => "prepaid",
            AccountKind::Former => "former",
            AccountKind::Prospective => "prospective",
        }
    }

    /// Whether the person is a current customer.
    pub fn is_current(self) -> bool {
        matches!(self, AccountKind::Postpaid | AccountKind::Prepaid)
    }
}

impl fmt::Display for AccountKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of the account kinds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown account kind `{0}` (expected postpaid, prepaid, former or prospective)")]
pub struct UnknownAccountKind(pub String);

impl FromStr for AccountKind {
    type Err = UnknownAccountKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        AccountKind::ALL
            .into_iter()
            .find(|k| k.as_str() == t)
            .ok_or_else(|| UnknownAccountKind(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_names_round_trip() {
        for e in DataElement::ALL {
            assert_eq!(e.as_str().parse::<DataElement>(), Ok(e));
        }
        assert!("social".parse::<DataElement>().is_err());
    }

    #[test]
    fn element_set_parses_and_prints() {
        let s: ElementSet = "ssn, full_name".parse().unwrap();
        assert_eq!(s.to_string(), "full_name,ssn");
        assert_eq!(s.len(), 2);
        assert!(s.contains(DataElement::Ssn));
        assert!(!s.contains(DataElement::Imei));
        assert_eq!(ElementSet::from_bits(s.bits()), s);
    }

    #[test]
    fn account_kinds_round_trip() {
        for k in AccountKind::ALL {
            assert_eq!(k.as_str().parse::<AccountKind>(), Ok(k));
        }
        assert!("gold".parse::<AccountKind>().is_err());
    }
}
