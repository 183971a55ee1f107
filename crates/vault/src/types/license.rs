//! US states and territories, and the driver's licence (or state ID) number that a state issues.
//! The state is kept in clear for jurisdiction counts (breach-notification law is per state); the
//! licence number is sensitive and is indexed together with its state, because two states can
//! issue the same number.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::FieldError;

macro_rules! us_states {
    ($($variant:ident => $code:literal, $name:literal;)+) => {
        /// A US state, the District of Columbia, or an inhabited territory (PR, GU, VI, AS, MP).
        ///
        /// Not sensitive: `Debug` shows the code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum UsState {
            $(#[doc = $name] $variant,)+
        }

        impl UsState {
            /// All 56 codes in alphabetical order of the code.
            pub const ALL: [UsState; 56] = [$(UsState::$variant,)+];

            /// The two-letter USPS code, e.g. `CA`.
            pub fn code(self) -> &'static str {
                match self {
                    $(UsState::$variant => $code,)+
                }
            }

            /// The full name, e.g. `California`.
            pub fn name(self) -> &'static str {
                match self {
                    $(UsState::$variant => $name,)+
                }
            }
        }
    };
}

us_states! {
    Ak => "AK", "Alaska"; Al => "AL", "Alabama"; Ar => "AR", "Arkansas";
    As => "AS", "American Samoa"; Az => "AZ", "Arizona"; Ca => "CA", "California";
    Co => "CO", "Colorado"; Ct => "CT", "Connecticut"; Dc => "DC", "District of Columbia";
    De => "DE", "Delaware"; Fl => "FL", "Florida"; Ga => "GA", "Georgia"; Gu => "GU", "Guam";
    Hi => "HI", "Hawaii"; Ia => "IA", "Iowa"; Id => "ID", "Idaho"; Il => "IL", "Illinois";
    In => "IN", "Indiana"; Ks => "KS", "Kansas"; Ky => "KY", "Kentucky"; La => "LA", "Louisiana";
    Ma => "MA", "Massachusetts"; Md => "MD", "Maryland"; Me => "ME", "Maine";
    Mi => "MI", "Michigan"; Mn => "MN", "Minnesota"; Mo => "MO", "Missouri";
    Mp => "MP", "Northern Mariana Islands"; Ms => "MS", "Mississippi"; Mt => "MT", "Montana";
    Nc => "NC", "North Carolina"; Nd => "ND", "North Dakota"; Ne => "NE", "Nebraska";
    Nh => "NH", "New Hampshire"; Nj => "NJ", "New Jersey"; Nm => "NM", "New Mexico";
    Nv => "NV", "Nevada"; Ny => "NY", "New York"; Oh => "OH", "Ohio"; Ok => "OK", "Oklahoma";
    Or => "OR", "Oregon"; Pa => "PA", "Pennsylvania"; Pr => "PR", "Puerto Rico";
    Ri => "RI", "Rhode Island"; Sc => "SC", "South Carolina"; Sd => "SD", "South Dakota";
    Tn => "TN", "Tennessee"; Tx => "TX", "Texas"; Ut => "UT", "Utah"; Va => "VA", "Virginia";
    Vi => "VI", "U.S. Virgin Islands"; Vt => "VT", "Vermont"; Wa => "WA", "Washington";
    Wi => "WI", "Wisconsin"; Wv => "WV", "West Virginia"; Wy => "WY", "Wyoming";
}

impl UsState {
    /// Parses a two-letter code, case-insensitively and ignoring surrounding spaces.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let code = input.trim();
        UsState::ALL
            .iter()
            .copied()
            .find(|s| s.code().eq_ignore_ascii_case(code))
            .ok_or_else(|| FieldError::new("state", "is not a US state, DC or territory code"))
    }
}

impl fmt::Display for UsState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The longest licence number accepted, in characters.
pub const MAX_LICENSE_LEN: usize = 20;

