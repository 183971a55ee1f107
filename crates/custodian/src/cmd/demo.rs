//! `custodian demo`: the whole story on a synthetic carrier, then the server. Each later part of
//! the product adds its chapter here; the demo prints what it did and where to look.

use custodian_db::OpenMode;
use secrecy::ExposeSecret;

use super::demo_mail::MailSink;
use crate::app::App;
use crate::cli::DemoArgs;
use crate::config::Settings;
use crate::output::Progress;

pub(crate) async fn run(s: &Settings, a: DemoArgs) -> anyhow::Result<()> {
    let mut s = s.with_bind(a.bind);
    // Without a relay of its own, the demo's Trust Center mails (subscription confirmations,
    // advisories, access links) go to a mail sink on loopback, kept until the demo stops.
    let trust_sink = match s.trust.smtp {
        Some(_) => None,
        None => {
            let sink = MailSink::start(&s.data_dir.join("trust-mailbox")).await?;
            s.trust.smtp = Some(custodian_trust::SmtpSettings {
                host: "127.0.0.1".to_owned(),
                port: sink.port,
                tls: custodian_trust::SmtpTls::None,
                from: format!("{} Trust Center <trust@example.com>", s.brand),
                credentials: None,
                ca_pem: None,
            });
            Some(sink)
        }
    };
    let s = &s;
    let app = App::open(s, OpenMode::Create).await?;
    println!(
        "Custodian demo — data in {} ({})",
        s.data_dir.display(),
        app.db.backend().as_str()
    );

    let carrier_dir = s.data_dir.join("carrier");
    let cfg = custodian_synth::CarrierConfig {
        people: a.people,
        seed: a.seed,
        ..Default::default()
    };
    let progress = Progress::new("synth", a.people, s.json);
    let summary = custodian_synth::write_carrier(&cfg, &carrier_dir, &|n| progress.set(n))?;
    progress.finish();
    println!(
        "1. Synthetic carrier: {} people, {} systems, written to {}",
        summary.people,
        summary.systems.len(),
        carrier_dir.display()
    );
    for sys in &summary.systems {
        println!("     {:<22} {:>8} rows", sys.name, sys.rows);
    }

    let me = super::vault::operator(&app).await?;
    let ctx = custodian_vault::RequestContext {
        request_id: "demo".into(),
    };
    let people = carrier_dir.join("people.csv");
    let total = summary.people;
    let progress = Progress::new("vault import", total, s.json);
    let opts = custodian_vault::import::ImportOptions {
        format: custodian_vault::import::Format::Csv,
        batch_size: 2000,
        rejects: None,
        today: app.clock.now().to_datetime().date(),
    };
    let started = std::time::Instant::now();
    let report =
        custodian_vault::import::import_file(&app.vault.writer(&me, &ctx)?, &people, &opts, &|n| {
            progress.set(n);
        })
        .await?;
    progress.finish();
    println!(
        "2. Vault: imported {} people in {:.1} s ({} new, {} updated, {} unchanged, {} rejected); \
         every sensitive field encrypted under its person's own key",
        report.lines,
        started.elapsed().as_secs_f64(),
        report.created,
        report.updated,
        report.unchanged,
        report.rejected
    );

    let password = super::admin::generate_password();
    let enrol = super::admin::create(&app, "demo-admin", &password).await?;
    let key = app
        .auth
        .create_api_key("demo-analyst", "analyst", "demo", Some(7 * 86_400))
        .await?;
    println!("3. Credentials (demo only; shown once):");
    println!("     admin console user  demo-admin");
    println!("     password            {}", password.expose_secret());
    println!(
        "     TOTP secret         {}",
        enrol.totp_secret_base32.expose_secret()
    );
    println!("     analyst API key     {}", key.secret.expose_secret());

    super::scan_demo::run(&app, s).await?;
    let seeded = super::trust::seed_demo(&app.trust).await?;
    println!(
        "   Trust Center: {seeded} items seeded (certifications, practices, bounty table, incident notice) at /"
    );
    if let Some(sink) = &trust_sink {
        println!(
            "   Trust Center mail (subscriptions, advisories, access links) goes to {}",
            sink.dir.display()
        );
    }

    let incident = super::demo_campaign::breach(&app, s, &me, &ctx, &carrier_dir).await?;
    let code = super::demo_campaign::campaign(&app, s, &me, &ctx, &incident).await?;

    if a.no_serve {
        println!(
            "Done. Serve it with: custodian serve --data-dir {}",
            s.data_dir.display()
        );
        return Ok(());
    }
    let bind = s.bind;
    println!("6. Serving. Look at:");
    println!(
        "     http://{bind}/                 Trust Center (subscribe, certifications, the notice)"
    );
    println!("     http://{bind}/admin            admin console (Trust Center at /admin/trust)");
    println!("     http://{bind}/v1/openapi.json  API document");
    println!("     http://{bind}/readyz           readiness");
    println!(
        "     http://{bind}/was-i-affected   \"was I affected?\"{}",
        code.as_ref()
            .map(|c| format!(" (try the code {c} from the first notice)"))
            .unwrap_or_default()
    );
    println!("     http://{bind}/verify-a-message \"is this message really from us?\"");
    println!("     http://{bind}/admin/campaigns  the campaign's progress");
    println!("   Stop with Ctrl-C.");
    super::serve::serve(&app, s, bind).await
}
