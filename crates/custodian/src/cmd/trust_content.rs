//! `custodian trust advisory|page|subprocessor|faq|scope`: what the Trust Center publishes that
//! the operator writes — advisories and incident notices, security practices pages, the
//! subprocessor list, the FAQ and the disclosure programme's scope. Markdown comes from a file
//! (`--file`, refused before it is read when larger than the Trust Center stores) and is saved
//! as written; the pages render it with raw HTML made inert. Saving a page, subprocessor,
//! question or asset again replaces it, and without `--position` it keeps its place (a new one
//! goes last), so editing a body never reorders the list.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use clap::{Args, Subcommand};
use custodian_trust::markdown::MAX_MARKDOWN_BYTES;
use custodian_trust::{AdvisoryKind, NewAdvisory, TrustError, TrustService};
use serde_json::{Value, json};

use super::trust::one_of;
use super::trust_cli::fail;
use super::trust_json::{self as j, show};
use crate::config::Settings;

/// `trust advisory …`.
#[derive(Debug, Subcommand)]
pub(crate) enum AdvisoryCommand {
    /// Create a draft advisory or incident notice (version 1).
    New(Box<NewAdvisoryArgs>),
    /// Revise a notice: a new version with its own date (published notices too).
    Revise {
        /// The notice.
        slug: String,
        /// The new markdown body.
        #[arg(long, value_name = "BODY.md")]
        file: PathBuf,
        /// The new one-paragraph summary (plain text).
        #[arg(long)]
        summary: String,
    },
    /// Publish a draft and mail the confirmed subscribers of its topic.
    Publish {
        /// The notice.
        slug: String,
        /// Publish without mailing anyone (needed to publish without `[trust.smtp]` while
        /// someone is subscribed).
        #[arg(long)]
        without_mail: bool,
    },
    /// List notices, drafts included.
    List,
}

/// `trust advisory new`.
#[derive(Debug, Args)]
pub(crate) struct NewAdvisoryArgs {
    /// URL name and CSAF tracking id: a-z, 0-9 and -.
    #[arg(long)]
    slug: String,
    /// Title.
    #[arg(long)]
    title: String,
    /// advisory (mailed to `advisories` subscribers) or incident (to `incidents`).
    #[arg(long, value_parser = kind)]
    kind: AdvisoryKind,
    /// One-paragraph summary (plain text; it is what subscribers are mailed).
    #[arg(long)]
    summary: String,
    /// The markdown body.
    #[arg(long, value_name = "BODY.md")]
    file: PathBuf,
    /// A CVSS 3.x or 4.0 vector; the severity is computed from it.
    #[arg(long, value_name = "VECTOR")]
    cvss: Option<String>,
    /// The breach-engine incident the notice concerns.
    #[arg(long, value_name = "ID")]
    incident: Option<String>,
    /// The "was I affected?" lookup (`https://…` or a path on the site, `/was-i-affected`).
    #[arg(long, value_name = "URL")]
    lookup_url: Option<String>,
}

/// `trust page …`.
#[derive(Debug, Subcommand)]
pub(crate) enum PageCommand {
    /// Create or replace a security practices page (shown at `/practices/SLUG`).
    Set {
        /// URL name: a-z, 0-9 and -.
        slug: String,
        /// Title.
        #[arg(long)]
        title: String,
        /// The markdown body (raw HTML in it is shown as text, never run).
        #[arg(long, value_name = "BODY.md")]
        file: PathBuf,
        /// Order in the list, smallest first (default: its current place, or last).
        #[arg(long, value_name = "N")]
        position: Option<i64>,
    },
    /// List the practices pages in order.
    List,
    /// Print a page's markdown as written.
    Show {
        /// The page.
        slug: String,
    },
    /// Remove a page.
    Delete {
        /// The page.
        slug: String,
    },
}

