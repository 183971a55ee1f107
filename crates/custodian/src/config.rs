//! Configuration: defaults, then the TOML file (`--config`), then `CUSTODIAN_*` environment
//! variables, then command-line flags, merged once here into a validated [`Settings`] that the
//! rest of the binary receives. Nested keys in the environment use a double underscore:
//! `CUSTODIAN_SERVER__BIND=0.0.0.0:8443` sets `[server] bind`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use custodian_vault::AccountKind;
use custodian_vault::retention::RetentionRules;
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::Deserialize;

use crate::cli::GlobalArgs;

/// The file and environment form, every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    #[serde(default)]
    database: RawDatabase,
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    log: RawLog,
    #[serde(default)]
    vault: RawVault,
    #[serde(default)]
    scan: ScanSettings,
    #[serde(default)]
    trust: RawTrust,
    #[serde(default)]
    notify: RawNotify,
}

/// `[notify]`: how `custodian serve` sends notification campaigns. `workers` is how many
/// campaigns one serve process sends at once (0: serve does not send; `custodian notify send`
/// still can); `[notify.smtp]` is the relay notices go through (the keys of `[trust.smtp]`, plus
/// `dkim_selector`, `dkim_domain`, `dkim_key_file` for DKIM signing and `connections`);
/// `[notify.sms]` the SMS gateway (`url`, `format = "json"|"form"`, the field names `to_field`,
/// `body_field`, `from_field`, `idempotency_field`, `from`; its bearer `token`, better from
/// `CUSTODIAN_NOTIFY__SMS__TOKEN` or `CUSTODIAN_SMS_TOKEN`);
/// `letters_dir` where print files and manifests go (default DATA_DIR/letters). Without
/// `[notify.smtp]` serve sends no e-mail: e-mail notices wait, and the status says so.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotify {
    workers: Option<usize>,
    batch: Option<i64>,
    sms: Option<custodian_notify::channel::SmsConfig>,
    letters_dir: Option<PathBuf>,
    smtp: Option<RawSmtp>,
}

/// DKIM signing of notices.
#[derive(Debug, Clone)]
pub(crate) struct DkimSettings {
    pub(crate) selector: String,
    pub(crate) domain: String,
    pub(crate) key_file: PathBuf,
}

/// The notification workers' validated settings.
#[derive(Debug, Clone)]
pub(crate) struct NotifySettings {
    pub(crate) workers: usize,
    pub(crate) batch: i64,
    pub(crate) sms: Option<custodian_notify::channel::SmsConfig>,
    pub(crate) letters_dir: Option<PathBuf>,
    pub(crate) smtp: Option<custodian_trust::SmtpSettings>,
    pub(crate) dkim: Option<DkimSettings>,
    pub(crate) connections: u32,
}

impl Default for NotifySettings {
    fn default() -> Self {
        NotifySettings {
            workers: 2,
            batch: 64,
            sms: None,
            letters_dir: None,
            smtp: None,
            dkim: None,
            connections: 8,
        }
    }
}

