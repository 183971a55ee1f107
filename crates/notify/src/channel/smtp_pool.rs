//! SMTP connections kept open between notices, with `TCP_NODELAY`.
//!
//! lettre writes a message's body and its closing `.` in two writes. With Nagle's algorithm on
//! (lettre's own transport leaves it on), the small second write waits for the server to
//! acknowledge the first, and a server with nothing to answer yet delays that acknowledgement
//! (40 ms on Linux): one stall per message, which held a sender to a few dozen notices per second
//! per connection. This pool opens the TCP connection itself, turns Nagle off, and hands the
//! socket to lettre's SMTP client (EHLO, STARTTLS, AUTH, the transaction).
//!
//! A parked connection idle for more than [`IDLE_CHECK`] is tested with `NOOP` before reuse, and
//! dropped when the server has gone away; a connection that failed a transaction is dropped.
//! Implicit TLS (SMTPS) connects through lettre, which leaves Nagle on.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

/// A parked connection idle longer than this is tested with `NOOP` before it is used again.
pub(crate) const IDLE_CHECK: Duration = Duration::from_secs(2);

/// How the pool secures its connections.
pub(crate) enum PoolTls {
    /// Plain SMTP.
    None,
    /// STARTTLS, required.
    Starttls(TlsParameters),
    /// TLS from the first byte.
    Wrapper(TlsParameters),
}

/// Why a send failed.
#[derive(Debug)]
pub(crate) enum PoolError {
    /// No connection: the relay could not be reached (always worth retrying).
    Connect(String),
    /// The relay answered with an error, or the conversation broke off.
    Smtp(lettre::transport::smtp::Error),
    /// The whole send took longer than the timeout.
    Timeout,
}

/// The pool.
pub(crate) struct SmtpPool {
    host: String,
    port: u16,
    timeout: Duration,
    tls: PoolTls,
    credentials: Option<Credentials>,
    hello: ClientId,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    max_idle: usize,
}

impl SmtpPool {
    /// A pool that keeps up to `max_idle` connections to `host:port` parked between sends.
    pub(crate) fn new(
        host: String,
        port: u16,
        timeout: Duration,
        tls: PoolTls,
        credentials: Option<Credentials>,
        max_idle: usize,
    ) -> SmtpPool {
        SmtpPool {
            host,
            port,
            timeout,
            tls,
            credentials,
            hello: ClientId::default(),
            idle: Mutex::new(Vec::new()),
            max_idle: max_idle.max(1),
        }
    }

    /// Sends one message (envelope and formatted bytes) on a pooled connection.
    pub(crate) async fn send(&self, envelope: &Envelope, email: &[u8]) -> Result<(), PoolError> {
        let work = async {
            let mut conn = self.checkout().await?;
            match conn.send(envelope, email).await {
                Ok(_) => {
                    self.park(conn);
                    Ok(())
                }
                // lettre aborts (QUIT, close) a connection whose transaction failed.
                Err(e) => Err(PoolError::Smtp(e)),
            }
        };
        tokio::time::timeout(self.timeout, work)
            .await
            .unwrap_or(Err(PoolError::Timeout))
    }

    fn park(&self, conn: AsyncSmtpConnection) {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < self.max_idle {
            idle.push((conn, Instant::now()));
        }
    }

    async fn checkout(&self) -> Result<AsyncSmtpConnection, PoolError> {
        loop {
            let parked = self
                .idle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .pop();
            match parked {
                Some((mut conn, since)) => {
                    if since.elapsed() > IDLE_CHECK && !conn.test_connected().await {
                        conn.abort().await;
                        continue;
                    }
                    return Ok(conn);
                }
                None => return self.connect().await,
            }
        }
    }

    /// Opens a connection: TCP (or TLS from the first byte), greeting, STARTTLS, AUTH. Every
    /// failure here is the relay's or the configuration's, never the recipient's, so all are
    /// [`PoolError::Connect`] (retried, and counted toward the campaign's pause) even where the
    /// relay's answer was a permanent one: a rejected password or a relay without STARTTLS
    /// must not bounce, suppress and re-route every recipient.
    async fn connect(&self) -> Result<AsyncSmtpConnection, PoolError> {
        let at = format!("{}:{}", self.host, self.port);
        let failed = |step: &str, e: &dyn std::fmt::Display| {
            PoolError::Connect(format!("{at}: {step}: {e}"))
        };
        let mut conn = match &self.tls {
            PoolTls::Wrapper(params) => AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                Some(self.timeout),
                &self.hello,
                Some(params.clone()),
                None,
            )
            .await
            .map_err(|e| failed("TLS connection", &e))?,
            PoolTls::None | PoolTls::Starttls(_) => {
                let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                    .await
                    .map_err(|e| PoolError::Connect(format!("{at}: {e}")))?;
                tcp.set_nodelay(true)
                    .map_err(|e| failed("TCP_NODELAY", &e))?;
                let mut conn =
                    AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
                        .await
                        .map_err(|e| failed("greeting", &e))?;
                if let PoolTls::Starttls(params) = &self.tls {
                    if !conn.can_starttls() {
                        return Err(failed(
                            "STARTTLS",
                            &"the relay does not offer it (required by the configuration)",
                        ));
                    }
                    conn.starttls(params.clone(), &self.hello)
                        .await
                        .map_err(|e| failed("STARTTLS", &e))?;
                }
                conn
            }
        };
        if let Some(c) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, c)
                .await
                .map_err(|e| failed("AUTH", &e))?;
        }
        Ok(conn)
    }
}
