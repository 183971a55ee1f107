//! `custodian trust …`: the Trust Center administered from the command line, on the same
//! [`TrustService`] the pages and the console use. This module holds the command tree, opening
//! the database, the error lines, and the attestation commands (attestations, access requests,
//! grants, auto-approval, statistics); what the operator writes (advisories, practices pages,
//! subprocessors, FAQ, scope) is in `trust_content`, subscribers and the disclosure programme in
//! `trust`, and every JSON form in `trust_json`. Values are parsed by clap into the trust crate's
//! types, so a bad date, visibility or state is refused before anything opens and the message
//! names the flag. Mail (access links, notices, replies to researchers) goes through
//! `[trust.smtp]`; without it nothing is delivered, so the commands say so, print an approved
//! access link for the operator to pass on, and `advisory publish` refuses to publish silently
//! to confirmed subscribers.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Subcommand};
use custodian_db::{Clock, Database, OpenMode, SystemClock, Timestamp};
use custodian_trust::{NewAttestation, TrustError, TrustService, Visibility};
use serde_json::{Value, json};

use super::trust::{BountyCommand, PayoutCommand, ReportsCommand, SubscribersCommand, one_of};
use super::trust_content::{
    self as content, AdvisoryCommand, FaqCommand, PageCommand, ScopeCommand, SubprocessorCommand,
};
use super::trust_json::{self as j, show};
use crate::config::Settings;

/// `custodian trust …`.
#[derive(Debug, Subcommand)]
pub(crate) enum TrustCommand {
    /// Certifications and reports: add, upload their document, list.
    #[command(subcommand)]
    Attestation(AttestationCommand),
    /// Requests for teaser and gated documents: list, approve, deny.
    #[command(subcommand)]
    Requests(RequestsCommand),
    /// Grants (personal document links sent on approval): list, revoke.
    #[command(subcommand)]
    Grants(GrantsCommand),
    /// E-mail domains whose requests are approved at once.
    #[command(subcommand)]
    AutoApprove(AutoApproveCommand),
    /// Advisories and incident notices: new, revise, publish, list.
    #[command(subcommand)]
    Advisory(AdvisoryCommand),
    /// Subscribers to advisories, certifications and incident notices.
    #[command(subcommand)]
    Subscribers(SubscribersCommand),
    /// Vulnerability reports of the disclosure programme: list, show, move, close-stale.
    #[command(subcommand)]
    Reports(ReportsCommand),
    /// The bounty table: a range per severity.
    #[command(subcommand)]
    Bounty(BountyCommand),
    /// The payouts ledger.
    #[command(subcommand)]
    Payout(PayoutCommand),
    /// Security practices pages (markdown): set, list, show, delete.
    #[command(subcommand)]
    Page(PageCommand),
    /// The subprocessor list: set, list, delete.
    #[command(subcommand)]
    Subprocessor(SubprocessorCommand),
    /// The FAQ: set, list, delete.
    #[command(subcommand)]
    Faq(FaqCommand),
    /// The disclosure programme's scope (assets in and out): set, list, delete.
    #[command(subcommand)]
    Scope(ScopeCommand),
    /// Views and downloads per attestation.
    Stats,
}

/// `trust attestation …`.
#[derive(Debug, Subcommand)]
pub(crate) enum AttestationCommand {
    /// Add a certification or report (its document is uploaded separately).
    Add(Box<AddArgs>),
    /// Attach (or replace) an attestation's document: a PDF.
    Upload {
        /// The attestation.
        slug: String,
        /// The PDF file.
        file: PathBuf,
    },
    /// List attestations, hidden ones included, flagging expired and expiring ones.
    List,
}

/// `trust attestation add`. Dates are `YYYY-MM-DD` (midnight UTC) or RFC 3339.
#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// URL name: a-z, 0-9 and -.
    #[arg(long)]
    slug: String,
    /// Title (`SOC 2 Type 2 report`).
    #[arg(long)]
    title: String,
    /// Who issued it (the audit firm).
    #[arg(long)]
    issuer: String,
    /// The standard (`ISO/IEC 27001:2022`).
    #[arg(long)]
    standard: String,
    /// What it covers.
    #[arg(long)]
    scope: String,
    /// A description shown on public and teaser entries.
    #[arg(long)]
    description: String,
    /// Start of the period covered.
    #[arg(long, value_name = "DATE", value_parser = date)]
    period_start: Timestamp,
    /// End of the period covered.
    #[arg(long, value_name = "DATE", value_parser = date)]
    period_end: Timestamp,
    /// When it was issued.
    #[arg(long, value_name = "DATE", value_parser = date)]
    issued: Timestamp,
    /// When it stops being valid.
    #[arg(long, value_name = "DATE", value_parser = date)]
    expires: Timestamp,
    /// public (anyone downloads), teaser (described; document on request), gated (title only;
    /// document on request) or hidden (not listed).
    #[arg(long, value_parser = visibility)]
    visibility: Visibility,
}

