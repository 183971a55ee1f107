//! Parsed values of the Trust Center: each is checked in its constructor, so code that holds one
//! never re-validates it.

use std::fmt;

use crate::error::TrustError;

/// An e-mail address, trimmed, with a lower-cased domain; at most 254 bytes, one `@`, no spaces
/// or control characters, a dotted domain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses an address.
    pub fn parse(s: &str) -> Result<Email, TrustError> {
        let s = s.trim();
        let bad = |r: &str| TrustError::invalid("email", r);
        if s.is_empty() || s.len() > 254 {
            return Err(bad("enter an e-mail address of at most 254 characters"));
        }
        if s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\",;()[]\\".contains(c))
        {
            return Err(bad("the address contains characters that are not allowed"));
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(bad("the address needs an @"));
        };
        let valid_domain = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.len() > 64 || !valid_domain {
            return Err(bad("this is not a valid e-mail address"));
        }
        Ok(Email(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain part.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident, $field:literal { $($(#[$vm:meta])* $v:ident = $s:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name { $($(#[$vm])* $v),* }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$v),*];

            /// The stored and wire name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$v => $s),* }
            }

            /// Parses the stored or wire name.
            pub fn parse(s: &str) -> Result<$name, TrustError> {
                match s { $($s => Ok($name::$v),)* _ => Err(TrustError::invalid($field, format!("unknown value `{}`", s.chars().take(40).collect::<String>()))) }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

text_enum!(
    /// Who may see an attestation and its document.
    Visibility, "visibility" {
        /// Listed, document downloadable by anyone.
        Public = "public",
        /// Listed with its description; the document needs an approved request.
        Teaser = "teaser",
        /// Listed by title only; the document needs an approved request.
        Gated = "gated",
        /// Not listed at all.
        Hidden = "hidden",
    }
);

impl Visibility {
    /// Whether the document needs an approved access request.
    pub fn is_gated(self) -> bool {
        matches!(self, Visibility::Teaser | Visibility::Gated)
    }
}

text_enum!(
    /// What a subscriber hears about.
    Topic, "topic" {
        /// Security advisories.
        Advisories = "advisories",
        /// New and renewed certifications.
        Certifications = "certifications",
        /// Incident notices.
        Incidents = "incidents",
    }
);

text_enum!(
    /// The kind of a published notice.
    AdvisoryKind, "kind" {
        /// A security advisory.
        Advisory = "advisory",
        /// An incident notice.
        Incident = "incident",
    }
);

text_enum!(
    /// Severity of a report or advisory (CVSS qualitative rating).
    Severity, "severity" {
        /// No severity given.
        None = "none",
        /// 0.1–3.9.
        Low = "low",
        /// 4.0–6.9.
        Medium = "medium",
        /// 7.0–8.9.
        High = "high",
        /// 9.0–10.0.
        Critical = "critical",
    }
);

impl Severity {
    /// The rating of a score in tenths (0..=100), per the CVSS specifications.
    pub fn from_tenths(t: i64) -> Severity {
        match t {
            i64::MIN..=0 => Severity::None,
            1..=39 => Severity::Low,
            40..=69 => Severity::Medium,
            70..=89 => Severity::High,
            _ => Severity::Critical,
        }
    }
}

text_enum!(
    /// Where a vulnerability report stands, modelled on the large bounty platforms.
    ReportState, "state" {
        /// Submitted, not looked at yet.
        New = "new",
        /// Confirmed as a valid issue, being fixed.
        Triaged = "triaged",
        /// Waiting for the researcher; closes itself as informative after 30 days.
        NeedsMoreInfo = "needs_more_info",
        /// A fix is in place and the researcher is asked to retest.
        Retesting = "retesting",
        /// Fixed.
        Resolved = "resolved",
        /// Valid information, no action needed.
        Informative = "informative",
        /// Same issue as an earlier report.
        Duplicate = "duplicate",
        /// Not a vulnerability.
        NotApplicable = "not_applicable",
        /// An asset or issue outside the programme's scope.
        OutOfScope = "out_of_scope",
        /// Not a good-faith report.
        Spam = "spam",
        /// Resolved and publicly disclosed.
        Disclosed = "disclosed",
    }
);

impl ReportState {
    /// Whether a report may move from `self` to `to`.
    pub fn can_move_to(self, to: ReportState) -> bool {
        use ReportState::*;
        let closing = matches!(
            to,
            Informative | Duplicate | NotApplicable | OutOfScope | Spam
        );
        match self {
            New | NeedsMoreInfo => {
                matches!(to, Triaged | NeedsMoreInfo | New) && to != self || closing
            }
            Triaged => matches!(to, NeedsMoreInfo | Retesting | Resolved) || closing,
            Retesting => matches!(to, Triaged | Resolved),
            Resolved => to == Disclosed,
            Informative | Duplicate | NotApplicable | OutOfScope | Spam => to == Triaged,
            Disclosed => false,
        }
    }

    /// The reputation a researcher earns when a report ends in this state.
    pub fn reputation(self) -> i64 {
        match self {
            ReportState::Resolved => 7,
            ReportState::Duplicate => 2,
            ReportState::NotApplicable => -5,
            ReportState::Spam => -10,
            _ => 0,
        }
    }

    /// Whether the state closes the report.
    pub fn is_closed(self) -> bool {
        !matches!(
            self,
            ReportState::New
                | ReportState::Triaged
                | ReportState::NeedsMoreInfo
                | ReportState::Retesting
        )
    }
}

/// An amount as people type it, at most two decimals (`2500`, `2500.5`, `2500.50`), in cents;
/// `None` for anything else (signs, separators, more decimals, overflow).
pub fn parse_amount(s: &str) -> Option<i64> {
    let t = s.trim();
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    let is_digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !is_digits(whole) || frac.len() > 2 || !is_digits(frac) {
        return None;
    }
    let w: i64 = whole.parse().ok()?;
    let f: i64 = format!("{frac:0<2}").parse().ok()?;
    w.checked_mul(100)?.checked_add(f)
}

/// Cents as an amount with two decimals (`2500.50`).
pub fn format_amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_to_cents_and_print_back() {
        assert_eq!(parse_amount("2500"), Some(250_000));
        assert_eq!(parse_amount(" 2500.5 "), Some(250_050));
        assert_eq!(parse_amount("0.07"), Some(7));
        for bad in [
            "",
            "-5",
            "1.234",
            "1,000",
            "abc",
            ".5",
            "99999999999999999999",
        ] {
            assert_eq!(parse_amount(bad), None, "{bad:?} accepted");
        }
        assert_eq!(format_amount(250_050), "2500.50");
        assert_eq!(format_amount(7), "0.07");
    }

    #[test]
    fn emails_parse_and_refuse() {
        let e = Email::parse("  Alex@Example.COM ").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.as_str(), "Alex@example.com");
        assert_eq!(e.domain(), "example.com");
        for bad in [
            "", "no-at", "a@b", "a b@c.d", "<x>@c.d", "a@c..d", "a@-\n.d",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn state_machine_allows_the_platform_flow() {
        use ReportState::*;
        assert!(New.can_move_to(Triaged));
        assert!(New.can_move_to(Spam));
        assert!(Triaged.can_move_to(Retesting));
        assert!(Retesting.can_move_to(Resolved));
        assert!(Resolved.can_move_to(Disclosed));
        assert!(NeedsMoreInfo.can_move_to(Informative));
        assert!(!New.can_move_to(New));
        assert!(!New.can_move_to(Disclosed));
        assert!(!Disclosed.can_move_to(Triaged));
        assert!(!Resolved.can_move_to(New));
    }

    #[test]
    fn severity_bands() {
        assert_eq!(Severity::from_tenths(0), Severity::None);
        assert_eq!(Severity::from_tenths(39), Severity::Low);
        assert_eq!(Severity::from_tenths(40), Severity::Medium);
        assert_eq!(Severity::from_tenths(89), Severity::High);
        assert_eq!(Severity::from_tenths(100), Severity::Critical);
    }
}
