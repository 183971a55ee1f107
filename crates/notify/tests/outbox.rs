//! The outbox state machine on both backends: nothing is sent before the start; soft failures
//! retry with backoff up to the maximum attempts, then fall back to a letter; an expired lease
//! is claimed again; pause stops claiming and resume continues from each notice's state; cancel
//! closes open notices; a campaign is finished only when nothing is open; the code pool must
//! cover the audience; a template missing a required element is refused by name.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use custodian_db::testing::TestDb;
use custodian_db::{ManualClock, Timestamp};
use custodian_notify::channel::{Channels, Letters};
use custodian_notify::model::ChannelKind;
use custodian_notify::template::{TemplateKey, TemplateText};
use custodian_notify::{
    CampaignStatus, NotifyError, Settings, Worker, WorkerConfig, WorkerOutcome,
};

use common::{admin, campaign, env, incident, people};

const NOW: i64 = 1_755_691_200_000_000;

fn settings() -> Settings {
    Settings {
        lease_secs: 30,
        backoff_base_secs: 10,
        max_attempts: 3,
        error_window: 100_000,
        ..Settings::default()
    }
}

fn letters_only(dir: &std::path::Path, owner: &str) -> Channels {
    Channels {
        email: None,
        sms: None,
        letters: Some(Letters::new(dir.to_owned(), owner)),
    }
}

async fn retries_back_off_then_fall_back_and_finish(t: &TestDb) {
    let clock = ManualClock::new(Timestamp(NOW));
    let env = env(t, Arc::new(clock.clone())).await;
    let dir = tempfile::tempdir().unwrap();
    let ps = people(30);
    let inc = incident(&env, dir.path(), &ps).await;
    let name = campaign(&env, inc, "c1", settings()).await;
    let p = admin();
    let cfg = |o: &str| WorkerConfig {
        owner: o.into(),
        batch: 8,
        stop_when_idle: true,
    };

    // A draft sends nothing.
    let w = Worker::new(
        env.notify.clone(),
        p.clone(),
        env.ctx.clone(),
        letters_only(dir.path(), "w1"),
        cfg("w1"),
    );
    assert!(w.run(&name).await.is_err());
    assert_eq!(env.notify.claim_only(&name, "x", 100).await.unwrap(), 0);

    env.notify.start(&p, &env.ctx, &name).await.unwrap();
    let st = env.notify.status(&p, &name).await.unwrap();
    assert_eq!(st.recipients, 30);
    assert_eq!(st.codes_assigned, 30);
    let letters_planned = ps.iter().filter(|x| x.email.is_empty()).count() as u64;
    assert_eq!(st.by_channel["letter"]["queued"], letters_planned);

    // No e-mail channel on this worker: e-mails soft-fail, letters go out.
    assert_eq!(w.run(&name).await.unwrap(), WorkerOutcome::Idle);
    let st = env.notify.status(&p, &name).await.unwrap();
    assert_eq!(st.by_state["soft_failed"], 30 - letters_planned);
    assert_eq!(st.by_state["sent"], letters_planned);
    assert_eq!(
        st.campaign.status,
        CampaignStatus::Running,
        "open notices keep it running"
    );

    // Not yet due: nothing is claimed until the backoff passes (10 s, then 20 s).
    assert_eq!(env.notify.claim_only(&name, "x", 100).await.unwrap(), 0);
    clock.advance(11);
    assert_eq!(w.run(&name).await.unwrap(), WorkerOutcome::Idle);
    clock.advance(11);
    assert_eq!(
        env.notify.claim_only(&name, "x", 100).await.unwrap(),
        0,
        "second retry waits 20 s"
    );
    clock.advance(10);
    // Third attempt: attempts exhausted, the e-mails fall back to letters, which go out, and the
    // campaign finishes.
    assert_eq!(w.run(&name).await.unwrap(), WorkerOutcome::Finished);
    let st = env.notify.status(&p, &name).await.unwrap();
    assert_eq!(st.campaign.status, CampaignStatus::Finished);
    assert_eq!(st.open, 0);
    assert_eq!(st.by_channel["email"]["fallen_back"], 30 - letters_planned);
    assert_eq!(st.by_channel["letter"]["sent"], 30);
    // One letter per person, one manifest line each; the worker printed the last batch when
    // the campaign finished.
    let manifest = std::fs::read_to_string(dir.path().join("manifest-c1-w1.csv")).unwrap();
    assert_eq!(manifest.lines().count(), 31);
    // Each worker run closes its letters into a print file: one per run that wrote letters.
    let mut prints: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("print-c1-w1-")
        })
        .collect();
    prints.sort();
    assert!(prints.len() >= 2, "{prints:?}");
    let print: String = prints
        .iter()
        .map(|p| common::pdf::all_text(&common::pdf::parse(&std::fs::read(p).unwrap())))
        .collect();
    assert_eq!(print.matches("Page 1 of").count(), 30);
    for person in &ps {
        assert!(!print.contains(&person.ssn), "a letter contains a full SSN");
    }
    assert!(
        print.contains("To the parent or guardian of"),
        "minors' letters go to a guardian"
    );
    assert!(print.contains("MINOR0000"), "minors get minor codes");
}

