//! `custodian notify plan|list|templates|codes|check|preview|start|pause|resume|cancel|status|send`:
//! notification campaigns from the command line, acting as the operator's principal (its vault
//! reads are in the access log with the campaign in the purpose). `send` runs workers until the
//! campaign is finished, paused or cancelled; several `send` processes against one PostgreSQL
//! database share the work.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use custodian_db::OpenMode;
use custodian_notify::channel::{Channels, Email, SmsConfig};
use custodian_notify::codes::CodeKey;
use custodian_notify::model::{ChannelKind, parse_channels};
use custodian_notify::template::{TemplateKey, TemplateText};
use custodian_notify::{NewCampaign, Notify, Settings as CampaignSettings, Worker, WorkerConfig};
use custodian_vault::crypto::BlindIndexer;
use serde_json::json;

use crate::app::App;
use crate::config::Settings;

/// `custodian notify …`.
#[derive(Debug, Subcommand)]
pub(crate) enum NotifyCommand {
    /// Create a campaign from an incident's impact version and plan its audience.
    Plan {
        /// The campaign's name.
        name: String,
        /// The incident.
        #[arg(long)]
        incident: i64,
        /// The impact version (default: latest).
        #[arg(long, value_name = "N")]
        version: Option<i64>,
        /// Channel order, with fallback left to right.
        #[arg(long, default_value = "email,letter")]
        channels: String,
        /// Campaign settings (JSON: company_name, lookup_url, max_attempts, rate_per_sec, ...).
        #[arg(long, value_name = "FILE")]
        settings: Option<PathBuf>,
        /// Install the built-in English and Spanish templates for every channel.
        #[arg(long)]
        builtin_templates: bool,
    },
    /// List campaigns.
    List,
    /// Show a campaign's templates, or set one.
    Templates {
        /// The campaign.
        name: String,
        /// Set the template of this cohort (a cohort key, an account kind, or `*`).
        #[arg(long, requires_all = ["channel", "language", "file"])]
        cohort: Option<String>,
        /// Its channel.
        #[arg(long)]
        channel: Option<String>,
        /// Its language.
        #[arg(long)]
        language: Option<String>,
        /// A file: the subject on the first line, the body after.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Install the built-in templates (en, es; every channel) for `*`.
        #[arg(long, conflicts_with = "cohort")]
        builtin: bool,
    },
    /// Identity-protection codes.
    #[command(subcommand)]
    Codes(CodesCommand),
    /// Say everything that stops a campaign from starting.
    Check {
        /// The campaign.
        name: String,
    },
    /// Render one person's notice as it would be sent.
    Preview {
        /// The campaign.
        name: String,
        /// The person (external or opaque id).
        person: String,
        /// The channel (default: the first of the order).
        #[arg(long)]
        channel: Option<String>,
        /// Print the whole e-mail as it would be sent (RFC 5322 with CRLF line ends: headers,
        /// the plain-text and HTML parts, the DKIM signature when `[notify]` configures one).
        #[arg(long)]
        eml: bool,
        /// With `--eml`: the From address (default: `[notify.smtp]`'s, else `notify send`'s).
        #[arg(long, requires = "eml")]
        from: Option<String>,
    },
    /// Check, assign codes and start sending.
    Start {
        /// The campaign.
        name: String,
    },
    /// Pause a running campaign.
    Pause {
        /// The campaign.
        name: String,
        /// Why.
        #[arg(long, default_value = "paused by an operator")]
        reason: String,
    },
    /// Resume a paused campaign.
    Resume {
        /// The campaign.
        name: String,
    },
    /// Cancel a campaign.
    Cancel {
        /// The campaign.
        name: String,
        /// Why.
        #[arg(long, default_value = "cancelled by an operator")]
        reason: String,
    },
    /// Counts by state and channel, rate and time left.
    Status {
        /// The campaign.
        name: String,
        /// Refresh until the campaign stops.
        #[arg(long)]
        follow: bool,
    },
    /// Send: run workers until the campaign is finished, paused or cancelled.
    Send(Box<SendArgs>),
    /// Read a bounce mailbox: delivery status notifications (RFC 3464) in a Maildir (its
    /// `new/`, moved to `cur/` once applied) or in files; each failed notice is marked bounced,
    /// its address suppressed and the next channel queued; delivered ones are marked delivered.
    Bounces {
        /// A Maildir, a directory of messages, or one message file.
        path: PathBuf,
        /// Leave read Maildir messages in `new/` (by default they move to `cur/`, seen).
        #[arg(long)]
        keep: bool,
    },
}

