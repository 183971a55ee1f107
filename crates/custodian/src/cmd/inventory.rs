//! `custodian inventory add|load-synth|list|remove`: the data inventory from the command line —
//! which system holds which data elements for whom — acting as the operator's principal. Loads
//! stream the system file and resolve each row to a vault person (external id, else blind
//! indexes); only ids and element flags are stored.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use custodian_breach::{Dataset, DatasetName, Existing, FileFormat, NewDataset};
use custodian_db::OpenMode;
use custodian_vault::ElementSet;
use serde_json::json;

use crate::app::App;
use crate::config::Settings;
use crate::output::Progress;

/// `custodian inventory …`.
#[derive(Debug, Subcommand)]
pub(crate) enum InventoryCommand {
    /// Load a dataset (one of the company's systems) from its system file.
    Add {
        /// The dataset's name (a-z, 0-9, `_`, `-`, `.`).
        dataset: String,
        /// The data elements the system holds, comma-separated (full_name, ssn, imei, …).
        #[arg(long, value_name = "LIST")]
        elements: String,
        /// The system file: CSV with a header, or NDJSON; each row one person's record.
        #[arg(long, value_name = "FILE")]
        members: PathBuf,
        /// What the system is.
        #[arg(long, default_value = "")]
        description: String,
        /// `csv` or `ndjson` (default: from the file name).
        #[arg(long)]
        format: Option<String>,
        /// Replace a dataset of the same name once the new load is complete.
        #[arg(long)]
        replace: bool,
    },
    /// Load every system of a synthetic carrier (its `systems.toml`).
    LoadSynth {
        /// The carrier's directory.
        dir: PathBuf,
        /// Replace datasets of the same names.
        #[arg(long)]
        replace: bool,
    },
    /// List the datasets.
    List,
    /// Remove a dataset (refused while an exposure names it).
    Remove {
        /// The dataset's name.
        dataset: String,
    },
}

/// Parses `--format`, defaulting to the file name's extension.
pub(crate) fn file_format(format: Option<&str>, path: &Path) -> anyhow::Result<FileFormat> {
    Ok(match format {
        None => FileFormat::from_path(path),
        Some("csv") => FileFormat::Csv,
        Some("ndjson") => FileFormat::Ndjson,
        Some(other) => anyhow::bail!("unknown format `{other}` (expected csv or ndjson)"),
    })
}

pub(crate) async fn run(s: &Settings, c: InventoryCommand) -> anyhow::Result<()> {
    let app = App::open(s, OpenMode::Existing).await?;
    let me = super::vault::operator(&app).await?;
    let ctx = super::vault::run_context();
    match c {
        InventoryCommand::Add {
            dataset,
            elements,
            members,
            description,
            format,
            replace,
        } => {
            let elements: ElementSet = elements.parse()?;
            let new = NewDataset {
                name: dataset.parse()?,
                description,
                elements,
                format: file_format(format.as_deref(), &members)?,
                members,
                existing: if replace {
                    Existing::Replace
                } else {
                    Existing::Refuse
                },
            };
            let d = load(&app, s, &me, &ctx, &new).await?;
            print_datasets(s, &[d]);
        }
        InventoryCommand::LoadSynth { dir, replace } => {
            let started = std::time::Instant::now();
            let existing = if replace {
                Existing::Replace
            } else {
                Existing::Refuse
            };
            let done = load_synth(&app, s, &me, &ctx, &dir, existing).await?;
            print_datasets(s, &done);
            if !s.json {
                println!(
                    "loaded {} datasets in {:.1} s",
                    done.len(),
                    started.elapsed().as_secs_f64()
                );
            }
        }
        InventoryCommand::List => {
            let list = app.breach.inventory_reader(&me, &ctx)?.list().await?;
            print_datasets(s, &list);
        }
        InventoryCommand::Remove { dataset } => {
            let name: DatasetName = dataset.parse()?;
            app.breach
                .inventory_writer(&me, &ctx)?
                .remove(&name)
                .await?;
            if s.json {
                crate::output::json(&json!({"removed": name.as_str()}));
            } else {
                println!("removed dataset {name}");
            }
        }
    }
    Ok(())
}

