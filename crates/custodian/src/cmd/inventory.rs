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
            let specs = custodian_synth::read_systems(&dir)?;
            let mut done = Vec::new();
            let started = std::time::Instant::now();
            for spec in specs {
                let new = NewDataset {
                    name: spec
                        .name
                        .parse()
                        .with_context(|| format!("system `{}`", spec.name))?,
                    description: spec.description.clone(),
                    elements: spec.elements.join(",").parse()?,
                    members: dir.join(&spec.file),
                    format: FileFormat::Csv,
                    existing: if replace {
                        Existing::Replace
                    } else {
                        Existing::Refuse
                    },
                };
                done.push(load(&app, s, &me, &ctx, &new).await?);
            }
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

async fn load(
    app: &App,
    s: &Settings,
    me: &custodian_auth::Principal,
    ctx: &custodian_vault::RequestContext,
    new: &NewDataset,
) -> anyhow::Result<Dataset> {
    let total = std::fs::metadata(&new.members)
        .map(|m| m.len() / 80)
        .unwrap_or(0);
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
