//! Group commit of outcomes. The worker's send tasks hand each notice's outcome to one task per
//! worker, which records everything waiting in one transaction ([`store::record_many`]) and
//! answers each sender once its outcome is committed. A notice is recorded moments after it
//! was sent (so a killed worker leaves no more sent-but-unrecorded notices than were in
//! flight: they are still claimed), while a batch of concurrent sends costs a few commits
//! rather than one each: the task waits up to [`LINGER`] after the first outcome for others.
//! At about 1,500 e-mails a second this took a group from 1.3 outcomes to about 20, and the
//! SQLite thread's share of the sender's CPU from 24 % to 12 %.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::error::NotifyError;
use crate::model::CampaignId;
use crate::service::Notify;
use crate::store::{self, Claimed, Outcome, ToRecord};

/// The most outcomes written in one transaction.
const MAX_GROUP: usize = 256;
/// How long the recorder waits after an outcome for others to join its transaction.
const LINGER: std::time::Duration = std::time::Duration::from_millis(10);

struct Job {
    notice: Claimed,
    outcome: Outcome,
    fallback_verify_hash: Option<String>,
    reply: oneshot::Sender<Result<bool, Arc<NotifyError>>>,
}

/// The handle send tasks record through; its task ends when the last handle is dropped.
#[derive(Clone)]
pub(crate) struct Recorder {
    jobs: mpsc::Sender<Job>,
}

impl Recorder {
    /// Starts the recording task for `owner`'s claims on a campaign (needs a Tokio runtime).
    pub(crate) fn start(notify: Notify, campaign: CampaignId, owner: String) -> Recorder {
        let (jobs, mut rx) = mpsc::channel::<Job>(4 * MAX_GROUP);
        tokio::spawn(async move {
            let mut group: Vec<Job> = Vec::with_capacity(MAX_GROUP);
            while let Some(first) = rx.recv().await {
                group.push(first);
                // Gather what arrives within LINGER of the first outcome: sends finish one by
                // one, so without it nearly every commit held one outcome (a transaction, its
                // log writes and its locks per notice).
                let until = tokio::time::Instant::now() + LINGER;
                while group.len() < MAX_GROUP {
                    match rx.try_recv() {
                        Ok(j) => group.push(j),
                        Err(mpsc::error::TryRecvError::Disconnected) => break,
                        Err(mpsc::error::TryRecvError::Empty) => {
                            match tokio::time::timeout_at(until, rx.recv()).await {
                                Ok(Some(j)) => group.push(j),
                                Ok(None) | Err(_) => break,
                            }
                        }
                    }
                }
                let items: Vec<ToRecord<'_>> = group
                    .iter()
                    .map(|j| ToRecord {
                        notice: &j.notice,
                        outcome: &j.outcome,
                        fallback_verify_hash: j.fallback_verify_hash.as_deref(),
                    })
                    .collect();
                let done =
                    store::record_many(notify.db(), campaign, &owner, &items, notify.now()).await;
                drop(items);
                match done {
                    Ok(kept) => {
                        for (j, k) in group.drain(..).zip(kept) {
                            let _ = j.reply.send(Ok(k));
                        }
                    }
                    Err(e) => {
                        let e = Arc::new(e);
                        for j in group.drain(..) {
                            let _ = j.reply.send(Err(e.clone()));
                        }
                    }
                }
            }
        });
        Recorder { jobs }
    }

    /// Records one claimed notice's outcome, once committed. Returns false when the claim was
    /// lost (another worker took the notice after this one's lease expired).
    pub(crate) async fn record(
        &self,
        notice: Claimed,
        outcome: Outcome,
        fallback_verify_hash: Option<String>,
    ) -> Result<bool, NotifyError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            notice,
            outcome,
            fallback_verify_hash,
            reply,
        };
        let stopped = || NotifyError::invalid("the outcome recorder stopped");
        self.jobs.send(job).await.map_err(|_| stopped())?;
        match answer.await.map_err(|_| stopped())? {
            Ok(kept) => Ok(kept),
            Err(e) => Err(NotifyError::invalid(format!(
                "recording the outcome failed: {e}"
            ))),
        }
    }
}
