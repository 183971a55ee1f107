//! `check_rules`: proves every rule matches each of its examples and none of its negatives,
//! each rule compiled alone (so a more specific rule cannot hide a generic rule's example).
//! The command line's `custodian scan rules check` and the pack tests call it.

use std::fmt;

use crate::content::allow::Allowlist;
use crate::content::engine::Engine;
use crate::content::rule::{Rule, RuleSet};
use crate::content::scanner::ScanOptions;
use crate::content::source::{Outcome, Source, UnitId};

/// One way a rule failed its own examples.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleCheckFailure {
    /// The rule does not compile.
    Invalid {
        /// The rule's id.
        rule: String,
        /// The compiler's message.
        message: String,
    },
    /// The rule has no examples, so nothing proves it works.
    NoExamples {
        /// The rule's id.
        rule: String,
    },
    /// An example was not matched.
    ExampleMissed {
        /// The rule's id.
        rule: String,
        /// 0-based index in `examples`.
        index: usize,
    },
    /// A negative example was matched.
    NegativeMatched {
        /// The rule's id.
        rule: String,
        /// 0-based index in `negatives`.
        index: usize,
    },
}

impl fmt::Display for RuleCheckFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleCheckFailure::Invalid { rule, message } => {
                write!(f, "{rule}: does not compile: {message}")
            }
            RuleCheckFailure::NoExamples { rule } => write!(f, "{rule}: has no examples"),
            RuleCheckFailure::ExampleMissed { rule, index } => {
                write!(f, "{rule}: example {index} not matched")
            }
            RuleCheckFailure::NegativeMatched { rule, index } => {
                write!(f, "{rule}: negative {index} matched")
            }
        }
    }
}

/// Checks every rule of `rules` against its examples and negatives; empty means all pass.
pub fn check_rules(rules: &RuleSet) -> Vec<RuleCheckFailure> {
    rules.rules().iter().flat_map(check_rule).collect()
}

fn check_rule(rule: &Rule) -> Vec<RuleCheckFailure> {
    let id = rule.id().to_owned();
    let alone = RuleSet {
        rules: vec![rule.clone()],
        allowlist: Allowlist::new(),
    };
    let engine = match Engine::new(&alone) {
        Ok(e) => e,
        Err(e) => {
            return vec![RuleCheckFailure::Invalid {
                rule: id,
                message: e.to_string(),
            }];
        }
    };
    let options = ScanOptions::default();
    let allowlist = Allowlist::new();
    let mut source = Source::new(&engine, &options, &allowlist);
    let mut matches = |text: &str| {
        let mut out = Outcome::default();
        source.scan_slice(
            text.as_bytes(),
            UnitId::file(std::path::Path::new("example")),
            &mut out,
        );
        out.units.iter().any(|u| !u.hits.is_empty())
    };
    let mut failures = Vec::new();
    if rule.examples().is_empty() {
        failures.push(RuleCheckFailure::NoExamples { rule: id.clone() });
    }
    for (index, example) in rule.examples().iter().enumerate() {
        if !matches(example) {
            failures.push(RuleCheckFailure::ExampleMissed {
                rule: id.clone(),
                index,
            });
        }
    }
    for (index, negative) in rule.negatives().iter().enumerate() {
        if matches(negative) {
            failures.push(RuleCheckFailure::NegativeMatched {
                rule: id.clone(),
                index,
            });
        }
    }
    failures
}
