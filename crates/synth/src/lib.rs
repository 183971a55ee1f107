//! Synthetic carrier populations, their systems and breach scenarios, for the demo, the tests
//! and the benchmarks.
//!
//! A carrier is shaped like the one breached in 2021: many more former and prospective people
//! (from credit applications) than current customers, postpaid customers with and without an
//! SSN on file, a small prepaid base, and network files of identifiers with no name. Every
//! person is a pure function of `(seed, index)` ([`person`]), so populations are generated in
//! parallel, streamed to disk in bounded memory, and identical for a seed whatever the thread
//! count. SSN, phone, IMEI, IMSI, e-mail and licence numbers are unique by construction up to
//! [`MAX_PEOPLE`]: each is the index pushed through a keyed permutation.
//!
//! # Who has what (columns of `people.csv`)
//!
//! | kind | name, state | street, city, zip | dob | ssn, licence | phone | email | imei, imsi | pin |
//! |---|---|---|---|---|---|---|---|---|
//! | postpaid | yes | yes | yes (13–17 for minors) | adults, `postpaid_ssn_share` | yes | `email_share` | yes | yes |
//! | prepaid | yes | no | no | no | yes | no | no | yes |
//! | former | yes | yes | yes | `former_ssn_share` | yes | `email_share` | no | no |
//! | prospective | yes | yes | yes | yes | `prospective_phone_share` | `email_share` | no | no |
//!
//! # Systems ([`System`]) and their membership rules over `people.csv`
//!
//! | file | rule | columns |
//! |---|---|---|
//! | `billing.csv` | postpaid with ssn | external_id, name, address, dob, ssn, dl_number, dl_state |
//! | `customer_profiles.csv` | postpaid | external_id, name, address, dob, phone, email, imei, imsi |
//! | `credit_applications.csv` | former or prospective with ssn | as billing |
//! | `legacy_former.csv` | former without ssn | name, address, dob, phone (no external_id) |
//! | `prepaid.csv` | prepaid | external_id, name, phone, pin |
//! | `network.csv` | postpaid, plus unlinked rows | phone, imei, imsi (no name, no external_id) |
//!
//! That reproduces the 2021 cohorts: postpaid with SSN and licence (billing + profiles +
//! network), postpaid without SSN (profiles + network), former and prospective with SSN and
//! licence (credit applications), former without SSN (legacy), prepaid names, phones and PINs,
//! and network identifiers linked to nobody. Rows appear in index order; unlinked network rows
//! are interleaved at a steady rate. `systems.toml` lists each system ([`SystemSpec`]) and
//! `scenario.toml` the breach ([`Scenario`]); [`read_systems`] and [`read_scenario`] read them
//! back. E-mail domains are reserved example domains, so no real mailbox can ever be reached.

mod config;
mod date;
mod geo;
mod ids;
mod names;
mod perm;
mod person;
mod scenario;
mod systems;
mod writer;

use std::path::{Path, PathBuf};

pub use config::{CarrierConfig, KindMix, MAX_PEOPLE};
pub use date::IsoDate;
pub use person::{AccountKind, NetworkRow, SynthPerson};
pub use scenario::{SCENARIO_FILE, Scenario, ScenarioDates, parse_scenario, read_scenario};
pub use systems::{
    Column, ELEMENTS, SYSTEMS_FILE, System, SystemSet, SystemSpec, parse_systems, read_systems,
};
pub use writer::{CarrierSummary, KindCounts, PEOPLE_FILE, write_carrier};

/// Why generating a carrier or reading its description failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    /// A configuration field is out of range.
    #[error("invalid carrier configuration: {field} {reason}")]
    InvalidConfig {
        /// The field, as named in [`CarrierConfig`].
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// More people were asked for than identifiers can stay unique for.
    #[error("{people} people requested; identifiers stay unique only up to {max}")]
    TooManyPeople {
        /// The number requested.
        people: u64,
        /// [`MAX_PEOPLE`].
        max: u64,
    },
    /// Text that should be a `YYYY-MM-DD` date is not a valid one.
    #[error("not a valid YYYY-MM-DD date between the years 1000 and 9999: {value:?}")]
    InvalidDate {
        /// The offending text.
        value: String,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A TOML file is not valid TOML or does not have the expected shape.
    #[error("{}: {source}", path.display())]
    Toml {
        /// The file (or its usual name when parsing text).
        path: PathBuf,
        /// The parser's error, with line and column.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A description could not be rendered as TOML.
    #[error("cannot render {file}: {source}")]
    TomlWrite {
        /// The file being rendered.
        file: &'static str,
        /// The serializer's error.
        #[source]
        source: toml::ser::Error,
    },
    /// `systems.toml` or `scenario.toml` parsed but says something impossible.
    #[error("{}: {reason}", path.display())]
    InvalidSpec {
        /// The file (or its usual name when parsing text).
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Person `index` of the carrier `cfg` describes: a pure function of the seed, the index and
/// the configuration's shares (not of `cfg.people`, so person 7 is the same in a population of
/// ten and of ten million). Identifiers are unique across indexes below [`MAX_PEOPLE`].
///
/// Building a person this way re-derives the permutations each call; [`write_carrier`] reuses
/// them, which is what to use for many people.
pub fn person(cfg: &CarrierConfig, index: u64) -> SynthPerson {
    let generator = person::Generator::new(cfg);
    let mut p = person::new_person();
    generator.fill(index, &mut p);
    p
}

/// Unlinked network row `j` (counting from 0) of the carrier `cfg` describes: identifiers that
/// belong to nobody in `people.csv` and never equal any person's.
pub fn unlinked_network_row(cfg: &CarrierConfig, j: u64) -> NetworkRow {
    let mut row = NetworkRow::default();
    person::Generator::new(cfg).fill_unlinked(j, &mut row);
    row
}

fn read_text(path: &Path) -> Result<String, SynthError> {
    std::fs::read_to_string(path).map_err(|source| SynthError::Io {
        path: path.to_path_buf(),
        source,
    })
}
