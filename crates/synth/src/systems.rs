//! The carrier's systems: which columns each keeps, who is in it, and `systems.toml`, the
//! data inventory the breach engine reads back.
//!
//! Membership is a rule over the canonical record alone (account kind and which fields are
//! present), so anyone holding `people.csv` can recompute who belongs in each system; the
//! rules are spelled out in each system's `members` text and in the crate docs.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{AccountKind, SynthError, SynthPerson};

use self::Column as C;

/// Name of the data-inventory file written next to the CSVs.
pub const SYSTEMS_FILE: &str = "systems.toml";

/// The data-element names a system may hold, as the breach rules spell them.
pub const ELEMENTS: [&str; 10] = [
    "full_name",
    "postal_address",
    "date_of_birth",
    "ssn",
    "drivers_license",
    "phone_number",
    "email",
    "imei",
    "imsi",
    "account_pin",
];

/// A column of the canonical record (`people.csv`); system files use a subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Column {
    /// The company's id for the person.
    ExternalId,
    /// `postpaid`, `prepaid`, `former` or `prospective`.
    AccountKind,
    /// Given name.
    FirstName,
    /// Family name.
    LastName,
    /// Street line.
    Street,
    /// City.
    City,
    /// USPS state code.
    State,
    /// ZIP code.
    Zip,
    /// Date of birth.
    Dob,
    /// Social Security number.
    Ssn,
    /// Driver's licence number.
    DlNumber,
    /// Licence issuing state.
    DlState,
    /// Phone number.
    Phone,
    /// E-mail address.
    Email,
    /// Handset IMEI.
    Imei,
    /// SIM IMSI.
    Imsi,
    /// Account PIN.
    Pin,
}

impl Column {
    /// The columns of `people.csv`, in order.
    pub const PEOPLE: [Column; 17] = [
        Column::ExternalId,
        Column::AccountKind,
        Column::FirstName,
        Column::LastName,
        Column::Street,
        Column::City,
        Column::State,
        Column::Zip,
        Column::Dob,
        Column::Ssn,
        Column::DlNumber,
        Column::DlState,
        Column::Phone,
        Column::Email,
        Column::Imei,
        Column::Imsi,
        Column::Pin,
    ];

    /// The header name.
    pub fn name(self) -> &'static str {
        match self {
            Column::ExternalId => "external_id",
            Column::AccountKind => "account_kind",
            Column::FirstName => "first_name",
            Column::LastName => "last_name",
            Column::Street => "street",
            Column::City => "city",
            Column::State => "state",
            Column::Zip => "zip",
            Column::Dob => "dob",
            Column::Ssn => "ssn",
            Column::DlNumber => "dl_number",
            Column::DlState => "dl_state",
            Column::Phone => "phone",
            Column::Email => "email",
            Column::Imei => "imei",
            Column::Imsi => "imsi",
            Column::Pin => "pin",
        }
    }

    /// The data element the column carries; `None` for the id and the account kind.
    pub fn element(self) -> Option<&'static str> {
        match self {
            Column::ExternalId | Column::AccountKind => None,
            Column::FirstName | Column::LastName => Some("full_name"),
            Column::Street | Column::City | Column::State | Column::Zip => Some("postal_address"),
            Column::Dob => Some("date_of_birth"),
            Column::Ssn => Some("ssn"),
            Column::DlNumber | Column::DlState => Some("drivers_license"),
            Column::Phone => Some("phone_number"),
            Column::Email => Some("email"),
            Column::Imei => Some("imei"),
            Column::Imsi => Some("imsi"),
            Column::Pin => Some("account_pin"),
        }
    }

    /// The person's value for this column (empty when absent).
    pub fn value(self, p: &SynthPerson) -> &str {
        match self {
            Column::ExternalId => &p.external_id,
            Column::AccountKind => p.account_kind.as_str(),
            Column::FirstName => p.first_name,
            Column::LastName => p.last_name,
            Column::Street => &p.street,
            Column::City => p.city,
            Column::State => p.state,
            Column::Zip => &p.zip,
            Column::Dob => &p.dob,
            Column::Ssn => &p.ssn,
            Column::DlNumber => &p.dl_number,
            Column::DlState => p.dl_state,
            Column::Phone => &p.phone,
            Column::Email => &p.email,
            Column::Imei => &p.imei,
            Column::Imsi => &p.imsi,
            Column::Pin => &p.pin,
        }
    }
}

