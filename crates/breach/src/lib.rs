//! The breach engine: the data inventory (which system holds which elements for whom), incidents
//! and their exposures, impact per person, cohorts, and notification obligations per jurisdiction.

pub mod obligations;
