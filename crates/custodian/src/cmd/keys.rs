//! `custodian keys rotate|rotate-index|status`: a new root-key version and the resumable re-wrap
//! of every person's data key under it; a new blind-index version and its resumable backfill;
//! and where the rows stand. Runs as the operator's principal, with
//! each re-wrapped batch in the access log.

use custodian_db::{OpenMode, Timestamp};
use custodian_vault::index_rotate::IndexRotateReport;
use custodian_vault::rotate::{
    JobStatus, KeyStatus, RotateMode, RotateOptions, RotateReport, RotationJob, RotationStart,
};
use serde_json::json;

use crate::app::App;
use crate::cli::{KeysCommand, RotateArgs};
use crate::cmd::vault::{operator, run_context};
use crate::config::Settings;
use crate::output::Progress;

pub(crate) async fn run(s: &Settings, c: KeysCommand) -> anyhow::Result<()> {
    let app = App::open(s, OpenMode::Existing).await?;
    let me = operator(&app).await?;
    let ctx = run_context();
    let admin = app.vault.key_admin(&me, &ctx)?;
    match c {
        KeysCommand::Rotate(a) => {
            let opts = options(&a);
            let expected = expected_work(&admin.status().await?, opts.mode);
            let progress = Progress::new("re-wrap", expected, s.json);
            let report = admin.rotate(&opts, &|p| progress.set(p.done)).await?;
            progress.finish();
            print_rotation(s, &report);
        }
        KeysCommand::RotateIndex(a) => {
            let opts = options(&a);
            let st = admin.status().await?;
            // A version being built says how many it lacks; a new one needs every live person
            // (an upper bound: people with no indexed field need nothing).
            let expected = st
                .index_versions
                .iter()
                .find_map(|i| i.lacking)
                .unwrap_or_else(|| st.versions.iter().map(|v| v.people).sum());
            let progress = Progress::new("index", expected, s.json);
            let report = admin.rotate_index(&opts, &|p| progress.set(p.done)).await?;
            progress.finish();
            print_index_rotation(s, &report);
        }
        KeysCommand::Status => print_status(s, &admin.status().await?),
    }
    Ok(())
}

fn options(a: &RotateArgs) -> RotateOptions {
    RotateOptions {
        mode: if a.resume {
            RotateMode::Resume
        } else {
            RotateMode::Rotate
        },
        batch_size: a.batch_size.clamp(1, 20_000),
        max_batches: a.max_batches,
    }
}

/// How a run started, as the JSON output names it.
fn start_name(start: RotationStart) -> &'static str {
    match start {
        RotationStart::Created => "created",
        RotationStart::Resumed => "resumed",
        RotationStart::NothingToDo => "nothing to do",
    }
}

/// The first failures as JSON: row id and reason.
fn failures_json(failures: &[(i64, String)]) -> Vec<serde_json::Value> {
    failures
        .iter()
        .map(|(id, why)| json!({"row_id": id, "reason": why}))
        .collect()
}

/// A run's counts: people done, batches, failed, remaining, changed meanwhile by another
/// process.
struct Counts(u64, u64, u64, u64, u64);

/// "VERB N people in B batches; F failed; R remaining[; S changed meanwhile…]", then the first
/// failures.
fn print_counts(verb: &str, c: &Counts, failures: &[(i64, String)]) {
    let Counts(done, batches, failed, remaining, skipped) = *c;
    println!(
        "{verb} {done} people in {batches} batches; {failed} failed; {remaining} remaining{}",
        if skipped > 0 {
            format!("; {skipped} changed meanwhile by another process")
        } else {
            String::new()
        }
    );
    for (id, why) in failures {
        println!("  row {id} failed: {why}");
    }
}

/// Rows the run will move, for the progress display: an unfinished job's total, else every live
/// row (a new version) or the rows below the current version (resume).
fn expected_work(st: &KeyStatus, mode: RotateMode) -> u64 {
    if let Some(job) = st.jobs.iter().find(|j| j.status == JobStatus::Running) {
        return job.total;
    }
    st.versions
        .iter()
        .filter(|v| mode == RotateMode::Rotate || v.version < st.current_version)
        .map(|v| v.people)
        .sum()
}

fn print_rotation(s: &Settings, r: &RotateReport) {
    if s.json {
        crate::output::json(&json!({
            "start": start_name(r.start), "target_version": r.target_version,
            "rewrapped": r.rewrapped, "skipped": r.skipped, "batches": r.batches,
            "remaining": r.remaining, "failed": r.failed,
            "first_failures": failures_json(&r.first_failures),
        }));
        return;
    }
    match r.start {
        RotationStart::NothingToDo => {
            println!(
                "nothing to do: every person is on key version {}",
                r.target_version
            );
            return;
        }
        RotationStart::Created => println!("created root-key version {}", r.target_version),
        RotationStart::Resumed => println!(
            "resumed the rotation to root-key version {}",
            r.target_version
        ),
    }
    let counts = Counts(r.rewrapped, r.batches, r.failed, r.remaining, r.skipped);
    print_counts("re-wrapped", &counts, &r.first_failures);
    if r.remaining > 0 {
        println!("finish with `custodian keys rotate --resume`");
    }
}