/// One of the carrier's systems, each written as its own CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum System {
    /// Postpaid billing: adult postpaid customers with an SSN on file.
    Billing,
    /// Customer profiles: every current postpaid customer, no SSN.
    CustomerProfiles,
    /// Credit applications: former and prospective people with an SSN on file.
    CreditApplications,
    /// The legacy former-customer system: former customers without an SSN; no external id.
    LegacyFormer,
    /// Prepaid accounts: names, phone numbers and PINs.
    Prepaid,
    /// Network subscriber records: phone, IMEI, IMSI only, for postpaid customers, plus
    /// identifiers linked to nobody.
    Network,
}

impl System {
    /// Every system, in the order files and specs are written.
    pub const ALL: [System; 6] = [
        System::Billing,
        System::CustomerProfiles,
        System::CreditApplications,
        System::LegacyFormer,
        System::Prepaid,
        System::Network,
    ];

    /// The stable name (`billing`, `customer_profiles`, ...).
    pub fn name(self) -> &'static str {
        match self {
            System::Billing => "billing",
            System::CustomerProfiles => "customer_profiles",
            System::CreditApplications => "credit_applications",
            System::LegacyFormer => "legacy_former",
            System::Prepaid => "prepaid",
            System::Network => "network",
        }
    }

    /// The CSV file name in the output directory.
    pub fn file_name(self) -> &'static str {
        match self {
            System::Billing => "billing.csv",
            System::CustomerProfiles => "customer_profiles.csv",
            System::CreditApplications => "credit_applications.csv",
            System::LegacyFormer => "legacy_former.csv",
            System::Prepaid => "prepaid.csv",
            System::Network => "network.csv",
        }
    }

    /// The columns the system keeps, in file order.
    pub fn columns(self) -> &'static [Column] {
        const ADDRESS_SSN: [Column; 11] = [
            C::ExternalId,
            C::FirstName,
            C::LastName,
            C::Street,
            C::City,
            C::State,
            C::Zip,
            C::Dob,
            C::Ssn,
            C::DlNumber,
            C::DlState,
        ];
        match self {
            System::Billing | System::CreditApplications => &ADDRESS_SSN,
            System::CustomerProfiles => &[
                C::ExternalId,
                C::FirstName,
                C::LastName,
                C::Street,
                C::City,
                C::State,
                C::Zip,
                C::Dob,
                C::Phone,
                C::Email,
                C::Imei,
                C::Imsi,
            ],
            System::LegacyFormer => &[
                C::FirstName,
                C::LastName,
                C::Street,
                C::City,
                C::State,
                C::Zip,
                C::Dob,
                C::Phone,
            ],
            System::Prepaid => &[C::ExternalId, C::FirstName, C::LastName, C::Phone, C::Pin],
            System::Network => &[C::Phone, C::Imei, C::Imsi],
        }
    }

    /// The columns that tie a row to a person: the external id where the system has one,
    /// otherwise unique identifiers to resolve.
    pub fn keys(self) -> &'static [Column] {
        match self {
            System::LegacyFormer => &[C::Phone],
            System::Network => &[C::Phone, C::Imei, C::Imsi],
            _ => &[C::ExternalId],
        }
    }

    /// The data elements the system holds, in [`ELEMENTS`] order.
    pub fn elements(self) -> Vec<&'static str> {
        let held: Vec<_> = self.columns().iter().filter_map(|c| c.element()).collect();
        ELEMENTS.into_iter().filter(|e| held.contains(e)).collect()
    }

    /// What the system is, for people reading `systems.toml`.
    pub fn description(self) -> &'static str {
        match self {
            System::Billing => "Postpaid billing and credit records.",
            System::CustomerProfiles => "Current customer profiles with device and SIM.",
            System::CreditApplications => {
                "Credit applications of former and prospective customers."
            }
            System::LegacyFormer => "Legacy system of former customers, keyed by phone number.",
            System::Prepaid => "Prepaid accounts.",
            System::Network => "Subscriber records of the mobile network; no names.",
        }
    }

    /// The membership rule in words; [`System::includes`] is its code.
    pub fn members(self) -> &'static str {
        match self {
            System::Billing => "account_kind = postpaid and ssn present",
            System::CustomerProfiles => "account_kind = postpaid",
            System::CreditApplications => "account_kind in (former, prospective) and ssn present",
            System::LegacyFormer => "account_kind = former and ssn absent",
            System::Prepaid => "account_kind = prepaid",
            System::Network => "account_kind = postpaid, plus unlinked identifiers",
        }
    }

    /// Whether the person has a row in this system.
    pub fn includes(self, p: &SynthPerson) -> bool {
        let kind = p.account_kind;
        let has_ssn = !p.ssn.is_empty();
        match self {
            System::Billing => kind == AccountKind::Postpaid && has_ssn,
            System::CustomerProfiles | System::Network => kind == AccountKind::Postpaid,
            System::CreditApplications => {
                matches!(kind, AccountKind::Former | AccountKind::Prospective) && has_ssn
            }
            System::LegacyFormer => kind == AccountKind::Former && !has_ssn,
            System::Prepaid => kind == AccountKind::Prepaid,
        }
    }

    /// The entry of `systems.toml` for this system with the given row counts.
    pub fn spec(self, rows: u64, unlinked_rows: u64) -> SystemSpec {
        let names = |cols: &[Column]| cols.iter().map(|c| c.name().to_owned()).collect();
        SystemSpec {
            name: self.name().to_owned(),
            file: self.file_name().to_owned(),
            description: self.description().to_owned(),
            members: self.members().to_owned(),
            elements: self.elements().into_iter().map(str::to_owned).collect(),
            columns: names(self.columns()),
            keys: names(self.keys()),
            rows,
            unlinked_rows,
        }
    }
}

