//! Telling the customer. The guard decides *that* a notice goes out and what it says; the binary
//! wires a [`Notifier`] that delivers it through the notify crate's outbox on a channel other
//! than the line at risk (`avoid_line`): the FCC's 2023 order asks for an immediate notice of
//! every SIM-change and port-out request, and step-up codes must never travel over the line an
//! attacker may have taken. Tests use [`RecordingNotifier`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use custodian_db::Timestamp;
use custodian_vault::types::Phone;

use crate::codes::{OneTimeCode, StepUpPurpose};
use crate::error::GuardError;
use crate::protect::{Decision, RequestKind};
use crate::types::{AccountId, SecretKind};

/// What a notice is about.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum NoticeKind {
    /// A step-up code to read back to the system asking for it.
    StepUpCode {
        /// The code.
        code: OneTimeCode,
        /// What it authorizes.
        purpose: StepUpPurpose,
        /// When it expires.
        expires_at: Timestamp,
    },
    /// A forced reset: the code that lets the customer set a new secret. Integrations that keep
    /// sessions revoke the account's sessions when they receive this notice.
    ResetCode {
        /// The code.
        code: OneTimeCode,
        /// The reset's name (the incident's label).
        reset: String,
        /// When it expires.
        expires_at: Timestamp,
    },
    /// A protection request on a line and what was decided (sent for every request).
    ProtectionRequest {
        /// The line.
        line: Phone,
        /// What was asked.
        request: RequestKind,
        /// What was decided.
        decision: Decision,
    },
    /// The secret was disabled after too many consecutive failures.
    SecretDisabled {
        /// Which secret.
        kind: SecretKind,
    },
    /// Repeated failed attempts that look like fraud (transfer PIN or step-up guessing).
    FraudAlert {
        /// The line concerned, if any.
        line: Option<Phone>,
        /// A short description (no personal data).
        what: &'static str,
    },
}

/// One notice for one account.
#[derive(Debug, Clone)]
pub struct Notice {
    /// The account.
    pub account: AccountId,
    /// The line the notice must not be sent to (the one at risk), if any.
    pub avoid_line: Option<Phone>,
    /// What it says.
    pub kind: NoticeKind,
    /// When the guard produced it.
    pub at: Timestamp,
}

/// The future [`Notifier::send`] returns.
pub type NotifyFuture<'a> = Pin<Box<dyn Future<Output = Result<(), GuardError>> + Send + 'a>>;

/// Delivers notices; returns once they are durably queued (an outbox), not necessarily sent.
pub trait Notifier: Send + Sync {
    /// Queues every notice of the batch, or fails without queueing any
    /// ([`GuardError::Notify`]).
    fn send<'a>(&'a self, notices: &'a [Notice]) -> NotifyFuture<'a>;
}

/// Keeps every notice in memory, for tests and the demo.
#[derive(Debug, Default)]
pub struct RecordingNotifier {
    notices: Mutex<Vec<Notice>>,
}

impl RecordingNotifier {
    /// An empty recorder.
    pub fn new() -> RecordingNotifier {
        RecordingNotifier::default()
    }

    /// Removes and returns what was recorded so far.
    pub fn take(&self) -> Vec<Notice> {
        self.notices
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default()
    }
}

impl Notifier for RecordingNotifier {
    fn send<'a>(&'a self, notices: &'a [Notice]) -> NotifyFuture<'a> {
        let r = self
            .notices
            .lock()
            .map(|mut v| v.extend_from_slice(notices))
            .map_err(|_| GuardError::Notify("the recorder is poisoned".into()));
        Box::pin(async move { r })
    }
}

/// Counts notices and drops them, for benchmarks.
#[derive(Debug, Default)]
pub struct CountingNotifier {
    count: AtomicU64,
}

impl CountingNotifier {
    /// How many notices were sent.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }
}

impl Notifier for CountingNotifier {
    fn send<'a>(&'a self, notices: &'a [Notice]) -> NotifyFuture<'a> {
        self.count
            .fetch_add(notices.len() as u64, Ordering::Relaxed);
        Box::pin(async { Ok(()) })
    }
}
