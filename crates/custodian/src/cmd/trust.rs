//! The Trust Center in the binary: opening its service from the settings, and the demo's chapter
//! (seeded certifications and a published incident notice for the synthetic breach).

use std::sync::Arc;

use anyhow::Context;
use custodian_db::{Clock, Database, Timestamp};
use custodian_trust::{
    AdvisoryKind, Mailer, NewAdvisory, NewAttestation, RecordingMailer, Severity, SmtpMailer,
    TrustConfig, TrustService, Visibility,
};

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
