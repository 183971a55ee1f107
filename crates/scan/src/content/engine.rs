//! The matcher at the heart of the scanner:
//!
//! 1. a keyword prefilter ([`KeywordFilter`]: a trigram bitmap over every rule's keywords,
//!    ASCII case-insensitive, overlapping occurrences included) finds the few places in a chunk
//!    worth a look; a chunk with no keyword never reaches a regex;
//! 2. each keyword hit opens a window (its line, plus the rule's `window` bytes for multi-line
//!    secrets) for the rules that keyword belongs to, and each rule's own regex runs over its
//!    merged windows only, with captures;
//! 3. rules without keywords (PII shapes such as SSNs or phone numbers) get one multi-pattern
//!    pass over the whole chunk (`regex_automata::meta::Regex` built from all of their patterns
//!    with `MatchKind::All`), and only the rules it reports run with captures;
//! 4. every match goes through the rule's exclusions, context, validators and normalizer, and
//!    overlaps between rules are resolved in favour of the earlier (more specific) rule.
//!
//! Why not one multi-pattern pass for the keyword rules too: with ~120 secret patterns the
//! lazy DFA of an all-patterns regex thrashed its cache on ordinary source code (measured 6
//! MiB/s); per-rule regexes over per-rule windows keep each DFA small and warm (about 300
//! MiB/s per core on source code).

use memchr::{memchr, memmem, memrchr};
use regex_automata::util::captures::Captures;
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind, PatternSet, Span, meta};

use crate::content::allow::Allowlist;
use crate::content::csv::CsvHeader;
use crate::content::error::ScanError;
use crate::content::literal::is_weak_password;
use crate::content::prefilter::KeywordFilter;
use crate::content::rule::{Confidence, Rule, RuleSet};
use crate::content::validate::Validator;

/// How far a default (line-scoped) window reaches each way when lines are very long.
const MAX_LINE: usize = 4096;
/// Bytes searched on each side of a match for context words (outside CSV files).
const CONTEXT_BYTES: usize = 80;
/// The inline marker that suppresses findings on its line.
const ALLOW_MARKER: &[u8] = b"custodian:allow";

/// A compiled rule set.
pub(crate) struct Engine {
    rules: Vec<CompiledRule>,
    keywords: Option<KeywordFilter>,
    keyword_rules: Vec<Vec<usize>>,
    free: Option<Multi>,
    longest_window: usize,
}

struct CompiledRule {
    rule: Rule,
    re: meta::Regex,
    exclude: Vec<meta::Regex>,
    exclude_match: Vec<meta::Regex>,
    low_confidence: Vec<meta::Regex>,
}

/// One multi-pattern regex (the keywordless rules) and the rule index of each pattern.
struct Multi {
    re: meta::Regex,
    rule_of: Vec<usize>,
}

/// A match that passed every check, with its normalized value (held only until it is
/// fingerprinted).
pub(crate) struct RawMatch {
    pub(crate) rule: usize,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) value: String,
    pub(crate) confidence: Confidence,
}

/// Per-chunk facts the engine cannot see in the haystack alone.
pub(crate) struct ChunkCtx<'a> {
    /// The CSV header of the file, when it has one.
    pub(crate) header: Option<&'a CsvHeader>,
    /// True when `hay[0]` is the first byte of the file.
    pub(crate) at_file_start: bool,
    /// User allowlist (value regexes are applied while the value is at hand).
    pub(crate) allowlist: &'a Allowlist,
}

/// Reusable per-thread buffers.
pub(crate) struct Scratch {
    /// Per rule, the windows its keywords asked for in the current chunk.
    windows: Vec<Vec<(usize, usize)>>,
    /// The rules with windows in the current chunk.
    touched: Vec<usize>,
    free_set: Option<PatternSet>,
    lower: Vec<u8>,
    candidates: Vec<(u32, u32)>,
}

fn syntax_config() -> syntax::Config {
    // Unicode off: classes and \b are ASCII, so the lazy DFA never has to give up on
    // non-ASCII input, and patterns may match any bytes (files are not always UTF-8).
    syntax::Config::new().unicode(false).utf8(false)
}

