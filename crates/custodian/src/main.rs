//! The `custodian` binary: parses the command line, merges the configuration, sets up logging,
//! and runs one command. Errors print as one line (with their causes under `-v`) and exit
//! non-zero; user mistakes never panic or print a backtrace.

mod app;
mod cli;
mod cmd;
mod config;
mod keys;
mod output;
mod sealer;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::config::{LogFormat, Settings};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbose = cli.global.verbose;
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // Scans that found something at or above `--fail-on` exit with 2, errors with 1.
        Err(e) if e.is::<cmd::scan::FindingsAboveThreshold>() => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("error: {e}");
            if verbose > 0 {
                for cause in e.chain().skip(1) {
                    eprintln!("  caused by: {cause}");
                }
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(&cli.global)?;
    init_logging(&cli, settings.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(dispatch(cli.command, settings))
}

async fn dispatch(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve(a) => cmd::serve::run(&settings, a).await,
        Command::Demo(a) => cmd::demo::run(&settings, a).await,
        Command::Synth(a) => cmd::synth::run(&settings, &a),
        Command::ApiKey(c) => cmd::apikey::run(&settings, c).await,
        Command::Admin(c) => cmd::admin::run(&settings, c).await,
        Command::Vault(c) => cmd::vault::run(&settings, c).await,
        Command::Keys(c) => cmd::keys::run(&settings, c).await,
        Command::Audit(c) => cmd::audit::run(&settings, c).await,
        Command::Inventory(c) => cmd::inventory::run(&settings, c).await,
        Command::Incident(c) => cmd::incident::run(&settings, c).await,
        Command::Notify(c) => cmd::notify::run(&settings, c).await,
        Command::Trust(c) => cmd::trust_cli::run(&settings, c).await,
        Command::Guard(c) => cmd::guard::run(&settings, c).await,
        Command::Scan(c) => cmd::scan::run(&settings, c).await,
        Command::Bench(c) => cmd::bench::run(&settings, c).await,
        Command::Migrate => cmd::migrate(&settings).await,
    }
}

fn init_logging(cli: &Cli, format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let default = match (cli.global.quiet, cli.global.verbose) {
        (true, _) => "error",
        (false, 0) => "warn,custodian_web=info",
        (false, 1) => "info",
        (false, 2) => "debug,sqlx=info,hyper=info",
        _ => "trace",
    };
    let filter =
        EnvFilter::try_from_env("CUSTODIAN_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.compact().init(),
    }
}