impl RawNotify {
    fn settings(self) -> anyhow::Result<NotifySettings> {
        let d = NotifySettings::default();
        let workers = self.workers.unwrap_or(d.workers);
        if workers > 64 {
            bail!("configuration: notify.workers must be 0 to 64, not {workers}");
        }
        let batch = self.batch.unwrap_or(d.batch);
        if !(1..=10_000).contains(&batch) {
            bail!("configuration: notify.batch must be 1 to 10000, not {batch}");
        }
        let mut sms = self.sms;
        if let Some(c) = &mut sms {
            if c.token.is_none() {
                c.token = std::env::var("CUSTODIAN_SMS_TOKEN").ok();
            }
            if let Err(e) = custodian_notify::channel::Sms::new(c.clone()) {
                bail!("configuration: notify.sms.{e}");
            }
        }
        let (smtp, dkim, connections) = match self.smtp {
            None => (None, None, d.connections),
            Some(mut m) => {
                let dkim = match (
                    m.dkim_selector.take(),
                    m.dkim_domain.take(),
                    m.dkim_key_file.take(),
                ) {
                    (Some(selector), Some(domain), Some(key_file)) => Some(DkimSettings {
                        selector,
                        domain,
                        key_file,
                    }),
                    (None, None, None) => None,
                    _ => bail!(
                        "configuration: notify.smtp.dkim_selector, dkim_domain and dkim_key_file must be set together"
                    ),
                };
                let connections = m.connections.take().unwrap_or(d.connections);
                if !(1..=256).contains(&connections) {
                    bail!(
                        "configuration: notify.smtp.connections must be 1 to 256, not {connections}"
                    );
                }
                (Some(smtp_settings("notify", m)?), dkim, connections)
            }
        };
        Ok(NotifySettings {
            workers,
            batch,
            sms,
            letters_dir: self.letters_dir,
            smtp,
            dkim,
            connections,
        })
    }
}

/// Checks an `[x.smtp]` section; errors name `x.smtp.KEY`.
fn smtp_settings(section: &str, m: RawSmtp) -> anyhow::Result<custodian_trust::SmtpSettings> {
    use custodian_trust::SmtpTls;
    let (tls, default_port) = match m.security.as_deref().unwrap_or("starttls") {
        "starttls" => (SmtpTls::StartTls, 587),
        "tls" => (SmtpTls::Tls, 465),
        "none" => (SmtpTls::None, 25),
        other => bail!(
            "configuration: {section}.smtp.security must be `starttls`, `tls` or `none`, not `{other}`"
        ),
    };
    let credentials = match (m.username, m.password) {
        (Some(u), Some(p)) => Some((u, p)),
        (None, None) => None,
        _ => bail!(
            "configuration: {section}.smtp.username and {section}.smtp.password must be set together"
        ),
    };
    let ca_pem = match &m.ca_file {
        Some(path) => Some(std::fs::read_to_string(path).with_context(|| {
            format!(
                "configuration: {section}.smtp.ca_file: reading {}",
                path.display()
            )
        })?),
        None => None,
    };
    let settings = custodian_trust::SmtpSettings {
        host: m.host.trim().to_owned(),
        port: m.port.unwrap_or(default_port),
        tls,
        from: m.from,
        credentials,
        ca_pem,
    };
    if let Err(e) = settings.check() {
        bail!("configuration: {section}.{e}");
    }
    Ok(settings)
}

/// `[trust]`: the Trust Center's public address (what links in mail, feeds, `security.txt` and
/// the CSAF provider metadata point to; default: the server's own scheme and bind address), the
/// security contact it publishes, and `[trust.smtp]`, the server its mail (subscription
/// confirmations, advisories, report access links, disclosure replies) goes through. Without
/// `[trust.smtp]` mail is kept in memory and logged, never sent. Branding: `logo` (a PNG, JPEG or
/// SVG file shown in the header), `header_colour` and `accent_colour` (`#rrggbb`, each dark
/// enough for white text: WCAG AA, 4.5:1); the company name is `[server] brand`. Signing:
/// `security_txt_key` (a GnuPG key: fingerprint, key id or user id) makes security.txt an
/// OpenPGP cleartext-signed file, signed by `gpg` (or the program in `gpg`) with the secret key
/// in `gnupg_home` (default: gpg's own). `grant_days`: how long an approved request for a gated
/// document lasts (1 to 90 days, default 30).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrust {
    public_url: Option<String>,
    security_contact: Option<String>,
    logo: Option<PathBuf>,
    header_colour: Option<String>,
    accent_colour: Option<String>,
    grant_days: Option<i64>,
    security_txt_key: Option<String>,
    gnupg_home: Option<PathBuf>,
    gpg: Option<PathBuf>,
    smtp: Option<RawSmtp>,
}

