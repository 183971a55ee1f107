//! The Trust Center's branding from settings: a logo (PNG, JPEG or SVG) and two colours, the
//! header's and the accent of links and buttons. Both colours carry white text, so each must
//! reach WCAG AA contrast (4.5:1) against white; a colour that does not is refused at load
//! rather than shipped as an unreadable page. The colours reach pages through a generated
//! stylesheet, never an inline style, so the strict CSP stays intact.

use crate::error::TrustError;

/// The largest logo accepted.
pub const MAX_LOGO_BYTES: usize = 512 * 1024;

/// A logo image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    /// `image/png`, `image/jpeg` or `image/svg+xml`.
    pub content_type: &'static str,
    /// The file.
    pub bytes: Vec<u8>,
}

impl Logo {
    /// A logo from a file's bytes, its type told by its contents.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Logo, TrustError> {
        if bytes.len() > MAX_LOGO_BYTES {
            return Err(TrustError::TooLarge {
                size: bytes.len(),
                limit: MAX_LOGO_BYTES,
            });
        }
        let content_type = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            "image/png"
        } else if bytes.starts_with(b"\xff\xd8\xff") {
            "image/jpeg"
        } else if is_svg(&bytes) {
            "image/svg+xml"
        } else {
            return Err(TrustError::invalid(
                "logo",
                "is not a PNG, JPEG or SVG file",
            ));
        };
        Ok(Logo {
            content_type,
            bytes,
        })
    }
}

fn is_svg(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let head: String = text.trim_start().chars().take(512).collect();
    (head.starts_with("<svg") || head.starts_with("<?xml")) && head.contains("<svg")
}

/// How the pages look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branding {
    /// The logo shown in the header, if any.
    pub logo: Option<Logo>,
    /// The header's background (`#rrggbb`).
    pub header_colour: String,
    /// Links' and buttons' colour (`#rrggbb`).
    pub accent_colour: String,
}

impl Default for Branding {
    fn default() -> Self {
        Branding {
            logo: None,
            header_colour: "#10243e".to_owned(),
            accent_colour: "#0b5cad".to_owned(),
        }
    }
}

impl Branding {
    /// Checks both colours.
    pub fn validate(&self) -> Result<(), TrustError> {
        parse_colour("header_colour", &self.header_colour)?;
        parse_colour("accent_colour", &self.accent_colour)?;
        Ok(())
    }

    /// The stylesheet that applies the colours.
    pub fn stylesheet(&self) -> String {
        format!(
            ":root {{ --accent: {a}; --header: {h}; }}\n\
             header.top {{ background: {h}; }}\n\
             a {{ color: {a}; }}\nheader.top a, a.button {{ color: #fff; }}\n\
             header.top img.logo {{ height: 2rem; width: auto; vertical-align: middle; margin-right: .5rem; }}\n",
            a = self.accent_colour,
            h = self.header_colour
        )
    }
}

/// Parses `#rrggbb` and checks its contrast with white text (at least 4.5:1).
pub fn parse_colour(field: &'static str, value: &str) -> Result<[u8; 3], TrustError> {
    let v = value.trim();
    let hex = v
        .strip_prefix('#')
        .filter(|h| h.len() == 6 && h.chars().all(|c| c.is_ascii_hexdigit()))
        .ok_or_else(|| TrustError::invalid(field, format!("`{v}` is not a colour like #0b5cad")))?;
    let mut rgb = [0u8; 3];
    for (i, c) in rgb.iter_mut().enumerate() {
        *c = u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16)
            .map_err(|_| TrustError::invalid(field, "is not a colour"))?;
    }
    let ratio = contrast_with_white(rgb);
    if ratio < 4.5 {
        return Err(TrustError::invalid(
            field,
            format!(
                "{v} has a contrast of {ratio:.2}:1 with white text; WCAG AA needs 4.5:1 (choose a darker colour)"
            ),
        ));
    }
    Ok(rgb)
}

/// WCAG 2 contrast ratio of white against `rgb`.
fn contrast_with_white(rgb: [u8; 3]) -> f64 {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.040_45 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]);
    1.05 / (l + 0.05)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_colours_pass_and_light_ones_are_refused() {
        assert!(Branding::default().validate().is_ok());
        // Black on white is 21:1; white on white is 1:1.
        assert!((contrast_with_white([0, 0, 0]) - 21.0).abs() < 0.01);
        assert!((contrast_with_white([255, 255, 255]) - 1.0).abs() < 0.01);
        let e = parse_colour("accent_colour", "#f2b705")
            .err()
            .map(|e| e.to_string());
        assert!(e.is_some_and(|m| m.contains("accent_colour") && m.contains("4.5:1")));
        assert!(parse_colour("accent_colour", "0b5cad").is_err());
        assert!(parse_colour("accent_colour", "#0b5cag").is_err());
        assert!(parse_colour("accent_colour", "#0b5cad; }").is_err());
    }

    #[test]
    fn logos_are_typed_by_content() {
        let png = Logo::from_bytes(b"\x89PNG\r\n\x1a\nrest".to_vec()).map(|l| l.content_type);
        assert_eq!(png.ok(), Some("image/png"));
        let svg = Logo::from_bytes(
            b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
        );
        assert_eq!(svg.map(|l| l.content_type).ok(), Some("image/svg+xml"));
        assert!(Logo::from_bytes(b"GIF89a".to_vec()).is_err());
        assert!(Logo::from_bytes(vec![0x89; MAX_LOGO_BYTES + 1]).is_err());
    }
}