/// `trust subprocessor …`.
#[derive(Debug, Subcommand)]
pub(crate) enum SubprocessorCommand {
    /// Add a subprocessor, or replace the one with the same name.
    Set {
        /// Company name.
        #[arg(long)]
        name: String,
        /// What it does with customer data.
        #[arg(long)]
        purpose: String,
        /// Where it processes the data.
        #[arg(long)]
        location: String,
        /// Order in the list, smallest first (default: its current place, or last).
        #[arg(long, value_name = "N")]
        position: Option<i64>,
    },
    /// List the subprocessors in order.
    List,
    /// Remove a subprocessor.
    Delete {
        /// The subprocessor's id (from `list`).
        id: i64,
    },
}

/// `trust faq …`.
#[derive(Debug, Subcommand)]
pub(crate) enum FaqCommand {
    /// Add a question, or replace the answer of the same question.
    Set {
        /// The question.
        #[arg(long)]
        question: String,
        #[command(flatten)]
        answer: Answer,
        /// Order in the list, smallest first (default: its current place, or last).
        #[arg(long, value_name = "N")]
        position: Option<i64>,
    },
    /// List the questions in order.
    List,
    /// Remove a question.
    Delete {
        /// The question's id (from `list`).
        id: i64,
    },
}

/// Where an FAQ answer comes from: exactly one of the two.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct Answer {
    /// The answer, a markdown file.
    #[arg(long, value_name = "ANSWER.md")]
    file: Option<PathBuf>,
    /// The answer, as markdown on the command line.
    #[arg(long, value_name = "TEXT")]
    answer: Option<String>,
}

/// `trust scope …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ScopeCommand {
    /// Add an asset to the disclosure programme's scope, or replace its entry.
    Set {
        /// The asset (`*.example.com`, `The customer apps (iOS, Android)`).
        asset: String,
        #[command(flatten)]
        status: InOrOut,
        /// What is excluded, how to test safely (default: none).
        #[arg(long, value_name = "TEXT", default_value = "")]
        notes: String,
        /// Order in the list, smallest first (default: its current place, or last).
        #[arg(long, value_name = "N")]
        position: Option<i64>,
    },
    /// List the scope, in-scope assets first.
    List,
    /// Remove an entry.
    Delete {
        /// The entry's id (from `list`).
        id: i64,
    },
}

/// Whether researchers may test an asset: exactly one of the two.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct InOrOut {
    /// Researchers may test it.
    #[arg(long = "in")]
    is_in: bool,
    /// Researchers may not test it.
    #[arg(long = "out")]
    is_out: bool,
}

/// `trust advisory …`.
pub(super) async fn advisory(
    s: &Settings,
    trust: &TrustService,
    c: AdvisoryCommand,
) -> anyhow::Result<()> {
    match c {
        AdvisoryCommand::New(a) => {
            let created = trust
                .create_advisory(&NewAdvisory {
                    slug: a.slug.clone(),
                    kind: a.kind,
                    title: a.title,
                    summary: a.summary,
                    body_md: read_markdown("--file", &a.file)?,
                    cvss_vector: a.cvss,
                    incident_id: a.incident,
                    lookup_url: a.lookup_url,
                })
                .await
                .map_err(fail(&format!("advisory `{}`", a.slug)))?;
            show(s, &j::advisory_json(&created), || {
                println!(
                    "{} `{}` created as a draft (version 1); publish it with \
                     `custodian trust advisory publish {}`",
                    created.kind, created.slug, created.slug
                );
            });
        }
        AdvisoryCommand::Revise {
            slug,
            file,
            summary,
        } => {
            let body = read_markdown("--file", &file)?;
            let a = trust
                .revise_advisory(&slug, &summary, &body)
                .await
                .map_err(fail(&format!("advisory `{slug}`")))?;
            show(s, &j::advisory_json(&a), || {
                println!("`{}` is now version {}", a.slug, a.version);
            });
        }
        AdvisoryCommand::Publish { slug, without_mail } => {
            publish(s, trust, &slug, without_mail).await?;
        }
        AdvisoryCommand::List => {
            let list = trust.all_advisories().await?;
            let v: Vec<Value> = list.iter().map(j::advisory_json).collect();
            show(s, &json!(v), || {
                for (a, v) in list.iter().zip(&v) {
                    let state = a.published_at.map_or_else(|| "draft".to_owned(), j::day);
                    println!(
                        "{:<32} {:<8} v{:<3} {:<10} {:<8} {}",
                        a.slug,
                        a.kind.as_str(),
                        a.version,
                        state,
                        v["severity"].as_str().unwrap_or("-"),
                        a.title
                    );
                }
            });
        }
    }
    Ok(())
}