/// `[trust.smtp]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    host: String,
    port: Option<u16>,
    /// `starttls` (default, port 587), `tls` (port 465) or `none` (port 25; loopback relays).
    security: Option<String>,
    from: String,
    username: Option<String>,
    password: Option<String>,
    /// Extra CA certificates (PEM file) to trust for the server, beside the public roots.
    ca_file: Option<PathBuf>,
    /// `[notify.smtp]` only: DKIM selector, signing domain and RSA key file (PKCS#1 PEM).
    dkim_selector: Option<String>,
    dkim_domain: Option<String>,
    dkim_key_file: Option<PathBuf>,
    /// `[notify.smtp]` only: pooled connections per worker.
    connections: Option<u32>,
}

/// The Trust Center's validated settings.
#[derive(Debug, Clone)]
pub(crate) struct TrustSettings {
    /// Its public base URL, without a trailing slash; `None`: the server's own address.
    pub(crate) public_url: Option<String>,
    /// The address `security.txt` and the policy name.
    pub(crate) security_contact: Option<String>,
    /// Where mail goes; `None`: kept in memory and logged.
    pub(crate) smtp: Option<custodian_trust::SmtpSettings>,
    /// The logo and colours of the pages.
    pub(crate) branding: custodian_trust::Branding,
    /// Signs security.txt when set.
    pub(crate) signer: Option<custodian_trust::securitytxt::Signer>,
    /// How long an approved document request lasts, in days (1 to 90; default 30).
    pub(crate) grant_days: i64,
}

impl RawTrust {
    fn settings(self) -> anyhow::Result<TrustSettings> {
        let public_url = match self.public_url {
            None => None,
            Some(u) => {
                let u = u.trim().trim_end_matches('/').to_owned();
                let rest = u
                    .strip_prefix("https://")
                    .or_else(|| u.strip_prefix("http://"));
                match rest {
                    Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {}
                    _ => bail!(
                        "configuration: trust.public_url must be an http(s) URL such as \
                         https://trust.example.com, not `{u}`"
                    ),
                }
                Some(u)
            }
        };
        let security_contact = match self.security_contact {
            Some(c) if !c.contains('@') || c.contains(char::is_whitespace) => {
                bail!("configuration: trust.security_contact must be an e-mail address, not `{c}`")
            }
            c => c,
        };
        let smtp = match self.smtp {
            None => None,
            Some(m) => {
                if m.dkim_selector.is_some()
                    || m.dkim_domain.is_some()
                    || m.dkim_key_file.is_some()
                    || m.connections.is_some()
                {
                    bail!(
                        "configuration: trust.smtp takes no dkim_* or connections keys (they are for notify.smtp)"
                    );
                }
                Some(smtp_settings("trust", m)?)
            }
        };
        let mut branding = custodian_trust::Branding::default();
        if let Some(c) = self.header_colour {
            branding.header_colour = c;
        }
        if let Some(c) = self.accent_colour {
            branding.accent_colour = c;
        }
        branding
            .validate()
            .map_err(|e| anyhow::anyhow!("configuration: trust.{e}"))?;
        if let Some(path) = self.logo {
            let bytes = std::fs::read(&path).with_context(|| {
                format!("configuration: trust.logo: cannot read {}", path.display())
            })?;
            let logo = custodian_trust::Logo::from_bytes(bytes).map_err(|e| match e {
                custodian_trust::TrustError::Invalid { .. } => {
                    anyhow::anyhow!("configuration: trust.{e} ({})", path.display())
                }
                other => anyhow::anyhow!("configuration: trust.logo ({}): {other}", path.display()),
            })?;
            branding.logo = Some(logo);
        }
        let signer = match (self.security_txt_key, self.gnupg_home, self.gpg) {
            (None, None, None) => None,
            (None, _, _) => bail!(
                "configuration: trust.gnupg_home and trust.gpg need trust.security_txt_key (the key that signs security.txt)"
            ),
            (Some(k), _, _) if k.trim().is_empty() || k.contains(char::is_control) => {
                bail!("configuration: trust.security_txt_key must name a GnuPG key, not `{k}`")
            }
            (Some(key), home, gpg) => Some(custodian_trust::securitytxt::Signer {
                program: gpg.unwrap_or_else(|| PathBuf::from("gpg")),
                home,
                key: key.trim().to_owned(),
            }),
        };
        let grant_days = self.grant_days.unwrap_or(30);
        if !(1..=90).contains(&grant_days) {
            bail!("configuration: trust.grant_days must be between 1 and 90, not {grant_days}");
        }
        Ok(TrustSettings {
            public_url,
            security_contact,
            smtp,
            branding,
            signer,
            grant_days,
        })
    }
}

