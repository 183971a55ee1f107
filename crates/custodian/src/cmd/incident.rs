//! `custodian incident new|list|show|update|expose|impact|cohorts|obligations|report`: incident
//! response from the command line, acting as the operator's principal. Every change is an event
//! on the incident's timeline; impact is recomputed into a new version each time, and
//! `impact --diff` says what changed since the previous one.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use custodian_breach::obligations::{CpniExposure, KeyExposure, SecReporting};
use custodian_breach::{
    Change, ExposureMeta, ExposureSource, Form, IncidentId, IncidentStatus, Milestone, NewIncident,
};
use custodian_db::{OpenMode, Timestamp};
use serde_json::json;

use super::incident_json as j;
use crate::app::App;
use crate::config::Settings;
use crate::output::Progress;

/// `custodian incident …`.
#[derive(Debug, Subcommand)]
pub(crate) enum IncidentCommand {
    /// Open an incident.
    New {
        /// One-line title.
        #[arg(long)]
        title: String,
        /// What happened.
        #[arg(long, default_value = "")]
        summary: String,
        /// Who runs the response.
        #[arg(long, default_value = "security")]
        owner: String,
        /// When it was detected (YYYY-MM-DD or RFC 3339).
        #[arg(long, value_name = "WHEN")]
        detected: Option<String>,
    },
    /// List incidents.
    List,
    /// Show an incident, its timeline and exposures.
    Show {
        /// The incident.
        id: String,
    },
    /// Change an incident; each change is an event on its timeline.
    Update(Box<UpdateArgs>),
    /// Record an exposure: a dataset, a principal's reads over a window, or a file.
    Expose(Box<ExposeArgs>),
    /// Recompute impact into a new version and summarize it.
    Impact {
        /// The incident.
        id: String,
        /// Also show what changed since the previous version.
        #[arg(long)]
        diff: bool,
        /// Show this existing version instead of recomputing.
        #[arg(long, value_name = "N")]
        version: Option<i64>,
    },
    /// The cohorts of the latest (or a given) impact version.
    Cohorts {
        /// The incident.
        id: String,
        /// The version (default: latest).
        #[arg(long, value_name = "N")]
        version: Option<i64>,
        /// `text`, `json` or `csv`.
        #[arg(long, default_value = "text")]
        format: String,
    },
    /// The notification obligations plan (decision support, not legal advice).
    Obligations {
        /// The incident.
        id: String,
        /// The version (default: latest).
        #[arg(long, value_name = "N")]
        version: Option<i64>,
    },
    /// The incident report: `html`, `json`, or `csv` (the affected list: ids with cohorts).
    Report {
        /// The incident.
        id: String,
        /// `html`, `json` or `csv`.
        #[arg(long, default_value = "html")]
        format: String,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// The version (default: latest).
        #[arg(long, value_name = "N")]
        version: Option<i64>,
    },
}

/// `incident update`.
#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// The incident.
    id: String,
    /// open, investigating, contained, notifying or closed.
    #[arg(long)]
    status: Option<String>,
    /// A new owner.
    #[arg(long)]
    owner: Option<String>,
    /// Milestones (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "WHEN")]
    detected: Option<String>,
    /// When the attacker's access was closed.
    #[arg(long, value_name = "WHEN")]
    contained: Option<String>,
    /// When the company determined a breach occurred.
    #[arg(long, value_name = "WHEN")]
    determined: Option<String>,
    /// When the company became aware of a personal-data breach (GDPR).
    #[arg(long, value_name = "WHEN")]
    aware: Option<String>,
    /// When the incident was determined material (SEC).
    #[arg(long, value_name = "WHEN")]
    materiality: Option<String>,
    /// Whether the vault's keys were exposed: exposed, not-exposed or unknown.
    #[arg(long, value_name = "WHETHER")]
    keys: Option<String>,
    /// Whether CPNI was exposed: exposed, not-exposed or unknown.
    #[arg(long, value_name = "WHETHER")]
    cpni: Option<String>,
    /// Whether the SEC rule applies: registrant or not-registrant.
    #[arg(long)]
    sec: Option<String>,
    /// A finding of the investigation.
    #[arg(long)]
    finding: Option<String>,
    /// When the finding was made (default: now).
    #[arg(long, value_name = "WHEN")]
    at: Option<String>,
    /// A note added to each event.
    #[arg(long, default_value = "")]
    note: String,
}

