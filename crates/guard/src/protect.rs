//! SIM-change and port-out protection, as the FCC's 2023 SIM-swap and port-out order asks of
//! carriers: per-line locks (free, opt-in; turning one off takes a step-up code, turning it on
//! does not), a Number Transfer PIN per line (6 digits, 7 days, single use, attempt-capped),
//! no SIM change or transfer PIN on a PIN alone (a one-time code on another channel is needed),
//! every request recorded (allowed or refused) and followed by an immediate notice on a channel
//! other than the line at risk, and an effectiveness report per period.

use custodian_db::Timestamp;
use custodian_vault::types::Phone;

use crate::codes::{self, IssuedCode, OneTimeCode, PURPOSE_TRANSFER_PIN, StepUpPurpose};
use crate::error::GuardError;
use crate::events::{EventKind, NewEvent};
use crate::notify::NoticeKind;
use crate::service::GuardService;
use crate::store::{CodeUse, LineRow, NewCode};
use crate::types::{AccountId, AttemptContext, LockKind};

/// What was asked of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// Move the number to a new SIM.
    SimChange,
    /// Move the number to another carrier.
    PortOut,
    /// Turn a lock on.
    LockOn(LockKind),
    /// Turn a lock off.
    LockOff(LockKind),
    /// Issue a Number Transfer PIN.
    TransferPin,
}

impl RequestKind {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::SimChange => "sim_change",
            RequestKind::PortOut => "port_out",
            RequestKind::LockOn(LockKind::SimChange) => "lock_on_sim_change",
            RequestKind::LockOn(LockKind::PortOut) => "lock_on_port_out",
            RequestKind::LockOff(LockKind::SimChange) => "lock_off_sim_change",
            RequestKind::LockOff(LockKind::PortOut) => "lock_off_port_out",
            RequestKind::TransferPin => "transfer_pin",
        }
    }
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefusalReason {
    /// The line's lock for this kind of request is on.
    LineLocked,
    /// No valid step-up code was given.
    StepUpRequired,
    /// The transfer PIN was wrong, expired, used or void.
    TransferPinInvalid,
    /// Too many recent failures on this line.
    Throttled,
}

impl RefusalReason {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalReason::LineLocked => "line_locked",
            RefusalReason::StepUpRequired => "step_up_required",
            RefusalReason::TransferPinInvalid => "transfer_pin_invalid",
            RefusalReason::Throttled => "throttled",
        }
    }
}

/// What was decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allowed,
    /// Refused, and why.
    Refused(RefusalReason),
}

impl Decision {
    fn parts(self) -> (&'static str, &'static str) {
        match self {
            Decision::Allowed => ("allowed", ""),
            Decision::Refused(r) => ("refused", r.as_str()),
        }
    }
}

/// A recorded request and its decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtectionOutcome {
    /// The request's record id (for fraud reports).
    pub request_id: i64,
    /// The decision.
    pub decision: Decision,
}

/// A line's protection state.
#[derive(Debug, Clone)]
pub struct LineStatus {
    /// The number.
    pub line: Phone,
    /// The account it belongs to.
    pub account: AccountId,
    /// Since when SIM changes are locked.
    pub sim_lock_since: Option<Timestamp>,
    /// Since when port-outs are locked.
    pub port_lock_since: Option<Timestamp>,
    /// When the live transfer PIN expires, if there is one.
    pub transfer_pin_expires_at: Option<Timestamp>,
}

/// A port-out request as the recipient carrier (through the porting system) presents it.
#[derive(Debug, Clone)]
pub struct PortOutRequest {
    /// The Number Transfer PIN the customer gave the new carrier.
    pub transfer_pin: OneTimeCode,
    /// The recipient carrier's name or SPID.
    pub requester: String,
    /// Where the request came from.
    pub context: AttemptContext,
}

/// One row of the effectiveness report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// The request kind.
    pub kind: String,
    /// `allowed` or `refused`.
    pub decision: String,
    /// The refusal reason (empty when allowed).
    pub reason: String,
    /// How many requests.
    pub requests: i64,
    /// How many the customer reported as fraud.
    pub fraud_reports: i64,
}

/// The effectiveness report of one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectionReport {
    /// Start (inclusive).
    pub from: Timestamp,
    /// End (exclusive).
    pub to: Timestamp,
    /// Requests by kind, decision and reason.
    pub rows: Vec<ReportRow>,
    /// Protected lines now.
    pub lines: i64,
    /// Lines with the SIM-change lock on now.
    pub sim_locked: i64,
    /// Lines with the port-out lock on now.
    pub port_locked: i64,
}

impl GuardService {
    /// Registers (or moves) a line under an account.
    pub async fn register_line(&self, account: &AccountId, line: &Phone) -> Result<(), GuardError> {
        self.store()
            .upsert_line(line.normalized(), account.as_str(), self.now())
            .await
    }

