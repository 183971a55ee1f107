//! `custodian vault import|get|find|shred|export|retention run`: the vault from the command
//! line, acting as the operator's principal (`cli:<user>`, role `admin`), with every operation in
//! the access log like an API call.

use std::path::Path;

use anyhow::{Context, bail};
use custodian_auth::{Principal, PrincipalId, PrincipalKind};
use custodian_db::OpenMode;
use custodian_vault::export::{ExportKey, ExportKeyName, ExportOptions, ExternalIds};
use custodian_vault::import::{Format, ImportOptions};
use custodian_vault::retention::{RetentionMode, RetentionOptions};
use custodian_vault::{Field, FieldValue, Lookup, PersonRef, ReadRequest, RequestContext};
use serde_json::json;

use crate::app::App;
use crate::cli::{FindArgs, RetentionCommand, VaultCommand};
use crate::config::Settings;
use crate::output::Progress;

/// The principal the command line acts as.
pub(crate) async fn operator(app: &App) -> anyhow::Result<Principal> {
    let user = std::env::var("USER").unwrap_or_else(|_| "operator".to_owned());
    Ok(Principal {
        id: PrincipalId(0),
        name: format!("cli:{user}"),
        kind: PrincipalKind::Human,
        role: app.auth.find_role("admin").await?,
    })
}

/// The request id of this command run, for the access log.
pub(crate) fn run_context() -> RequestContext {
    RequestContext {
        request_id: format!("cli-{}", std::process::id()),
    }
}

pub(crate) async fn run(s: &Settings, c: VaultCommand) -> anyhow::Result<()> {
    let mode = if matches!(c, VaultCommand::Import { .. }) {
        OpenMode::Create
    } else {
        OpenMode::Existing
    };
    let app = App::open(s, mode).await?;
    let me = operator(&app).await?;
    let ctx = run_context();
    match c {
        VaultCommand::Import {
            file,
            rejects,
            batch_size,
            format,
        } => {
            let report = import(
                &app,
                s,
                &me,
                &file,
                rejects.as_deref(),
                batch_size,
                format.as_deref(),
            )
            .await?;
            print_import(s, &file, &report);
        }
        VaultCommand::Get {
            id,
            purpose,
            reveal,
        } => {
            let mut fields = Vec::new();
            for r in &reveal {
                fields.push(Field::parse(r).with_context(|| format!("unknown field `{r}`"))?);
            }
            let view = app
                .vault
                .reader(&me, &ctx)?
                .get(
                    &PersonRef::parse(&id),
                    &ReadRequest {
                        reveal: fields,
                        purpose: Some(purpose),
                    },
                )
                .await?;
            let values: Vec<(String, String, bool)> = view
                .fields
                .iter()
                .map(|(f, v)| match v {
                    FieldValue::Masked(m) => (f.to_string(), m.clone(), false),
                    FieldValue::Revealed(r) => (f.to_string(), r.expose().clone(), true),
                })
                .collect();
            if s.json {
                let fields: Vec<_> = values
                    .iter()
                    .map(|(f, v, r)| json!({"field": f, "value": v, "revealed": r}))
                    .collect();
                crate::output::json(&json!({
                    "id": view.id, "external_id": view.external_id, "account_kind": view.account_kind,
                    "state": view.state, "shredded": view.shredded_at.is_some(), "fields": fields,
                }));
            } else {
                println!(
                    "{} ({}, {}, state {})",
                    view.external_id,
                    view.id,
                    view.account_kind,
                    view.state.as_deref().unwrap_or("-")
                );
                if view.shredded_at.is_some() {
                    println!("  shredded: no data remains");
                }
                for (f, v, r) in values {
                    println!("  {f:<16} {v}{}", if r { "   (revealed)" } else { "" });
                }
            }
        }
        VaultCommand::Find(a) => find(&app, s, &me, &ctx, &a).await?,
        VaultCommand::Shred { id, purpose } => {
            let done = app
                .vault
                .shredder(&me, &ctx)?
                .shred(&PersonRef::parse(&id), &purpose)
                .await?;
            println!("{}", if done { "shredded" } else { "already shredded" });
        }
        VaultCommand::Export {
            tokenized,
            key_name,
            keep_external_ids,
            page_size,
            purpose,
        } => {
            let opts = ExportOptions {
                key: match key_name {
                    Some(n) => ExportKey::Named(ExportKeyName::parse(&n)?),
                    None => ExportKey::Ephemeral,
                },
                external_ids: if keep_external_ids {
                    ExternalIds::Keep
                } else {
                    ExternalIds::Tokenize
                },
                page_size,
                purpose,
            };
            export(&app, s, &me, &ctx, &tokenized, &opts).await?;
        }
        VaultCommand::Retention(RetentionCommand::Run {
            dry_run,
            batch_size,
        }) => {
            let opts = RetentionOptions {
                mode: if dry_run {
                    RetentionMode::DryRun
                } else {
                    RetentionMode::Shred
                },
                batch_size: batch_size.clamp(1, 20_000),
            };
            retention(&app, s, &me, &ctx, &opts).await?;
        }
    }
    Ok(())
}