/// `trust requests …`.
#[derive(Debug, Subcommand)]
pub(crate) enum RequestsCommand {
    /// List access requests, newest first.
    List {
        /// Only requests for this attestation.
        #[arg(long, value_name = "SLUG")]
        attestation: Option<String>,
        /// Only pending, approved or denied requests.
        #[arg(long, value_parser = ["pending", "approved", "denied"])]
        status: Option<String>,
    },
    /// Approve a pending request: a grant is created and its personal link mailed.
    Approve {
        /// The request.
        id: i64,
    },
    /// Deny a pending request.
    Deny {
        /// The request.
        id: i64,
    },
}

/// `trust grants …`.
#[derive(Debug, Subcommand)]
pub(crate) enum GrantsCommand {
    /// List grants, newest first.
    List {
        /// Only grants to this attestation's document.
        #[arg(long, value_name = "SLUG")]
        attestation: Option<String>,
    },
    /// Revoke a grant: its link stops working at once.
    Revoke {
        /// The grant.
        id: i64,
    },
}

/// `trust auto-approve …`.
#[derive(Debug, Subcommand)]
pub(crate) enum AutoApproveCommand {
    /// Approve every request from addresses at this domain at once.
    Add {
        /// The e-mail domain (`partner.example`).
        domain: String,
    },
}

/// Runs a `trust` command.
pub(crate) async fn run(s: &Settings, c: TrustCommand) -> anyhow::Result<()> {
    let trust = open(s, &c).await?;
    match c {
        TrustCommand::Attestation(c) => attestation(s, &trust, c).await,
        TrustCommand::Requests(c) => requests(s, &trust, c).await,
        TrustCommand::Grants(c) => grants(s, &trust, c).await,
        TrustCommand::AutoApprove(AutoApproveCommand::Add { domain }) => {
            trust.add_auto_approve(&domain).await.map_err(|e| match e {
                TrustError::Invalid { .. } => anyhow!("`{domain}` is not an e-mail domain"),
                e => e.into(),
            })?;
            let domain = domain.trim().to_ascii_lowercase();
            show(s, &json!({"domain": domain, "auto_approve": true}), || {
                println!("requests from addresses at {domain} are now approved at once");
            });
            Ok(())
        }
        TrustCommand::Advisory(c) => content::advisory(s, &trust, c).await,
        TrustCommand::Subscribers(SubscribersCommand::List) => {
            super::trust::subscribers(s, &trust).await
        }
        TrustCommand::Reports(c) => super::trust::reports(s, &trust, c).await,
        TrustCommand::Bounty(c) => super::trust::bounty(s, &trust, c).await,
        TrustCommand::Payout(c) => super::trust::payout(s, &trust, c).await,
        TrustCommand::Page(c) => content::page(s, &trust, c).await,
        TrustCommand::Subprocessor(c) => content::subprocessor(s, &trust, c).await,
        TrustCommand::Faq(c) => content::faq(s, &trust, c).await,
        TrustCommand::Scope(c) => content::scope(s, &trust, c).await,
        TrustCommand::Stats => {
            let stats = trust.access_stats().await?;
            let v: Vec<Value> = stats.iter().map(j::stats_json).collect();
            show(s, &json!(v), || {
                println!("{:<30} {:>8} {:>10}", "attestation", "views", "downloads");
                for a in &stats {
                    println!("{:<30} {:>8} {:>10}", a.slug, a.views, a.downloads);
                }
            });
            Ok(())
        }
    }
}

/// Opens the database (migrating every component, as [`crate::app::App::open`] does) and the
/// Trust Center alone: it needs neither the root keys nor the vault, so administering it never
/// touches them. Commands that create the first records may create the database.
async fn open(s: &Settings, c: &TrustCommand) -> anyhow::Result<TrustService> {
    let mode = match c {
        TrustCommand::Attestation(AttestationCommand::Add(_))
        | TrustCommand::Advisory(AdvisoryCommand::New(_))
        | TrustCommand::Bounty(BountyCommand::Set { .. })
        | TrustCommand::AutoApprove(_)
        | TrustCommand::Page(PageCommand::Set { .. })
        | TrustCommand::Subprocessor(SubprocessorCommand::Set { .. })
        | TrustCommand::Faq(FaqCommand::Set { .. })
        | TrustCommand::Scope(ScopeCommand::Set { .. }) => OpenMode::Create,
        _ => OpenMode::Existing,
    };
    let db = Database::connect(&s.db_config(), mode).await?;
    db.migrate(&crate::app::components())
        .await
        .with_context(|| format!("migrating {}", db.target()))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let is_without_mail = matches!(
        c,
        TrustCommand::Advisory(AdvisoryCommand::Publish {
            without_mail: true,
            ..
        })
    );
    if is_without_mail {
        // The service mails on publication; without a relay its mail stays in memory and is
        // dropped with the process, which is what `--without-mail` asks for.
        let mut quiet = s.clone();
        quiet.trust.smtp = None;
        return super::trust::open_service(&quiet, db, clock).await;
    }
    super::trust::open_service(s, db, clock).await
}

