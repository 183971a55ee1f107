//! What to generate: the population's size and seed, the mix of account kinds and the shares
//! that decide who has an SSN, an e-mail address or a device, with defaults shaped like the
//! 2021 carrier breach.

use crate::{IsoDate, SynthError};

/// The largest population the generator accepts. Every unique identifier's domain holds at
/// least twice this many values (people plus unlinked network rows), so uniqueness holds by
/// construction up to here.
pub const MAX_PEOPLE: u64 = 100_000_000;

/// Everything that decides a synthetic carrier. The same configuration always yields the same
/// people and the same files, byte for byte.
#[derive(Debug, Clone, PartialEq)]
pub struct CarrierConfig {
    /// Number of people in `people.csv`, at most [`MAX_PEOPLE`].
    pub people: u64,
    /// Seed of every random choice and of the identifier permutations.
    pub seed: u64,
    /// Relative weights of the account kinds.
    pub mix: KindMix,
    /// Share of adult postpaid customers whose SSN and licence are on file (those are the ones
    /// in the billing system); the rest are current accounts without an SSN.
    pub postpaid_ssn_share: f64,
    /// Share of former customers whose SSN and licence are on file (from their credit
    /// application); the rest are only in the legacy former-customer system.
    pub former_ssn_share: f64,
    /// Share of postpaid customers who are minors (13 to 17) on a family plan; they never
    /// have an SSN on file.
    pub minor_share: f64,
    /// Share of postpaid, former and prospective people with an e-mail address.
    pub email_share: f64,
    /// Share of prospective customers who left a phone number.
    pub prospective_phone_share: f64,
    /// Expected share of `network.csv` rows that belong to nobody in `people.csv`, between 0
    /// and 0.5.
    pub unlinked_network_share: f64,
    /// The day ages are counted at; the scenario's timeline ends around it.
    pub as_of: IsoDate,
}

/// Relative weights of the four account kinds; they need not add up to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KindMix {
    /// Current postpaid customers.
    pub postpaid: f64,
    /// Current prepaid customers.
    pub prepaid: f64,
    /// Former customers.
    pub former: f64,
    /// Prospective customers who applied for credit and never became customers.
    pub prospective: f64,
}

impl Default for KindMix {
    /// The 2021 breach: about 13.1M current postpaid, 0.85M prepaid and some 40.7M former or
    /// prospective people out of 54.6M.
    fn default() -> Self {
        Self {
            postpaid: 0.24,
            prepaid: 0.016,
            former: 0.44,
            prospective: 0.304,
        }
    }
}

impl Default for CarrierConfig {
    /// Ten thousand people, seed 2021, the 2021 mix: 7.8M of 13.1M postpaid with an SSN
    /// (about 0.6 once minors are set aside), 0.667M of 24M former without one.
    fn default() -> Self {
        Self {
            people: 10_000,
            seed: 2021,
            mix: KindMix::default(),
            postpaid_ssn_share: 0.62,
            former_ssn_share: 0.972,
            minor_share: 0.04,
            email_share: 0.85,
            prospective_phone_share: 0.9,
            unlinked_network_share: 0.1,
            as_of: IsoDate::DEFAULT_AS_OF,
        }
    }
}

impl CarrierConfig {
    /// Checks every field; [`crate::write_carrier`] calls this first.
    pub fn validate(&self) -> Result<(), SynthError> {
        if self.people > MAX_PEOPLE {
            return Err(SynthError::TooManyPeople {
                people: self.people,
                max: MAX_PEOPLE,
            });
        }
        let weights = [
            ("mix.postpaid", self.mix.postpaid),
            ("mix.prepaid", self.mix.prepaid),
            ("mix.former", self.mix.former),
            ("mix.prospective", self.mix.prospective),
        ];
        for (field, w) in weights {
            if !w.is_finite() || w < 0.0 {
                return Err(invalid(
                    field,
                    format!("must be a finite weight >= 0, not {w}"),
                ));
            }
        }
        if self.mix.total() <= 0.0 {
            return Err(invalid(
                "mix",
                "at least one weight must be positive".to_owned(),
            ));
        }
        let shares = [
            ("postpaid_ssn_share", self.postpaid_ssn_share, 1.0),
            ("former_ssn_share", self.former_ssn_share, 1.0),
            ("minor_share", self.minor_share, 1.0),
            ("email_share", self.email_share, 1.0),
            ("prospective_phone_share", self.prospective_phone_share, 1.0),
            ("unlinked_network_share", self.unlinked_network_share, 0.5),
        ];
        for (field, v, max) in shares {
            if !(0.0..=max).contains(&v) {
                return Err(invalid(
                    field,
                    format!("must be between 0 and {max}, not {v}"),
                ));
            }
        }
        if !(1900..=2200).contains(&self.as_of.year()) {
            return Err(invalid(
                "as_of",
                format!("must be between 1900 and 2200, not {}", self.as_of),
            ));
        }
        Ok(())
    }
}

impl KindMix {
    /// Sum of the weights.
    pub fn total(&self) -> f64 {
        self.postpaid + self.prepaid + self.former + self.prospective
    }
}

fn invalid(field: &'static str, reason: String) -> SynthError {
    SynthError::InvalidConfig { field, reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_shaped_like_2021() {
        let cfg = CarrierConfig::default();
        cfg.validate().unwrap();
        let m = cfg.mix;
        assert!(m.former + m.prospective > 2.5 * (m.postpaid + m.prepaid));
        assert!(m.prepaid < m.postpaid);
    }

    #[test]
    fn bad_values_name_their_field() {
        type Breaker = fn(&mut CarrierConfig);
        let cases: [(Breaker, &str); 5] = [
            (|c| c.mix.prepaid = f64::NAN, "mix.prepaid"),
            (
                |c| {
                    c.mix = KindMix {
                        postpaid: 0.0,
                        prepaid: 0.0,
                        former: 0.0,
                        prospective: 0.0,
                    }
                },
                "mix",
            ),
            (|c| c.email_share = 1.5, "email_share"),
            (|c| c.unlinked_network_share = 0.6, "unlinked_network_share"),
            (|c| c.minor_share = -0.1, "minor_share"),
        ];
        for (break_it, name) in cases {
            let mut cfg = CarrierConfig::default();
            break_it(&mut cfg);
            match cfg.validate() {
                Err(SynthError::InvalidConfig { field, .. }) => assert_eq!(field, name),
                other => panic!("{name}: {other:?}"),
            }
        }
    }

    #[test]
    fn too_many_people_is_refused() {
        let cfg = CarrierConfig {
            people: MAX_PEOPLE + 1,
            ..CarrierConfig::default()
        };
        assert!(matches!(
            cfg.validate(),
            Err(SynthError::TooManyPeople { people, max }) if people == MAX_PEOPLE + 1 && max == MAX_PEOPLE
        ));
    }
}
