//! The content-scanning engine: files, directories, archives and git history; rule packs for
//! stored secrets and PII.
//!
//! A [`Scanner`] compiles a [`RuleSet`] (rules are data: TOML, format below, packs in
//! `crates/scan/rules/`) into a keyword prefilter, per-rule capture regexes and one
//! multi-pattern regex for the rules without keywords, then scans files in parallel.
//! Findings are deduplicated by value and reported by fingerprint with every location; no
//! scanned value is kept, logged or stored. The PII pack
//! also yields a per-file summary of data elements, and [`classify_value`] classifies single
//! cells for the breach engine's exposed-file analysis.
//!
//! Map: `rule` (format, packs) → `engine` (matching, with `prefilter` for keywords and `csv`
//! for column-header context) → `source` (chunks, binary detection, archives) and `git`
//! (history) → `report` (dedup, allowlist, baseline). `validate` and `pii` hold the per-value
//! checks, `literal` tells secrets from placeholders and code, `allow` holds the allowlist and
//! baseline, and `check` the rules' self-test.
//!
//! # Rule-file format
//!
//! A rules file holds any number of `[[rule]]` tables and an optional `[allowlist]` table:
//!
//! ```toml
//! [[rule]]
//! id = "acme-api-key"                 # unique, lowercase, [a-z0-9._-]
//! name = "Acme API key"               # human name
//! category = "token"                  # cloud_key | private_key | connection_string | token |
//!                                     # webhook | password_assignment | generic | other | pii
//! pattern = '''\b(acme_[A-Za-z0-9]{32})\b'''   # the secret is the first capture group that
//!                                     # took part in the match (the whole match if none)
//! keywords = ["acme_"]                # case-insensitive prefilter, at least three bytes (or a
//!                                     # symbol such as `@`); a window is only searched when one
//!                                     # occurs in it. Omit only for PII-style rules that have
//!                                     # no literal anchor.
//! validators = ["entropy", "no_placeholder"]   # all must pass (see below)
//! min_entropy = 3.5                   # floor for the `entropy` validator, bits per byte
//! confidence = "high"                 # low | medium | high (before context adjustments)
//! context = ["acme"]                  # words near the match (or in its CSV column header)
//! context_required = false            # true: no context word, no finding; false: context
//!                                     # raises confidence one level
//! anti_context = []                   # words that veto the match when near it
//! window = 0                          # bytes searched around a keyword beyond its line
//!                                     # (multi-line secrets such as PEM keys)
//! exclude = ['''(?i)example''']       # regexes on the captured value that drop a match
//! exclude_match = []                  # regexes on the whole match (e.g. the key name)
//! low_confidence = []                 # regexes on the whole match that make it low
//!                                     # confidence (documentation hosts such as example.com)
//! normalize = "verbatim"              # verbatim | digits | lower | words | phone | date |
//!                                     # pem_body | alnum  (applied before fingerprinting)
//! element = "ssn"                     # PII rules: the data element counted per file
//! examples = ["acme_..."]             # texts the rule must match (checked by `check_rules`)
//! negatives = ["acme_xxxxxxxx"]       # texts it must not match
//! ```
//!
//! Validators: `entropy`, `luhn`, `ssn`, `imei`, `imsi_mcc`, `payment_card`, `nanp`, `date`,
//! `cisco_type7`, `pem_body`, `no_placeholder`, `password_value`, `user_pass`, `base64`,
//! `letters_and_digits`, `not_code`, `person_name`.
//!
//! The `[allowlist]` table takes `paths` (globs), `fingerprints` and `values` (regexes on the
//! secret), like a standalone allowlist file ([`Allowlist::from_toml`]).
//!
//! Patterns use the `regex-automata` syntax with Unicode off (`\w`, `\b`, `\d` are ASCII; the
//! haystack is bytes) and without look-around; rules are tried in file order, and when two
//! rules report the same span the earlier one wins, so specific rules come before generic ones.

mod allow;
mod check;
mod csv;
mod engine;
mod error;
mod finding;
mod git;
mod literal;
mod pii;
mod prefilter;
mod report;
mod rule;
mod scanner;
mod source;
mod validate;

pub use allow::{Allowlist, Baseline};
pub use check::{RuleCheckFailure, check_rules};
pub use error::ScanError;
pub use finding::{FileSummary, Finding, FingerprintKey, Location};
pub use pii::{PiiKind, classify_value};
pub use report::ScanReport;
pub use rule::{Category, Confidence, Rule, RuleSet};
pub use scanner::{PiiUnitValues, PiiValues, ScanOptions, Scanner};
pub use source::PiiValue;