/// Loads every system of a synthetic carrier written by `custodian synth` (its `systems.toml`)
/// as a dataset.
pub(crate) async fn load_synth(
    app: &App,
    s: &Settings,
    me: &custodian_auth::Principal,
    ctx: &custodian_vault::RequestContext,
    dir: &Path,
    existing: Existing,
) -> anyhow::Result<Vec<Dataset>> {
    let mut done = Vec::new();
    for spec in custodian_synth::read_systems(dir)? {
        let new = NewDataset {
            name: spec
                .name
                .parse()
                .with_context(|| format!("system `{}`", spec.name))?,
            description: spec.description.clone(),
            elements: spec.elements.join(",").parse()?,
            members: dir.join(&spec.file),
            format: FileFormat::Csv,
            existing,
        };
        done.push(load(app, s, me, ctx, &new).await?);
    }
    Ok(done)
}

async fn load(
    app: &App,
    s: &Settings,
    me: &custodian_auth::Principal,
    ctx: &custodian_vault::RequestContext,
    new: &NewDataset,
) -> anyhow::Result<Dataset> {
    let total = estimated_rows(&new.members);
    let progress = Progress::new(new.name.as_str(), total, s.json);
    let d = app
        .breach
        .inventory_writer(me, ctx)?
        .add(new, &|n| progress.set(n))
        .await
        .with_context(|| format!("loading dataset `{}`", new.name))?;
    progress.finish();
    Ok(d)
}

/// The rows of a members file, estimated from the length of its first lines (for the progress
/// bar only; compressed or unreadable files give 0, an unknown length).
fn estimated_rows(path: &std::path::Path) -> u64 {
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(path) else {
        return 0;
    };
    let Ok(len) = f.metadata().map(|m| m.len()) else {
        return 0;
    };
    let mut head = Vec::with_capacity(64 * 1024);
    if f.by_ref().take(64 * 1024).read_to_end(&mut head).is_err() {
        return 0;
    }
    let lines = head.iter().filter(|&&b| b == b'\n').count() as u64;
    if lines < 2 {
        return 0;
    }
    // The first line is a header in CSV; NDJSON has none, and one row either way is noise.
    len * lines / head.len() as u64 - 1
}

/// A dataset as JSON (names, counts and element names only).
pub(crate) fn dataset_json(d: &Dataset) -> serde_json::Value {
    let unlinked: serde_json::Map<String, serde_json::Value> = d
        .unlinked
        .iter()
        .map(|(e, n)| (e.as_str().to_owned(), json!(n)))
        .collect();
    json!({
        "name": d.name.as_str(),
        "description": d.description,
        "elements": d.elements.iter().map(|e| e.as_str()).collect::<Vec<_>>(),
        "source": d.source,
        "rows": d.rows,
        "members": d.members,
        "unlinked_rows": d.unlinked_rows,
        "shared_rows": d.shared_rows,
        "unlinked": unlinked,
        "loaded_at": d.created_at.to_rfc3339(),
        "loaded_by": d.created_by,
    })
}

fn print_datasets(s: &Settings, list: &[Dataset]) {
    if s.json {
        crate::output::json(&json!(list.iter().map(dataset_json).collect::<Vec<_>>()));
        return;
    }
    for d in list {
        println!(
            "{:<22} {:>10} rows {:>10} people {:>8} unlinked  {}",
            d.name, d.rows, d.members, d.unlinked_rows, d.elements
        );
        if !d.unlinked.is_empty() {
            let kinds: Vec<String> = d.unlinked.iter().map(|(e, n)| format!("{e} {n}")).collect();
            println!("{:<22} unlinked identifiers: {}", "", kinds.join(", "));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_estimate_follows_the_length_of_the_lines() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small.csv");
        let mut text = String::from("external_id,phone\n");
        for i in 0..1000 {
            text.push_str(&format!("P{i:07},+1555{i:07}\n"));
        }
        std::fs::write(&small, &text).unwrap();
        assert_eq!(estimated_rows(&small), 1000);
        // Longer than the sample: the estimate scales with the file's length.
        let big = dir.path().join("big.csv");
        let mut text = String::from("external_id,phone\n");
        for i in 0..100_000 {
            text.push_str(&format!("P{i:07},+1555{i:07}\n"));
        }
        std::fs::write(&big, &text).unwrap();
        let est = estimated_rows(&big);
        assert!((99_000..=101_000).contains(&est), "{est}");
        assert_eq!(estimated_rows(&dir.path().join("missing.csv")), 0);
    }
}