async fn leases_pause_resume_cancel(t: &TestDb) {
    let clock = ManualClock::new(Timestamp(NOW));
    let env = env(t, Arc::new(clock.clone())).await;
    let dir = tempfile::tempdir().unwrap();
    let ps: Vec<_> = people(12)
        .into_iter()
        .map(|mut x| {
            x.email.clear();
            x
        })
        .collect();
    let inc = incident(&env, dir.path(), &ps).await;
    let name = campaign(&env, inc, "c2", settings()).await;
    let p = admin();
    env.notify.start(&p, &env.ctx, &name).await.unwrap();

    // A worker claims 5 and dies. Its claims hold until the lease ends.
    assert_eq!(env.notify.claim_only(&name, "dead", 5).await.unwrap(), 5);
    let w = Worker::new(
        env.notify.clone(),
        p.clone(),
        env.ctx.clone(),
        letters_only(dir.path(), "w2"),
        WorkerConfig {
            owner: "w2".into(),
            batch: 100,
            stop_when_idle: true,
        },
    );
    assert_eq!(w.run(&name).await.unwrap(), WorkerOutcome::Idle);
    let st = env.notify.status(&p, &name).await.unwrap();
    assert_eq!(st.by_state["claimed"], 5);
    assert_eq!(st.by_state["sent"], 7);
    assert_eq!(
        st.campaign.status,
        CampaignStatus::Running,
        "claimed notices are open"
    );

    // Pause: nothing is claimed, even after the lease ends; the worker stops and says why.
    env.notify.pause(&p, &name, "legal review").await.unwrap();
    clock.advance(31);
    assert_eq!(env.notify.claim_only(&name, "x", 100).await.unwrap(), 0);
    assert_eq!(
        w.run(&name).await.unwrap(),
        WorkerOutcome::Paused("legal review".into())
    );

    // Resume: the expired claims are taken again and the campaign finishes.
    env.notify.resume(&p, &name).await.unwrap();
    assert_eq!(w.run(&name).await.unwrap(), WorkerOutcome::Finished);
    let st = env.notify.status(&p, &name).await.unwrap();
    assert_eq!(st.by_state["sent"], 12);
    assert_eq!(st.open, 0);

    // Cancel another campaign: its open notices close and it never runs.
    let name3 = campaign(&env, inc, "c3", settings()).await;
    env.notify.start(&p, &env.ctx, &name3).await.unwrap();
    env.notify.cancel(&p, &name3, "duplicate").await.unwrap();
    let st = env.notify.status(&p, &name3).await.unwrap();
    assert_eq!(st.campaign.status, CampaignStatus::Cancelled);
    assert_eq!(st.by_state["cancelled"], 12);
    assert_eq!(w.run(&name3).await.unwrap(), WorkerOutcome::Cancelled);
    assert!(env.notify.resume(&p, &name3).await.is_err());
}