/// A line for standard error when mail is not delivered, for commands whose effect includes a
/// mail.
pub(super) fn warn_undelivered(s: &Settings, who: &str) {
    if s.trust.smtp.is_none() {
        eprintln!("note: no [trust.smtp] in the configuration, so {who} was not mailed");
    }
}

/// Turns a Trust Center error into the line an operator reads: the flag instead of the field,
/// and what was not found or already exists.
pub(super) fn fail(what: &str) -> impl Fn(TrustError) -> anyhow::Error + '_ {
    move |e| match e {
        TrustError::NotFound => anyhow!("no {what}"),
        TrustError::Duplicate(_) => anyhow!("{what} already exists"),
        TrustError::Invalid { field, reason } => anyhow!("{}: {reason}", flag(field)),
        e => e.into(),
    }
}

fn flag(field: &str) -> String {
    match field {
        "period_end" => "--period-end".to_owned(),
        "issued_at" => "--issued".to_owned(),
        "expires_at" => "--expires".to_owned(),
        "body" => "--file".to_owned(),
        "incident_id" => "--incident".to_owned(),
        "file" => "FILE".to_owned(),
        "amount" => "AMOUNT".to_owned(),
        "bounty" => "MIN and MAX".to_owned(),
        "report" => "REPORT_ID".to_owned(),
        other => format!("--{}", other.replace(['_', ' '], "-")),
    }
}

async fn attestation(
    s: &Settings,
    trust: &TrustService,
    c: AttestationCommand,
) -> anyhow::Result<()> {
    let now = trust.now();
    match c {
        AttestationCommand::Add(a) => {
            let created = trust
                .create_attestation(&NewAttestation {
                    slug: a.slug.clone(),
                    title: a.title,
                    issuer: a.issuer,
                    standard: a.standard,
                    scope: a.scope,
                    description: a.description,
                    period_start: a.period_start,
                    period_end: a.period_end,
                    issued_at: a.issued,
                    expires_at: a.expires,
                    visibility: a.visibility,
                })
                .await
                .map_err(fail(&format!("attestation `{}`", a.slug)))?;
            show(s, &j::attestation_json(&created, now), || {
                println!(
                    "attestation `{}` added ({}); upload its document with \
                     `custodian trust attestation upload {} FILE.pdf`",
                    created.slug, created.visibility, created.slug
                );
            });
        }
        AttestationCommand::Upload { slug, file } => upload(s, trust, &slug, &file).await?,
        AttestationCommand::List => {
            let list = trust.attestations(true).await?;
            let v: Vec<Value> = list.iter().map(|a| j::attestation_json(a, now)).collect();
            show(s, &json!(v), || {
                for a in &list {
                    let flag = if a.is_expired(now) {
                        "EXPIRED"
                    } else if a.is_expiring(now) {
                        "expiring soon"
                    } else {
                        ""
                    };
                    let doc = if a.document.is_some() {
                        "pdf"
                    } else {
                        "no document"
                    };
                    println!(
                        "{:<24} {:<7} expires {} {:<13} {:<11} {}",
                        a.slug,
                        a.visibility.as_str(),
                        j::day(a.expires_at),
                        flag,
                        doc,
                        a.title
                    );
                }
            });
        }
    }
    Ok(())
}

async fn upload(s: &Settings, trust: &TrustService, slug: &str, file: &Path) -> anyhow::Result<()> {
    let limit = trust.config().max_document_bytes;
    let size = std::fs::metadata(file)
        .map_err(|e| anyhow!("{}: {e}", file.display()))?
        .len();
    if size > limit as u64 {
        bail!(
            "{} is too large ({size} bytes; the limit is {limit})",
            file.display()
        );
    }
    let bytes = std::fs::read(file).map_err(|e| anyhow!("{}: {e}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    trust
        .upload_document(slug, &name, "application/pdf", &bytes)
        .await
        .map_err(|e| match e {
            TrustError::WrongType(_) => anyhow!("{} is not a PDF", file.display()),
            e => fail(&format!("attestation `{slug}`"))(e),
        })?;
    show(
        s,
        &json!({"slug": slug, "document": {"name": name, "bytes": bytes.len()}}),
        || {
            println!(
                "{name} ({} bytes) is now the document of `{slug}`",
                bytes.len()
            );
        },
    );
    Ok(())
}

/// The id of the attestation named by `slug`.
async fn attestation_id(trust: &TrustService, slug: &str) -> anyhow::Result<i64> {
    trust
        .attestations(true)
        .await?
        .into_iter()
        .find(|a| a.slug == slug)
        .map(|a| a.id)
        .ok_or_else(|| anyhow!("no attestation `{slug}`"))
}

/// Who decides, for the request's record: the operator's login.
fn operator() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "operator".to_owned());
    format!("cli:{user}")
}