/// `incident expose`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["dataset", "principal", "file", "files"])))]
pub(crate) struct ExposeArgs {
    /// The incident.
    id: String,
    /// A dataset of the inventory.
    #[arg(long)]
    dataset: Option<String>,
    /// Only these columns (or elements) of the dataset, comma-separated.
    #[arg(long, value_name = "LIST", requires = "dataset")]
    columns: Option<String>,
    /// A principal whose reads over `--from`..`--to` were exposed.
    #[arg(long, requires_all = ["from", "to"])]
    principal: Option<String>,
    /// Window start (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_name = "WHEN")]
    from: Option<String>,
    /// Window end, exclusive.
    #[arg(long, value_name = "WHEN")]
    to: Option<String>,
    /// A file the attacker took (CSV or NDJSON).
    #[arg(long)]
    file: Option<PathBuf>,
    /// `csv` or `ndjson` for `--file` (default: from the name).
    #[arg(long, requires = "file")]
    format: Option<String>,
    /// Leaked files of any shape (text dumps, logs, directories, zip/tar/gzip/zstd archives),
    /// read with the PII pack; each line with personal data is one record.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    files: Vec<PathBuf>,
    /// With `--files`: ignore PII matches below this confidence (low, medium, high).
    #[arg(
        long,
        default_value = "medium",
        value_name = "LEVEL",
        requires = "files"
    )]
    min_confidence: String,
    /// The data was taken encrypted (counts only if the keys were exposed too).
    #[arg(long)]
    encrypted: bool,
    /// When it happened (default: now).
    #[arg(long, value_name = "WHEN")]
    at: Option<String>,
    /// A note.
    #[arg(long, default_value = "")]
    note: String,
}

/// Parses `YYYY-MM-DD` (midnight UTC) or an RFC 3339 instant.
pub(crate) fn parse_time(s: &str) -> anyhow::Result<Timestamp> {
    Timestamp::parse_day_or_rfc3339(s)
        .with_context(|| format!("`{s}` is not a date (YYYY-MM-DD) or an RFC 3339 time"))
}

fn whether(s: &str, flag: &str) -> anyhow::Result<(KeyExposure, CpniExposure)> {
    Ok(match s {
        "exposed" => (KeyExposure::Exposed, CpniExposure::Exposed),
        "not-exposed" | "not_exposed" => (KeyExposure::NotExposed, CpniExposure::NotExposed),
        "unknown" => (KeyExposure::Unknown, CpniExposure::Unknown),
        _ => bail!("--{flag} must be exposed, not-exposed or unknown"),
    })
}

fn changes(a: &UpdateArgs, now: Timestamp) -> anyhow::Result<Vec<Change>> {
    let mut out = Vec::new();
    if let Some(s) = &a.status {
        out.push(Change::Status(s.parse::<IncidentStatus>()?));
    }
    if let Some(o) = &a.owner {
        out.push(Change::Owner(o.clone()));
    }
    let milestones = [
        (Milestone::Detected, &a.detected),
        (Milestone::Contained, &a.contained),
        (Milestone::Determined, &a.determined),
        (Milestone::Aware, &a.aware),
        (Milestone::Materiality, &a.materiality),
    ];
    for (m, v) in milestones {
        if let Some(v) = v {
            out.push(Change::Milestone(m, parse_time(v)?));
        }
    }
    if let Some(k) = &a.keys {
        out.push(Change::KeyExposure(whether(k, "keys")?.0));
    }
    if let Some(c) = &a.cpni {
        out.push(Change::Cpni(whether(c, "cpni")?.1));
    }
    if let Some(s) = &a.sec {
        out.push(Change::Sec(match s.as_str() {
            "registrant" => SecReporting::Registrant,
            "not-registrant" | "not_registrant" => SecReporting::NotRegistrant,
            _ => bail!("--sec must be registrant or not-registrant"),
        }));
    }
    if let Some(f) = &a.finding {
        let at = a.at.as_deref().map(parse_time).transpose()?.unwrap_or(now);
        out.push(Change::Finding(at, f.clone()));
    }
    if out.is_empty() {
        bail!("nothing to change (see `custodian incident update --help`)");
    }
    Ok(out)
}

fn source(a: &ExposeArgs) -> anyhow::Result<ExposureSource> {
    if let Some(d) = &a.dataset {
        let columns = a
            .columns
            .as_ref()
            .map(|c| c.split(',').map(|s| s.trim().to_owned()).collect());
        return Ok(ExposureSource::Dataset {
            name: d.parse()?,
            columns,
        });
    }
    if let Some(p) = &a.principal {
        let (Some(from), Some(to)) = (&a.from, &a.to) else {
            bail!("--principal needs --from and --to");
        };
        return Ok(ExposureSource::Principal {
            name: p.clone(),
            from: parse_time(from)?,
            to: parse_time(to)?,
        });
    }
    let Some(file) = &a.file else {
        bail!("say what was exposed: --dataset, --principal or --file");
    };
    Ok(ExposureSource::File {
        path: file.clone(),
        format: super::inventory::file_format(a.format.as_deref(), file)?,
    })
}