fn compile(pattern: &str) -> Result<meta::Regex, String> {
    meta::Regex::builder()
        .syntax(syntax_config())
        .configure(meta::Config::new().utf8_empty(false))
        .build(pattern)
        .map_err(|e| e.to_string())
}

fn compile_multi(rules: &[CompiledRule], ids: Vec<usize>) -> Result<Option<Multi>, ScanError> {
    if ids.is_empty() {
        return Ok(None);
    }
    let patterns: Vec<&str> = ids
        .iter()
        .map(|&i| rules[i].rule.pattern.as_str())
        .collect();
    let config = meta::Config::new()
        .match_kind(MatchKind::All)
        .utf8_empty(false)
        .which_captures(regex_automata::nfa::thompson::WhichCaptures::Implicit)
        .nfa_size_limit(Some(256 << 20))
        .hybrid_cache_capacity(8 << 20);
    let re = meta::Regex::builder()
        .syntax(syntax_config())
        .configure(config)
        .build_many(&patterns)
        .map_err(|e| ScanError::Compile(e.to_string()))?;
    Ok(Some(Multi { re, rule_of: ids }))
}

impl Engine {
    /// Compiles every rule's pattern, exclusions and keywords.
    pub(crate) fn new(set: &RuleSet) -> Result<Engine, ScanError> {
        let mut rules = Vec::with_capacity(set.rules.len());
        for rule in &set.rules {
            let invalid = |message: String| ScanError::InvalidRule {
                rule: rule.id.clone(),
                message,
            };
            let re = compile(&rule.pattern).map_err(|e| invalid(format!("pattern: {e}")))?;
            let exclude = rule
                .exclude
                .iter()
                .map(|p| compile(p).map_err(|e| invalid(format!("exclude: {e}"))))
                .collect::<Result<Vec<_>, _>>()?;
            let exclude_match = rule
                .exclude_match
                .iter()
                .map(|p| compile(p).map_err(|e| invalid(format!("exclude_match: {e}"))))
                .collect::<Result<Vec<_>, _>>()?;
            let low_confidence = rule
                .low_confidence
                .iter()
                .map(|p| compile(p).map_err(|e| invalid(format!("low_confidence: {e}"))))
                .collect::<Result<Vec<_>, _>>()?;
            rules.push(CompiledRule {
                rule: rule.clone(),
                re,
                exclude,
                exclude_match,
                low_confidence,
            });
        }
        let mut keyword_list: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            for kw in &r.rule.keywords {
                match keyword_list.iter().position(|k| k == kw) {
                    Some(p) => keyword_rules[p].push(i),
                    None => {
                        keyword_list.push(kw.clone());
                        keyword_rules.push(vec![i]);
                    }
                }
            }
        }
        // The prefilter reports every keyword occurrence, overlapping ones included, so each
        // keyword stands for exactly its own rules.
        let keywords = (!keyword_list.is_empty()).then(|| KeywordFilter::new(&keyword_list));
        let free_ids: Vec<usize> = (0..rules.len())
            .filter(|&i| rules[i].rule.keywords.is_empty())
            .collect();
        let free = compile_multi(&rules, free_ids)?;
        let longest_window = rules.iter().map(|r| r.rule.window).max().unwrap_or(0);
        Ok(Engine {
            rules,
            keywords,
            keyword_rules,
            free,
            longest_window,
        })
    }

    /// The overlap consecutive chunks need so that no match is cut in two.
    pub(crate) fn overlap(&self) -> usize {
        (2 * MAX_LINE + 2 * self.longest_window).max(64 * 1024)
    }

    pub(crate) fn rule(&self, index: usize) -> &Rule {
        &self.rules[index].rule
    }

    pub(crate) fn rule_count(&self) -> usize {
        self.rules.len()
    }

    pub(crate) fn scratch(&self) -> Scratch {
        Scratch {
            windows: vec![Vec::new(); self.rules.len()],
            touched: Vec::new(),
            free_set: self
                .free
                .as_ref()
                .map(|m| PatternSet::new(m.re.pattern_len())),
            lower: Vec::new(),
            candidates: Vec::new(),
        }
    }

    /// Finds every accepted match starting before `own_end` in `hay`, sorted by position,
    /// with overlaps between rules resolved in favour of the earlier rule.
    pub(crate) fn scan_chunk(
        &self,
        hay: &[u8],
        own_end: usize,
        ctx: &ChunkCtx<'_>,
        scratch: &mut Scratch,
        out: &mut Vec<RawMatch>,
    ) {
        let first = out.len();
        self.collect_windows(hay, scratch);
        let mut touched = std::mem::take(&mut scratch.touched);
        touched.sort_unstable();
        for &rule in &touched {
            let mut windows = std::mem::take(&mut scratch.windows[rule]);
            // Hits arrive almost in order, so this sort is nearly free; overlapping windows of
            // one rule merge so each of its matches is found once.
            windows.sort_unstable();
            let mut i = 0;
            while i < windows.len() {
                let (start, mut end) = windows[i];
                i += 1;
                while i < windows.len() && windows[i].0 <= end {
                    end = end.max(windows[i].1);
                    i += 1;
                }
                self.run_rule(
                    rule,
                    hay,
                    Span::from(start..end),
                    own_end,
                    ctx,
                    scratch,
                    out,
                );
            }
            windows.clear();
            scratch.windows[rule] = windows;
        }
        touched.clear();
        scratch.touched = touched;
        if let (Some(multi), Some(mut set)) = (&self.free, scratch.free_set.take()) {
            set.clear();
            let span = Span::from(0..hay.len());
            multi
                .re
                .which_overlapping_matches(&Input::new(hay), &mut set);
            for pid in set.iter() {
                let rule = multi.rule_of[pid.as_usize()];
                self.run_rule(rule, hay, span, own_end, ctx, scratch, out);
            }
            scratch.free_set = Some(set);
        }
        resolve_overlaps(&mut out[first..]);
        out.retain(|m| m.rule != usize::MAX);
    }

    /// Turns keyword hits into windows per rule: each rule is searched only around its own
    /// keywords (the line, plus the rule's `window` for multi-line
    /// secrets), so a line full of common words costs only the rules those words belong to.
    fn collect_windows(&self, hay: &[u8], scratch: &mut Scratch) {
        let Some(filter) = &self.keywords else {
            return;
        };
        let (windows, touched) = (&mut scratch.windows, &mut scratch.touched);
        filter.for_each(hay, &mut scratch.candidates, |kw, hit_start, hit_end| {
            let (line_start, line_end) = line_bounds(hay, hit_start, hit_end);
            for &r in &self.keyword_rules[kw] {
                let extent = self.rules[r].rule.window;
                let start = line_start.min(hit_start.saturating_sub(extent));
                let end = line_end.max((hit_end + extent).min(hay.len()));
                let list = &mut windows[r];
                match list.last_mut() {
                    // The same line again (another keyword of this rule): nothing new.
                    Some(last) if last.0 == start && last.1 >= end => {}
                    Some(_) => list.push((start, end)),
                    None => {
                        touched.push(r);
                        list.push((start, end));
                    }
                }
            }
        });
    }

    #[allow(clippy::too_many_arguments)] // internal hot path; a struct would only rename these
    fn run_rule(
        &self,
        index: usize,
        hay: &[u8],
        span: Span,
        own_end: usize,
        ctx: &ChunkCtx<'_>,
        scratch: &mut Scratch,
        out: &mut Vec<RawMatch>,
    ) {
        let compiled = &self.rules[index];
        let mut caps: Captures = compiled.re.create_captures();
        let mut input = Input::new(hay).span(span);
        loop {
            compiled.re.search_captures(&input, &mut caps);
            let Some(m) = caps.get_match() else {
                break;
            };
            if m.start() >= own_end {
                break;
            }
            let secret = (1..caps.group_len())
                .find_map(|g| caps.get_group(g))
                .unwrap_or(m.span());
            if let Some(raw) = self.accept(index, hay, m.span(), secret, ctx, scratch) {
                out.push(raw);
            }
            let next = if m.is_empty() { m.end() + 1 } else { m.end() };
            if next > span.end {
                break;
            }
            input.set_start(next);
        }
    }

    /// Applies exclusions, context, validators and the inline allow marker to one match.
    fn accept(
        &self,
        index: usize,
        hay: &[u8],
        whole: Span,
        secret: Span,
        ctx: &ChunkCtx<'_>,
        scratch: &mut Scratch,
    ) -> Option<RawMatch> {
        let compiled = &self.rules[index];
        let rule = &compiled.rule;
        let value = &hay[secret.range()];
        if value.is_empty()
            || compiled.exclude.iter().any(|re| re.is_match(value))
            || ctx.allowlist.is_value_allowed(value)
        {
            return None;
        }
        if compiled
            .exclude_match
            .iter()
            .any(|re| re.is_match(&hay[whole.range()]))
        {
            return None;
        }
        let needs_context = !rule.context.is_empty() || !rule.anti_context.is_empty();
        let (has_context, vetoed) = if needs_context {
            self.context_of(rule, hay, whole, ctx, scratch)
        } else {
            (false, false)
        };
        if vetoed || rule.context_required && !has_context {
            return None;
        }
        if !rule
            .validators
            .iter()
            .all(|v| v.check(value, rule.min_entropy, has_context))
        {
            return None;
        }
        let (line_start, line_end) = line_bounds(hay, whole.start, whole.end);
        if memmem::find(&hay[line_start..line_end], ALLOW_MARKER).is_some() {
            return None;
        }
        let mut confidence = rule.confidence;
        if has_context && !rule.context_required {
            confidence = confidence.raised();
        }
        // A password rule's value that is short or a dictionary word is still reported (weak
        // and default passwords are exactly what attackers try), but as low confidence.
        let is_password_rule = rule
            .validators
            .iter()
            .any(|v| matches!(v, Validator::PasswordValue | Validator::UserPass));
        let documentation = compiled
            .low_confidence
            .iter()
            .any(|re| re.is_match(&hay[whole.range()]));
        if is_password_rule && is_weak_password(value) || documentation {
            confidence = Confidence::Low;
        }
        Some(RawMatch {
            rule: index,
            start: secret.start,
            end: secret.end,
            value: rule.normalize.apply(value),
            confidence,
        })
    }

    /// Whether a context word, and whether an anti-context word, occurs near the match: in
    /// the CSV column header and the row for CSV files, in a byte window otherwise.
    fn context_of(
        &self,
        rule: &Rule,
        hay: &[u8],
        whole: Span,
        ctx: &ChunkCtx<'_>,
        scratch: &mut Scratch,
    ) -> (bool, bool) {
        scratch.lower.clear();
        // In a CSV file the column header is the context: the other cells of the row are
        // other data elements and say nothing about this one.
        if let Some(header) = ctx.header {
            let line_start = memrchr(b'\n', &hay[..whole.start])
                .map(|i| i + 1)
                .or(ctx.at_file_start.then_some(0));
            if let Some(ls) = line_start.filter(|&ls| ls > 0) {
                let column = header.column_at(&hay[ls..whole.start]);
                if let Some(name) = header.names.get(column) {
                    let text = name.as_bytes();
                    return (
                        contains_any(text, &rule.context),
                        contains_any(text, &rule.anti_context),
                    );
                }
            }
        }
        // The window stays on the match's line (a label on the line above counts only when
        // the value starts its line), so a label of one record does not vouch for a number in
        // the next.
        let (line_start, line_end) = line_bounds(hay, whole.start, whole.end);
        let value_starts_line = hay[line_start..whole.start]
            .iter()
            .all(u8::is_ascii_whitespace);
        let floor = if value_starts_line { 0 } else { line_start };
        let region = (
            whole.start.saturating_sub(CONTEXT_BYTES).max(floor),
            (whole.end + CONTEXT_BYTES).min(line_end),
        );
        scratch
            .lower
            .extend(hay[region.0..region.1].iter().map(u8::to_ascii_lowercase));
        let text = &scratch.lower;
        let has_context = contains_any(text, &rule.context);
        if rule.anti_context.is_empty() {
            return (has_context, false);
        }
        // Both kinds of words nearby (`imei=… imsi=…` on one line): the nearest label decides,
        // a preceding one first, since labels precede values.
        let at = (whole.start - region.0, whole.end - region.0);
        let vetoed = match (
            nearest_label(text, at, &rule.context),
            nearest_label(text, at, &rule.anti_context),
        ) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(c), Some(a)) => a < c,
        };
        (has_context && !vetoed, vetoed)
    }
}