async fn templates_and_pool_are_checked_before_start(t: &TestDb) {
    let clock = ManualClock::new(Timestamp(NOW));
    let env = env(t, Arc::new(clock.clone())).await;
    let dir = tempfile::tempdir().unwrap();
    let ps = people(10);
    let inc = incident(&env, dir.path(), &ps).await;
    let p = admin();
    let name = "c4";
    env.notify
        .create(
            &p,
            &env.ctx,
            &custodian_notify::NewCampaign {
                name: name.into(),
                incident: inc,
                impact_version: None,
                channels: vec![ChannelKind::Email, ChannelKind::Letter],
                settings: settings(),
            },
            &|_| {},
        )
        .await
        .unwrap();
    // No templates, no codes: each missing piece is named.
    let err = env
        .notify
        .start(&p, &env.ctx, name)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no template for cohort postpaid:"), "{err}");
    assert!(err.contains("free adult codes"), "{err}");

    // A letter template without the FTC contact block (the shipped rules require it for some
    // of these states) is refused, naming the element and the jurisdictions.
    let mut letter = custodian_notify::template::builtin(ChannelKind::Letter, "en");
    let start = letter.body.find("{% block ftc_contact %}").unwrap();
    let end = start + letter.body[start..].find("{% endblock %}").unwrap() + "{% endblock %}".len();
    letter.body.replace_range(start..end, "");
    letter.body.push_str("{{ person.middle_name }}");
    for (ch, t) in [
        (
            ChannelKind::Email,
            custodian_notify::template::builtin(ChannelKind::Email, "en"),
        ),
        (ChannelKind::Letter, letter),
    ] {
        env.notify
            .set_template(
                &p,
                name,
                &TemplateKey {
                    cohort: "*".into(),
                    channel: ch,
                    language: "en".into(),
                },
                &t,
            )
            .await
            .unwrap();
    }
    env.notify
        .import_codes(&p, &common::codes(3, 3))
        .await
        .unwrap();
    let err = env.notify.start(&p, &env.ctx, name).await.unwrap_err();
    let NotifyError::NotReady(problems) = &err else {
        panic!("{err}")
    };
    let text = problems.join("\n");
    let required = env
        .notify
        .required_content(&p, &env.ctx, &env.notify.campaign(&p, name).await.unwrap())
        .await
        .unwrap();
    if required.iter().any(|(c, _)| c.as_str() == "ftc_contact") {
        assert!(
            text.contains("missing required content `ftc_contact`"),
            "{text}"
        );
    }
    assert!(
        text.contains("placeholder `person.middle_name` does not resolve"),
        "{text}"
    );
    assert!(text.contains("free adult codes for"), "{text}");
    assert!(
        !text.contains("*/email/en: missing"),
        "the e-mail template is complete: {text}"
    );
    assert_eq!(
        env.notify.campaign(&p, name).await.unwrap().status,
        CampaignStatus::Draft
    );

    // Fixed: it starts.
    env.notify
        .set_template(
            &p,
            name,
            &TemplateKey {
                cohort: "*".into(),
                channel: ChannelKind::Letter,
                language: "en".into(),
            },
            &custodian_notify::template::builtin(ChannelKind::Letter, "en"),
        )
        .await
        .unwrap();
    env.notify
        .import_codes(&p, &common::codes(20, 20))
        .await
        .unwrap();
    env.notify.start(&p, &env.ctx, name).await.unwrap();
    let _ = TemplateText {
        subject: String::new(),
        body: String::new(),
    };
}

