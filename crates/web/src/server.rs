//! Serving the router: plain HTTP (the loopback default) or TLS through rustls, with graceful
//! shutdown on SIGTERM or Ctrl-C that lets requests in flight finish.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::Service;

/// Where and how to listen.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The address to bind (`127.0.0.1:8080` by default; port 0 picks a free port).
    pub bind: SocketAddr,
    /// TLS certificate and key, if any.
    pub tls: Option<TlsConfig>,
}

/// PEM files for TLS.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    /// The certificate chain (PEM).
    pub cert: PathBuf,
    /// The private key (PEM).
    pub key: PathBuf,
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// A TLS file could not be read or holds no usable certificate or key.
    #[error("TLS: {0}")]
    Tls(String),
    /// An I/O error while serving.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
}

/// Binds the listener (so the caller learns the real port before serving).
pub async fn bind(cfg: &ServerConfig) -> Result<TcpListener, ServeError> {
    TcpListener::bind(cfg.bind)
        .await
        .map_err(|source| ServeError::Bind {
            addr: cfg.bind,
            source,
        })
}

/// Serves `app` on `listener` until `shutdown` completes, then drains connections (at most 30 s).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<&TlsConfig>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let local = listener.local_addr()?;
    if !local.ip().is_loopback() && tls.is_none() {
        tracing::warn!(
            addr = %local,
            "SERVING PLAIN HTTP ON A NON-LOOPBACK ADDRESS: API keys, sessions and personal data \
             cross the network unencrypted. Configure [server] tls_cert and tls_key."
        );
    }
    match tls {
        None => {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(shutdown)
            .await?;
            Ok(())
        }
        Some(t) => serve_tls(listener, app, acceptor(t)?, shutdown).await,
    }
}

fn acceptor(t: &TlsConfig) -> Result<TlsAcceptor, ServeError> {
    let read = |p: &PathBuf| {
        std::fs::read(p).map_err(|e| ServeError::Tls(format!("cannot read {}: {e}", p.display())))
    };
    let cert_pem = read(&t.cert)?;
    let key_pem = read(&t.key)?;
    let certs: Vec<_> = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(|e| ServeError::Tls(format!("{}: {e}", t.cert.display())))?;
    if certs.is_empty() {
        return Err(ServeError::Tls(format!(
            "{}: no certificate found",
            t.cert.display()
        )));
    }
    let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|e| ServeError::Tls(format!("{}: {e}", t.key.display())))?
        .ok_or_else(|| ServeError::Tls(format!("{}: no private key found", t.key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ServeError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ServeError::Tls(e.to_string()))?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(cfg)))
}

async fn serve_tls(
    listener: TcpListener,
    app: Router,
    acceptor: TlsAcceptor,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let graceful = GracefulShutdown::new();
    let mut make = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(svc) = make.call(peer).await;
        let acceptor = acceptor.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let tls =
                match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => return,
                };
            let hyper_svc = hyper_util::service::TowerToHyperService::new(svc);
            let builder = auto::Builder::new(TokioExecutor::new());
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), hyper_svc);
            if let Err(e) = watcher.watch(conn.into_owned()).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(30)) => {
            tracing::warn!("connections still open after 30 s; closing");
        }
    }
    Ok(())
}

/// Resolves when the process receives SIGTERM or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}