/// True when any word occurs in `text`; words of three letters or fewer must stand alone
/// (no letter on either side), so `dl` does not match inside `handle`.
fn contains_any(text: &[u8], words: &[String]) -> bool {
    words
        .iter()
        .any(|w| occurrences(text, w.as_bytes()).next().is_some())
}

/// Where `word` occurs in `text`, as [`contains_any`] counts occurrences.
fn occurrences<'t>(text: &'t [u8], word: &'t [u8]) -> impl Iterator<Item = usize> + 't {
    memmem::find_iter(text, word).filter(move |&i| {
        if word.len() > 3 {
            return true;
        }
        let before = i.checked_sub(1).map(|j| text[j]);
        let after = text.get(i + word.len()).copied();
        !before.is_some_and(|b| b.is_ascii_alphabetic())
            && !after.is_some_and(|b| b.is_ascii_alphabetic())
    })
}

/// How near the closest occurrence of any of `words` is to the match at `at` in `text`, as a
/// rank that orders preceding words before following ones: `(0, gap)` for a word ending
/// before the match, `(1, gap)` for one starting after it. Words inside the match are ignored.
fn nearest_label(text: &[u8], at: (usize, usize), words: &[String]) -> Option<(u8, usize)> {
    let mut best: Option<(u8, usize)> = None;
    for w in words {
        let w = w.as_bytes();
        for i in occurrences(text, w) {
            let end = i + w.len();
            let rank = if end <= at.0 {
                (0, at.0 - end)
            } else if i >= at.1 {
                (1, i - at.1)
            } else {
                continue;
            };
            if best.is_none_or(|b| rank < b) {
                best = Some(rank);
            }
        }
    }
    best
}

