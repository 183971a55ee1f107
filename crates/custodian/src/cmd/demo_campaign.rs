//! The demo's breach and notification chapters: the synthetic carrier's systems go into the
//! data inventory, the scenario's breach becomes an incident whose impact the engine computes,
//! and a campaign built from that impact is delivered — e-mail to a loopback mail sink, letters
//! to print files — with an identity-protection code for each person. The chapter prints one
//! notice's lookup code, for the "was I affected?" page the server then shows.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use custodian_auth::Principal;
use custodian_breach::{ExposureMeta, ExposureSource, Form, IncidentId, NewIncident};
use custodian_notify::channel::{Channels, Email, EmailConfig, Letters, LettersConfig, Security};
use custodian_notify::model::ChannelKind;
use custodian_notify::{NewCampaign, Worker, WorkerConfig, WorkerOutcome};
use custodian_vault::RequestContext;

use super::demo_mail::MailSink;
use crate::app::App;
use crate::config::Settings;

/// The demo's incident, as its notices describe it.
pub(crate) struct DemoIncident {
    id: IncidentId,
    summary: String,
    when: String,
}

/// Loads the inventory, opens the scenario's incident and computes its impact.
pub(crate) async fn breach(
    app: &App,
    s: &Settings,
    me: &Principal,
    ctx: &RequestContext,
    carrier: &Path,
) -> anyhow::Result<DemoIncident> {
    let started = std::time::Instant::now();
    let specs = super::inventory::load_synth(
        app,
        s,
        me,
        ctx,
        carrier,
        custodian_breach::Existing::Replace,
    )
    .await?;
    let scenario = custodian_synth::read_scenario(carrier)?;
    let day = |d: custodian_synth::IsoDate| super::incident::parse_time(&d.to_string());
    let w = app.breach.incident_writer(me, ctx)?;
    let incident = w
        .create(&NewIncident {
            title: scenario.title.clone(),
            summary: scenario.description.clone(),
            owner: "security-response".into(),
            detected_at: Some(day(scenario.dates.detected)?),
        })
        .await?;
    let occurred_at = day(scenario.dates.exfiltration_ended)?;
    for system in &scenario.exposed_systems {
        w.expose(
            incident.id,
            &ExposureMeta {
                occurred_at,
                note: format!("readable copy taken from {system}"),
                form: Form::Clear,
            },
            &ExposureSource::Dataset {
                name: system.parse()?,
                columns: None,
            },
            &|_| {},
        )
        .await?;
    }
    let v = w.recompute_impact(incident.id).await?;
    println!(
        "4. Breach engine: {} systems in the inventory; incident {} \"{}\" ({} systems copied): \
         {} of {} people affected, in {} cohort groups ({:.1} s with the inventory load)",
        specs.len(),
        incident.id.0,
        incident.title,
        scenario.exposed_systems.len(),
        v.affected,
        v.population,
        v.groups.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(DemoIncident {
        id: incident.id,
        summary: scenario.description.clone(),
        when: format!(
            "between {} and {}",
            scenario.dates.intrusion_started, scenario.dates.exfiltration_ended
        ),
    })
}

/// Plans, starts and delivers a campaign for `incident`; returns one notice's lookup code.
pub(crate) async fn campaign(
    app: &App,
    s: &Settings,
    me: &Principal,
    ctx: &RequestContext,
    incident: &DemoIncident,
) -> anyhow::Result<Option<String>> {
    let started = std::time::Instant::now();
    let notify = super::notify::service(app, s)?;
    let name = format!("demo-notice-{}", incident.id.0);
    let base = format!("http://{}", s.bind);
    let settings = custodian_notify::Settings {
        company_name: s.brand.clone(),
        lookup_url: format!("{base}/was-i-affected"),
        verify_url: format!("{base}/verify-a-message"),
        date_of_breach: incident.when.clone(),
        incident_summary: incident.summary.clone(),
        ..custodian_notify::Settings::default()
    };
    let progress = crate::output::Progress::new("planning", 0, s.json);
    notify
        .create(
            me,
            ctx,
            &NewCampaign {
                name: name.clone(),
                incident: incident.id.0,
                impact_version: None,
                channels: vec![ChannelKind::Email, ChannelKind::Letter],
                settings,
            },
            &|n| progress.set(n),
        )
        .await?;
    progress.finish();
    notify.install_builtin_templates(me, &name).await?;

    // The identity-protection provider's code file, as it would arrive: one code per person
    // and a separate pool for minors.
    let st = notify.status(me, &name).await?;
    let codes_file = s.data_dir.join("protection-codes.csv");
    let mut csv = String::from("code,engagement,enrol_by,minor\n");
    for i in 0..st.recipients {
        csv.push_str(&format!("DEMO-A{i:08},ENG-2021-08,2027-02-28,no\n"));
        csv.push_str(&format!("DEMO-M{i:08},ENG-2021-08M,2027-02-28,yes\n"));
    }
    std::fs::write(&codes_file, csv)
        .with_context(|| format!("writing {}", codes_file.display()))?;
    let f = std::fs::File::open(&codes_file)?;
    let codes = custodian_notify::codes::parse_csv(f, false).map_err(anyhow::Error::msg)?;
    notify.import_codes(me, &codes).await?;

    let problems = notify.check(me, ctx, &name).await?;
    if !problems.is_empty() {
        bail!(
            "the demo campaign cannot start:\n  - {}",
            problems.join("\n  - ")
        );
    }
    notify.start(me, ctx, &name).await?;

    let sink = MailSink::start(&s.data_dir.join("demo-mailbox")).await?;
    let cfg = WorkerConfig {
        batch: 256,
        stop_when_idle: true,
        ..WorkerConfig::default()
    };
    let letters = s.data_dir.join("letters");
    let channels = Channels {
        email: Some(
            Email::new(&EmailConfig {
                host: "127.0.0.1".into(),
                port: sink.port,
                security: Security::None,
                ca_pem: None,
                username: None,
                password: None,
                from: format!("{} <notices@example.com>", s.brand),
                message_id_domain: "example.com".into(),
                dkim: None,
                connections: 8,
                timeout_secs: 30,
            })
            .map_err(anyhow::Error::msg)?,
        ),
        sms: None,
        letters: Some(Letters::with_config(
            letters.clone(),
            &cfg.owner,
            LettersConfig {
                sender: vec![s.brand.clone()],
                ..LettersConfig::default()
            },
        )),
    };
    let worker = Arc::new(Worker::new(
        notify.clone(),
        me.clone(),
        ctx.clone(),
        channels,
        cfg,
    ));
    let progress = crate::output::Progress::new("sending", st.recipients, s.json);
    let run = {
        let w = worker.clone();
        let name = name.clone();
        tokio::spawn(async move { w.run(&name).await })
    };
    while !run.is_finished() {
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        if let Ok(st) = notify.status(me, &name).await {
            progress.set(st.done);
        }
    }
    progress.finish();
    let outcome = run.await.context("the demo campaign worker")??;
    let st = notify.status(me, &name).await?;
    let count = |ch: &str, state: &str| {
        st.by_channel
            .get(ch)
            .and_then(|m| m.get(state))
            .copied()
            .unwrap_or(0)
    };
    println!(
        "5. Notification campaign {name}: {} people; {} e-mails delivered to the loopback mail \
         sink ({}), {} letters in {}, {} with no usable address; {} identity-protection codes \
         assigned; status {} ({:.1} s){}",
        st.recipients,
        sink.received(),
        sink.dir.display(),
        count("letter", "sent"),
        letters.display(),
        st.by_state.get("bounced").copied().unwrap_or(0),
        st.codes_assigned,
        st.campaign.status,
        started.elapsed().as_secs_f64(),
        if outcome == WorkerOutcome::Finished {
            String::new()
        } else {
            format!(" — stopped: {outcome:?}")
        }
    );
    Ok(sink.first_message().and_then(|m| lookup_code(&m)))
}

/// The lookup code in a notice (`… enter your code XXXX-XXXX-…`), quoted-printable soft line
/// breaks undone.
fn lookup_code(message: &str) -> Option<String> {
    let text = message.replace("=\r\n", "").replace("=\n", "");
    let at = text.find("enter your code ")? + "enter your code ".len();
    let code: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    (code.len() >= 8).then_some(code)
}
