//! Free-text personal fields (first and last names, street, city) and the ZIP code. Free text is
//! only trimmed, capped and checked for control characters, because real names and addresses
//! defy stricter rules; its normalized form (lowercase, single spaces) is what the blind index
//! sees, so `  Jane  DOE` and `jane doe` find each other.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{FieldError, digits_only, redacted};

/// Trimmed text with whitespace runs collapsed, plus its lowercase form.
#[derive(Clone, PartialEq, Eq, Hash, Zeroize, ZeroizeOnDrop)]
struct Text {
    display: String,
    normalized: String,
}

impl Text {
    fn parse(field: &'static str, input: &str, max_chars: usize) -> Result<Self, FieldError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(field, "is empty"));
        }
        // Tabs and newlines are whitespace and collapse to a space below; other control
        // characters (NUL, escape, bell...) have no business in a name or address.
        if trimmed
            .chars()
            .any(|c| c.is_control() && !c.is_whitespace())
        {
            return Err(FieldError::new(field, "contains a control character"));
        }
        if trimmed.chars().count() > max_chars {
            return Err(FieldError::owned(
                field,
                format!("is longer than {max_chars} characters"),
            ));
        }
        let mut display = String::with_capacity(trimmed.len());
        for (i, word) in trimmed.split_whitespace().enumerate() {
            if i > 0 {
                display.push(' ');
            }
            display.push_str(word);
        }
        let normalized = display.to_lowercase();
        Ok(Text {
            display,
            normalized,
        })
    }
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $field:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, Zeroize, ZeroizeOnDrop)]
        pub struct $name(Text);

        impl $name {
            #[doc = concat!("The longest accepted value, in characters (", stringify!($max), ").")]
            pub const MAX_CHARS: usize = $max;

            /// Trims, collapses whitespace, and rejects empty, over-long or control-character input.
            pub fn parse(input: &str) -> Result<Self, FieldError> {
                Text::parse($field, input, $max).map($name)
            }

            /// The value as entered, trimmed and with single spaces.
            pub fn as_str(&self) -> &str {
                &self.0.display
            }

            /// Lowercase with single spaces: the input of the blind index.
            pub fn normalized(&self) -> &str {
                &self.0.normalized
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                redacted(f, stringify!($name))
            }
        }
    };
}

text_type!(
    /// A first or last name.
    Name,
    "name",
    100
);
text_type!(
    /// A street address line (number, street, unit).
    Street,
    "street",
    200
);
text_type!(
    /// A city or town.
    City,
    "city",
    100
);

/// A US ZIP code, 5 digits or ZIP+4 (`12345-6789`).
#[derive(Clone, PartialEq, Eq, Hash, Zeroize, ZeroizeOnDrop)]
pub struct Zip(String);

impl Zip {
    /// Parses `12345`, `12345-6789` or `123456789`.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let trimmed = input.trim();
        let digit_count = trimmed.bytes().filter(u8::is_ascii_digit).count();
        let shape_ok = match trimmed.len() {
            5 | 9 => digit_count == trimmed.len(),
            10 => digit_count == 9 && trimmed.as_bytes()[5] == b'-',
            _ => false,
        };
        if !shape_ok {
            return Err(FieldError::new("zip", "must be 5 digits or ZIP+4"));
        }
        let expected = if digit_count == 5 { 5 } else { 9 };
        let digits = Zeroizing::new(digits_only("zip", trimmed, &['-'], expected)?);
        let mut zip = String::with_capacity(10);
        zip.push_str(&digits[..5]);
        if expected == 9 {
            zip.push('-');
            zip.push_str(&digits[5..]);
        }
        Ok(Zip(zip))
    }

    /// `12345` or `12345-6789`.
    pub fn normalized(&self) -> &str {
        &self.0
    }

    /// The 5-digit ZIP.
    pub fn zip5(&self) -> &str {
        &self.0[..5]
    }
}

impl fmt::Debug for Zip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        redacted(f, "Zip")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_collapsed_and_lowercased() {
        let n = Name::parse("  Mary   Ann\tO'Brien ").unwrap();
        assert_eq!(n.as_str(), "Mary Ann O'Brien");
        assert_eq!(n.normalized(), "mary ann o'brien");
        assert_eq!(format!("{n:?}"), "Name(<redacted>)");
        assert_eq!(City::parse("ÉVRY").unwrap().normalized(), "évry");
    }

    #[test]
    fn text_rejections() {
        assert_eq!(Name::parse("  ").unwrap_err().to_string(), "name: is empty");
        assert_eq!(
            Street::parse("1 Main\u{7}St").unwrap_err().to_string(),
            "street: contains a control character"
        );
        assert_eq!(
            City::parse(&"x".repeat(101)).unwrap_err().to_string(),
            "city: is longer than 100 characters"
        );
        assert!(
            City::parse(&"é".repeat(100)).is_ok(),
            "the cap counts characters"
        );
    }

    #[test]
    fn zip_forms() {
        assert_eq!(Zip::parse("98101").unwrap().normalized(), "98101");
        assert_eq!(Zip::parse("981011234").unwrap().normalized(), "98101-1234");
        let z = Zip::parse(" 98101-1234 ").unwrap();
        assert_eq!((z.normalized(), z.zip5()), ("98101-1234", "98101"));
        for bad in ["9810", "98101-123", "98101 1234", "9810a", "981-011234"] {
            assert_eq!(
                Zip::parse(bad).unwrap_err().to_string(),
                "zip: must be 5 digits or ZIP+4",
                "{bad}"
            );
        }
    }
}
