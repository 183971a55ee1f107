//! The shipped rule packs prove themselves: every rule matches each of its examples and none
//! of its negatives (`check_rules`, the same check `custodian scan rules check` runs), and
//! user rule files with mistakes are rejected with the rule named.

// One module named `content` so that `cargo test -p custodian-scan content` selects these;
// `cfg(test)` lets its helpers unwrap like the tests do (clippy `allow-unwrap-in-tests`).
#[cfg(test)]
mod content {
    use custodian_scan::content::{Category, RuleCheckFailure, RuleSet, ScanError, check_rules};

    #[test]
    fn every_secrets_rule_matches_its_examples_and_not_its_negatives() {
        let failures = check_rules(&RuleSet::secrets().unwrap());
        let text: Vec<String> = failures.iter().map(ToString::to_string).collect();
        assert!(failures.is_empty(), "{}", text.join("\n"));
    }

    #[test]
    fn every_pii_rule_matches_its_examples_and_not_its_negatives() {
        let failures = check_rules(&RuleSet::pii().unwrap());
        let text: Vec<String> = failures.iter().map(ToString::to_string).collect();
        assert!(failures.is_empty(), "{}", text.join("\n"));
    }

    #[test]
    fn secrets_pack_uses_only_the_secret_categories_and_has_keywords() {
        let set = RuleSet::secrets().unwrap();
        for rule in set.rules() {
            assert_ne!(rule.category(), Category::Pii, "{}", rule.id());
            assert!(
                !rule.keywords().is_empty(),
                "{} has no prefilter keyword",
                rule.id()
            );
            assert!(!rule.examples().is_empty(), "{} has no examples", rule.id());
        }
    }

    #[test]
    fn check_rules_reports_a_missed_example_and_a_matched_negative() {
        let toml = r#"
    [[rule]]
    id = "acme-key"
    name = "Acme key"
    category = "token"
    pattern = '\b(acme_[a-z0-9]{8})\b'
    keywords = ["acme_"]
    examples = ["acme_1234abcd", "acme_short"]
    negatives = ["acme_abcd1234"]
    "#;
        let failures = check_rules(&RuleSet::from_toml(toml).unwrap());
        assert_eq!(
            failures,
            vec![
                RuleCheckFailure::ExampleMissed {
                    rule: "acme-key".into(),
                    index: 1
                },
                RuleCheckFailure::NegativeMatched {
                    rule: "acme-key".into(),
                    index: 0
                },
            ]
        );
    }

    #[test]
    fn a_rule_with_a_broken_pattern_is_named() {
        let toml = "[[rule]]\nid = \"bad\"\nname = \"Bad\"\ncategory = \"token\"\npattern = '(unclosed'\nkeywords = [\"xyz\"]\nexamples = [\"xyz\"]\n";
        let set = RuleSet::from_toml(toml).unwrap();
        let failures = check_rules(&set);
        assert!(matches!(&failures[0], RuleCheckFailure::Invalid { rule, .. } if rule == "bad"));
        let err = custodian_scan::content::Scanner::new(set, Default::default()).unwrap_err();
        assert!(
            matches!(err, ScanError::InvalidRule { ref rule, .. } if rule == "bad"),
            "{err}"
        );
    }

    #[test]
    fn merging_packs_rejects_duplicate_ids() {
        let secrets = RuleSet::secrets().unwrap();
        let again = RuleSet::secrets().unwrap();
        assert!(matches!(
            secrets.merge(again),
            Err(ScanError::DuplicateRule(_))
        ));
        let all = RuleSet::secrets()
            .unwrap()
            .merge(RuleSet::pii().unwrap())
            .unwrap();
        assert!(all.find("pii-ssn").is_some() && all.find("jwt").is_some());
    }
}
