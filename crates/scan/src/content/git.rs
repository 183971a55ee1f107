//! Git history scanning with `gix` (no network features): walk every commit reachable from
//! any reference, diff each commit's tree against its parents to find the blobs it
//! introduced, then scan each distinct blob once, in parallel, and report findings at every
//! (commit, path) that introduced the blob. A secret deleted in a later commit is still found,
//! with the commit that added it.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use gix::ObjectId;
use gix::objs::TreeRef;
use rayon::prelude::*;

use crate::content::scanner::Scanner;
use crate::content::source::{Outcome, Source, UnitId};

/// A blob and the (commit, path) pairs that introduced it.
type Introductions = HashMap<ObjectId, Vec<(ObjectId, String)>>;

/// Scans the history of the repository at `path`; returns the outcome and how many blob
/// paths the allowlist skipped.
pub(crate) fn scan_history(scanner: &Scanner, path: &Path) -> (Outcome, u64) {
    let mut outcome = Outcome::default();
    let label = path.display().to_string();
    let repo = match gix::open_opts(path, gix::open::Options::isolated()) {
        Ok(r) => r,
        Err(e) => {
            outcome
                .errors
                .push((label, format!("not a git repository: {e}")));
            return (outcome, 0);
        }
    };
    let intros = match introductions(&repo) {
        Ok(i) => i,
        Err(e) => {
            outcome
                .errors
                .push((label, format!("cannot walk history: {e}")));
            return (outcome, 0);
        }
    };
    let mut skipped = 0;
    let mut blobs: Vec<(ObjectId, Vec<(ObjectId, String)>)> = Vec::with_capacity(intros.len());
    for (blob, mut places) in intros {
        let before = places.len();
        places.retain(|(_, p)| !scanner.allowlist.is_path_allowed(p));
        skipped += (before - places.len()) as u64;
        if !places.is_empty() {
            places.sort();
            blobs.push((blob, places));
        }
    }
    blobs.sort();
    drop(repo);
    // Without gix's `parallel` feature a repository handle is neither Send nor Sync, so each
    // worker opens its own (rayon keeps `map_init` state on the thread that made it).
    let results: Vec<Outcome> = scanner.pool.install(|| {
        blobs
            .par_iter()
            .map_init(
                || {
                    (
                        gix::open_opts(path, gix::open::Options::isolated()),
                        Source::new(&scanner.engine, &scanner.options, &scanner.allowlist),
                    )
                },
                |(repo, source), (blob, places)| match repo {
                    Ok(repo) => scan_blob(repo, source, path, *blob, places),
                    Err(e) => {
                        let mut out = Outcome::default();
                        out.errors.push((
                            path.display().to_string(),
                            format!("cannot reopen repository: {e}"),
                        ));
                        out
                    }
                },
            )
            .collect()
    });
    for r in results {
        outcome.absorb(r);
    }
    (outcome, skipped)
}

/// Scans one blob and copies its hits to every place that introduced it.
fn scan_blob(
    repo: &gix::Repository,
    source: &mut Source<'_>,
    root: &Path,
    blob: ObjectId,
    places: &[(ObjectId, String)],
) -> Outcome {
    let mut out = Outcome::default();
    let (first_commit, first_path) = &places[0];
    let id = UnitId {
        file: root.to_path_buf(),
        member: Some(first_path.clone()),
        commit: Some(first_commit.to_string()),
    };
    let data = match repo.find_object(blob) {
        Ok(object) => object.detach().data,
        Err(e) => {
            out.errors
                .push((id.label(), format!("cannot read blob {blob}: {e}")));
            return out;
        }
    };
    if source
        .options
        .max_file_size
        .is_some_and(|limit| data.len() as u64 > limit)
    {
        out.errors
            .push((id.label(), "skipped: blob larger than max_file_size".into()));
        return out;
    }
    source.scan_slice(&data, id, &mut out);
    // Each hit is reported at every introduction; the summary stays with the first.
    let mut units = Vec::new();
    for unit in out.units.drain(..) {
        for (commit, p) in places.iter().skip(1) {
            let hits = unit
                .hits
                .iter()
                .map(|h| crate::content::source::Hit {
                    rule: h.rule,
                    fingerprint: h.fingerprint.clone(),
                    preview: h.preview.clone(),
                    confidence: h.confidence,
                    line: h.line,
                    column: h.column,
                })
                .collect();
            let id = UnitId {
                file: root.to_path_buf(),
                member: Some(p.clone()),
                commit: Some(commit.to_string()),
            };
            units.push(crate::content::source::UnitResult {
                id,
                hits,
                pii: Default::default(),
                values: Vec::new(),
            });
        }
        units.push(unit);
    }
    out.units = units;
    out
}

