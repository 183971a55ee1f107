//! The PII pack on the kind of file a breach leaves behind: a CSV dump with a header. The
//! per-file summary counts distinct values of each data element exactly; numbers that fail
//! the SSA rules, Luhn or the issuer ranges are not reported; and `classify_value` labels
//! single cells for the breach engine's exposed-file analysis.

// One module named `content` so that `cargo test -p custodian-scan content` selects these;
// `cfg(test)` lets its helpers unwrap like the tests do (clippy `allow-unwrap-in-tests`).
#[cfg(test)]
mod content {
    use custodian_scan::content::{
        FingerprintKey, PiiKind, RuleSet, ScanOptions, Scanner, classify_value,
    };

    const DUMP: &str = "\
    name,address,dob,ssn,dl_number,dl_state,phone,email,imei,imsi,card
    Jane Doe,742 Evergreen Terrace,1980-05-17,123-45-6789,D1234567,CA,(202) 418-1234,jane.doe@carrier-mail.net,490154203237518,310150123456789,4111111111111111
    John Roe,1600 Pennsylvania Ave,1975-11-02,234-56-7890,A7654321,NY,(303) 555-2368,john.roe@carrier-mail.net,356938035643809,310260000000001,5555555555554444
    Mary Major,10 Downing Street,1990-01-31,345-67-8901,B2468024,TX,(404) 823-9911,mary.major@carrier-mail.net,353918050000005,311480123456780,378282246310005
    Jane Doe,742 Evergreen Terrace,1980-05-17,123-45-6789,D1234567,CA,(202) 418-1234,jane.doe@carrier-mail.net,490154203237518,310150123456789,4111111111111111
    Bad Ssns,5 Elm St,1961-07-04,000-12-3456,,,,,,,
    Bad Ssns,5 Elm St,1961-07-04,666-12-3456,,,,,,,
    Bad Ssns,5 Elm St,1961-07-04,912-34-5678,,,,,,,
    ";

    fn pii_scanner() -> Scanner {
        let options = ScanOptions {
            fingerprint_key: Some(FingerprintKey::from_bytes([9; 32])),
            ..ScanOptions::default()
        };
        Scanner::new(RuleSet::pii().unwrap(), options).unwrap()
    }

    #[test]
    fn per_file_summary_counts_distinct_values_of_each_element_exactly() {
        let report = pii_scanner().scan_bytes("customers.csv", DUMP.as_bytes());
        let summary = report.summary_for("customers.csv").expect("summary");
        let counts: Vec<(&str, usize)> = summary.elements().map(|(k, n)| (k.as_str(), n)).collect();
        assert_eq!(
            counts,
            vec![
                ("full_name", 4),
                ("postal_address", 4),
                ("date_of_birth", 4),
                ("ssn", 3),
                ("drivers_license", 3),
                ("phone_number", 3),
                ("email", 3),
                ("imei", 3),
                ("imsi", 3),
                ("payment_card", 3),
            ]
        );
    }

    #[test]
    fn invalid_ssns_are_not_reported() {
        let text = "ssn 000-12-3456\nssn 666-12-3456\nssn 912-34-5678\nssn 123-00-4567\nssn 123-45-0000\nssn 123-45-6789\n";
        let report = pii_scanner().scan_bytes("notes.txt", text.as_bytes());
        let ssns: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.element() == Some(PiiKind::Ssn))
            .collect();
        assert_eq!(ssns.len(), 1);
        assert_eq!(ssns[0].locations()[0].line(), 6);
    }

    #[test]
    fn context_raises_confidence_and_checksums_gate_numbers() {
        // The filler line keeps "SSN" out of the second number's context window.
        let text = format!(
            "SSN: 123-45-6789\n{}\nref 234-56-7890\nimei 490154203237519\n",
            "-".repeat(100)
        );
        let report = pii_scanner().scan_bytes("a.txt", text.as_bytes());
        let by_line = |line: u64| {
            report
                .findings
                .iter()
                .find(|f| f.locations()[0].line() == line)
                .map(|f| f.confidence())
        };
        assert!(by_line(1) > by_line(3), "context should raise confidence");
        assert_eq!(by_line(4), None, "a Luhn-invalid IMEI is not reported");
    }

    #[test]
    fn drivers_licence_needs_context() {
        let scanner = pii_scanner();
        assert!(
            scanner
                .scan_bytes("a", b"order D1234567 shipped")
                .findings
                .is_empty()
        );
        let with = scanner.scan_bytes("a", b"California driver license D1234567");
        assert_eq!(with.findings[0].element(), Some(PiiKind::DriversLicense));
    }

    #[test]
    fn classify_value_labels_single_cells() {
        let cases = [
            ("123-45-6789", Some((PiiKind::Ssn, "123456789"))),
            ("900-12-3456", None),
            (
                "+1 (202) 418-1234",
                Some((PiiKind::PhoneNumber, "+12024181234")),
            ),
            ("490154203237518", Some((PiiKind::Imei, "490154203237518"))),
            ("310150123456789", Some((PiiKind::Imsi, "310150123456789"))),
            (
                "5555 5555 5555 4444",
                Some((PiiKind::PaymentCard, "5555555555554444")),
            ),
            (
                "Mary.Major@Carrier-Mail.net",
                Some((PiiKind::Email, "mary.major@carrier-mail.net")),
            ),
            ("1975-11-02", Some((PiiKind::DateOfBirth, "1975-11-02"))),
            ("postpaid", None),
        ];
        for (cell, want) in cases {
            let got = classify_value(cell);
            assert_eq!(got.as_ref().map(|(k, v)| (*k, v.as_str())), want, "{cell}");
        }
    }

    #[test]
    fn ndjson_fields_are_recognized_by_their_keys() {
        let line = r#"{"external_id":"c-1","dob":"1980-05-17","ssn":"123456789","phone":"2024181234","imsi":"310150123456789"}"#;
        let report = pii_scanner().scan_bytes("dump.ndjson", line.as_bytes());
        let mut kinds: Vec<&str> = report
            .findings
            .iter()
            .filter_map(|f| f.element())
            .map(|k| k.as_str())
            .collect();
        kinds.sort_unstable();
        assert_eq!(kinds, vec!["date_of_birth", "imsi", "phone_number", "ssn"]);
    }
}