fn print_index_rotation(s: &Settings, r: &IndexRotateReport) {
    if s.json {
        crate::output::json(&json!({
            "start": start_name(r.start), "index_version": r.version,
            "root_version": r.root_version, "backfilled": r.backfilled, "skipped": r.skipped,
            "batches": r.batches, "remaining": r.remaining, "failed": r.failed,
            "first_failures": failures_json(&r.first_failures),
            "activated": r.activated, "retired": r.retired, "purged": r.purged,
        }));
        return;
    }
    let building = r.batches > 0 || r.remaining > 0 || r.activated || r.failed > 0;
    if r.start == RotationStart::Resumed && !building {
        // Nothing was being built: the run only finished deleting retired digests.
        println!("deleted {} digests of retired index versions", r.purged);
        return;
    }
    match r.start {
        RotationStart::NothingToDo => {
            println!(
                "nothing to do: blind index v{} (keyed by root v{}) is active and complete",
                r.version, r.root_version
            );
            return;
        }
        RotationStart::Created => println!(
            "created blind index v{} (keyed by root v{})",
            r.version, r.root_version
        ),
        RotationStart::Resumed => println!("resumed building blind index v{}", r.version),
    }
    let counts = Counts(r.backfilled, r.batches, r.failed, r.remaining, r.skipped);
    print_counts("indexed", &counts, &r.first_failures);
    if r.activated {
        let retired: Vec<String> = r.retired.iter().map(|v| format!("v{v}")).collect();
        println!(
            "searches now use blind index v{}; retired {}; deleted {} old digests",
            r.version,
            if retired.is_empty() {
                "none".to_owned()
            } else {
                retired.join(", ")
            },
            r.purged
        );
    } else if r.purged > 0 {
        println!("deleted {} digests of retired index versions", r.purged);
    }
    if r.remaining > 0 || (!r.activated && r.start != RotationStart::NothingToDo) {
        println!("finish with `custodian keys rotate-index --resume`");
    }
}

fn job_json(j: &RotationJob) -> serde_json::Value {
    json!({
        "id": j.id, "target_version": j.target_version,
        "status": if j.status == JobStatus::Done { "done" } else { "running" },
        "total": j.total, "rewrapped": j.rewrapped, "failed": j.failed, "batches": j.batches,
        "started_at": Timestamp(j.started_at).to_rfc3339(),
        "finished_at": j.finished_at.map(|t| Timestamp(t).to_rfc3339()),
    })
}

fn print_status(s: &Settings, st: &KeyStatus) {
    if s.json {
        let versions: Vec<_> = st
            .versions
            .iter()
            .map(|v| json!({"version": v.version, "people": v.people}))
            .collect();
        let index: Vec<_> = st
            .index_versions
            .iter()
            .map(|i| {
                json!({"version": i.version, "root_version": i.root_version,
                       "status": i.status, "lacking": i.lacking})
            })
            .collect();
        let jobs: Vec<_> = st.jobs.iter().map(job_json).collect();
        crate::output::json(&json!({
            "current_version": st.current_version, "versions": versions, "shredded": st.shredded,
            "index_versions": index, "rotations": jobs,
        }));
        return;
    }
    println!("root key: current version {}", st.current_version);
    for v in &st.versions {
        println!("  v{:<4} wraps {:>10} people", v.version, v.people);
    }
    println!(
        "  shredded       {:>10} people (no key at all)",
        st.shredded
    );
    for i in &st.index_versions {
        let lacking = i
            .lacking
            .map(|n| {
                format!(
                    ", {n} people still to index \
                     (finish with `custodian keys rotate-index --resume`)"
                )
            })
            .unwrap_or_default();
        println!(
            "blind index v{} (keyed by root v{}): {}{lacking}",
            i.version, i.root_version, i.status
        );
    }
    for j in &st.jobs {
        let state = match (j.status, j.finished_at) {
            (JobStatus::Done, Some(t)) => format!("done {}", Timestamp(t).to_rfc3339()),
            _ => "RUNNING (finish with `custodian keys rotate --resume`)".to_owned(),
        };
        println!(
            "rotation to v{}: {}/{} re-wrapped, {} failed, {} batches, {state}",
            j.target_version, j.rewrapped, j.total, j.failed, j.batches
        );
    }
}
