//! Rules as data: the TOML rule-file format, its parsed form ([`Rule`], [`RuleSet`]) and the
//! two packs that ship embedded (`rules/secrets.toml`, `rules/pii.toml`).
//!
//! The rule-file format is documented on the `content` module (and in `rules/README.md`).

use std::fmt;

use serde::Deserialize;

use crate::content::allow::{Allowlist, AllowlistToml};
use crate::content::error::ScanError;
use crate::content::pii::PiiKind;
use crate::content::validate::{Normalizer, Validator};

/// The category of a rule, used for reporting and for measuring recall per kind of secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Category {
    /// Cloud provider keys (AWS, GCP, Azure, ...).
    CloudKey,
    /// Private keys (PEM, OpenSSH, PGP, PuTTY, age, WireGuard).
    PrivateKey,
    /// Database, broker and storage connection strings with credentials.
    ConnectionString,
    /// API tokens of SaaS providers, JWTs and bearer tokens.
    Token,
    /// Webhook URLs that carry their own credential.
    Webhook,
    /// Password assignments, CLI credentials, router and device configs.
    PasswordAssignment,
    /// Secrets recognized only by their context and entropy.
    Generic,
    /// Sensitive identifiers that are not credentials by themselves (hashes, account ids).
    Other,
    /// Personal data (the PII pack).
    Pii,
}

impl Category {
    /// Every category, in a stable order.
    pub const ALL: [Category; 9] = [
        Category::CloudKey,
        Category::PrivateKey,
        Category::ConnectionString,
        Category::Token,
        Category::Webhook,
        Category::PasswordAssignment,
        Category::Generic,
        Category::Other,
        Category::Pii,
    ];

    /// The name used in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::CloudKey => "cloud_key",
            Category::PrivateKey => "private_key",
            Category::ConnectionString => "connection_string",
            Category::Token => "token",
            Category::Webhook => "webhook",
            Category::PasswordAssignment => "password_assignment",
            Category::Generic => "generic",
            Category::Other => "other",
            Category::Pii => "pii",
        }
    }

    /// Parses a category name as written in rule files.
    pub fn from_name(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How sure a finding is; ordered, so `confidence >= Confidence::Medium` filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Confidence {
    /// Plausible but often benign (weak passwords, identifiers without context).
    #[default]
    Low,
    /// Likely a real value.
    Medium,
    /// A self-identifying format or a validated value with context.
    High,
}

impl Confidence {
    /// The name used in rule files.
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    /// One level up (saturating).
    pub(crate) fn raised(self) -> Confidence {
        match self {
            Confidence::Low => Confidence::Medium,
            _ => Confidence::High,
        }
    }

    fn parse(name: &str) -> Option<Confidence> {
        [Confidence::Low, Confidence::Medium, Confidence::High]
            .into_iter()
            .find(|c| c.as_str() == name)
    }
}

/// One detection rule, parsed and checked (its pattern compiles later, with the whole set).
#[derive(Clone, Debug)]
pub struct Rule {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) category: Category,
    pub(crate) pattern: String,
    pub(crate) keywords: Vec<String>,
    pub(crate) validators: Vec<Validator>,
    pub(crate) min_entropy: f64,
    pub(crate) confidence: Confidence,
    pub(crate) context: Vec<String>,
    pub(crate) context_required: bool,
    pub(crate) anti_context: Vec<String>,
    pub(crate) window: usize,
    pub(crate) exclude: Vec<String>,
    pub(crate) exclude_match: Vec<String>,
    pub(crate) low_confidence: Vec<String>,
    pub(crate) normalize: Normalizer,
    pub(crate) element: Option<PiiKind>,
    pub(crate) examples: Vec<String>,
    pub(crate) negatives: Vec<String>,
}

impl Rule {
    /// The rule's unique id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The rule's human name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The rule's category.
    pub fn category(&self) -> Category {
        self.category
    }
    /// The pattern source.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }
    /// The prefilter keywords (lowercase).
    pub fn keywords(&self) -> &[String] {
        &self.keywords
    }
    /// The base confidence of a match.
    pub fn confidence(&self) -> Confidence {
        self.confidence
    }
    /// The data element a PII rule counts, if any.
    pub fn element(&self) -> Option<PiiKind> {
        self.element
    }
    /// Texts the rule must match.
    pub fn examples(&self) -> &[String] {
        &self.examples
    }
    /// Texts the rule must not match.
    pub fn negatives(&self) -> &[String] {
        &self.negatives
    }
}

/// An ordered set of rules plus the allowlist entries that came with their files.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    pub(crate) rules: Vec<Rule>,
    pub(crate) allowlist: Allowlist,
}

const SECRETS_TOML: &str = include_str!("../../rules/secrets.toml");
const PII_TOML: &str = include_str!("../../rules/pii.toml");

impl RuleSet {
    /// The shipped secrets pack (`rules/secrets.toml`).
    pub fn secrets() -> Result<RuleSet, ScanError> {
        RuleSet::from_toml(SECRETS_TOML)
    }

    /// The shipped PII pack (`rules/pii.toml`).
    pub fn pii() -> Result<RuleSet, ScanError> {
        RuleSet::from_toml(PII_TOML)
    }

    /// Parses a rules file (format in the module documentation).
    pub fn from_toml(text: &str) -> Result<RuleSet, ScanError> {
        let file: RulesFile = toml::from_str(text).map_err(|e| ScanError::RulesFile {
            message: e.to_string(),
        })?;
        let mut set = RuleSet::default();
        for raw in file.rule {
            let rule = raw.into_rule()?;
            set.push(rule)?;
        }
        if let Some(allow) = file.allowlist {
            set.allowlist = Allowlist::from_parsed(&allow)?;
        }
        Ok(set)
    }