pub(crate) async fn run(s: &Settings, c: IncidentCommand) -> anyhow::Result<()> {
    let app = App::open(s, OpenMode::Existing).await?;
    let me = super::vault::operator(&app).await?;
    let ctx = super::vault::run_context();
    let reader = app.breach.incident_reader(&me, &ctx)?;
    match c {
        IncidentCommand::New {
            title,
            summary,
            owner,
            detected,
        } => {
            let detected_at = detected.as_deref().map(parse_time).transpose()?;
            let i = app
                .breach
                .incident_writer(&me, &ctx)?
                .create(&NewIncident {
                    title,
                    summary,
                    owner,
                    detected_at,
                })
                .await?;
            if s.json {
                crate::output::json(&j::incident(&i));
            } else {
                println!("incident {} opened: {}", i.id, i.title);
            }
        }
        IncidentCommand::List => {
            let list = reader.list().await?;
            if s.json {
                crate::output::json(&json!(list.iter().map(j::incident).collect::<Vec<_>>()));
            }
            for i in list.iter().filter(|_| !s.json) {
                println!("{:>5}  {:<13} {:<14} {}", i.id, i.status, i.owner, i.title);
            }
        }
        IncidentCommand::Show { id } => {
            let id: IncidentId = id.parse()?;
            let (i, timeline, exposures) = (
                reader.find(id).await?,
                reader.timeline(id).await?,
                reader.exposures(id).await?,
            );
            if s.json {
                crate::output::json(&json!({
                    "incident": j::incident(&i),
                    "timeline": timeline.iter().map(j::event).collect::<Vec<_>>(),
                    "exposures": exposures.iter().map(j::exposure).collect::<Vec<_>>(),
                }));
                return Ok(());
            }
            println!(
                "incident {}: {} [{}] owner {}; keys {}",
                i.id,
                i.title,
                i.status,
                i.owner,
                j::key_exposure(i.key_exposure)
            );
            for e in &timeline {
                println!(
                    "  {}  {:<12} {}",
                    e.occurred_at.to_rfc3339(),
                    e.kind,
                    e.detail
                );
            }
            for e in &exposures {
                println!(
                    "  exposure {}: {} {} ({}) {} people, {} unlinked rows",
                    e.id,
                    e.kind.as_str(),
                    e.source,
                    e.elements,
                    e.people,
                    e.unlinked_rows
                );
            }
        }
        IncidentCommand::Update(a) => {
            let id: IncidentId = a.id.parse()?;
            let w = app.breach.incident_writer(&me, &ctx)?;
            let mut events = Vec::new();
            for change in changes(&a, app.clock.now())? {
                events.push(w.change(id, &change, &a.note).await?);
            }
            if s.json {
                crate::output::json(&json!(events.iter().map(j::event).collect::<Vec<_>>()));
            }
            for e in events.iter().filter(|_| !s.json) {
                println!("{}: {}", e.kind, e.detail);
            }
        }
        IncidentCommand::Expose(a) => expose(&app, s, &me, &ctx, &a).await?,
        IncidentCommand::Impact { id, diff, version } => {
            let id: IncidentId = id.parse()?;
            let v = match version {
                Some(n) => reader.impact(id, Some(n)).await?,
                None => {
                    app.breach
                        .incident_writer(&me, &ctx)?
                        .recompute_impact(id)
                        .await?
                }
            };
            let d = if diff {
                Some(reader.impact_diff(id, None, Some(v.version)).await?)
            } else {
                None
            };
            print_impact(s, &v, d.as_ref());
        }
        IncidentCommand::Cohorts {
            id,
            version,
            format,
        } => {
            let t = reader.cohorts(id.parse()?, version).await?;
            match (format.as_str(), s.json) {
                ("json", _) | (_, true) => crate::output::json(&j::cohorts(&t)),
                ("csv", _) => print!("{}", t.to_csv()),
                ("text", _) => {
                    for c in &t.cohorts {
                        println!("{}", c.summary());
                    }
                    println!(
                        "{} not affected",
                        custodian_breach::cohort::human_count(t.not_affected())
                    );
                }
                (other, _) => bail!("unknown format `{other}` (expected text, json or csv)"),
            }
        }
        IncidentCommand::Obligations { id, version } => {
            let p = reader.obligations(id.parse()?, version).await?;
            if s.json {
                crate::output::json(&j::plan(&p));
            } else {
                print!("{p}");
            }
        }
        IncidentCommand::Report {
            id,
            format,
            out,
            version,
        } => report(&reader, id.parse()?, &format, out, version).await?,
    }
    Ok(())
}