/// A role that sees contact fields only masked can neither plan nor send: planning is refused
/// by name and leaves no half-planned campaign behind (the name is free again), and a worker
/// acting as such a role stops at its first notice without sending it.
async fn masked_contact_data_is_refused_and_nothing_is_left_half_planned(t: &TestDb) {
    let clock = ManualClock::new(Timestamp(NOW));
    let env = env(t, Arc::new(clock.clone())).await;
    let dir = tempfile::tempdir().unwrap();
    let ps = people(6);
    let inc = incident(&env, dir.path(), &ps).await;
    let masked = custodian_auth::Principal {
        name: "integration".into(),
        role: custodian_auth::Role::from_stored(
            "service",
            "notify.read notify.write incidents.read people.read",
        ),
        ..admin()
    };
    let new = custodian_notify::NewCampaign {
        name: "c5".into(),
        incident: inc,
        impact_version: None,
        channels: vec![ChannelKind::Email, ChannelKind::Letter],
        settings: settings(),
    };
    let err = env
        .notify
        .create(&masked, &env.ctx, &new, &|_| {})
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, NotifyError::Auth(_) | NotifyError::Vault(_)) && msg.contains("email"),
        "{msg}"
    );
    assert!(
        env.notify.list(&admin()).await.unwrap().is_empty(),
        "no draft left behind"
    );

    let name = campaign(&env, inc, "c5", settings()).await;
    env.notify.start(&admin(), &env.ctx, &name).await.unwrap();
    let w = Worker::new(
        env.notify.clone(),
        masked,
        env.ctx.clone(),
        letters_only(dir.path(), "w5"),
        WorkerConfig {
            owner: "w5".into(),
            batch: 4,
            stop_when_idle: true,
        },
    );
    let stopped = w.run(&name).await;
    assert!(
        matches!(stopped, Err(NotifyError::Auth(_) | NotifyError::Vault(_))),
        "{stopped:?}"
    );
    let st = env.notify.status(&admin(), &name).await.unwrap();
    assert_eq!(
        st.by_state.get("sent").copied().unwrap_or(0),
        0,
        "{:?}",
        st.by_state
    );
}

/// Past the error-rate threshold the worker pauses the campaign and says why: here every e-mail
/// meets a closed port (a soft failure each), and after ten outcomes the campaign is paused with
/// the rate and the last error in its reason; resuming is up to an operator.
async fn the_campaign_pauses_itself_past_the_error_rate(t: &TestDb) {
    let clock = ManualClock::new(Timestamp(NOW));
    let env = env(t, Arc::new(clock.clone())).await;
    let dir = tempfile::tempdir().unwrap();
    let ps = people(30);
    let inc = incident(&env, dir.path(), &ps).await;
    let p = admin();
    let settings = Settings {
        error_window: 10,
        error_rate_pause: 0.5,
        ..settings()
    };
    let name = campaign(&env, inc, "c6", settings).await;
    env.notify.start(&p, &env.ctx, &name).await.unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let w = Worker::new(
        env.notify.clone(),
        p.clone(),
        env.ctx.clone(),
        Channels {
            email: Some(
                custodian_notify::channel::Email::new(&common::email_config(port)).unwrap(),
            ),
            sms: None,
            letters: Some(Letters::new(dir.path().to_owned(), "w6")),
        },
        WorkerConfig {
            owner: "w6".into(),
            batch: 10,
            stop_when_idle: true,
        },
    );
    let WorkerOutcome::Paused(reason) = w.run(&name).await.unwrap() else {
        panic!("the worker should have paused the campaign");
    };
    assert!(
        reason.starts_with("error rate ") && reason.contains("SMTP"),
        "{reason}"
    );
    let c = env.notify.campaign(&p, &name).await.unwrap();
    assert_eq!(c.status, CampaignStatus::Paused);
    assert_eq!(c.reason, reason);
}

custodian_db::backend_tests!(
    the_campaign_pauses_itself_past_the_error_rate,
    retries_back_off_then_fall_back_and_finish,
    leases_pause_resume_cancel,
    templates_and_pool_are_checked_before_start,
    masked_contact_data_is_refused_and_nothing_is_left_half_planned
);