/// A driver's licence or state ID number together with its issuing state.
///
/// The number is 1-20 letters and digits (spaces and dashes in the input are dropped), stored in
/// upper case; the normalized form is `STATE:NUMBER`, e.g. `CA:A1234567`.
#[derive(Clone, PartialEq, Eq, Hash, Zeroize, ZeroizeOnDrop)]
pub struct DriversLicense {
    normalized: String,
    #[zeroize(skip)]
    state: UsState,
}

impl DriversLicense {
    /// Parses a licence number and its state code (the two CSV columns `dl_number`, `dl_state`).
    pub fn parse(number: &str, state: &str) -> Result<Self, FieldError> {
        let state = UsState::parse(state)
            .map_err(|_| FieldError::new("dl_state", "is not a US state, DC or territory code"))?;
        let mut normalized = String::with_capacity(3 + MAX_LICENSE_LEN);
        normalized.push_str(state.code());
        normalized.push(':');
        let mut len = 0usize;
        for c in number.trim().chars() {
            if c.is_ascii_alphanumeric() {
                len += 1;
                if len > MAX_LICENSE_LEN {
                    normalized.zeroize();
                    return Err(FieldError::new(
                        "dl_number",
                        "must be at most 20 letters and digits",
                    ));
                }
                normalized.push(c.to_ascii_uppercase());
            } else if c != ' ' && c != '-' {
                normalized.zeroize();
                return Err(FieldError::new(
                    "dl_number",
                    "contains a character that is not allowed",
                ));
            }
        }
        if len == 0 {
            return Err(FieldError::new("dl_number", "is empty"));
        }
        Ok(DriversLicense { normalized, state })
    }

    /// Parses the normalized form `STATE:NUMBER`.
    pub fn parse_normalized(input: &str) -> Result<Self, FieldError> {
        let (state, number) = input
            .split_once(':')
            .ok_or_else(|| FieldError::new("drivers_license", "must be STATE:NUMBER"))?;
        Self::parse(number, state)
    }

    /// `STATE:NUMBER`, the input of the blind index (the same number in two states differs).
    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// The licence number alone, upper case, without separators.
    pub fn number(&self) -> &str {
        &self.normalized[3..]
    }

    /// The issuing state.
    pub fn state(&self) -> UsState {
        self.state
    }
}

impl fmt::Debug for DriversLicense {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The state is not sensitive and helps debugging; the number is.
        write!(f, "DriversLicense({}:<redacted>)", self.state.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_unique_and_parse_back() {
        for s in UsState::ALL {
            assert_eq!(UsState::parse(&s.code().to_lowercase()).unwrap(), s);
        }
        let mut codes: Vec<_> = UsState::ALL.iter().map(|s| s.code()).collect();
        codes.dedup();
        assert_eq!(codes.len(), 56);
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "ALL is sorted");
        assert_eq!(
            UsState::parse("XX").unwrap_err().to_string(),
            "state: is not a US state, DC or territory code"
        );
    }

    #[test]
    fn licence_normalizes_with_state() {
        let dl = DriversLicense::parse(" a123-456 7 ", "ca").unwrap();
        assert_eq!(dl.normalized(), "CA:A1234567");
        assert_eq!(dl.number(), "A1234567");
        assert_eq!(dl.state(), UsState::Ca);
        assert_eq!(format!("{dl:?}"), "DriversLicense(CA:<redacted>)");
        let again = DriversLicense::parse_normalized(dl.normalized()).unwrap();
        assert_eq!(again, dl);
    }

    #[test]
    fn licence_rejections() {
        let err = |n: &str, s: &str| DriversLicense::parse(n, s).unwrap_err().to_string();
        assert_eq!(err("", "CA"), "dl_number: is empty");
        assert_eq!(
            err("A1234567", "ZZ"),
            "dl_state: is not a US state, DC or territory code"
        );
        assert_eq!(
            err("A123_4567", "CA"),
            "dl_number: contains a character that is not allowed"
        );
        assert_eq!(
            err(&"9".repeat(21), "TX"),
            "dl_number: must be at most 20 letters and digits"
        );
    }
}
