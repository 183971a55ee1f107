//! Group commit for appends that stand alone (a read, a reveal, a search: nothing else to write
//! in their transaction). Concurrent requests hand their entries to one task per vault, which
//! writes everything waiting in one transaction (one head update, one commit) and answers each
//! request with its sequence number once that transaction is committed. A request still gets its
//! data only after its entry is durable; what changes is that a thousand concurrent reads cost
//! a few commits instead of a thousand, each waiting for the database's one writer.
//!
//! With no concurrency the batch is the one entry and the cost is as before. Appends that must
//! share the transaction of a change (create, import, shred) do not come here.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use custodian_db::Database;
use tokio::sync::{mpsc, oneshot};

use super::AuditError;
use super::append::AuditLog;
use super::entry::{AuditEntry, Prepared};

/// The most entries written in one transaction.
const MAX_BATCH: usize = 512;

struct Job {
    entry: Prepared,
    reply: oneshot::Sender<Result<i64, Arc<AuditError>>>,
}

/// The handle requests append through; the task stops when the last handle is dropped.
#[derive(Clone)]
pub struct GroupCommit {
    jobs: mpsc::Sender<Job>,
    batches: Arc<AtomicU64>,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit").finish_non_exhaustive()
    }
}

impl GroupCommit {
    /// Starts the committing task for `log` on `db` (needs a Tokio runtime).
    pub fn start(db: Database, log: AuditLog) -> GroupCommit {
        let (jobs, mut rx) = mpsc::channel::<Job>(4 * MAX_BATCH);
        let batches = Arc::new(AtomicU64::new(0));
        let counted = batches.clone();
        tokio::spawn(async move {
            let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
            while let Some(first) = rx.recv().await {
                batch.push(first);
                while batch.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(j) => batch.push(j),
                        Err(_) => break,
                    }
                }
                let (entries, replies): (Vec<Prepared>, Vec<_>) =
                    batch.drain(..).map(|j| (j.entry, j.reply)).unzip();
                counted.fetch_add(1, Ordering::Relaxed);
                match log.append_prepared(&db, &entries).await {
                    Ok(range) => {
                        for (reply, seq) in replies.into_iter().zip(range) {
                            let _ = reply.send(Ok(seq));
                        }
                    }
                    Err(e) => {
                        let e = Arc::new(e);
                        for reply in replies {
                            let _ = reply.send(Err(e.clone()));
                        }
                    }
                }
            }
        });
        GroupCommit { jobs, batches }
    }

    /// How many transactions the task has written (each holding one or more entries).
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    /// Appends one entry with whatever else is waiting; returns its sequence number once its
    /// transaction is committed. An invalid entry is refused before it is queued.
    pub async fn append(&self, entry: &AuditEntry<'_>) -> Result<i64, AuditError> {
        let entry = Prepared::new(entry)?;
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { entry, reply })
            .await
            .map_err(|_| AuditError::Stopped)?;
        match answer.await {
            Ok(Ok(seq)) => Ok(seq),
            Ok(Err(e)) => Err(AuditError::Batch(e)),
            Err(_) => Err(AuditError::Stopped),
        }
    }
}