async fn expose(
    app: &App,
    s: &Settings,
    me: &custodian_auth::Principal,
    ctx: &custodian_vault::RequestContext,
    a: &ExposeArgs,
) -> anyhow::Result<()> {
    let id: IncidentId = a.id.parse()?;
    let meta = ExposureMeta {
        occurred_at: a
            .at
            .as_deref()
            .map(parse_time)
            .transpose()?
            .unwrap_or(app.clock.now()),
        note: a.note.clone(),
        form: if a.encrypted {
            Form::Encrypted
        } else {
            Form::Clear
        },
    };
    let src = if a.files.is_empty() {
        source(a)?
    } else {
        let min = super::scan::confidence(&a.min_confidence)?;
        let paths = a.files.clone();
        let dump =
            tokio::task::spawn_blocking(move || super::incident_files::read(&paths, min)).await??;
        if !s.json {
            let found: Vec<String> = dump
                .values
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            println!(
                "read {} files ({:.1} MiB): {} lines with personal data ({})",
                dump.files,
                dump.bytes as f64 / (1024.0 * 1024.0),
                dump.records,
                if found.is_empty() {
                    "none".to_owned()
                } else {
                    found.join(", ")
                }
            );
        }
        if dump.records == 0 {
            bail!(
                "no personal data found in {} (nothing was recorded)",
                a.files
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        ExposureSource::Upload {
            name: dump.name,
            data: custodian_breach::FileBytes(dump.csv),
            format: custodian_breach::FileFormat::Csv,
        }
    };
    let progress = Progress::new("expose", 0, s.json);
    let e = app
        .breach
        .incident_writer(me, ctx)?
        .expose(id, &meta, &src, &|n| progress.set(n))
        .await?;
    progress.finish();
    if s.json {
        crate::output::json(&j::exposure(&e));
    } else {
        println!(
            "exposure {} recorded: {} {} ({}), {} people, {} rows linked to nobody",
            e.id,
            e.kind.as_str(),
            e.source,
            e.elements,
            e.people,
            e.unlinked_rows
        );
        for c in &e.columns {
            println!(
                "  column {:<20} {:<16} by {:?}",
                c.name,
                c.element.map_or("-", |e| e.as_str()),
                c.by
            );
        }
    }
    Ok(())
}

fn print_impact(
    s: &Settings,
    v: &custodian_breach::ImpactVersion,
    d: Option<&custodian_breach::ImpactDiff>,
) {
    if s.json {
        crate::output::json(&json!({"impact": j::impact(v), "diff": d.map(j::diff)}));
        return;
    }
    println!(
        "impact version {}: {} of {} people affected ({} touched; keys {}) in {} ms",
        v.version,
        v.affected,
        v.population,
        v.touched,
        j::key_exposure(v.key_exposure),
        v.elapsed_ms
    );
    for c in custodian_breach::cohort::cohorts_of(v).cohorts {
        println!("  {}", c.summary());
    }
    if let Some(d) = d {
        println!(
            "since version {}: {} added, {} removed, {} changed ({} → {} affected)",
            d.from_version, d.added, d.removed, d.changed, d.affected_before, d.affected_after
        );
        for (e, n) in &d.newly_exposed {
            println!("  {e} newly exposed for {n}");
        }
        for (e, n) in &d.no_longer_exposed {
            println!("  {e} no longer exposed for {n}");
        }
        for c in &d.cohorts {
            println!(
                "  {} {}: {} → {}",
                c.account_kind, c.elements, c.before, c.after
            );
        }
    }
}

async fn report(
    reader: &custodian_breach::incident::IncidentReader<'_>,
    id: IncidentId,
    format: &str,
    out: Option<PathBuf>,
    version: Option<i64>,
) -> anyhow::Result<()> {
    let mut w: Box<dyn Write + Send> = match &out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    match format {
        "html" => w.write_all(
            custodian_breach::report::html(&reader.report(id, version).await?).as_bytes(),
        )?,
        "json" => {
            let r = reader.report(id, version).await?;
            serde_json::to_writer_pretty(&mut w, &j::report(&r))?;
            writeln!(w)?;
        }
        "csv" => {
            let counts = reader.impact(id, version).await?.counts_ciphertext();
            w.write_all(custodian_breach::report::affected_csv_header().as_bytes())?;
            let mut res = Ok(());
            reader
                .affected(id, version, &mut |p| {
                    if res.is_ok() {
                        res = w.write_all(
                            custodian_breach::report::affected_csv_line(p, counts).as_bytes(),
                        );
                    }
                    Ok(())
                })
                .await?;
            res?;
        }
        other => bail!("unknown format `{other}` (expected html, json or csv)"),
    }
    w.flush()?;
    if let Some(p) = out {
        eprintln!("report written to {}", p.display());
    }
    Ok(())
}