/// A set of systems, as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SystemSet(u8);

impl SystemSet {
    /// The empty set.
    pub const EMPTY: SystemSet = SystemSet(0);

    fn bit(system: System) -> u8 {
        1 << System::ALL.iter().position(|s| *s == system).unwrap_or(0)
    }

    /// Whether `system` is in the set.
    pub fn contains(self, system: System) -> bool {
        self.0 & Self::bit(system) != 0
    }

    /// Adds `system`.
    pub fn insert(&mut self, system: System) {
        self.0 |= Self::bit(system);
    }

    /// The systems in the set, in [`System::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = System> {
        System::ALL.into_iter().filter(move |s| self.contains(*s))
    }
}

/// One entry of `systems.toml`: a system, its file, what it holds and how many rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemSpec {
    /// Stable name, e.g. `billing`.
    pub name: String,
    /// CSV file name, relative to the directory holding `systems.toml`.
    pub file: String,
    /// What the system is.
    pub description: String,
    /// Who has a row, as a rule over `people.csv`.
    pub members: String,
    /// Data elements held (names from [`ELEMENTS`]).
    pub elements: Vec<String>,
    /// CSV header, in order.
    pub columns: Vec<String>,
    /// Columns that tie a row to a person (`external_id`, or identifiers to resolve).
    pub keys: Vec<String>,
    /// Data rows in the file (header excluded).
    pub rows: u64,
    /// Rows that belong to nobody in `people.csv` (only the network has some).
    #[serde(default)]
    pub unlinked_rows: u64,
}

#[derive(Serialize, Deserialize)]
struct SystemsFile {
    systems: Vec<SystemSpec>,
}