/// Writes a tokenized export to a temporary file beside `out`, then renames it into place, so
/// a failed export never leaves a file that looks complete.
async fn export(
    app: &App,
    s: &Settings,
    me: &Principal,
    ctx: &RequestContext,
    out: &Path,
    opts: &ExportOptions,
) -> anyhow::Result<()> {
    let exporter = app.vault.exporter(me, ctx)?;
    let progress = Progress::new("export", exporter.live_count().await?, s.json);
    let mut partial = out.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("creating {}", partial.display()))?;
    let result = exporter
        .write_csv(std::io::BufWriter::new(file), opts, &|n| progress.set(n))
        .await;
    progress.finish();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e).with_context(|| format!("exporting to {}", out.display()));
        }
    };
    std::fs::rename(&partial, out).with_context(|| format!("writing {}", out.display()))?;
    let key = match &opts.key {
        ExportKey::Named(n) => format!("named key `{}`", n.as_str()),
        _ => "a fresh key (tokens link to no other export)".to_owned(),
    };
    if s.json {
        let failed: Vec<_> = report
            .first_failures
            .iter()
            .map(|(id, why)| json!({"row_id": id, "reason": why}))
            .collect();
        crate::output::json(&json!({
            "file": out, "exported": report.exported, "skipped_shredded": report.skipped_shredded,
            "pages": report.pages, "failed": report.failed, "first_failures": failed, "key": key,
        }));
    } else {
        println!(
            "{}: {} people tokenized under {key}; {} shredded left out; {} failed",
            out.display(),
            report.exported,
            report.skipped_shredded,
            report.failed
        );
        for (id, why) in &report.first_failures {
            println!("  row {id}: {why}");
        }
    }
    Ok(())
}

async fn retention(
    app: &App,
    s: &Settings,
    me: &Principal,
    ctx: &RequestContext,
    opts: &RetentionOptions,
) -> anyhow::Result<()> {
    let progress = Progress::new("retention", 0, s.json || opts.mode == RetentionMode::DryRun);
    let report = app
        .vault
        .retention(me, ctx)?
        .run(&s.retention, opts, &|n| progress.set(n))
        .await?;
    progress.finish();
    if s.json {
        let kinds: Vec<_> = report
            .kinds
            .iter()
            .map(|k| {
                json!({"account_kind": k.kind.as_str(), "keep_days": k.keep_days, "due": k.due,
                       "shredded": k.shredded})
            })
            .collect();
        crate::output::json(&json!({
            "dry_run": report.mode == RetentionMode::DryRun, "kinds": kinds,
            "due": report.due(), "shredded": report.shredded(),
        }));
        return Ok(());
    }
    if s.retention.is_keep_forever() {
        println!("no retention rules are configured ([vault.retention]); everyone is kept");
    }
    for k in &report.kinds {
        let rule = k.keep_days.map_or("kept forever".to_owned(), |d| {
            format!("{d} days after last activity")
        });
        println!(
            "  {:<12} {rule:<32} due {:>8}  shredded {:>8}",
            k.kind.as_str(),
            k.due,
            k.shredded
        );
    }
    match report.mode {
        RetentionMode::DryRun => println!("dry run: {} due, nothing shredded", report.due()),
        _ => println!("{} shredded (tombstones kept)", report.shredded()),
    }
    Ok(())
}