    /// Appends `other`'s rules after this set's (so this set's rules win ties) and merges
    /// the allowlists; fails on a duplicate rule id.
    pub fn merge(mut self, other: RuleSet) -> Result<RuleSet, ScanError> {
        for rule in other.rules {
            self.push(rule)?;
        }
        self.allowlist.extend(other.allowlist);
        Ok(self)
    }

    /// The rules, in priority order.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule with this id.
    pub fn find(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when the set has no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    fn push(&mut self, rule: Rule) -> Result<(), ScanError> {
        if self.rules.iter().any(|r| r.id == rule.id) {
            return Err(ScanError::DuplicateRule(rule.id));
        }
        self.rules.push(rule);
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    rule: Vec<RawRule>,
    allowlist: Option<AllowlistToml>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    name: String,
    category: String,
    pattern: String,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    validators: Vec<String>,
    min_entropy: Option<f64>,
    confidence: Option<String>,
    #[serde(default)]
    context: Vec<String>,
    #[serde(default)]
    context_required: bool,
    #[serde(default)]
    anti_context: Vec<String>,
    #[serde(default)]
    window: usize,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    exclude_match: Vec<String>,
    #[serde(default)]
    low_confidence: Vec<String>,
    normalize: Option<String>,
    element: Option<String>,
    #[serde(default)]
    examples: Vec<String>,
    #[serde(default)]
    negatives: Vec<String>,
}

impl RawRule {
    fn into_rule(self) -> Result<Rule, ScanError> {
        let id = self.id;
        let bad = |message: String| ScanError::InvalidRule {
            rule: id.clone(),
            message,
        };
        let id_ok = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if !id_ok {
            return Err(bad("id must be non-empty lowercase [a-z0-9._-]".into()));
        }
        let category = Category::from_name(&self.category)
            .ok_or_else(|| bad(format!("unknown category `{}`", self.category)))?;
        let validators = self
            .validators
            .iter()
            .map(|v| Validator::parse(v).ok_or_else(|| bad(format!("unknown validator `{v}`"))))
            .collect::<Result<Vec<_>, _>>()?;
        let confidence = match self.confidence.as_deref() {
            None => Confidence::Medium,
            Some(c) => {
                Confidence::parse(c).ok_or_else(|| bad(format!("unknown confidence `{c}`")))?
            }
        };
        let normalize = match self.normalize.as_deref() {
            None => Normalizer::Verbatim,
            Some(n) => {
                Normalizer::parse(n).ok_or_else(|| bad(format!("unknown normalizer `{n}`")))?
            }
        };
        let element = match self.element.as_deref() {
            None => None,
            Some(e) => {
                Some(PiiKind::from_name(e).ok_or_else(|| bad(format!("unknown element `{e}`")))?)
            }
        };
        // The prefilter hashes keyword trigrams; shorter keywords are only allowed when they
        // have no letters (`@`), which a plain substring search handles.
        let short = |k: &String| {
            k.len() < 3 && (k.is_empty() || k.bytes().any(|b| b.is_ascii_alphabetic()))
        };
        if let Some(k) = self.keywords.iter().find(|k| short(k)) {
            return Err(bad(format!(
                "keyword `{k}` is too short: use at least three bytes"
            )));
        }
        if self.window > 64 * 1024 {
            return Err(bad("window is at most 65536 bytes".into()));
        }
        let lower = |v: Vec<String>| {
            v.into_iter()
                .map(|s| s.to_ascii_lowercase())
                .collect::<Vec<_>>()
        };
        Ok(Rule {
            name: self.name,
            category,
            pattern: self.pattern,
            keywords: lower(self.keywords),
            validators,
            min_entropy: self.min_entropy.unwrap_or(0.0),
            confidence,
            context: lower(self.context),
            context_required: self.context_required,
            anti_context: lower(self.anti_context),
            window: self.window,
            exclude: self.exclude,
            exclude_match: self.exclude_match,
            low_confidence: self.low_confidence,
            normalize,
            element,
            examples: self.examples,
            negatives: self.negatives,
            id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_packs_parse() {
        let secrets = RuleSet::secrets().unwrap();
        let pii = RuleSet::pii().unwrap();
        assert!(secrets.len() > 50);
        assert!(pii.rules().iter().all(|r| r.element().is_some()));
        let all = secrets.merge(pii).unwrap();
        assert!(all.find("aws-access-key-id").is_some());
    }

    #[test]
    fn unknown_fields_and_names_are_errors() {
        let base = "[[rule]]\nid = \"x\"\nname = \"X\"\ncategory = \"token\"\npattern = 'x'\n";
        assert!(RuleSet::from_toml(base).is_ok());
        assert!(RuleSet::from_toml(&format!("{base}colour = 1\n")).is_err());
        let bad_cat = base.replace("token", "tokens");
        assert!(matches!(
            RuleSet::from_toml(&bad_cat),
            Err(ScanError::InvalidRule { .. })
        ));
        let bad_validator = format!("{base}validators = [\"nope\"]\n");
        assert!(matches!(
            RuleSet::from_toml(&bad_validator),
            Err(ScanError::InvalidRule { .. })
        ));
        let dup = format!("{base}{base}");
        assert!(matches!(
            RuleSet::from_toml(&dup),
            Err(ScanError::DuplicateRule(_))
        ));
    }
}
