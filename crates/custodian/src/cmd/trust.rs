//! The Trust Center in the binary: opening its service from the settings, the demo's chapter
//! (seeded certifications, practices content and a published incident notice for the synthetic
//! breach), and the parts of `custodian trust` (see `trust_cli`) for subscribers and the
//! disclosure programme — reports, the bounty table, payouts — with the value parsers the
//! `trust` commands share.

use std::fmt;
use std::sync::Arc;

use anyhow::Context;
use clap::Subcommand;
use custodian_db::{Clock, Database, Timestamp};
use custodian_trust::{
    AdvisoryKind, Comment, Mailer, NewAdvisory, NewAttestation, RecordingMailer, Report,
    ReportState, Severity, SmtpMailer, Subscriber, Topic, TrustConfig, TrustService, Visibility,
};
use serde_json::{Value, json};

use super::trust_cli::{fail, warn_undelivered};
use super::trust_json::{bounty_json, day, money, payout_json, report_json, show};
use crate::config::Settings;

/// Opens the Trust Center. Its public URL is `[trust] public_url`, else the server's scheme and
/// bind address; mail goes through `[trust.smtp]`, else it is kept in memory (and logged).
pub(crate) async fn open_service(
    s: &Settings,
    db: Database,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<TrustService> {
    let base = match &s.trust.public_url {
        Some(u) => u.clone(),
        None => {
            let scheme = if s.tls.is_some() { "https" } else { "http" };
            format!("{scheme}://{}", s.bind)
        }
    };
    let contact = s
        .trust
        .security_contact
        .as_deref()
        .unwrap_or("security@example.com");
    let mut cfg = TrustConfig::new(&base, &s.brand, contact);
    cfg.branding = s.trust.branding.clone();
    cfg.security_txt_signer = s.trust.signer.clone();
    cfg.grant_days = s.trust.grant_days;
    let mailer: Arc<dyn Mailer> = match &s.trust.smtp {
        Some(smtp) => Arc::new(
            SmtpMailer::new(smtp).map_err(|e| anyhow::anyhow!("configuration: trust.{e}"))?,
        ),
        None => Arc::new(RecordingMailer::default()),
    };
    TrustService::open(db, clock, cfg, mailer)
        .await
        .context("opening the Trust Center")
}

fn attestation(
    slug: &str,
    title: &str,
    standard: &str,
    visibility: Visibility,
    now: Timestamp,
) -> NewAttestation {
    NewAttestation {
        slug: slug.to_owned(),
        title: title.to_owned(),
        issuer: "Independent Audit LLP".to_owned(),
        standard: standard.to_owned(),
        scope: "Customer data platform, retail and care systems".to_owned(),
        description: format!("{title} for the customer data platform."),
        period_start: now.plus_seconds(-365 * 86_400),
        period_end: now.plus_seconds(-30 * 86_400),
        issued_at: now.plus_seconds(-20 * 86_400),
        expires_at: now.plus_seconds(345 * 86_400),
        visibility,
    }
}

/// A minimal valid PDF, so the demo's public report downloads as a real file.
const DEMO_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// The demo's practices pages, subprocessors, FAQ and disclosure scope (saving them again
/// replaces them, so this is idempotent).
async fn seed_content(trust: &TrustService) -> anyhow::Result<()> {
    let pages = [
        (
            "data-protection",
            "How we protect customer data",
            "- Every sensitive field (SSN, licence number, date of birth, PINs) is **encrypted at rest**, bound to its record, and found by blind index, never by its plain value.\n- Every read of a sensitive field is written to a tamper-evident access log with its purpose.\n- Customer PINs and passwords are hashed with Argon2id; guessing is limited without letting strangers lock customers out.\n- Records are deleted on schedule when their retention ends.",
        ),
        (
            "test-environments",
            "Test environments",
            "Test environments receive **tokenized copies**: formats are kept, real values never leave production. Credentials are never stored in test systems.",
        ),
        (
            "monitoring",
            "Scanning and monitoring",
            "We scan our own address ranges for exposed services and our file stores for secrets and personal data, so that we find them before anyone else does.",
        ),
    ];
    for (i, (slug, title, body)) in pages.into_iter().enumerate() {
        trust.put_practice_page(slug, title, body, i as i64).await?;
    }
    for (i, (name, purpose, location)) in [
        ("Cloud hosting provider", "Infrastructure", "United States"),
        (
            "E-mail delivery provider",
            "Transactional e-mail",
            "United States",
        ),
        (
            "Print and mail house",
            "Notification letters",
            "United States",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        trust
            .put_subprocessor(name, purpose, location, i as i64)
            .await?;
    }
    for (i, (q, a)) in [
        (
            "How do I get your SOC 2 Type 2 report?",
            "Open it from [Certifications](/trust), accept the non-disclosure terms and request access; you receive a personal link once approved.",
        ),
        (
            "How do I report a vulnerability?",
            "Follow our [disclosure policy](/security/policy) and use the report form.",
        ),
        (
            "How will I hear about incidents?",
            "[Subscribe](/subscribe) to incident notices, or follow the [Atom feed](/advisories/feed.atom).",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        trust.put_faq(q, a, i as i64).await?;
    }
    for (i, (asset, in_scope, notes)) in [
        (
            "www.example.com and the customer account portal",
            true,
            "Use your own test accounts only.",
        ),
        (
            "The customer apps (iOS, Android)",
            true,
            "Current store versions.",
        ),
        ("This Trust Center", true, ""),
        (
            "Retail store systems and staff",
            false,
            "Physical and social-engineering tests are not allowed.",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        trust
            .put_scope_asset(asset, in_scope, notes, i as i64)
            .await?;
    }
    Ok(())
}

/// Seeds certifications, a bounty table, the practices content and a published incident
/// notice; idempotent.
pub(crate) async fn seed_demo(trust: &TrustService) -> anyhow::Result<usize> {
    let now = trust.now();
    let seeds = [
        (
            "iso-27001",
            "ISO/IEC 27001 certificate",
            "ISO/IEC 27001:2022",
            Visibility::Public,
        ),
        (
            "soc2-type2",
            "SOC 2 Type 2 report",
            "SOC 2 Type 2",
            Visibility::Gated,
        ),
        ("soc3", "SOC 3 report", "SOC 3", Visibility::Public),
        (
            "pentest-2026",
            "External penetration test summary",
            "Penetration test",
            Visibility::Teaser,
        ),
    ];
    let mut created = 0;
    for (slug, title, std, vis) in seeds {
        match trust
            .create_attestation(&attestation(slug, title, std, vis, now))
            .await
        {
            Ok(_) => {
                trust
                    .upload_document(slug, &format!("{slug}.pdf"), "application/pdf", DEMO_PDF)
                    .await?;
                created += 1;
            }
            Err(custodian_trust::TrustError::Duplicate(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    for (sev, min, max) in [
        (Severity::Critical, 1_000_000, 2_500_000),
        (Severity::High, 250_000, 1_000_000),
        (Severity::Medium, 50_000, 250_000),
        (Severity::Low, 10_000, 50_000),
    ] {
        trust.set_bounty(sev, min, max).await?;
    }
    seed_content(trust).await?;
    let notice = NewAdvisory {
        slug: "incident-2021-cyberattack".to_owned(),
        kind: AdvisoryKind::Incident,
        title: "Notice of a cyberattack affecting customer data".to_owned(),
        summary: "An attacker reached test environments and copied customer records. We have notified the people affected and reset all active prepaid PINs.".to_owned(),
        body_md: "## What happened\n\nAn attacker found an unprotected router, reached our testing environments and used stored credentials to copy customer records.\n\n## What we are doing\n\n- Notifying every affected person by mail\n- Offering two years of identity protection\n- Resetting all active prepaid PINs\n\n## What you can do\n\nCheck whether you were affected with the lookup, and turn on port-out protection.".to_owned(),
        cvss_vector: None,
        incident_id: Some("demo-breach".to_owned()),
        lookup_url: Some("/was-i-affected".to_owned()),
    };
    match trust.create_advisory(&notice).await {
        Ok(_) => {
            trust.publish_advisory(&notice.slug).await?;
        }
        Err(custodian_trust::TrustError::Duplicate(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(created)
}

/// `trust subscribers …`.
#[derive(Debug, Subcommand)]
pub(crate) enum SubscribersCommand {
    /// Counts by state and topic, then every subscriber with their address.
    List,
}

/// `trust reports …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ReportsCommand {
    /// List reports, newest first.
    List {
        /// Only reports in this state (new, triaged, needs_more_info, retesting, resolved,
        /// informative, duplicate, not_applicable, out_of_scope, spam, disclosed).
        #[arg(long, value_parser = state)]
        state: Option<ReportState>,
    },
    /// Show a report with every comment and state change.
    Show {
        /// The report.
        id: i64,
    },
    /// Move a report to another state with a comment (mailed to the researcher).
    Move {
        /// The report.
        id: i64,
        /// The new state (triaged, needs_more_info, retesting, resolved, informative,
        /// duplicate, not_applicable, out_of_scope, spam, disclosed, new).
        #[arg(value_parser = state)]
        to: ReportState,
        /// Why; the researcher reads it.
        #[arg(long)]
        comment: String,
        /// The original report, when moving to `duplicate`.
        #[arg(long, value_name = "ID")]
        duplicate_of: Option<i64>,
    },
    /// Close reports that waited 30 days for the researcher as informative.
    CloseStale,
}

/// `trust bounty …`.
#[derive(Debug, Subcommand)]
pub(crate) enum BountyCommand {
    /// Set the award range of a severity (amounts like 2500 or 2500.50).
    Set {
        /// none, low, medium, high or critical.
        #[arg(value_parser = severity)]
        severity: Severity,
        /// The lowest award.
        #[arg(value_parser = cents)]
        min: i64,
        /// The highest award.
        #[arg(value_parser = cents)]
        max: i64,
    },
    /// Show the bounty table.
    Show,
}

/// `trust payout …`.
#[derive(Debug, Subcommand)]
pub(crate) enum PayoutCommand {
    /// Record a payout for a resolved (or disclosed) report.
    Add {
        /// The report.
        report_id: i64,
        /// The amount (like 2500 or 2500.50).
        #[arg(value_parser = cents)]
        amount: i64,
        /// A note for the ledger (a payment reference).
        #[arg(long)]
        note: String,
    },
    /// The payouts ledger.
    List,
}

/// `trust subscribers list`: addresses are personal data, shown to the operator only here.
pub(super) async fn subscribers(s: &Settings, trust: &TrustService) -> anyhow::Result<()> {
    let list = trust.subscribers().await?;
    let state = |r: &Subscriber| {
        if r.unsubscribed_at.is_some() {
            "unsubscribed"
        } else if r.confirmed_at.is_some() {
            "active"
        } else {
            "pending"
        }
    };
    let count = |st: &str| list.iter().filter(|r| state(r) == st).count();
    let (pending, active, gone) = (count("pending"), count("active"), count("unsubscribed"));
    let mut topics = serde_json::Map::new();
    for t in Topic::ALL {
        let n = list
            .iter()
            .filter(|r| r.is_active() && r.topics.split(',').any(|x| x == t.as_str()))
            .count();
        topics.insert(t.as_str().to_owned(), json!(n));
    }
    let rows: Vec<Value> = list
        .iter()
        .map(|r| {
            json!({"email": r.email, "topics": r.topics, "state": state(r),
                   "confirmed_at": r.confirmed_at.map(Timestamp::to_rfc3339),
                   "unsubscribed_at": r.unsubscribed_at.map(Timestamp::to_rfc3339)})
        })
        .collect();
    let v = json!({
        "counts": {"pending": pending, "active": active, "unsubscribed": gone},
        "active_by_topic": topics,
        "subscribers": rows,
    });
    show(s, &v, || {
        println!("{active} active, {pending} pending confirmation, {gone} unsubscribed");
        for (t, n) in &topics {
            println!("  {t}: {n} active");
        }
        for r in &list {
            println!("{:<40} {:<13} {}", r.email, state(r), r.topics);
        }
    });
    Ok(())
}

/// `trust reports …`.
pub(super) async fn reports(
    s: &Settings,
    trust: &TrustService,
    c: ReportsCommand,
) -> anyhow::Result<()> {
    match c {
        ReportsCommand::List { state } => {
            let list = trust.reports(state).await?;
            let v: Vec<Value> = list.iter().map(|r| report_json(r, &[])).collect();
            show(s, &json!(v), || {
                for r in &list {
                    println!(
                        "{:>5}  {:<15} {:<8} {}  {:<16} {}",
                        r.id,
                        r.state.as_str(),
                        r.severity.as_str(),
                        day(r.created_at),
                        r.handle,
                        r.title
                    );
                }
            });
        }
        ReportsCommand::Show { id } => {
            let (r, comments) = trust
                .report(id)
                .await
                .map_err(fail(&format!("report {id}")))?;
            show(s, &report_json(&r, &comments), || {
                print_report(&r, &comments);
            });
        }
        ReportsCommand::Move {
            id,
            to,
            comment,
            duplicate_of,
        } => {
            let r = trust
                .transition_report(id, to, &comment, duplicate_of)
                .await
                .map_err(fail(&format!("report {id}")))?;
            show(s, &report_json(&r, &[]), || {
                println!("report {id} is now {}", r.state);
            });
            warn_undelivered(s, "the researcher");
        }
        ReportsCommand::CloseStale => {
            let n = trust.close_stale_reports().await?;
            show(s, &json!({"closed": n}), || {
                println!("{n} reports closed as informative after 30 days without a reply");
            });
        }
    }
    Ok(())
}

fn print_report(r: &Report, comments: &[Comment]) {
    let score = r
        .score_tenths
        .map_or_else(String::new, |t| format!(" {}.{}", t / 10, t % 10));
    println!("report {}: {} [{}]", r.id, r.title, r.state);
    println!("  by {} on {}", r.handle, r.created_at.to_rfc3339());
    println!("  severity {}{score}", r.severity);
    if let Some(v) = &r.cvss_vector {
        println!("  cvss {v}");
    }
    if let Some(o) = r.duplicate_of {
        println!("  duplicate of report {o}");
    }
    println!("  asset: {}\n  weakness: {}", r.asset, r.weakness);
    for (name, text) in [
        ("description", &r.description),
        ("steps", &r.steps),
        ("impact", &r.impact),
    ] {
        println!("\n{name}:\n{text}");
    }
    for c in comments {
        let change = match (&c.from, &c.to) {
            (Some(f), Some(t)) => format!(" ({f} → {t})"),
            _ => String::new(),
        };
        println!("\n{} {}{change}:\n{}", c.at.to_rfc3339(), c.author, c.body);
    }
}

/// `trust bounty …`.
pub(super) async fn bounty(
    s: &Settings,
    trust: &TrustService,
    c: BountyCommand,
) -> anyhow::Result<()> {
    if let BountyCommand::Set { severity, min, max } = c {
        trust
            .set_bounty(severity, min, max)
            .await
            .map_err(fail("bounty"))?;
    }
    let table = trust.bounty_table().await?;
    let v: Vec<Value> = table.iter().map(bounty_json).collect();
    show(s, &json!(v), || {
        for b in &table {
            println!(
                "{:<9} {:>12} – {:>12}",
                b.severity.as_str(),
                money(b.min_cents),
                money(b.max_cents)
            );
        }
    });
    Ok(())
}

/// `trust payout …`.
pub(super) async fn payout(
    s: &Settings,
    trust: &TrustService,
    c: PayoutCommand,
) -> anyhow::Result<()> {
    match c {
        PayoutCommand::Add {
            report_id,
            amount,
            note,
        } => {
            trust
                .record_payout(report_id, amount, &note)
                .await
                .map_err(fail(&format!("report {report_id}")))?;
            show(
                s,
                &json!({"report_id": report_id, "amount_cents": amount, "note": note}),
                || {
                    println!(
                        "payout of {} for report {report_id} recorded",
                        money(amount)
                    );
                },
            );
        }
        PayoutCommand::List => {
            let list = trust.payouts().await?;
            let v: Vec<Value> = list.iter().map(payout_json).collect();
            show(s, &json!(v), || {
                for p in &list {
                    println!(
                        "{}  report {:>5}  {:<16} {:>12}  {}",
                        day(p.at),
                        p.report_id,
                        p.handle,
                        money(p.amount_cents),
                        p.note
                    );
                }
            });
        }
    }
    Ok(())
}

/// One of a closed set of names (for clap); `-` and `_` are the same.
pub(super) fn one_of<T: Copy + fmt::Display>(all: &[T], s: &str) -> Result<T, String> {
    let want = s.trim().to_ascii_lowercase().replace('-', "_");
    all.iter()
        .copied()
        .find(|v| v.to_string() == want)
        .ok_or_else(|| {
            let names: Vec<String> = all.iter().map(ToString::to_string).collect();
            format!("expected one of {}", names.join(", "))
        })
}

fn severity(s: &str) -> Result<Severity, String> {
    one_of(Severity::ALL, s)
}

fn state(s: &str) -> Result<ReportState, String> {
    one_of(ReportState::ALL, s)
}

/// An amount with at most two decimals (`2500`, `2500.5`, `2500.50`), in cents.
fn cents(s: &str) -> Result<i64, String> {
    custodian_trust::types::parse_amount(s)
        .ok_or_else(|| format!("`{s}` is not an amount (like 2500 or 2500.50)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_amount_is_refused_naming_it() {
        // The parsing itself is tested with `custodian_trust::types::parse_amount`.
        assert_eq!(cents("2500.5"), Ok(250_050));
        let e = cents("1,000").unwrap_err();
        assert!(e.contains("`1,000`") && e.contains("2500.50"), "{e}");
    }

    #[test]
    fn state_names_accept_either_separator_and_list_the_choices() {
        assert_eq!(state("needs-more-info"), Ok(ReportState::NeedsMoreInfo));
        assert_eq!(state("not_applicable"), Ok(ReportState::NotApplicable));
        assert!(
            severity("urgent")
                .unwrap_err()
                .starts_with("expected one of none, low")
        );
    }
}
