//! The campaign workers of `custodian serve`: every few seconds the supervisor looks for running
//! campaigns and runs a [`Worker`] for each (up to `[notify] workers` at once), acting as the
//! `notify-worker` service principal (role `notifier`: it reads the incident and reveals the
//! contact fields a notice is addressed with, each read with the campaign in the purpose).
//! Several serve processes (and `custodian notify send`) against one PostgreSQL share the work
//! through the outbox's leases, so nobody is sent twice; a worker stops when its campaign is
//! finished, paused or cancelled, and a campaign resumed later is picked up again.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use custodian_auth::PrincipalKind;
use custodian_notify::channel::{
    Channels, Email, EmailConfig, Letters, LettersConfig, Security, Sms,
};
use custodian_notify::{CampaignStatus, Notify, Worker, WorkerConfig};
use custodian_trust::SmtpTls;
use tokio::task::JoinHandle;

use crate::app::App;
use crate::config::Settings;

/// The principal serve's workers act as.
pub(crate) const WORKER_PRINCIPAL: &str = "notify-worker";

/// How often the supervisor looks for running campaigns.
const POLL: Duration = Duration::from_secs(3);

/// The channels a worker of this process sends on, from `[notify]`.
pub(crate) fn channels(s: &Settings, owner: &str) -> anyhow::Result<Channels> {
    let n = &s.notify;
    let email = match &n.smtp {
        None => None,
        Some(m) => {
            let dkim = match &n.dkim {
                Some(d) => {
                    let pem = std::fs::read_to_string(&d.key_file).with_context(|| {
                        format!("reading the DKIM key {}", d.key_file.display())
                    })?;
                    Some((d.selector.clone(), d.domain.clone(), pem))
                }
                None => None,
            };
            let domain = m
                .from
                .rsplit_once('@')
                .map(|(_, d)| d.trim_end_matches('>').to_owned())
                .unwrap_or_else(|| "localhost".into());
            Some(
                Email::new(&EmailConfig {
                    host: m.host.clone(),
                    port: m.port,
                    security: match m.tls {
                        SmtpTls::None => Security::None,
                        SmtpTls::Tls => Security::Tls,
                        _ => Security::Starttls,
                    },
                    ca_pem: m.ca_pem.clone(),
                    username: m.credentials.as_ref().map(|c| c.0.clone()),
                    password: m.credentials.as_ref().map(|c| c.1.clone()),
                    from: m.from.clone(),
                    message_id_domain: domain,
                    dkim,
                    connections: n.connections,
                    timeout_secs: 30,
                })
                .map_err(anyhow::Error::msg)
                .context("configuration: notify.smtp")?,
            )
        }
    };
    let sms = match &n.sms {
        Some(c) => Some(
            Sms::new(c.clone())
                .map_err(anyhow::Error::msg)
                .context("configuration: notify.sms")?,
        ),
        None => None,
    };
    let dir = n
        .letters_dir
        .clone()
        .unwrap_or_else(|| s.data_dir.join("letters"));
    Ok(Channels {
        email,
        sms,
        letters: Some(Letters::with_config(
            dir,
            owner,
            LettersConfig {
                sender: vec![s.brand.clone()],
                ..LettersConfig::default()
            },
        )),
    })
}

/// Starts the supervisor, unless `[notify] workers = 0`. Fails when the worker principal cannot
/// be set up or the channels are misconfigured.
pub(crate) async fn spawn(app: &App, s: &Settings) -> anyhow::Result<Option<JoinHandle<()>>> {
    if s.notify.workers == 0 {
        tracing::info!("[notify] workers = 0: this process sends no campaign notices");
        return Ok(None);
    }
    if s.notify.smtp.is_none() {
        tracing::warn!(
            "no [notify.smtp] configured: e-mail notices of running campaigns wait for a sender"
        );
    }
    let notify = super::notify::service(app, s)?;
    let principal = app
        .auth
        .ensure_principal(WORKER_PRINCIPAL, PrincipalKind::Service, "notifier")
        .await
        .with_context(|| format!("setting up the {WORKER_PRINCIPAL} principal"))?;
    // Checked once here so a bad DKIM key or SMS URL stops serve at start, not later.
    channels(s, "check")?;
    let s = s.clone();
    Ok(Some(tokio::spawn(async move {
        supervise(notify, principal, s).await;
    })))
}

/// After a worker fails, its campaign waits this long before another try.
const COOL_DOWN: Duration = Duration::from_secs(60);

async fn supervise(notify: Notify, principal: custodian_auth::Principal, s: Settings) {
    let mut running: HashMap<String, JoinHandle<bool>> = HashMap::new();
    let mut failed: HashMap<String, Instant> = HashMap::new();
    loop {
        let ended: Vec<String> = running
            .iter()
            .filter(|(_, h)| h.is_finished())
            .map(|(k, _)| k.clone())
            .collect();
        for k in ended {
            if let Some(h) = running.remove(&k)
                && !h.await.unwrap_or(false)
            {
                failed.insert(k, Instant::now());
            }
        }
        failed.retain(|_, t| t.elapsed() < COOL_DOWN);
        match notify.list(&principal).await {
            Ok(cs) => {
                for c in cs {
                    if c.status != CampaignStatus::Running
                        || running.contains_key(&c.name)
                        || failed.contains_key(&c.name)
                        || running.len() >= s.notify.workers
                    {
                        continue;
                    }
                    let cfg = WorkerConfig {
                        batch: s.notify.batch,
                        ..WorkerConfig::default()
                    };
                    let ch = match channels(&s, &cfg.owner) {
                        Ok(ch) => ch,
                        Err(e) => {
                            tracing::error!(error = %e, "notification channels");
                            continue;
                        }
                    };
                    let ctx = custodian_vault::RequestContext {
                        request_id: format!("{}:{}", cfg.owner, c.name),
                    };
                    let w = Arc::new(Worker::new(notify.clone(), principal.clone(), ctx, ch, cfg));
                    let name = c.name.clone();
                    tracing::info!(campaign = %name, "campaign worker started");
                    running.insert(
                        c.name,
                        tokio::spawn(async move {
                            match w.run(&name).await {
                                Ok(outcome) => {
                                    tracing::info!(campaign = %name, ?outcome, "campaign worker stopped");
                                    true
                                }
                                Err(e) => {
                                    tracing::error!(campaign = %name, error = %e, "campaign worker failed; retrying in a minute");
                                    false
                                }
                            }
                        }),
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "listing campaigns failed"),
        }
        tokio::time::sleep(POLL).await;
    }
}