/// Publishes a draft. Without a mail relay the service's mail is dropped, so publishing to
/// confirmed subscribers then needs `--without-mail`: a notice published once cannot be
/// published again to reach them later.
async fn publish(
    s: &Settings,
    trust: &TrustService,
    slug: &str,
    without_mail: bool,
) -> anyhow::Result<()> {
    let what = format!("draft advisory `{slug}` (unknown, or published already)");
    let draft = trust
        .all_advisories()
        .await?
        .into_iter()
        .find(|a| a.slug == slug && a.published_at.is_none())
        .ok_or_else(|| anyhow!("no {what}"))?;
    let topic = draft.topic.as_str();
    let waiting = trust
        .subscribers()
        .await?
        .iter()
        .filter(|r| r.is_active() && r.topics.split(',').any(|t| t == topic))
        .count();
    if s.trust.smtp.is_none() && waiting > 0 && !without_mail {
        bail!(
            "{waiting} confirmed `{topic}` subscribers would not be mailed: there is no \
             [trust.smtp] in the configuration (configure it, or pass --without-mail)"
        );
    }
    let (a, sent) = trust.publish_advisory(slug).await.map_err(fail(&what))?;
    let mailed = if without_mail || s.trust.smtp.is_none() {
        0
    } else {
        sent
    };
    let mut v = j::advisory_json(&a);
    v["mailed"] = json!(mailed);
    show(s, &v, || {
        println!(
            "`{}` published; {mailed} of {waiting} `{topic}` subscribers mailed",
            a.slug
        );
    });
    Ok(())
}

/// `trust page …`.
pub(super) async fn page(s: &Settings, trust: &TrustService, c: PageCommand) -> anyhow::Result<()> {
    match c {
        PageCommand::Set {
            slug,
            title,
            file,
            position,
        } => {
            let body = read_markdown("--file", &file)?;
            let all = trust.practice_pages().await?;
            let order = place(position, &all, |p| (p.slug == slug, p.position));
            let p = trust
                .put_practice_page(&slug, &title, &body, order)
                .await
                .map_err(refuse(
                    &format!("practices page `{slug}`"),
                    &[("slug", "SLUG")],
                ))?;
            show(s, &j::page_json(&p), || {
                println!(
                    "practices page `{0}` saved; it is at /practices/{0}",
                    p.slug
                );
            });
        }
        PageCommand::List => {
            let list = trust.practice_pages().await?;
            let v: Vec<Value> = list.iter().map(j::page_json).collect();
            show(s, &json!(v), || {
                for p in &list {
                    let (pos, slug, at) = (p.position, &p.slug, j::day(p.updated_at));
                    println!("{pos:>4}  {slug:<24} {at}  {}", p.title);
                }
            });
        }
        PageCommand::Show { slug } => {
            let p = trust
                .practice_page(&slug)
                .await
                .map_err(fail(&format!("practices page `{slug}`")))?;
            show(s, &j::page_json(&p), || println!("{}", p.body_md));
        }
        PageCommand::Delete { slug } => {
            trust
                .delete_practice_page(&slug)
                .await
                .map_err(fail(&format!("practices page `{slug}`")))?;
            show(s, &json!({"slug": slug, "deleted": true}), || {
                println!("practices page `{slug}` deleted");
            });
        }
    }
    Ok(())
}