/// Renders `systems.toml`.
pub(crate) fn render_systems(specs: &[SystemSpec]) -> Result<String, SynthError> {
    let file = SystemsFile {
        systems: specs.to_vec(),
    };
    let body = toml::to_string(&file).map_err(|source| SynthError::TomlWrite {
        file: SYSTEMS_FILE,
        source,
    })?;
    Ok(format!(
        "# Data inventory of a synthetic carrier: one entry per system file.\n\
         # Element names follow the breach rules' vocabulary.\n\n{body}"
    ))
}

/// Parses the text of a `systems.toml`, checking element names and that every column is a
/// column of the canonical record.
pub fn parse_systems(text: &str) -> Result<Vec<SystemSpec>, SynthError> {
    parse_systems_at(text, Path::new(SYSTEMS_FILE))
}

/// Reads and parses `systems.toml` in `dir`.
pub fn read_systems(dir: &Path) -> Result<Vec<SystemSpec>, SynthError> {
    let path = dir.join(SYSTEMS_FILE);
    let text = crate::read_text(&path)?;
    parse_systems_at(&text, &path)
}

fn parse_systems_at(text: &str, path: &Path) -> Result<Vec<SystemSpec>, SynthError> {
    let file: SystemsFile = toml::from_str(text).map_err(|source| SynthError::Toml {
        path: path.to_path_buf(),
        source: Box::new(source),
    })?;
    let invalid = |reason: String| SynthError::InvalidSpec {
        path: path.to_path_buf(),
        reason,
    };
    for spec in &file.systems {
        if let Some(e) = spec
            .elements
            .iter()
            .find(|e| !ELEMENTS.contains(&e.as_str()))
        {
            return Err(invalid(format!(
                "system {}: unknown element {e:?}",
                spec.name
            )));
        }
        let known = |c: &String| Column::PEOPLE.iter().any(|k| k.name() == c);
        if let Some(c) = spec.columns.iter().chain(&spec.keys).find(|c| !known(c)) {
            return Err(invalid(format!(
                "system {}: unknown column {c:?}",
                spec.name
            )));
        }
        if spec.file.is_empty() || spec.file.contains(['/', '\\']) {
            return Err(invalid(format!(
                "system {}: file must be a plain name",
                spec.name
            )));
        }
    }
    Ok(file.systems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_follow_columns() {
        assert_eq!(
            System::Billing.elements(),
            [
                "full_name",
                "postal_address",
                "date_of_birth",
                "ssn",
                "drivers_license"
            ]
        );
        assert_eq!(System::Network.elements(), ["phone_number", "imei", "imsi"]);
        assert_eq!(
            System::Prepaid.elements(),
            ["full_name", "phone_number", "account_pin"]
        );
    }

    #[test]
    fn system_set_holds_what_was_inserted() {
        let mut set = SystemSet::EMPTY;
        set.insert(System::Network);
        set.insert(System::Billing);
        assert!(set.contains(System::Network) && !set.contains(System::Prepaid));
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [System::Billing, System::Network]
        );
    }

    #[test]
    fn specs_round_trip_through_toml() {
        let specs: Vec<_> = System::ALL.iter().map(|s| s.spec(7, 0)).collect();
        let text = render_systems(&specs).unwrap();
        assert_eq!(parse_systems(&text).unwrap(), specs);
    }

    #[test]
    fn unknown_elements_and_columns_are_refused() {
        let mut spec = System::Prepaid.spec(1, 0);
        spec.elements.push("blood_type".into());
        let text = render_systems(&[spec]).unwrap();
        let err = parse_systems(&text).unwrap_err();
        assert!(
            matches!(&err, SynthError::InvalidSpec { reason, .. } if reason.contains("blood_type"))
        );
        let mut spec = System::Prepaid.spec(1, 0);
        spec.columns.push("shoe_size".into());
        let err = parse_systems(&render_systems(&[spec]).unwrap()).unwrap_err();
        assert!(
            matches!(&err, SynthError::InvalidSpec { reason, .. } if reason.contains("shoe_size"))
        );
        assert!(matches!(
            parse_systems("systems = 3"),
            Err(SynthError::Toml { .. })
        ));
    }
}