async fn requests(s: &Settings, trust: &TrustService, c: RequestsCommand) -> anyhow::Result<()> {
    match c {
        RequestsCommand::List {
            attestation,
            status,
        } => {
            let only = match &attestation {
                Some(slug) => Some(attestation_id(trust, slug).await?),
                None => None,
            };
            let list: Vec<_> = trust
                .access_requests(status.as_deref())
                .await?
                .into_iter()
                .filter(|r| only.is_none_or(|id| r.attestation_id == id))
                .collect();
            let v: Vec<Value> = list.iter().map(j::request_json).collect();
            show(s, &json!(v), || {
                for r in &list {
                    println!(
                        "{:>5}  {:<8} {}  {} <{}>, {}: {}",
                        r.id,
                        r.status,
                        r.attestation_title,
                        r.name,
                        r.email,
                        r.company,
                        r.reason.lines().next().unwrap_or("")
                    );
                }
            });
        }
        RequestsCommand::Approve { id } => {
            let what = format!("pending access request {id}");
            let link = trust
                .approve_request(id, &operator())
                .await
                .map_err(fail(&what))?;
            let is_mailed = s.trust.smtp.is_some();
            show(
                s,
                &json!({"id": id, "status": "approved", "link": link, "mailed": is_mailed}),
                || {
                    if is_mailed {
                        println!("request {id} approved; its personal link was mailed");
                    } else {
                        println!(
                            "request {id} approved; no [trust.smtp] is configured, so pass \
                             this personal link on yourself:\n{link}"
                        );
                    }
                },
            );
        }
        RequestsCommand::Deny { id } => {
            let what = format!("pending access request {id}");
            trust
                .deny_request(id, &operator())
                .await
                .map_err(fail(&what))?;
            show(s, &json!({"id": id, "status": "denied"}), || {
                println!("request {id} denied");
            });
        }
    }
    Ok(())
}

async fn grants(s: &Settings, trust: &TrustService, c: GrantsCommand) -> anyhow::Result<()> {
    match c {
        GrantsCommand::List { attestation } => {
            let all = trust.attestations(true).await?;
            if let Some(slug) = &attestation {
                attestation_id(trust, slug).await?;
            }
            let now = trust.now();
            let mut rows = Vec::new();
            for a in all
                .iter()
                .filter(|a| attestation.as_ref().is_none_or(|s| *s == a.slug))
            {
                for g in trust.grants(a.id).await? {
                    rows.push((a.slug.clone(), g));
                }
            }
            let v: Vec<Value> = rows.iter().map(|(a, g)| j::grant_json(a, g, now)).collect();
            show(s, &json!(v), || {
                for ((slug, g), v) in rows.iter().zip(&v) {
                    println!(
                        "{:>5}  {:<8} {:<24} {}  until {}",
                        g.id,
                        v["state"].as_str().unwrap_or(""),
                        slug,
                        g.email,
                        j::day(g.expires_at)
                    );
                }
            });
        }
        GrantsCommand::Revoke { id } => {
            trust
                .revoke_grant(id)
                .await
                .map_err(fail(&format!("live grant {id}")))?;
            show(s, &json!({"id": id, "state": "revoked"}), || {
                println!("grant {id} revoked; its link no longer works");
            });
        }
    }
    Ok(())
}

/// A `--flag DATE` value: `YYYY-MM-DD` (midnight UTC) or RFC 3339.
fn date(s: &str) -> Result<Timestamp, String> {
    super::incident::parse_time(s).map_err(|e| e.to_string())
}

fn visibility(s: &str) -> Result<Visibility, String> {
    one_of(Visibility::ALL, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_name_the_flag() {
        assert_eq!(flag("expires_at"), "--expires");
        assert_eq!(flag("lookup_url"), "--lookup-url");
        assert_eq!(flag("duplicate_of"), "--duplicate-of");
    }

    #[test]
    fn dates_and_names_parse_or_say_what_they_expect() {
        assert!(date("2026-02-30").unwrap_err().contains("YYYY-MM-DD"));
        assert_eq!(date("2026-03-01"), date("2026-03-01T00:00:00Z"));
        assert_eq!(visibility("Gated"), Ok(Visibility::Gated));
        let e = visibility("secret").unwrap_err();
        assert_eq!(e, "expected one of public, teaser, gated, hidden");
    }
}
