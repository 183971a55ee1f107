//! The result of a scan ([`ScanReport`]) and how per-unit hits become it: occurrences are
//! grouped by fingerprint into one [`Finding`] per distinct value, then the allowlist, the
//! baseline and the confidence floor are applied, and per-file PII summaries are built.

use std::collections::HashMap;
use std::time::Duration;

use crate::content::allow::{Allowlist, Baseline};
use crate::content::engine::Engine;
use crate::content::finding::{FileSummary, Finding, Location};
use crate::content::rule::{Category, Confidence};
use crate::content::source::Outcome;

/// Everything one scan found and did.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct ScanReport {
    /// One finding per distinct value (per rule, or per data element for PII), sorted by
    /// category, rule and fingerprint; baselined and allowlisted values are left out.
    pub findings: Vec<Finding>,
    /// Per file (or archive member, or git blob) with personal data: the elements it holds.
    pub file_summaries: Vec<FileSummary>,
    /// Text units scanned (files, archive members, git blobs).
    pub files_scanned: u64,
    /// Bytes of text scanned.
    pub bytes_scanned: u64,
    /// Units skipped because their content is binary.
    pub files_skipped_binary: u64,
    /// Files skipped because an allowlist glob matched their path.
    pub files_skipped_allowlisted: u64,
    /// Findings left out because their fingerprint is in the baseline.
    pub findings_baselined: u64,
    /// Units or paths that could not be read: (location, message). Messages never hold a
    /// scanned value.
    pub errors: Vec<(String, String)>,
    /// Wall-clock time of the scan.
    pub elapsed: Duration,
}

impl ScanReport {
    /// Findings of one category.
    pub fn findings_in(&self, category: Category) -> impl Iterator<Item = &Finding> + '_ {
        self.findings
            .iter()
            .filter(move |f| f.category() == category)
    }

    /// Adds another scan's results (of more paths, or of git history) to this one: findings of
    /// the same value are joined into one with every location, counts and times add up.
    pub fn merge(&mut self, other: ScanReport) {
        let mut by_fp: HashMap<String, usize> = self
            .findings
            .iter()
            .enumerate()
            .map(|(i, f)| (f.fingerprint.clone(), i))
            .collect();
        for f in other.findings {
            match by_fp.get(&f.fingerprint) {
                Some(&i) => {
                    let mine = &mut self.findings[i];
                    mine.confidence = mine.confidence.max(f.confidence);
                    mine.locations.extend(f.locations);
                    mine.locations.sort();
                    mine.locations.dedup();
                }
                None => {
                    by_fp.insert(f.fingerprint.clone(), self.findings.len());
                    self.findings.push(f);
                }
            }
        }
        self.findings.sort_by(|a, b| {
            (a.category, &a.rule_id, &a.fingerprint).cmp(&(b.category, &b.rule_id, &b.fingerprint))
        });
        self.file_summaries.extend(other.file_summaries);
        self.files_scanned += other.files_scanned;
        self.bytes_scanned += other.bytes_scanned;
        self.files_skipped_binary += other.files_skipped_binary;
        self.files_skipped_allowlisted += other.files_skipped_allowlisted;
        self.findings_baselined += other.findings_baselined;
        self.errors.extend(other.errors);
        self.elapsed += other.elapsed;
    }

    /// The summary for a location label (`path`, `path!member`).
    pub fn summary_for(&self, location: &str) -> Option<&FileSummary> {
        self.file_summaries
            .iter()
            .find(|s| s.location() == location)
    }
}

/// What the report builder needs besides the outcome.
pub(crate) struct ReportPolicy<'a> {
    pub(crate) engine: &'a Engine,
    pub(crate) allowlist: &'a Allowlist,
    pub(crate) baseline: Option<&'a Baseline>,
    pub(crate) min_confidence: Confidence,
}

/// Groups hits into findings and applies the policy.
pub(crate) fn build(
    outcome: Outcome,
    policy: &ReportPolicy<'_>,
    skipped_allowlisted: u64,
    elapsed: Duration,
) -> ScanReport {
    let mut by_fp: HashMap<String, Finding> = HashMap::new();
    let mut summaries = Vec::new();
    for unit in outcome.units {
        for hit in unit.hits {
            let location = Location {
                file: unit.id.file.clone(),
                member: unit.id.member.clone(),
                commit: unit.id.commit.clone(),
                line: hit.line,
                column: hit.column,
            };
            let entry = by_fp.entry(hit.fingerprint.clone()).or_insert_with(|| {
                let rule = policy.engine.rule(hit.rule);
                Finding {
                    rule_id: rule.id.clone(),
                    rule_name: rule.name.clone(),
                    category: rule.category,
                    element: rule.element,
                    confidence: hit.confidence,
                    fingerprint: hit.fingerprint.clone(),
                    preview: hit.preview.clone(),
                    locations: Vec::new(),
                }
            });
            entry.confidence = entry.confidence.max(hit.confidence);
            entry.locations.push(location);
        }
        if !unit.pii.is_empty() {
            let elements = unit
                .pii
                .into_iter()
                .map(|(k, set)| (k, set.len()))
                .collect();
            summaries.push(FileSummary {
                location: unit.id.label(),
                elements,
            });
        }
    }
    let mut baselined = 0;
    let mut findings: Vec<Finding> = Vec::with_capacity(by_fp.len());
    for (_, mut finding) in by_fp {
        if policy
            .allowlist
            .is_fingerprint_allowed(&finding.fingerprint)
            || finding.confidence < policy.min_confidence
        {
            continue;
        }
        if policy
            .baseline
            .is_some_and(|b| b.contains(&finding.fingerprint))
        {
            baselined += 1;
            continue;
        }
        finding.locations.sort();
        finding.locations.dedup();
        findings.push(finding);
    }
    findings.sort_by(|a, b| {
        (a.category, &a.rule_id, &a.fingerprint).cmp(&(b.category, &b.rule_id, &b.fingerprint))
    });
    summaries.sort_by(|a, b| a.location.cmp(&b.location));
    let mut errors = outcome.errors;
    errors.sort();
    ScanReport {
        findings,
        file_summaries: summaries,
        files_scanned: outcome.files_scanned,
        bytes_scanned: outcome.bytes_scanned,
        files_skipped_binary: outcome.files_skipped_binary,
        files_skipped_allowlisted: skipped_allowlisted,
        findings_baselined: baselined,
        errors,
        elapsed,
    }
}
