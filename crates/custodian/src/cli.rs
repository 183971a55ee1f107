//! The command line, parsed by clap into types: global flags shared by every command and one
//! variant per subcommand. Parsing is all this module does; `main` merges it with the
//! configuration file and environment and dispatches.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Custodian keeps consumers' personal data safe and answers a breach well.
#[derive(Debug, Parser)]
#[command(name = "custodian", version, about, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Data directory: the SQLite database, the key file, exports.
    #[arg(long, global = true, env = "CUSTODIAN_DATA_DIR", value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Database URL (`postgres://…`); SQLite in the data directory when absent.
    #[arg(
        long,
        global = true,
        env = "CUSTODIAN_DATABASE_URL",
        value_name = "URL"
    )]
    pub(crate) database_url: Option<String>,
    /// Configuration file (TOML).
    #[arg(long, global = true, env = "CUSTODIAN_CONFIG", value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// More detail (repeat for more); errors show their causes.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// Only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the whole story on a synthetic carrier, then serve it.
    Demo(DemoArgs),
    /// Serve the API, the Trust Center and the admin console.
    Serve(ServeArgs),
    /// Generate a synthetic carrier: people, its systems and a breach scenario.
    Synth(SynthArgs),
    /// Manage API keys (principals and roles).
    #[command(subcommand)]
    ApiKey(ApiKeyCommand),
    /// Manage admin console users.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The vault: import, read, find and shred people.
    #[command(subcommand)]
    Vault(VaultCommand),
    /// Root keys: rotate them, and see which version wraps how many people.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The access log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The data inventory: which system holds which elements for whom.
    #[command(subcommand)]
    Inventory(crate::cmd::inventory::InventoryCommand),
    /// Incidents: exposures, impact, cohorts, obligations and the report.
    #[command(subcommand)]
    Incident(crate::cmd::incident::IncidentCommand),
    /// The guard: forced resets, hash imports, events, the port-out protection report.
    #[command(subcommand)]
    Guard(crate::cmd::guard::GuardCommand),
    /// Scanners: stored secrets, personal data in files, exposed network services.
    #[command(subcommand)]
    Scan(crate::cmd::scan::ScanCommand),
    /// Notification campaigns: plan, templates, codes, start, status, send.
    #[command(subcommand)]
    Notify(crate::cmd::notify::NotifyCommand),
    /// The Trust Center: attestations and access requests, advisories, practices pages,
    /// subprocessors, FAQ and scope, subscribers, and the disclosure programme (reports, bounty
    /// table, payouts).
    #[command(subcommand)]
    Trust(crate::cmd::trust_cli::TrustCommand),
    /// Measure (see BENCHMARKS.md).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Apply database migrations and exit.
    Migrate,
}