/// `[scan]`: the network scanner's scope (CIDR blocks and host names the company owns), what
/// scheduled scans from `serve` cover (`targets`, default the whole scope), their ports and
/// probe rate, and how often they run (`schedule_minutes`; no scheduled scans when absent);
/// and `content_roots`, the directories secrets and PII scans started over the API may read
/// (none by default: the API then refuses content scans; the command line is not limited).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScanSettings {
    #[serde(default)]
    pub(crate) content_roots: Vec<PathBuf>,
    #[serde(default)]
    pub(crate) scope: Vec<String>,
    #[serde(default)]
    pub(crate) targets: Vec<String>,
    pub(crate) ports: Option<String>,
    pub(crate) rate: Option<u32>,
    pub(crate) schedule_minutes: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVault {
    policy_file: Option<PathBuf>,
    #[serde(default)]
    retention: RawRetention,
}

/// `[vault.retention]`: days each account kind is kept after its last activity; absent = forever.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    postpaid_days: Option<u32>,
    prepaid_days: Option<u32>,
    former_days: Option<u32>,
    prospective_days: Option<u32>,
}

impl RawRetention {
    fn rules(&self) -> anyhow::Result<RetentionRules> {
        let mut rules = RetentionRules::keep_forever();
        for (kind, days, key) in [
            (AccountKind::Postpaid, self.postpaid_days, "postpaid_days"),
            (AccountKind::Prepaid, self.prepaid_days, "prepaid_days"),
            (AccountKind::Former, self.former_days, "former_days"),
            (
                AccountKind::Prospective,
                self.prospective_days,
                "prospective_days",
            ),
        ] {
            if let Some(d) = days {
                rules = rules.keep_for(kind, d).map_err(|_| {
                    anyhow::anyhow!(
                        "configuration: vault.retention.{key} must be at least 1 (leave it out to keep forever)"
                    )
                })?;
            }
        }
        Ok(rules)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: Option<String>,
    max_connections: Option<u32>,
    connect_timeout_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    bind: Option<SocketAddr>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    max_body_bytes: Option<usize>,
    brand: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    format: Option<String>,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The validated settings every command receives.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) data_dir: PathBuf,
    pub(crate) database_url: Option<String>,
    pub(crate) max_connections: u32,
    pub(crate) connect_timeout: Duration,
    pub(crate) bind: SocketAddr,
    pub(crate) tls: Option<custodian_web::TlsConfig>,
    pub(crate) max_body_bytes: usize,
    pub(crate) brand: String,
    pub(crate) log_format: LogFormat,
    pub(crate) json: bool,
    pub(crate) policy_file: Option<PathBuf>,
    pub(crate) retention: RetentionRules,
    pub(crate) scan: ScanSettings,
    pub(crate) trust: TrustSettings,
    pub(crate) notify: NotifySettings,
}

impl Settings {
    /// Merges file, environment and flags, and validates the result.
    pub(crate) fn load(g: &GlobalArgs) -> anyhow::Result<Settings> {
        let mut fig = Figment::new();
        if let Some(path) = &g.config {
            if !path.is_file() {
                bail!("config file {} does not exist", path.display());
            }
            fig = fig.merge(Toml::file(path));
        }
        fig = fig.merge(
            Env::prefixed("CUSTODIAN_")
                .filter(|k| k.as_str().contains("__") || k == "data_dir" || k == "database_url")
                .split("__"),
        );
        let raw: Raw = fig
            .extract()
            .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
        Self::from_raw(raw, g)
    }

