//! The breach engine: the data inventory (which system holds which elements for whom), incidents
//! and their exposures, impact per person, cohorts, notification obligations per jurisdiction,
//! and the incident report.
//!
//! The map of this crate:
//!
//! - [`service`] holds [`BreachService`] and hands out capabilities per permission
//!   (`inventory.read/write`, `incidents.read/write`);
//! - `input` streams CSV and NDJSON files, `columns` says what a column holds (by header or by
//!   content), `link` resolves rows to vault people (external id, else blind indexes);
//! - [`inventory`] loads datasets, [`incident`] keeps incidents and their timeline, [`exposure`]
//!   records what was exposed, [`impact`] computes versioned per-person impact, [`cohort`] groups
//!   it for notices and for the [`obligations`] planner, and [`report`] renders the whole;
//! - `codec` is the compact encoding of person sets, `store` the SQL.
//!
//! Nothing here stores or prints a value read from a file: only vault person ids, element bits
//! and counts. The crate reads the vault through its public API (blind-index lookups, the access
//! log) and, for the clear columns `external_id`, `account_kind` and `state`, directly.

mod codec;
pub mod cohort;
mod columns;
mod error;
pub mod exposure;
mod ids;
pub mod impact;
pub mod incident;
mod input;
pub mod inventory;
mod link;
pub mod obligations;
pub mod report;
mod service;
mod store;

pub use cohort::{AffectedCohort, CohortTable};
pub use error::BreachError;
pub use exposure::{
    DetectedBy, DetectedColumn, Exposure, ExposureKind, ExposureMeta, ExposureSource, FileBytes,
    Form,
};
pub use ids::{DatasetName, ExposureId, IncidentId};
pub use impact::{AffectedPerson, CohortDelta, ImpactDiff, ImpactGroup, ImpactVersion};
pub use incident::{Change, Event, Incident, IncidentStatus, Milestone, NewIncident};
pub use input::FileFormat;
pub use inventory::{Dataset, Existing, NewDataset};
pub use service::BreachService;

/// The breach engine's schema: inventory, incidents, exposures and impact versions.
pub const COMPONENT: custodian_db::Component = custodian_db::Component {
    name: "breach",
    migrations: &[custodian_db::Migration {
        version: 1,
        name: "inventory, incidents, exposures, impact versions",
        sqlite: include_str!("../migrations/sqlite/0001_breach.sql"),
        postgres: include_str!("../migrations/postgres/0001_breach.sql"),
    }],
};