/// `custodian notify codes …`.
#[derive(Debug, Subcommand)]
pub(crate) enum CodesCommand {
    /// Import the provider's CSV (code, engagement, enrol_by[, minor]).
    Import {
        /// The CSV file.
        file: PathBuf,
        /// Every code in the file is a minor's code.
        #[arg(long)]
        minor: bool,
    },
}

/// Where `send` delivers.
#[derive(Debug, Args)]
pub(crate) struct SendArgs {
    /// The campaign.
    pub(crate) name: String,
    /// SMTP relay `HOST:PORT`.
    #[arg(long, env = "CUSTODIAN_SMTP", default_value = "127.0.0.1:25")]
    pub(crate) smtp: String,
    /// `none`, `starttls` or `tls`.
    #[arg(long, env = "CUSTODIAN_SMTP_SECURITY", default_value = "none")]
    pub(crate) smtp_security: String,
    /// Extra CA certificates (PEM file) to trust for the relay, beside the public roots.
    #[arg(long, env = "CUSTODIAN_SMTP_CA_FILE", value_name = "PEM")]
    pub(crate) smtp_ca_file: Option<std::path::PathBuf>,
    /// SMTP user.
    #[arg(long, env = "CUSTODIAN_SMTP_USER")]
    pub(crate) smtp_user: Option<String>,
    /// SMTP password.
    #[arg(long, env = "CUSTODIAN_SMTP_PASSWORD", hide_env_values = true)]
    pub(crate) smtp_password: Option<String>,
    /// The From address.
    #[arg(long, default_value = SEND_FROM)]
    pub(crate) from: String,
    /// DKIM `SELECTOR:DOMAIN:KEYFILE` (RSA PKCS#1 PEM).
    #[arg(long)]
    pub(crate) dkim: Option<String>,
    /// Pooled SMTP connections.
    #[arg(long, default_value_t = 8)]
    pub(crate) connections: u32,
    /// The SMS gateway URL (JSON POST).
    #[arg(long, env = "CUSTODIAN_SMS_URL")]
    pub(crate) sms_url: Option<String>,
    /// Post SMS as a form (`to`, `body`, `idempotency_key`) instead of JSON.
    #[arg(long, requires = "sms_url")]
    pub(crate) sms_form: bool,
    /// Where letters' print files and manifests go (default: DATA_DIR/letters).
    #[arg(long)]
    pub(crate) letters_dir: Option<PathBuf>,
    /// Notices claimed at a time.
    #[arg(long, default_value_t = 64)]
    pub(crate) batch: i64,
    /// Return when nothing is due instead of waiting for retries.
    #[arg(long)]
    pub(crate) once: bool,
}

/// The notify service over the app's vault and breach engine; codes derive from root key 1.
pub(crate) fn service(app: &App, s: &Settings) -> anyhow::Result<Notify> {
    let provider = crate::keys::provider(s)?;
    let root = provider
        .root_key(1)
        .context("reading root key version 1 for campaign codes")?;
    let key = BlindIndexer::new(&root, "notify", "codes", 1).index(b"custodian-notify-codes-v1");
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(&key[..32]);
    Ok(Notify::new(
        app.vault.clone(),
        app.breach.clone(),
        app.clock.clone(),
        CodeKey::new(bytes),
    ))
}