    async fn line(&self, line: &Phone) -> Result<LineRow, GuardError> {
        self.store()
            .find_line(line.normalized())
            .await?
            .ok_or_else(|| GuardError::UnknownLine {
                last4: line.last4().to_owned(),
            })
    }

    /// The line's locks and transfer PIN state.
    pub async fn line_status(&self, line: &Phone) -> Result<LineStatus, GuardError> {
        let row = self.line(line).await?;
        self.status_of(row, line.clone()).await
    }

    pub(crate) async fn status_of(
        &self,
        row: LineRow,
        line: Phone,
    ) -> Result<LineStatus, GuardError> {
        let ntp = self
            .store()
            .live_code(PURPOSE_TRANSFER_PIN, &row.msisdn, self.now())
            .await?;
        Ok(LineStatus {
            line,
            account: AccountId::from_stored(&row.account),
            sim_lock_since: row.sim_lock_at.map(Timestamp),
            port_lock_since: row.port_lock_at.map(Timestamp),
            transfer_pin_expires_at: ntp.map(|(exp, _)| Timestamp(exp)),
        })
    }

    /// Records a request, writes its event and notifies the customer away from the line.
    async fn conclude(
        &self,
        row: &LineRow,
        line: &Phone,
        kind: RequestKind,
        decision: Decision,
        ctx: &AttemptContext,
        requester: &str,
    ) -> Result<ProtectionOutcome, GuardError> {
        let now = self.now();
        let (d, reason) = decision.parts();
        let id = self
            .store()
            .record_request(row, kind.as_str(), d, reason, ctx, requester, now)
            .await?;
        let detail = format!("{} line …{} {reason}", kind.as_str(), line.last4());
        self.record(
            NewEvent::new(&row.account, EventKind::Protection, d)
                .with_context(ctx)
                .with_detail(detail.trim_end().to_owned()),
        )
        .await?;
        let notice = NoticeKind::ProtectionRequest {
            line: line.clone(),
            request: kind,
            decision,
        };
        self.notify_now(vec![self.notice(&row.account, Some(line), notice)])
            .await?;
        Ok(ProtectionOutcome {
            request_id: id,
            decision,
        })
    }

    /// Turns a line's lock on. Locking needs only the integration's ordinary verification of
    /// the customer (e.g. their PIN), never more, so that protection is easy to get.
    pub async fn lock_line(
        &self,
        line: &Phone,
        kind: LockKind,
        ctx: &AttemptContext,
    ) -> Result<ProtectionOutcome, GuardError> {
        let row = self.line(line).await?;
        self.store()
            .set_lock(&row.msisdn, kind, Some(self.now()))
            .await?;
        self.conclude(
            &row,
            line,
            RequestKind::LockOn(kind),
            Decision::Allowed,
            ctx,
            "",
        )
        .await
    }

    /// Turns a line's lock off, which needs a step-up code issued for
    /// [`StepUpPurpose::RemoveLock`] on this line: stronger than what locking took.
    pub async fn unlock_line(
        &self,
        line: &Phone,
        kind: LockKind,
        code: &OneTimeCode,
        ctx: &AttemptContext,
    ) -> Result<ProtectionOutcome, GuardError> {
        let row = self.line(line).await?;
        let purpose = StepUpPurpose::RemoveLock(kind);
        let ok = self
            .use_step_up(&row.account, purpose, Some(line), code, ctx)
            .await?;
        let decision = if ok {
            self.store().set_lock(&row.msisdn, kind, None).await?;
            Decision::Allowed
        } else {
            Decision::Refused(RefusalReason::StepUpRequired)
        };
        self.conclude(&row, line, RequestKind::LockOff(kind), decision, ctx, "")
            .await
    }

    /// Decides a SIM change: refused while the SIM-change lock is on; otherwise allowed only
    /// with a step-up code issued for [`StepUpPurpose::SimChange`] on this line (a PIN alone
    /// never suffices).
    pub async fn request_sim_change(
        &self,
        line: &Phone,
        code: &OneTimeCode,
        ctx: &AttemptContext,
    ) -> Result<ProtectionOutcome, GuardError> {
        let row = self.line(line).await?;
        let decision = if row.sim_lock_at.is_some() {
            Decision::Refused(RefusalReason::LineLocked)
        } else if self
            .use_step_up(
                &row.account,
                StepUpPurpose::SimChange,
                Some(line),
                code,
                ctx,
            )
            .await?
        {
            Decision::Allowed
        } else {
            Decision::Refused(RefusalReason::StepUpRequired)
        };
        self.conclude(&row, line, RequestKind::SimChange, decision, ctx, "")
            .await
    }