    fn from_raw(raw: Raw, g: &GlobalArgs) -> anyhow::Result<Settings> {
        let data_dir = g
            .data_dir
            .clone()
            .or(raw.data_dir)
            .unwrap_or_else(|| PathBuf::from("custodian-data"));
        let database_url = g
            .database_url
            .clone()
            .or(raw.database_url)
            .or(raw.database.url);
        let tls = match (raw.server.tls_cert, raw.server.tls_key) {
            (Some(cert), Some(key)) => {
                check_file(&cert, "server.tls_cert")?;
                check_file(&key, "server.tls_key")?;
                Some(custodian_web::TlsConfig { cert, key })
            }
            (None, None) => None,
            _ => bail!("configuration: server.tls_cert and server.tls_key must be set together"),
        };
        let max_connections = raw.database.max_connections.unwrap_or(8);
        if !(1..=1000).contains(&max_connections) {
            bail!(
                "configuration: database.max_connections must be 1 to 1000, not {max_connections}"
            );
        }
        let max_body_bytes = raw.server.max_body_bytes.unwrap_or(2 * 1024 * 1024);
        if !(1024..=1024 * 1024 * 1024).contains(&max_body_bytes) {
            bail!("configuration: server.max_body_bytes must be 1 KiB to 1 GiB");
        }
        let log_format = match raw.log.format.as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                bail!("configuration: log.format must be `text` or `json`, not `{other}`")
            }
        };
        if raw.scan.schedule_minutes == Some(0) {
            bail!(
                "configuration: scan.schedule_minutes must be at least 1 (leave it out for no schedule)"
            );
        }
        Ok(Settings {
            data_dir,
            database_url,
            max_connections,
            connect_timeout: Duration::from_secs(raw.database.connect_timeout_secs.unwrap_or(5)),
            bind: raw
                .server
                .bind
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            tls,
            max_body_bytes,
            brand: raw.server.brand.unwrap_or_else(|| "Custodian".to_owned()),
            log_format,
            json: g.json,
            retention: raw.vault.retention.rules()?,
            policy_file: raw.vault.policy_file,
            scan: raw.scan,
            trust: raw.trust.settings()?,
            notify: raw.notify.settings()?,
        }
        .with_trust_mail_fallback())
    }

    /// Without `[trust.smtp]`, the Trust Center's mail goes through the notices' relay
    /// (`[notify.smtp]`: host, security, sender and credentials; DKIM signs notices only).
    fn with_trust_mail_fallback(mut self) -> Settings {
        if self.trust.smtp.is_none() {
            self.trust.smtp = self.notify.smtp.clone();
        }
        self
    }

    /// These settings with the server's bind address replaced by `bind`, when given.
    pub(crate) fn with_bind(&self, bind: Option<SocketAddr>) -> Settings {
        let mut s = self.clone();
        if let Some(b) = bind {
            s.bind = b;
        }
        s
    }

    /// The storage configuration.
    pub(crate) fn db_config(&self) -> custodian_db::DbConfig {
        custodian_db::DbConfig {
            url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
            max_connections: self.max_connections,
            pg_schema: None,
            connect_timeout: self.connect_timeout,
        }
    }
}

fn check_file(p: &Path, key: &str) -> anyhow::Result<()> {
    std::fs::metadata(p)
        .with_context(|| format!("configuration: {key} = {}", p.display()))
        .map(|_| ())
}