#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Import a synthetic carrier encrypted vs. unencrypted (and pgcrypto on PostgreSQL), then
    /// time lookups. Uses the configured database: run it on an empty data directory.
    Vault {
        /// People to import.
        #[arg(long, default_value_t = 100_000)]
        people: u64,
        /// People for the pgcrypto reference (it is slow; its rate is compared).
        #[arg(long, default_value_t = 20_000)]
        pgcrypto_people: u64,
        /// Lookups to time.
        #[arg(long, default_value_t = 2_000)]
        lookups: usize,
    },
    /// Fixed-rate `GET /v1/people/{id}` against a running server on loopback.
    Http {
        /// The server, `http://127.0.0.1:PORT`.
        #[arg(long)]
        url: String,
        /// An API key allowed `people.read`.
        #[arg(long, env = "CUSTODIAN_BENCH_KEY")]
        key: String,
        /// A file of person ids (external or opaque), one per line.
        #[arg(long)]
        ids: PathBuf,
        /// Requests per second.
        #[arg(long, default_value_t = 1000)]
        rate: u32,
        /// Seconds to run.
        #[arg(long, default_value_t = 10)]
        seconds: u32,
        /// Connections.
        #[arg(long, default_value_t = 16)]
        connections: usize,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum VaultCommand {
    /// Import canonical records (CSV with header, or NDJSON); resumable and idempotent.
    Import {
        /// The file.
        file: PathBuf,
        /// Write rejected rows' line, field and reason (never values) to this CSV.
        #[arg(long, value_name = "FILE")]
        rejects: Option<PathBuf>,
        /// Records per transaction.
        #[arg(long, default_value_t = 2000)]
        batch_size: usize,
        /// `csv` or `ndjson` (default: from the file name).
        #[arg(long)]
        format: Option<String>,
    },
    /// Show a person, masked; `--reveal FIELD` shows a field in full.
    Get {
        /// External id or opaque id.
        id: String,
        /// Why you need it (recorded in the access log).
        #[arg(long)]
        purpose: String,
        /// Fields to reveal (repeatable).
        #[arg(long, value_name = "FIELD")]
        reveal: Vec<String>,
    },
    /// Find people by an exact identifier (blind index; nothing is decrypted).
    Find(FindArgs),
    /// Crypto-shred a person: destroy their data key and sealed fields.
    Shred {
        /// External id or opaque id.
        id: String,
        /// Why (recorded in the access log).
        #[arg(long)]
        purpose: String,
    },
    /// Write a copy for test environments: canonical CSV with every sensitive value replaced by
    /// a format-preserving token (shredded people are left out).
    Export {
        /// The output file (written whole, then renamed into place).
        #[arg(long, value_name = "OUT")]
        tokenized: PathBuf,
        /// Derive the token key from the root key under this name, so every export with the same
        /// name gives the same tokens (linkable across exports; invertible by whoever holds the
        /// root key). Default: a fresh random key per export.
        #[arg(long, value_name = "NAME")]
        key_name: Option<String>,
        /// Keep the real external ids instead of tokenizing them.
        #[arg(long)]
        keep_external_ids: bool,
        /// People per page (one decryption batch and one access-log entry each).
        #[arg(long, default_value_t = 2000)]
        page_size: usize,
        /// Why (recorded in the access log).
        #[arg(long, default_value = "tokenized export for a test environment")]
        purpose: String,
    },
    /// Retention rules (`[vault.retention]` in the configuration).
    #[command(subcommand)]
    Retention(RetentionCommand),
}

#[derive(Debug, Subcommand)]
pub(crate) enum RetentionCommand {
    /// Crypto-shred everyone past their account kind's retention period; report counts per kind.
    Run {
        /// Only count who is due; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// People per transaction.
        #[arg(long, default_value_t = 1000)]
        batch_size: usize,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Create a new root-key version and re-wrap every person's data key under it (resumable;
    /// an unfinished rotation is finished first instead).
    Rotate(RotateArgs),
    /// Replace the blind-index keys: add an index version keyed by the current root-key
    /// version, backfill every person's digests under it (resumable), switch searches to it,
    /// retire the old version and delete its digests.
    RotateIndex(RotateArgs),
    /// Show root-key versions, how many people each wraps, index versions and recent rotations.
    Status,
}

/// How a rotation runs (`keys rotate`, `keys rotate-index`).
#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    /// Only finish an unfinished rotation (or work an interrupted run left); never create a
    /// version.
    #[arg(long)]
    pub(crate) resume: bool,
    /// People per transaction.
    #[arg(long, default_value_t = 1000)]
    pub(crate) batch_size: usize,
    /// Stop after this many batches; `--resume` finishes later.
    #[arg(long, value_name = "N")]
    pub(crate) max_batches: Option<u64>,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub(crate) struct FindArgs {
    /// Social Security number.
    #[arg(long)]
    pub(crate) ssn: Option<String>,
    /// Phone number.
    #[arg(long)]
    pub(crate) phone: Option<String>,
    /// E-mail address.
    #[arg(long)]
    pub(crate) email: Option<String>,
    /// IMEI.
    #[arg(long)]
    pub(crate) imei: Option<String>,
    /// IMSI.
    #[arg(long)]
    pub(crate) imsi: Option<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Check the whole hash chain and its signed checkpoints; report the first bad entry.
    Verify,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (default from config, else 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub(crate) bind: Option<SocketAddr>,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// How many synthetic people.
    #[arg(long, default_value_t = 20_000)]
    pub(crate) people: u64,
    /// Seed of the synthetic carrier.
    #[arg(long, default_value_t = 2021)]
    pub(crate) seed: u64,
    /// Address to serve on afterwards.
    #[arg(long, value_name = "ADDR")]
    pub(crate) bind: Option<SocketAddr>,
    /// Do everything, print where to look, and exit instead of serving.
    #[arg(long)]
    pub(crate) no_serve: bool,
}

#[derive(Debug, Args)]
pub(crate) struct SynthArgs {
    /// How many people.
    #[arg(long)]
    pub(crate) people: u64,
    /// Seed (the same seed gives the same files).
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Output directory.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: PathBuf,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ApiKeyCommand {
    /// Create a key (and its principal, if new); the key is printed once.
    Create {
        /// The principal's name.
        #[arg(long)]
        principal: String,
        /// The principal's role (admin, agent, analyst, service, or one you added).
        #[arg(long)]
        role: String,
        /// A label to recognise the key by.
        #[arg(long, default_value = "")]
        label: String,
        /// Days until the key expires; no expiry when absent.
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(i64).range(1..=3650))]
        expires_in_days: Option<i64>,
    },
    /// List keys (never their secrets).
    List,
    /// Revoke a key by its prefix (`cus_xxxxxxxx`).
    Revoke {
        /// The key's prefix.
        prefix: String,
    },
    /// List the roles and their permissions.
    Roles,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AdminCommand {
    /// Create an admin of the console; prints the TOTP secret once.
    Create {
        /// The admin's user name.
        #[arg(long, default_value = "admin")]
        name: String,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
}