pub(crate) async fn run(s: &Settings, c: NotifyCommand) -> anyhow::Result<()> {
    let app = App::open(s, OpenMode::Existing).await?;
    let notify = service(&app, s)?;
    let me = super::vault::operator(&app).await?;
    let ctx = super::vault::run_context();
    match c {
        NotifyCommand::Plan {
            name,
            incident,
            version,
            channels,
            settings,
            builtin_templates,
        } => {
            let cs: CampaignSettings = match settings {
                Some(p) => serde_json::from_str(
                    &std::fs::read_to_string(&p)
                        .with_context(|| format!("reading {}", p.display()))?,
                )
                .with_context(|| format!("campaign settings {}", p.display()))?,
                None => CampaignSettings::default(),
            };
            let channels = parse_channels(&channels).map_err(anyhow::Error::msg)?;
            let progress = crate::output::Progress::new("planning", 0, s.json);
            let c = notify
                .create(
                    &me,
                    &ctx,
                    &NewCampaign {
                        name: name.clone(),
                        incident,
                        impact_version: version,
                        channels,
                        settings: cs,
                    },
                    &|n| progress.set(n),
                )
                .await?;
            if builtin_templates {
                notify.install_builtin_templates(&me, &name).await?;
            }
            let st = notify.status(&me, &name).await?;
            if s.json {
                crate::output::json(&serde_json::to_value(&st)?);
            } else {
                println!(
                    "campaign {} (id {}) planned from incident {} impact v{}: {} people",
                    c.name, c.id, c.incident, c.impact_version, st.recipients
                );
                for (ch, states) in &st.by_channel {
                    println!("  {ch}: {}", states.values().sum::<u64>());
                }
            }
        }
        NotifyCommand::List => {
            let cs = notify.list(&me).await?;
            if s.json {
                crate::output::json(&serde_json::to_value(&cs)?);
            } else {
                for c in cs {
                    println!(
                        "{:>4} {:<24} {:<10} incident {} v{} {}",
                        c.id,
                        c.name,
                        c.status.as_str(),
                        c.incident,
                        c.impact_version,
                        c.reason
                    );
                }
            }
        }
        NotifyCommand::Templates {
            name,
            cohort,
            channel,
            language,
            file,
            builtin,
        } => {
            if builtin {
                notify.install_builtin_templates(&me, &name).await?;
            }
            if let (Some(cohort), Some(channel), Some(language), Some(file)) =
                (cohort, channel, language, file)
            {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?;
                let (subject, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
                let key = TemplateKey {
                    cohort,
                    channel: channel.parse().map_err(anyhow::Error::msg)?,
                    language,
                };
                notify
                    .set_template(
                        &me,
                        &name,
                        &key,
                        &TemplateText {
                            subject: subject.to_owned(),
                            body: body.to_owned(),
                        },
                    )
                    .await?;
            }
            for (k, t) in notify.templates(&me, &name).await? {
                println!("{k}: {} ({} bytes)", t.subject, t.body.len());
            }
        }
        NotifyCommand::Codes(CodesCommand::Import { file, minor }) => {
            let f = std::fs::File::open(&file)
                .with_context(|| format!("opening {}", file.display()))?;
            let codes = custodian_notify::codes::parse_csv(f, minor).map_err(anyhow::Error::msg)?;
            let (added, dup) = notify.import_codes(&me, &codes).await?;
            if s.json {
                crate::output::json(&json!({"added": added, "duplicates": dup}));
            } else {
                println!("imported {added} codes ({dup} already present)");
            }
        }
        NotifyCommand::Check { name } => {
            let problems = notify.check(&me, &ctx, &name).await?;
            if problems.is_empty() {
                println!("campaign {name} may start");
            } else {
                for p in &problems {
                    println!("- {p}");
                }
                bail!("campaign {name} cannot start ({} problems)", problems.len());
            }
        }
        NotifyCommand::Preview {
            name,
            person,
            channel,
            eml,
            from,
        } => {
            let ch = channel
                .map(|c| c.parse::<ChannelKind>())
                .transpose()
                .map_err(anyhow::Error::msg)?;
            if eml && ch.is_some_and(|c| c != ChannelKind::Email) {
                bail!("--eml previews an e-mail; leave out --channel or give --channel email");
            }
            let ch = if eml { Some(ChannelKind::Email) } else { ch };
            let (k, r, contact, idem) = notify.preview(&me, &ctx, &name, &person, ch).await?;
            if eml {
                let to = contact
                    .email
                    .with_context(|| format!("{person} has no e-mail address"))?;
                let email = preview_email(s, from)?;
                let msg = email.message(&to, &idem, &r).map_err(anyhow::Error::msg)?;
                use std::io::Write;
                std::io::stdout()
                    .write_all(&msg.formatted())
                    .context("writing the message")?;
            } else if s.json {
                crate::output::json(
                    &json!({"template": k.to_string(), "subject": r.subject, "body": r.body}),
                );
            } else {
                println!("template {k}\nsubject: {}\n\n{}", r.subject, r.body);
            }
        }
        NotifyCommand::Start { name } => {
            let c = notify.start(&me, &ctx, &name).await?;
            println!("campaign {} is {}", c.name, c.status);
        }
        NotifyCommand::Pause { name, reason } => {
            let c = notify.pause(&me, &name, &reason).await?;
            println!("campaign {} is {} ({})", c.name, c.status, c.reason);
        }
        NotifyCommand::Resume { name } => {
            let c = notify.resume(&me, &name).await?;
            println!("campaign {} is {}", c.name, c.status);
        }
        NotifyCommand::Cancel { name, reason } => {
            let c = notify.cancel(&me, &name, &reason).await?;
            println!("campaign {} is {} ({})", c.name, c.status, c.reason);
        }
        NotifyCommand::Status { name, follow } => {
            status(&notify, &me, &name, follow, s.json).await?;
        }
        NotifyCommand::Send(a) => send(s, &notify, me, ctx, &a).await?,
        NotifyCommand::Bounces { path, keep } => bounces(s, &notify, &me, &path, keep).await?,
    }
    Ok(())
}

async fn status(
    notify: &Notify,
    me: &custodian_auth::Principal,
    name: &str,
    follow: bool,
    as_json: bool,
) -> anyhow::Result<()> {
    let bar = follow.then(|| {
        let b = indicatif::ProgressBar::new(0);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} {wide_msg}")
        {
            b.set_style(style.progress_chars("=> "));
        }
        b
    });
    loop {
        let st = notify.status(me, name).await?;
        if let Some(b) = &bar {
            b.set_length(st.open + st.done);
            b.set_position(st.done);
            b.set_message(st.campaign.status.to_string());
        }
        let running = st.campaign.status == custodian_notify::CampaignStatus::Running;
        if !follow || !running {
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            if as_json {
                crate::output::json(&serde_json::to_value(&st)?);
            } else {
                let c = &st.campaign;
                println!(
                    "campaign {} ({}): {}{}",
                    c.name,
                    c.id,
                    c.status,
                    if c.reason.is_empty() {
                        String::new()
                    } else {
                        format!(" — {}", c.reason)
                    }
                );
                println!(
                    "  recipients {}, notices open {}, done {}",
                    st.recipients, st.open, st.done
                );
                for (ch, states) in &st.by_channel {
                    let parts: Vec<String> =
                        states.iter().map(|(k, v)| format!("{k} {v}")).collect();
                    println!("  {ch:<7} {}", parts.join(", "));
                }
                println!(
                    "  rate {:.1}/s over the last minute{}",
                    st.rate_per_sec,
                    st.eta_secs
                        .map(|e| format!(", about {e} s left"))
                        .unwrap_or_default()
                );
                println!(
                    "  identity-protection codes: {} assigned; {} adult and {} minor free",
                    st.codes_assigned, st.codes_free_adult, st.codes_free_minor
                );
            }
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The e-mail channel `notify preview --eml` formats with: `[notify]`'s (its From address
/// and DKIM key), or `notify send`'s defaults; `from` overrides the From address. Nothing is
/// connected.
fn preview_email(s: &Settings, from: Option<String>) -> anyhow::Result<Email> {
    use custodian_trust::{SmtpSettings, SmtpTls};
    let mut flags = s.clone();
    let smtp = flags.notify.smtp.get_or_insert_with(|| SmtpSettings {
        host: "127.0.0.1".into(),
        port: 25,
        tls: SmtpTls::None,
        from: SEND_FROM.into(),
        credentials: None,
        ca_pem: None,
    });
    if let Some(f) = from {
        smtp.from = f;
    }
    super::notify_serve::channels(&flags, "preview")?
        .email
        .context("no e-mail channel")
}

/// `notify send`'s default From address.
const SEND_FROM: &str = "Notices <notices@example.com>";

/// The channels of `notify send`: its flags as a `[notify]` section, built like serve's.
fn channels(s: &Settings, a: &SendArgs, owner: &str) -> anyhow::Result<Channels> {
    use custodian_trust::{SmtpSettings, SmtpTls};
    let (host, port) = a
        .smtp
        .rsplit_once(':')
        .context("--smtp must be HOST:PORT")?;
    let tls = match a.smtp_security.as_str() {
        "none" => SmtpTls::None,
        "starttls" => SmtpTls::StartTls,
        "tls" => SmtpTls::Tls,
        other => bail!("--smtp-security `{other}`: expected none, starttls or tls"),
    };
    let dkim = match &a.dkim {
        Some(d) => {
            let mut parts = d.splitn(3, ':');
            let (Some(sel), Some(dom), Some(file)) = (parts.next(), parts.next(), parts.next())
            else {
                bail!("--dkim must be SELECTOR:DOMAIN:KEYFILE");
            };
            Some(crate::config::DkimSettings {
                selector: sel.to_owned(),
                domain: dom.to_owned(),
                key_file: file.into(),
            })
        }
        None => None,
    };
    let credentials = match (&a.smtp_user, &a.smtp_password) {
        (Some(u), Some(p)) => Some((u.clone(), p.clone())),
        (None, None) => None,
        _ => bail!("--smtp-user and --smtp-password go together"),
    };
    let sms = a.sms_url.as_ref().map(|u| SmsConfig {
        url: u.clone(),
        token: std::env::var("CUSTODIAN_SMS_TOKEN").ok(),
        format: if a.sms_form {
            custodian_notify::channel::SmsFormat::Form
        } else {
            custodian_notify::channel::SmsFormat::Json
        },
        ..SmsConfig::default()
    });
    let mut flags = s.clone();
    flags.notify = crate::config::NotifySettings {
        smtp: Some(SmtpSettings {
            host: host.to_owned(),
            port: port.parse().context("--smtp port")?,
            tls,
            from: a.from.clone(),
            credentials,
            ca_pem: match &a.smtp_ca_file {
                Some(p) => Some(
                    std::fs::read_to_string(p)
                        .with_context(|| format!("--smtp-ca-file {}", p.display()))?,
                ),
                None => None,
            },
        }),
        dkim,
        connections: a.connections,
        sms,
        letters_dir: a.letters_dir.clone(),
        ..s.notify.clone()
    };
    super::notify_serve::channels(&flags, owner)
}

async fn send(
    s: &Settings,
    notify: &Notify,
    me: custodian_auth::Principal,
    ctx: custodian_vault::RequestContext,
    a: &SendArgs,
) -> anyhow::Result<()> {
    let cfg = WorkerConfig {
        batch: a.batch.max(1),
        stop_when_idle: a.once,
        ..WorkerConfig::default()
    };
    let owner = cfg.owner.clone();
    let w = Arc::new(Worker::new(
        notify.clone(),
        me,
        ctx,
        channels(s, a, &owner)?,
        cfg,
    ));
    let outcome = w.run(&a.name).await?;
    let st = w.stats.lock().map(|g| g.clone()).unwrap_or_default();
    if s.json {
        crate::output::json(
            &json!({"outcome": format!("{outcome:?}"), "sent": st.sent, "soft": st.soft, "hard": st.hard, "lost_claims": st.lost}),
        );
    } else {
        println!(
            "{owner}: {outcome:?}; sent {}, soft failures {}, hard failures {}, lost claims {}",
            st.sent, st.soft, st.hard, st.lost
        );
    }
    Ok(())
}

/// `notify bounces`: applies every DSN found under `path`.
async fn bounces(
    s: &Settings,
    notify: &Notify,
    me: &custodian_auth::Principal,
    path: &std::path::Path,
    keep: bool,
) -> anyhow::Result<()> {
    let maildir = path.join("new").is_dir();
    let files: Vec<PathBuf> = if path.is_file() {
        vec![path.to_owned()]
    } else {
        let dir = if maildir {
            path.join("new")
        } else {
            path.to_owned()
        };
        let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        v.sort();
        v
    };
    let (mut read, mut not_dsn) = (0u64, 0u64);
    let mut total = custodian_notify::reports::Applied::default();
    for f in &files {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        read += 1;
        match custodian_notify::reports::parse_dsn(&String::from_utf8_lossy(&bytes)) {
            None => not_dsn += 1,
            Some(reports) => {
                let a = notify.apply_reports(me, &reports).await?;
                total.delivered += a.delivered;
                total.bounced += a.bounced;
                total.fallen_back += a.fallen_back;
                total.unchanged += a.unchanged;
                total.unknown += a.unknown;
            }
        }
        if maildir && !keep {
            // Maildir: a message that has been seen moves to cur/ with the `S` flag.
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let cur = path.join("cur").join(format!("{name}:2,S"));
            std::fs::create_dir_all(path.join("cur"))?;
            std::fs::rename(f, &cur)
                .with_context(|| format!("moving {} to {}", f.display(), cur.display()))?;
        }
    }
    if s.json {
        crate::output::json(&json!({
            "messages": read, "not_reports": not_dsn, "delivered": total.delivered,
            "bounced": total.bounced, "fallen_back": total.fallen_back,
            "unchanged": total.unchanged, "unknown": total.unknown,
        }));
    } else {
        println!(
            "{read} messages ({not_dsn} not delivery reports): {} bounced ({} fell back to the next channel), {} delivered, {} already applied, {} not ours",
            total.bounced, total.fallen_back, total.delivered, total.unchanged, total.unknown
        );
    }
    Ok(())
}