async fn import(
    app: &App,
    s: &Settings,
    me: &Principal,
    file: &Path,
    rejects: Option<&Path>,
    batch_size: usize,
    format: Option<&str>,
) -> anyhow::Result<custodian_vault::import::ImportReport> {
    if !file.is_file() {
        bail!("{}: no such file", file.display());
    }
    let format = match format {
        None => Format::from_path(file),
        Some("csv") => Format::Csv,
        Some("ndjson") => Format::Ndjson,
        Some(other) => bail!("unknown format `{other}` (expected csv or ndjson)"),
    };
    let total = count_lines(file).unwrap_or(0);
    let progress = Progress::new("import", total, s.json);
    let opts = ImportOptions {
        format,
        batch_size: batch_size.clamp(1, 20_000),
        rejects: rejects.map(Path::to_owned),
        today: app.clock.now().to_datetime().date(),
    };
    let ctx = run_context();
    let writer = app.vault.writer(me, &ctx)?;
    let report = custodian_vault::import::import_file(&writer, file, &opts, &|n| progress.set(n))
        .await
        .with_context(|| format!("importing {}", file.display()))?;
    progress.finish();
    Ok(report)
}

/// Prints an import summary.
pub(crate) fn print_import(s: &Settings, file: &Path, r: &custodian_vault::import::ImportReport) {
    if s.json {
        let errors: Vec<_> = r
            .first_errors
            .iter()
            .map(|e| json!({"line": e.line, "field": e.field, "reason": e.reason}))
            .collect();
        crate::output::json(&json!({
            "file": file, "lines": r.lines, "resumed_from": r.resumed_from, "created": r.created,
            "updated": r.updated, "unchanged": r.unchanged, "rejected": r.rejected,
            "pins_ignored": r.pins_seen, "first_errors": errors,
        }));
        return;
    }
    println!(
        "{}: {} lines; {} created, {} updated, {} unchanged, {} rejected{}",
        file.display(),
        r.lines,
        r.created,
        r.updated,
        r.unchanged,
        r.rejected,
        if r.resumed_from > 0 {
            format!(" (resumed after line {})", r.resumed_from)
        } else {
            String::new()
        }
    );
    for e in &r.first_errors {
        println!("  rejected: {e}");
    }
    if r.pins_seen > 0 {
        println!(
            "  {} PINs were not stored in the vault: PINs belong to the guard (`custodian guard import`)",
            r.pins_seen
        );
    }
}

fn count_lines(p: &Path) -> std::io::Result<u64> {
    use std::io::Read;
    let mut f = std::fs::File::open(p)?;
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        n += buf[..k].iter().filter(|b| **b == b'\n').count() as u64;
    }
    Ok(n.saturating_sub(1))
}

async fn find(
    app: &App,
    s: &Settings,
    me: &Principal,
    ctx: &RequestContext,
    a: &FindArgs,
) -> anyhow::Result<()> {
    let (field, value) = match (&a.ssn, &a.phone, &a.email, &a.imei, &a.imsi) {
        (Some(v), ..) => (Field::Ssn, v),
        (_, Some(v), ..) => (Field::Phone, v),
        (_, _, Some(v), ..) => (Field::Email, v),
        (_, _, _, Some(v), _) => (Field::Imei, v),
        (_, _, _, _, Some(v)) => (Field::Imsi, v),
        _ => bail!("give one of --ssn, --phone, --email, --imei, --imsi"),
    };
    let normalized =
        custodian_vault::record::normalize(field, value).map_err(|e| anyhow::anyhow!("{e}"))?;
    let hits = app
        .vault
        .searcher(me, ctx)?
        .find(&Lookup {
            field,
            normalized: &normalized,
        })
        .await?;
    if s.json {
        let v: Vec<_> = hits.iter().map(|h| json!({"id": h.id, "external_id": h.external_id, "account_kind": h.account_kind, "state": h.state})).collect();
        crate::output::json(&json!(v));
    } else if hits.is_empty() {
        println!("no match");
    } else {
        for h in hits {
            println!(
                "{}  {}  {}  {}",
                h.external_id,
                h.id,
                h.account_kind,
                h.state.as_deref().unwrap_or("-")
            );
        }
    }
    Ok(())
}
