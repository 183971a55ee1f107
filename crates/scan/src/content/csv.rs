//! CSV awareness for context: a data dump's header row names what each column holds, so a
//! value's column header is the best context there is (a `dob` column makes a date a date of
//! birth, an `imsi` column makes a 15-digit number an IMSI).

use memchr::memchr;

/// Header lines longer than this are not treated as headers.
const MAX_HEADER: usize = 4096;

/// The header row of a CSV-like file: its delimiter and lowercase column names.
pub(crate) struct CsvHeader {
    delimiter: u8,
    pub(crate) names: Vec<String>,
}

impl CsvHeader {
    /// Recognizes a header: a first line of at least two delimited fields that all read as
    /// column names (letters, digits, spaces, `_ . - # /`), not data.
    pub(crate) fn detect(start: &[u8]) -> Option<CsvHeader> {
        let end = memchr(b'\n', &start[..start.len().min(MAX_HEADER)])?;
        let line = std::str::from_utf8(&start[..end])
            .ok()?
            .trim_end_matches('\r');
        let delimiter = [b',', b'\t', b';', b'|']
            .into_iter()
            .max_by_key(|d| line.bytes().filter(|b| b == d).count())?;
        let names: Vec<String> = line
            .split(char::from(delimiter))
            .map(|f| f.trim().trim_matches('"').to_ascii_lowercase())
            .collect();
        let name_like = |n: &String| {
            n.bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
                && n.len() <= 64
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b" _.-#/()".contains(&b))
        };
        (names.len() >= 2 && names.iter().all(name_like)).then_some(CsvHeader { delimiter, names })
    }

    /// The 0-based column of the position that follows `row_prefix` (quotes respected).
    pub(crate) fn column_at(&self, row_prefix: &[u8]) -> usize {
        let mut quoted = false;
        let mut column = 0;
        for &b in row_prefix {
            if b == b'"' {
                quoted = !quoted;
            } else if b == self.delimiter && !quoted {
                column += 1;
            }
        }
        column
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_headers_are_recognized() {
        let h = CsvHeader::detect(b"name,ssn,\"dob\"\nJane,123-45-6789,1980-01-01\n").unwrap();
        assert_eq!(h.names, vec!["name", "ssn", "dob"]);
        assert_eq!(h.column_at(b"\"Doe, Jane\",123-45-6789,"), 2);
        assert!(CsvHeader::detect(b"123,456\n").is_none());
        assert!(CsvHeader::detect(b"just a sentence\n").is_none());
    }
}