    /// Issues a Number Transfer PIN (6 digits, valid 7 days, single use) with a step-up code
    /// issued for [`StepUpPurpose::TransferPin`] on this line; a new PIN voids the previous one.
    /// The PIN is returned for the customer and the customer is told, away from the line, that
    /// one was issued. [`GuardError::BadCode`] when the step-up code is not valid.
    pub async fn issue_transfer_pin(
        &self,
        line: &Phone,
        code: &OneTimeCode,
        ctx: &AttemptContext,
    ) -> Result<IssuedCode, GuardError> {
        let row = self.line(line).await?;
        let ok = self
            .use_step_up(
                &row.account,
                StepUpPurpose::TransferPin,
                Some(line),
                code,
                ctx,
            )
            .await?;
        if !ok {
            let refused = Decision::Refused(RefusalReason::StepUpRequired);
            self.conclude(&row, line, RequestKind::TransferPin, refused, ctx, "")
                .await?;
            return Err(GuardError::BadCode);
        }
        let now = self.now();
        let pin = codes::digits(6);
        let expires_at = now.plus_seconds(self.config().codes.transfer_pin_ttl_secs);
        let new = NewCode {
            account: &row.account,
            purpose: PURPOSE_TRANSFER_PIN,
            subject: &row.msisdn,
            digest: self.inner.mac.code(PURPOSE_TRANSFER_PIN, &row.msisdn, &pin),
            expires_at,
        };
        self.store().issue_code(&new, now).await?;
        self.conclude(
            &row,
            line,
            RequestKind::TransferPin,
            Decision::Allowed,
            ctx,
            "",
        )
        .await?;
        Ok(IssuedCode {
            code: pin,
            expires_at,
        })
    }

    /// Decides a port-out: refused while the port-out lock is on (the transfer PIN is then not
    /// even looked at), refused when the line's recent failures are over the limit, otherwise
    /// allowed exactly when the transfer PIN is the line's live one (which it then spends).
    pub async fn request_port_out(
        &self,
        line: &Phone,
        req: &PortOutRequest,
    ) -> Result<ProtectionOutcome, GuardError> {
        let row = self.line(line).await?;
        let now = self.now();
        let ctx = &req.context;
        let decision = if row.port_lock_at.is_some() {
            Decision::Refused(RefusalReason::LineLocked)
        } else {
            let rule = self.config().limits.pair;
            let scope = format!("ntp|{}", row.msisdn);
            let charge = self.store().charge_pair(&scope, now, rule).await?;
            if charge.failures > rule.limit {
                Decision::Refused(RefusalReason::Throttled)
            } else if self.use_transfer_pin(&row, line, &req.transfer_pin).await? {
                self.store().clear_windows(&[scope.as_str()]).await?;
                Decision::Allowed
            } else {
                Decision::Refused(RefusalReason::TransferPinInvalid)
            }
        };
        self.conclude(
            &row,
            line,
            RequestKind::PortOut,
            decision,
            ctx,
            &req.requester,
        )
        .await
    }

    async fn use_transfer_pin(
        &self,
        row: &LineRow,
        line: &Phone,
        pin: &OneTimeCode,
    ) -> Result<bool, GuardError> {
        let digest = self.inner.mac.code(PURPOSE_TRANSFER_PIN, &row.msisdn, pin);
        let max = self.config().codes.transfer_pin_attempts;
        let used = self
            .store()
            .use_code(
                &row.account,
                PURPOSE_TRANSFER_PIN,
                &row.msisdn,
                &digest,
                max,
                self.now(),
            )
            .await?;
        if used == (CodeUse::Wrong { is_exhausted: true }) {
            let what = "wrong transfer PINs were tried until the PIN was void";
            let kind = NoticeKind::FraudAlert {
                line: Some(line.clone()),
                what,
            };
            self.notify_now(vec![self.notice(&row.account, Some(line), kind)])
                .await?;
        }
        Ok(used == CodeUse::Used)
    }

    /// Marks a recorded request as reported fraudulent by the customer (counted in the report).
    /// `Ok(false)` when there is no such request.
    pub async fn report_fraud(&self, request_id: i64) -> Result<bool, GuardError> {
        self.store().report_fraud(request_id, self.now()).await
    }

    /// Requests, refusals and fraud reports in `[from, to)`, and the lock adoption now.
    pub async fn protection_report(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<ProtectionReport, GuardError> {
        let rows = self
            .store()
            .request_counts(from, to)
            .await?
            .into_iter()
            .map(
                |(kind, decision, reason, requests, fraud_reports)| ReportRow {
                    kind,
                    decision,
                    reason,
                    requests,
                    fraud_reports,
                },
            )
            .collect();
        let (lines, sim_locked, port_locked) = self.store().lock_counts().await?;
        Ok(ProtectionReport {
            from,
            to,
            rows,
            lines,
            sim_locked,
            port_locked,
        })
    }
}