/// The line around `[start, end)` including its newline, each side capped at [`MAX_LINE`]
/// bytes. The newline is part of the window so patterns can end on a delimiter class.
fn line_bounds(hay: &[u8], start: usize, end: usize) -> (usize, usize) {
    let lo = start.saturating_sub(MAX_LINE);
    let line_start = memrchr(b'\n', &hay[lo..start]).map_or(lo, |i| lo + i + 1);
    let hi = (end + MAX_LINE).min(hay.len());
    let line_end = memchr(b'\n', &hay[end..hi]).map_or(hi, |i| end + i + 1);
    (line_start, line_end)
}

/// Sorts matches by position and marks (with `rule = usize::MAX`) every match whose span
/// overlaps a match of an earlier rule, so one value is reported once, by the most
/// specific rule.
fn resolve_overlaps(matches: &mut [RawMatch]) {
    matches.sort_by_key(|m| (m.start, m.rule));
    let mut i = 0;
    while i < matches.len() {
        let mut j = i + 1;
        let mut cluster_end = matches[i].end;
        while j < matches.len() && matches[j].start < cluster_end {
            cluster_end = cluster_end.max(matches[j].end);
            j += 1;
        }
        if j - i > 1 {
            let mut order: Vec<usize> = (i..j).collect();
            order.sort_by_key(|&k| matches[k].rule);
            let mut kept: Vec<(usize, usize)> = Vec::new();
            for k in order {
                let (s, e) = (matches[k].start, matches[k].end);
                if kept.iter().any(|&(ks, ke)| s < ke && ks < e) {
                    matches[k].rule = usize::MAX;
                } else {
                    kept.push((s, e));
                }
            }
        }
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(rule: usize, start: usize, end: usize) -> RawMatch {
        RawMatch {
            rule,
            start,
            end,
            value: String::new(),
            confidence: Confidence::Low,
        }
    }

    #[test]
    fn overlapping_matches_keep_the_earlier_rule() {
        let mut m = vec![raw(5, 10, 20), raw(1, 12, 20), raw(3, 30, 40)];
        resolve_overlaps(&mut m);
        let kept: Vec<usize> = m
            .iter()
            .map(|m| m.rule)
            .filter(|&r| r != usize::MAX)
            .collect();
        assert_eq!(kept, vec![1, 3]);
    }

    #[test]
    fn short_context_words_stand_alone() {
        let words = vec!["dl".to_owned()];
        assert!(contains_any(b"dl_number,", &words));
        assert!(!contains_any(b"handle it", &words));
    }
}
