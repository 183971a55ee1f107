//! The breach scenario written as `scenario.toml`: what happened, when, and which systems the
//! attacker took copies of.
//!
//! The default replays the 2021 carrier breach on the population's reference day: an internet
//! scan finds an unprotected router, the attacker moves through testing environments, finds
//! stored credentials and copies every system. Dates are counted from
//! [`crate::CarrierConfig::as_of`], the day the company learns of it, so ages in `people.csv`
//! and the scenario's timeline agree.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{CarrierConfig, IsoDate, SynthError, System};

/// Name of the scenario file written next to the CSVs.
pub const SCENARIO_FILE: &str = "scenario.toml";

/// A breach scenario: the story, the timeline and the exposed systems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    /// One-line title.
    pub title: String,
    /// A short paragraph on what happened.
    pub description: String,
    /// How the attacker got in.
    pub entry_point: String,
    /// The principal whose access the attacker used, as the access log would name it.
    pub compromised_principal: String,
    /// Names of the systems (as in `systems.toml`) the attacker took copies of.
    pub exposed_systems: Vec<String>,
    /// The timeline.
    pub dates: ScenarioDates,
}

/// The scenario's timeline; the exposure window runs from `intrusion_started` to `contained`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScenarioDates {
    /// First access by the attacker.
    pub intrusion_started: IsoDate,
    /// Last copy taken.
    pub exfiltration_ended: IsoDate,
    /// The company learns of the breach.
    pub detected: IsoDate,
    /// The attacker's access is closed.
    pub contained: IsoDate,
    /// The company confirms that personal data was taken.
    pub personal_data_confirmed: IsoDate,
}

impl Scenario {
    /// The 2021-style scenario for `cfg`: every system exposed, learned of on `cfg.as_of`.
    pub fn default_for(cfg: &CarrierConfig) -> Result<Self, SynthError> {
        let day = |offset: i64| cfg.as_of.plus_days(offset);
        Ok(Self {
            title: "Carrier customer data breach".to_owned(),
            description: "An attacker scanned the company's known internet addresses, found an \
                unprotected router, reached testing environments, found stored credentials that \
                opened more than 100 servers and took readable copies of customer, former \
                customer and credit-applicant data from every system."
                .to_owned(),
            entry_point: "unprotected router on a known external address range".to_owned(),
            compromised_principal: "svc-testenv-deploy".to_owned(),
            exposed_systems: System::ALL.iter().map(|s| s.name().to_owned()).collect(),
            dates: ScenarioDates {
                intrusion_started: day(-150)?,
                exfiltration_ended: day(-5)?,
                detected: day(0)?,
                contained: day(1)?,
                personal_data_confirmed: day(2)?,
            },
        })
    }

    fn check(&self, path: &Path) -> Result<(), SynthError> {
        let d = &self.dates;
        let reason = if self.exposed_systems.is_empty() {
            Some("exposed_systems is empty")
        } else if !(d.intrusion_started <= d.exfiltration_ended
            && d.intrusion_started <= d.detected
            && d.intrusion_started <= d.contained)
        {
            Some("intrusion_started must come before the other dates")
        } else if d.personal_data_confirmed < d.detected {
            Some("personal_data_confirmed comes before detected")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(SynthError::InvalidSpec {
                path: path.to_path_buf(),
                reason: reason.to_owned(),
            }),
            None => Ok(()),
        }
    }
}

/// Renders `scenario.toml`.
pub(crate) fn render_scenario(scenario: &Scenario) -> Result<String, SynthError> {
    let body = toml::to_string(scenario).map_err(|source| SynthError::TomlWrite {
        file: SCENARIO_FILE,
        source,
    })?;
    Ok(format!(
        "# Breach scenario for a synthetic carrier. Dates are YYYY-MM-DD.\n\n{body}"
    ))
}

/// Parses the text of a `scenario.toml` and checks that its timeline is in order.
pub fn parse_scenario(text: &str) -> Result<Scenario, SynthError> {
    parse_scenario_at(text, Path::new(SCENARIO_FILE))
}

/// Reads and parses `scenario.toml` in `dir`.
pub fn read_scenario(dir: &Path) -> Result<Scenario, SynthError> {
    let path = dir.join(SCENARIO_FILE);
    let text = crate::read_text(&path)?;
    parse_scenario_at(&text, &path)
}

fn parse_scenario_at(text: &str, path: &Path) -> Result<Scenario, SynthError> {
    let scenario: Scenario = toml::from_str(text).map_err(|source| SynthError::Toml {
        path: path.to_path_buf(),
        source: Box::new(source),
    })?;
    scenario.check(path)?;
    Ok(scenario)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scenario_exposes_everything_and_round_trips() {
        let scenario = Scenario::default_for(&CarrierConfig::default()).unwrap();
        assert_eq!(scenario.exposed_systems.len(), System::ALL.len());
        assert_eq!(scenario.dates.intrusion_started.to_string(), "2025-03-18");
        assert_eq!(scenario.dates.detected.to_string(), "2025-08-15");
        let text = render_scenario(&scenario).unwrap();
        assert!(text.contains("detected = \"2025-08-15\""), "{text}");
        assert_eq!(parse_scenario(&text).unwrap(), scenario);
    }

    #[test]
    fn bad_dates_are_refused() {
        let scenario = Scenario::default_for(&CarrierConfig::default()).unwrap();
        let text = render_scenario(&scenario).unwrap();
        let bad = text.replace("2025-08-15", "2025-02-30");
        assert!(matches!(parse_scenario(&bad), Err(SynthError::Toml { .. })));
        let backwards = text.replace(
            "intrusion_started = \"2025-03-18\"",
            "intrusion_started = \"2026-01-01\"",
        );
        assert!(matches!(
            parse_scenario(&backwards),
            Err(SynthError::InvalidSpec { .. })
        ));
    }
}