/// Every blob introduced by any commit reachable from any reference or HEAD.
fn introductions(repo: &gix::Repository) -> Result<Introductions, String> {
    let mut tips: BTreeSet<ObjectId> = BTreeSet::new();
    if let Ok(head) = repo.head_id() {
        tips.insert(head.detach());
    }
    let platform = repo.references().map_err(|e| e.to_string())?;
    for reference in platform.all().map_err(|e| e.to_string())? {
        let Ok(mut reference) = reference else {
            continue;
        };
        let Ok(id) = reference.peel_to_id() else {
            continue;
        };
        if repo
            .find_object(id)
            .is_ok_and(|o| o.kind == gix::objs::Kind::Commit)
        {
            tips.insert(id.detach());
        }
    }
    let mut intros: Introductions = HashMap::new();
    if tips.is_empty() {
        return Ok(intros);
    }
    let walk = repo.rev_walk(tips).all().map_err(|e| e.to_string())?;
    for info in walk {
        let info = info.map_err(|e| e.to_string())?;
        let tree = commit_tree(repo, info.id)?;
        let mut changed: Option<BTreeSet<(String, ObjectId)>> = None;
        if info.parent_ids.is_empty() {
            let mut all = BTreeSet::new();
            diff_trees(repo, None, tree, "", &mut all)?;
            changed = Some(all);
        }
        // A merge introduces a blob only where it differs from every parent.
        for parent in &info.parent_ids {
            let mut set = BTreeSet::new();
            diff_trees(repo, Some(commit_tree(repo, *parent)?), tree, "", &mut set)?;
            changed = Some(match changed {
                None => set,
                Some(prev) => prev.intersection(&set).cloned().collect(),
            });
        }
        for (path, blob) in changed.unwrap_or_default() {
            intros.entry(blob).or_default().push((info.id, path));
        }
    }
    Ok(intros)
}

fn commit_tree(repo: &gix::Repository, commit: ObjectId) -> Result<ObjectId, String> {
    let commit = repo.find_commit(commit).map_err(|e| e.to_string())?;
    commit
        .tree_id()
        .map(|id| id.detach())
        .map_err(|e| e.to_string())
}

/// Collects `(path, blob)` for every regular-file entry of `new` that is absent from or
/// different in `old`, recursing only into subtrees that changed.
fn diff_trees(
    repo: &gix::Repository,
    old: Option<ObjectId>,
    new: ObjectId,
    prefix: &str,
    out: &mut BTreeSet<(String, ObjectId)>,
) -> Result<(), String> {
    if old == Some(new) {
        return Ok(());
    }
    let new_entries = tree_entries(repo, new)?;
    let old_entries: HashMap<Vec<u8>, (bool, ObjectId)> = match old {
        Some(o) => tree_entries(repo, o)?
            .into_iter()
            .map(|(name, is_tree, is_file, id)| (name, (is_tree && !is_file, id)))
            .collect(),
        None => HashMap::new(),
    };
    for (name, is_tree, is_file, id) in new_entries {
        let previous = old_entries.get(&name);
        if previous.is_some_and(|(_, pid)| *pid == id) {
            continue;
        }
        let path = format!("{prefix}{}", String::from_utf8_lossy(&name));
        if is_tree {
            let old_sub = previous
                .filter(|(was_tree, _)| *was_tree)
                .map(|(_, pid)| *pid);
            diff_trees(repo, old_sub, id, &format!("{path}/"), out)?;
        } else if is_file {
            out.insert((path, id));
        }
    }
    Ok(())
}

/// One tree entry: `(name, is_tree, is_regular_file, id)`; symlinks and submodules are neither.
type Entry = (Vec<u8>, bool, bool, ObjectId);

/// The entries of `tree`.
fn tree_entries(repo: &gix::Repository, tree: ObjectId) -> Result<Vec<Entry>, String> {
    let object = repo.find_object(tree).map_err(|e| e.to_string())?;
    let decoded =
        TreeRef::from_bytes(&object.data, repo.object_hash()).map_err(|e| e.to_string())?;
    Ok(decoded
        .entries
        .iter()
        .map(|e| {
            (
                e.filename.to_vec(),
                e.mode.is_tree(),
                e.mode.is_blob(),
                e.oid.to_owned(),
            )
        })
        .collect())
}
