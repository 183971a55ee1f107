//! The demo's mail sink: a small SMTP receiver on a loopback port that writes every message it
//! accepts into a Maildir (`new/`), so `custodian demo` can deliver a campaign on a fresh
//! machine without a mail server and the notices can be read afterwards. It speaks the plain
//! SMTP subset a sender needs (EHLO/HELO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP,
//! QUIT), binds only 127.0.0.1, and is not a product part: production campaigns send through
//! the relay configured in `[notify.smtp]`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The longest message accepted (larger ones are refused with 552).
const MAX_MESSAGE: usize = 1 << 20;

/// A running sink.
pub(crate) struct MailSink {
    /// The port it listens on (127.0.0.1).
    pub(crate) port: u16,
    /// The Maildir it writes to.
    pub(crate) dir: PathBuf,
    received: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl MailSink {
    /// Starts a sink writing into `dir` (a Maildir: `tmp/`, `new/`, `cur/` are created).
    pub(crate) async fn start(dir: &Path) -> anyhow::Result<MailSink> {
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(dir.join(sub))
                .with_context(|| format!("creating the demo mailbox {}", dir.display()))?;
        }
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .context("binding the demo mail sink on 127.0.0.1")?;
        let port = listener.local_addr()?.port();
        let received = Arc::new(AtomicU64::new(0));
        let (d, r) = (dir.to_path_buf(), received.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (d, r) = (d.clone(), r.clone());
                tokio::spawn(async move {
                    if let Err(e) = session(stream, &d, &r).await {
                        tracing::debug!(error = %e, "demo mail sink session ended");
                    }
                });
            }
        });
        Ok(MailSink {
            port,
            dir: dir.to_path_buf(),
            received,
            task,
        })
    }

    /// Messages accepted so far.
    pub(crate) fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// The text of one accepted message, if any.
    pub(crate) fn first_message(&self) -> Option<String> {
        let mut names: Vec<_> = std::fs::read_dir(self.dir.join("new"))
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        names.sort();
        names.first().and_then(|p| std::fs::read_to_string(p).ok())
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(stream: TcpStream, dir: &Path, received: &AtomicU64) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    w.write_all(b"220 localhost custodian demo mail sink\r\n")
        .await?;
    let mut line = String::new();
    let mut rcpt = 0usize;
    let mut from = false;
    loop {
        line.clear();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-localhost\r\n250-8BITMIME\r\n250 SIZE 1048576\r\n",
            "HELO" => b"250 localhost\r\n",
            "MAIL" => {
                from = true;
                rcpt = 0;
                b"250 OK\r\n"
            }
            "RCPT" if from => {
                rcpt += 1;
                b"250 OK\r\n"
            }
            "RCPT" => b"503 MAIL first\r\n",
            "DATA" if rcpt > 0 => {
                w.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut msg = Vec::new();
                let mut too_big = false;
                loop {
                    line.clear();
                    if r.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    let l = line.strip_prefix('.').unwrap_or(&line);
                    if msg.len() + l.len() > MAX_MESSAGE {
                        too_big = true;
                    } else {
                        msg.extend_from_slice(l.as_bytes());
                    }
                }
                from = false;
                rcpt = 0;
                if too_big {
                    b"552 message too large\r\n"
                } else {
                    let n = received.fetch_add(1, Ordering::Relaxed) + 1;
                    let name = format!("{n:09}.{}.eml", std::process::id());
                    let tmp = dir.join("tmp").join(&name);
                    std::fs::write(&tmp, &msg)?;
                    std::fs::rename(&tmp, dir.join("new").join(&name))?;
                    b"250 OK queued\r\n"
                }
            }
            "DATA" => b"503 RCPT first\r\n",
            "RSET" => {
                from = false;
                rcpt = 0;
                b"250 OK\r\n"
            }
            "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                w.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 command not implemented\r\n",
        };
        w.write_all(reply).await?;
    }
}