/// `trust subprocessor …`.
pub(super) async fn subprocessor(
    s: &Settings,
    trust: &TrustService,
    c: SubprocessorCommand,
) -> anyhow::Result<()> {
    match c {
        SubprocessorCommand::Set {
            name,
            purpose,
            location,
            position,
        } => {
            let all = trust.subprocessors().await?;
            let order = place(position, &all, |x| (x.name == name.trim(), x.position));
            let x = trust
                .put_subprocessor(&name, &purpose, &location, order)
                .await
                .map_err(fail("subprocessor"))?;
            show(s, &j::subprocessor_json(&x), || {
                println!("subprocessor {} ({}) saved", x.id, x.name);
            });
        }
        SubprocessorCommand::List => {
            let list = trust.subprocessors().await?;
            let v: Vec<Value> = list.iter().map(j::subprocessor_json).collect();
            show(s, &json!(v), || {
                for x in &list {
                    let (id, name, at) = (x.id, &x.name, &x.location);
                    println!("{id:>5}  {name:<32} {at:<20} {}", x.purpose);
                }
            });
        }
        SubprocessorCommand::Delete { id } => {
            deleted(s, trust.delete_subprocessor(id).await, id, "subprocessor")?;
        }
    }
    Ok(())
}

/// `trust faq …`.
pub(super) async fn faq(s: &Settings, trust: &TrustService, c: FaqCommand) -> anyhow::Result<()> {
    match c {
        FaqCommand::Set {
            question,
            answer,
            position,
        } => {
            let (body, from) = match (answer.file, answer.answer) {
                (Some(file), _) => (read_markdown("--file", &file)?, "--file"),
                (None, Some(text)) => (text, "--answer"),
                // clap's group requires exactly one of the two.
                (None, None) => bail!("--file or --answer: the answer is required"),
            };
            if body.len() > MAX_MARKDOWN_BYTES {
                bail!("{from}: is too large (the limit is {MAX_MARKDOWN_BYTES} bytes)");
            }
            let all = trust.faq().await?;
            let order = place(position, &all, |f| {
                (f.question == question.trim(), f.position)
            });
            let f = trust
                .put_faq(&question, &body, order)
                .await
                .map_err(refuse("question", &[("answer", from)]))?;
            show(s, &j::faq_json(&f), || {
                println!("question {} saved: {}", f.id, f.question);
            });
        }
        FaqCommand::List => {
            let list = trust.faq().await?;
            let v: Vec<Value> = list.iter().map(j::faq_json).collect();
            show(s, &json!(v), || {
                for f in &list {
                    println!("{:>5}  {}", f.id, f.question);
                }
            });
        }
        FaqCommand::Delete { id } => {
            deleted(s, trust.delete_faq(id).await, id, "question")?;
        }
    }
    Ok(())
}

/// `trust scope …`.
pub(super) async fn scope(
    s: &Settings,
    trust: &TrustService,
    c: ScopeCommand,
) -> anyhow::Result<()> {
    match c {
        ScopeCommand::Set {
            asset,
            status,
            notes,
            position,
        } => {
            let is_in = status.is_in && !status.is_out;
            let all = trust.scope().await?;
            let order = place(position, &all, |a| (a.asset == asset.trim(), a.position));
            let a = trust
                .put_scope_asset(&asset, is_in, &notes, order)
                .await
                .map_err(refuse("scope entry", &[("asset", "ASSET")]))?;
            show(s, &j::scope_json(&a), || {
                let status = if a.in_scope { "in" } else { "out of" };
                println!("scope entry {}: {} is {status} scope", a.id, a.asset);
            });
        }
        ScopeCommand::List => {
            let list = trust.scope().await?;
            let v: Vec<Value> = list.iter().map(j::scope_json).collect();
            show(s, &json!(v), || {
                for a in &list {
                    let status = if a.in_scope { "in" } else { "out" };
                    let notes = if a.notes.is_empty() { "" } else { "  — " };
                    println!("{:>5}  {status:<3} {}{notes}{}", a.id, a.asset, a.notes);
                }
            });
        }
        ScopeCommand::Delete { id } => {
            deleted(s, trust.delete_scope_asset(id).await, id, "scope entry")?;
        }
    }
    Ok(())
}