#[cfg(test)]
// figment's `Jail` closures return its own (large) error type; that is its API, not our choice.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    fn globals() -> GlobalArgs {
        GlobalArgs {
            data_dir: None,
            database_url: None,
            config: None,
            json: false,
            verbose: 0,
            quiet: false,
        }
    }

    #[test]
    fn file_values_apply_and_flags_win() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "c.toml",
                "data_dir = \"/srv/c\"\n[server]\nbind = \"127.0.0.1:9999\"\nbrand = \"Acme Mobile\"\n",
            )?;
            jail.set_env("CUSTODIAN_SERVER__BRAND", "Env Mobile");
            let mut g = globals();
            g.config = Some("c.toml".into());
            let s = Settings::load(&g).map_err(|e| e.to_string())?;
            assert_eq!(s.bind.port(), 9999);
            assert_eq!(s.data_dir, PathBuf::from("/srv/c"));
            assert_eq!(s.brand, "Env Mobile", "environment beats the file");
            g.data_dir = Some("/flag".into());
            let s = Settings::load(&g).map_err(|e| e.to_string())?;
            assert_eq!(s.data_dir, PathBuf::from("/flag"), "flags beat everything");
            Ok(())
        });
    }

    #[test]
    fn bad_values_name_the_key() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("c.toml", "[server]\nbind = \"not an address\"\n")?;
            let mut g = globals();
            g.config = Some("c.toml".into());
            let e = Settings::load(&g).unwrap_err().to_string();
            assert!(e.contains("server.bind"), "{e}");
            jail.create_file("d.toml", "[servre]\nbind = \"127.0.0.1:1\"\n")?;
            g.config = Some("d.toml".into());
            let e = Settings::load(&g).unwrap_err().to_string();
            assert!(e.contains("servre"), "{e}");
            jail.create_file("e.toml", "[log]\nformat = \"xml\"\n")?;
            g.config = Some("e.toml".into());
            let e = Settings::load(&g).unwrap_err().to_string();
            assert!(e.contains("log.format"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn trust_section_sets_the_public_address_contact_and_smtp() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "c.toml",
                "[trust]\npublic_url = \"https://trust.acme.example/\"\n\
                 security_contact = \"psirt@acme.example\"\n\
                 [trust.smtp]\nhost = \"smtp.acme.example\"\nsecurity = \"tls\"\n\
                 from = \"Acme Trust <trust@acme.example>\"\nusername = \"trust\"\n",
            )?;
            jail.set_env("CUSTODIAN_TRUST__SMTP__PASSWORD", "from-the-environment");
            let mut g = globals();
            g.config = Some("c.toml".into());
            let s = Settings::load(&g).map_err(|e| e.to_string())?;
            assert_eq!(
                s.trust.public_url.as_deref(),
                Some("https://trust.acme.example")
            );
            assert_eq!(
                s.trust.security_contact.as_deref(),
                Some("psirt@acme.example")
            );
            let smtp = s.trust.smtp.unwrap();
            assert_eq!((smtp.host.as_str(), smtp.port), ("smtp.acme.example", 465));
            assert_eq!(smtp.tls, custodian_trust::SmtpTls::Tls);
            assert_eq!(
                smtp.credentials,
                Some(("trust".to_owned(), "from-the-environment".to_owned()))
            );
            Ok(())
        });
    }

    #[test]
    fn trust_branding_loads_the_logo_and_colours() {
        figment::Jail::expect_with(|jail| {
            jail.create_binary("logo.png", b"\x89PNG\r\n\x1a\nlogo")?;
            jail.create_file(
                "b.toml",
                "[trust]\nlogo = \"logo.png\"\nheader_colour = \"#222222\"\naccent_colour = \"#0b5cad\"\n",
            )?;
            let mut g = globals();
            g.config = Some("b.toml".into());
            let s = Settings::load(&g).map_err(|e| e.to_string())?;
            let b = &s.trust.branding;
            assert_eq!(b.header_colour, "#222222");
            assert_eq!(b.logo.as_ref().map(|l| l.content_type), Some("image/png"));
            assert!(
                b.stylesheet()
                    .contains("header.top { background: #222222; }")
            );
            Ok(())
        });
    }

    #[test]
    fn bad_trust_settings_name_the_key() {
        figment::Jail::expect_with(|jail| {
            // No section: no public URL of its own, mail not sent.
            let s = Settings::load(&globals()).map_err(|e| e.to_string())?;
            assert!(s.trust.public_url.is_none() && s.trust.smtp.is_none());
            let mut g = globals();
            for (body, key) in [
                (
                    "[trust]\npublic_url = \"trust.acme.example\"\n",
                    "trust.public_url",
                ),
                (
                    "[trust]\nsecurity_contact = \"nobody\"\n",
                    "trust.security_contact",
                ),
                (
                    "[trust.smtp]\nhost = \"h\"\nfrom = \"a@b.example\"\nsecurity = \"ssl\"\n",
                    "trust.smtp.security",
                ),
                (
                    "[trust.smtp]\nhost = \"h\"\nfrom = \"not an address\"\n",
                    "trust.smtp.from",
                ),
                (
                    "[trust.smtp]\nhost = \"h\"\nfrom = \"a@b.example\"\nusername = \"u\"\n",
                    "trust.smtp.username",
                ),
                ("[trust.smtp]\nhost = \"h\"\n", "from"),
                (
                    "[trust.smtp]\nhost = \"h\"\nfrom = \"a@b.example\"\nca_file = \"missing.pem\"\n",
                    "trust.smtp.ca_file",
                ),
                (
                    "[trust.smtp]\nhost = \"h\"\nfrom = \"a@b.example\"\nca_file = \"bad.toml\"\n",
                    "trust.smtp.ca_file",
                ),
                (
                    "[trust]\naccent_colour = \"#f2b705\"\n",
                    "trust.accent_colour",
                ),
                ("[trust]\nheader_colour = \"navy\"\n", "trust.header_colour"),
                ("[trust]\nlogo = \"missing.png\"\n", "trust.logo"),
                ("[trust]\nlogo = \"bad.toml\"\n", "trust.logo"),
                ("[trust]\ngnupg_home = \"/x\"\n", "trust.security_txt_key"),
                ("[trust]\ngrant_days = 365\n", "trust.grant_days"),
            ] {
                jail.create_file("bad.toml", body)?;
                g.config = Some("bad.toml".into());
                let e = Settings::load(&g).unwrap_err().to_string();
                assert!(e.contains(key), "{body}: {e}");
            }
            Ok(())
        });
    }

    #[test]
    fn notify_section_sets_workers_and_the_notice_relay() {
        figment::Jail::expect_with(|jail| {
            let s = Settings::load(&globals()).map_err(|e| e.to_string())?;
            assert_eq!(s.notify.workers, 2);
            assert!(s.notify.smtp.is_none() && s.notify.dkim.is_none());
            jail.create_file(
                "n.toml",
                "[notify]\nworkers = 4\nbatch = 128\n[notify.sms]\nurl = \"http://127.0.0.1:9/sms\"\nformat = \"form\"\nto_field = \"To\"\n\
                 [notify.smtp]\nhost = \"127.0.0.1\"\nport = 2525\nsecurity = \"none\"\n\
                 from = \"Acme <notices@acme.example>\"\nconnections = 16\n\
                 dkim_selector = \"s1\"\ndkim_domain = \"acme.example\"\ndkim_key_file = \"k.pem\"\n",
            )?;
            jail.set_env("CUSTODIAN_NOTIFY__SMTP__USERNAME", "relay");
            jail.set_env("CUSTODIAN_NOTIFY__SMTP__PASSWORD", "secret");
            let mut g = globals();
            g.config = Some("n.toml".into());
            let s = Settings::load(&g).map_err(|e| e.to_string())?;
            // The Trust Center has no relay of its own: it uses the notices' relay.
            assert_eq!(
                s.trust.smtp.as_ref().map(|m| (m.host.as_str(), m.port)),
                Some(("127.0.0.1", 2525))
            );
            assert_eq!(
                (s.notify.workers, s.notify.batch, s.notify.connections),
                (4, 128, 16)
            );
            let smtp = s.notify.smtp.unwrap();
            assert_eq!((smtp.host.as_str(), smtp.port), ("127.0.0.1", 2525));
            assert_eq!(smtp.credentials, Some(("relay".into(), "secret".into())));
            assert_eq!(s.notify.dkim.unwrap().selector, "s1");
            let sms = s.notify.sms.unwrap();
            assert_eq!(
                (sms.format, sms.to_field.as_str(), sms.body_field.as_str()),
                (custodian_notify::channel::SmsFormat::Form, "To", "body")
            );
            Ok(())
        });
    }

    #[test]
    fn bad_notify_settings_name_the_key() {
        figment::Jail::expect_with(|jail| {
            let mut g = globals();
            for (body, key) in [
                ("[notify]\nworkers = 500\n", "notify.workers"),
                ("[notify]\nbatch = 0\n", "notify.batch"),
                ("[notify.sms]\nurl = \"gateway\"\n", "notify.sms.url"),
                (
                    "[notify.sms]\nurl = \"http://g\"\nformat = \"xml\"\n",
                    "format",
                ),
                (
                    "[notify.smtp]\nhost = \"h\"\nfrom = \"a@b.example\"\nsecurity = \"ssl\"\n",
                    "notify.smtp.security",
                ),
                (
                    "[notify.smtp]\nhost = \"h\"\nfrom = \"a@b.example\"\nca_file = \"missing.pem\"\n",
                    "notify.smtp.ca_file",
                ),
                (
                    "[notify.smtp]\nhost = \"h\"\nfrom = \"a@b.example\"\ndkim_selector = \"s\"\n",
                    "dkim_key_file",
                ),
                (
                    "[trust.smtp]\nhost = \"h\"\nfrom = \"a@b.example\"\nconnections = 3\n",
                    "trust.smtp",
                ),
            ] {
                jail.create_file("bad.toml", body)?;
                g.config = Some("bad.toml".into());
                let e = Settings::load(&g).unwrap_err().to_string();
                assert!(e.contains(key), "{body}: {e}");
            }
            Ok(())
        });
    }

    #[test]
    fn bind_flag_replaces_the_configured_address() {
        let s = Settings::from_raw(Raw::default(), &globals()).unwrap();
        let b: SocketAddr = "127.0.0.1:4321".parse().unwrap();
        assert_eq!(s.with_bind(Some(b)).bind, b);
        assert_eq!(s.with_bind(None).bind, s.bind);
    }

    #[test]
    fn retention_rules_come_from_the_vault_section() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "c.toml",
                "[vault.retention]\nprospective_days = 365\nformer_days = 2555\n",
            )?;
            let mut g = globals();
            g.config = Some("c.toml".into());
            let s = Settings::load(&g).map_err(|e| e.to_string())?;
            assert_eq!(s.retention.days(AccountKind::Prospective), Some(365));
            assert_eq!(s.retention.days(AccountKind::Former), Some(2555));
            assert_eq!(s.retention.days(AccountKind::Postpaid), None);
            jail.create_file("d.toml", "[vault.retention]\nformer_days = 0\n")?;
            g.config = Some("d.toml".into());
            let e = Settings::load(&g).unwrap_err().to_string();
            assert!(e.contains("vault.retention.former_days"), "{e}");
            jail.create_file("e.toml", "[vault.retention]\nformer_years = 7\n")?;
            g.config = Some("e.toml".into());
            let e = Settings::load(&g).unwrap_err().to_string();
            assert!(e.contains("former_years"), "{e}");
            Ok(())
        });
    }

    #[test]
    fn missing_config_file_is_named() {
        let mut g = globals();
        g.config = Some("/nonexistent/custodian.toml".into());
        let e = Settings::load(&g).unwrap_err().to_string();
        assert_eq!(e, "config file /nonexistent/custodian.toml does not exist");
    }
}
