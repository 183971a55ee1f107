//! `custodian serve`: the API, the Trust Center and the admin console on one listener, until
//! SIGTERM or Ctrl-C.

use custodian_db::OpenMode;

use crate::app::App;
use crate::cli::ServeArgs;
use crate::config::Settings;

pub(crate) async fn run(s: &Settings, a: ServeArgs) -> anyhow::Result<()> {
    // `--bind` wins over the configuration everywhere, including the addresses the Trust
    // Center publishes when no `[trust] public_url` is set.
    let s = &s.with_bind(a.bind);
    if s.trust.smtp.is_none() {
        tracing::warn!(
            "no [trust.smtp] configured: Trust Center mail is kept in memory and logged, not sent"
        );
    }
    let app = App::open(s, OpenMode::Create).await?;
    if s.trust.signer.is_some() {
        // A key that cannot sign is a configuration error, found now rather than by a visitor.
        app.trust
            .security_txt()
            .await
            .map_err(|e| anyhow::anyhow!("configuration: trust.security_txt_key: {e}"))?;
    }
    serve(&app, s, s.bind).await
}

/// Serves `app` on `bind` until a shutdown signal.
pub(crate) async fn serve(
    app: &App,
    s: &Settings,
    bind: std::net::SocketAddr,
) -> anyhow::Result<()> {
    let cfg = custodian_web::ServerConfig {
        bind,
        tls: s.tls.clone(),
    };
    let listener = custodian_web::bind(&cfg).await?;
    let scheduled = super::scan_net::spawn_scheduled(app, s)?;
    // Guard housekeeping: pending events written, ended counter windows dropped, records past
    // retention deleted. Hourly is plenty; the first pass runs at start.
    let guard_upkeep = app
        .guard
        .spawn_maintenance(std::time::Duration::from_secs(3600));
    // Disclosure reports waiting 30 days for more information close themselves.
    let trust_upkeep = app
        .trust
        .spawn_housekeeping(std::time::Duration::from_secs(3600));
    let workers = super::notify_serve::spawn(app, s).await?;
    let addr = listener.local_addr()?;
    let scheme = if cfg.tls.is_some() { "https" } else { "http" };
    // The one line scripts and tests wait for; printed after the socket is bound.
    println!("listening on {scheme}://{addr}");
    tracing::info!(%addr, backend = app.db.backend().as_str(), "serving");
    let router = custodian_web::router(
        app.web_state(s),
        custodian_web::RouterLimits {
            max_body_bytes: s.max_body_bytes,
        },
    );
    custodian_web::serve(
        listener,
        router,
        cfg.tls.as_ref(),
        custodian_web::shutdown_signal(),
    )
    .await?;
    if let Some(task) = scheduled {
        task.abort();
    }
    guard_upkeep.abort();
    trust_upkeep.abort();
    // A worker stopped mid-batch leaves claims whose leases expire; the next worker takes them.
    if let Some(task) = workers {
        task.abort();
    }
    // Refused attempts are counted in memory for up to a second; write them before exiting.
    if let Err(e) = app.guard.shutdown().await {
        tracing::warn!(error = %e, "writing the guard's pending events failed");
    }
    app.db.close().await;
    println!("stopped");
    Ok(())
}