/// Reports the deletion of the entry `id` of a list, or why there was none.
fn deleted(s: &Settings, r: Result<(), TrustError>, id: i64, what: &str) -> anyhow::Result<()> {
    r.map_err(fail(&format!("{what} {id}")))?;
    show(s, &json!({"id": id, "deleted": true}), || {
        println!("{what} {id} deleted");
    });
    Ok(())
}

/// The highest position the Trust Center accepts.
const MAX_POSITION: i64 = 1_000_000;

/// The position to save an entry at: the one given, else where it already is, else after the
/// last one. `entry` says of each saved entry whether it is the one being saved, and its
/// position.
fn place<T>(given: Option<i64>, all: &[T], entry: impl Fn(&T) -> (bool, i64)) -> i64 {
    let current = all.iter().map(&entry).find(|(is_it, _)| *is_it);
    let last = all.iter().map(|x| entry(x).1).max();
    given
        .or(current.map(|(_, p)| p))
        .unwrap_or_else(|| last.map_or(0, |p| p.saturating_add(1).min(MAX_POSITION)))
}

/// Like [`fail`], for commands where some fields come from an argument whose name is not the
/// field's flag: `names` pairs each such field with that argument (`("slug", "SLUG")`).
fn refuse<'a>(
    what: &'a str,
    names: &'a [(&'static str, &'a str)],
) -> impl Fn(TrustError) -> anyhow::Error + 'a {
    move |e| match e {
        TrustError::Invalid { field, reason } => match names.iter().find(|(f, _)| *f == field) {
            Some((_, name)) => anyhow!("{name}: {reason}"),
            None => fail(what)(TrustError::Invalid { field, reason }),
        },
        e => fail(what)(e),
    }
}

/// Reads a markdown file named by `flag`, refusing one larger than the Trust Center stores
/// before reading it.
fn read_markdown(flag: &str, file: &Path) -> anyhow::Result<String> {
    let at = |e: std::io::Error| anyhow!("{flag} {}: {e}", file.display());
    let size = std::fs::metadata(file).map_err(at)?.len();
    if size > MAX_MARKDOWN_BYTES as u64 {
        bail!(
            "{flag} {}: is too large ({size} bytes; the limit is {MAX_MARKDOWN_BYTES})",
            file.display()
        );
    }
    std::fs::read_to_string(file).map_err(at)
}

fn kind(s: &str) -> Result<AdvisoryKind, String> {
    one_of(AdvisoryKind::ALL, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_keep_their_place_unless_told_and_new_ones_go_last() {
        let saved = [("a", 1), ("b", 7), ("c", 9)];
        fn entry(name: &'static str) -> impl Fn(&(&str, i64)) -> (bool, i64) {
            move |x| (x.0 == name, x.1)
        }
        assert_eq!(place(Some(3), &saved, entry("b")), 3);
        assert_eq!(place(None, &saved, entry("b")), 7);
        assert_eq!(place(None, &saved, entry("new")), 10);
        assert_eq!(place(None, &[], entry("new")), 0);
        assert_eq!(
            place(None, &[("a", MAX_POSITION)], entry("new")),
            MAX_POSITION
        );
    }

    #[test]
    fn positional_arguments_are_named_in_refusals() {
        let e = refuse("page", &[("slug", "SLUG")])(TrustError::invalid("slug", "bad"));
        assert_eq!(e.to_string(), "SLUG: bad");
        let e = refuse("page", &[("slug", "SLUG")])(TrustError::invalid("title", "is required"));
        assert_eq!(e.to_string(), "--title: is required");
        let e = refuse("question 4", &[])(TrustError::NotFound);
        assert_eq!(e.to_string(), "no question 4");
    }
}
