//! The care-agent view: an agent opens a session for the account a caller claims, and sees
//! nothing about it — no lines, no locks, no history — until the caller is verified, by their
//! PIN or password through the ordinary verification path (with its limits) or by a step-up code
//! sent to them on another channel. Biographical facts never verify a caller.

use custodian_db::Timestamp;
use rand::RngCore;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::codes::{OneTimeCode, StepUpPurpose};
use crate::error::GuardError;
use crate::events::{EventKind, NewEvent};
use crate::protect::LineStatus;
use crate::service::GuardService;
use crate::types::{AccountId, AttemptContext, SecretKind, Verdict};

/// An open care session; the token is shown to the agent's desktop only.
#[derive(Debug)]
pub struct CareSession {
    /// The bearer token naming the session.
    pub token: SecretString,
    /// When it ends.
    pub expires_at: Timestamp,
}

/// How a caller proves who they are.
#[derive(Debug)]
pub enum CallerProof {
    /// The account's PIN or password.
    Secret {
        /// Which secret.
        kind: SecretKind,
        /// The secret as spoken.
        secret: SecretString,
    },
    /// A step-up code issued for [`StepUpPurpose::CareVerification`].
    StepUpCode(OneTimeCode),
}

/// A secret's state as a care agent may see it once the caller is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretStatus {
    /// Which secret.
    pub kind: SecretKind,
    /// Whether one is set.
    pub is_set: bool,
    /// Whether a forced reset marked it compromised.
    pub is_compromised: bool,
    /// Consecutive failures now.
    pub failures: i64,
    /// Whether it is disabled until a step-up.
    pub is_disabled: bool,
}

/// A protection request as a care agent sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// The record id.
    pub id: i64,
    /// When.
    pub at: Timestamp,
    /// The line's last four digits.
    pub line_last4: String,
    /// The request kind.
    pub kind: String,
    /// `allowed` or `refused`.
    pub decision: String,
    /// The refusal reason, if any.
    pub reason: String,
    /// The channel.
    pub channel: String,
    /// The requesting carrier, for port-outs.
    pub requester: String,
    /// Whether the customer reported it as fraud.
    pub is_fraud_reported: bool,
}

/// What a verified care session shows.
#[derive(Debug, Clone)]
pub struct AccountView {
    /// The account.
    pub account: AccountId,
    /// Its PIN and password.
    pub secrets: Vec<SecretStatus>,
    /// Its lines and their locks.
    pub lines: Vec<LineStatus>,
    /// Its newest protection requests.
    pub recent_requests: Vec<RequestRecord>,
}

/// What a care session shows now.
#[derive(Debug, Clone)]
pub enum CareView {
    /// Nothing yet: the caller is not verified.
    Unverified {
        /// When the session ends.
        expires_at: Timestamp,
    },
    /// The caller is verified.
    Verified(Box<AccountView>),
}

fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

impl GuardService {
    /// Opens a care session for the account a caller claims. The agent's name is kept.
    pub async fn open_care_session(
        &self,
        account: &AccountId,
        agent: &str,
    ) -> Result<CareSession, GuardError> {
        let mut b = [0u8; 32];
        OsRng.fill_bytes(&mut b);
        let token = hex::encode(b);
        let now = self.now();
        let expires_at = now.plus_seconds(self.config().care_session_secs);
        self.store()
            .create_care_session(
                &token_hash(&token),
                account.as_str(),
                agent,
                now,
                expires_at,
            )
            .await?;
        Ok(CareSession {
            token: SecretString::from(token),
            expires_at,
        })
    }

    async fn care_session(&self, token: &str) -> Result<(String, i64, Option<i64>), GuardError> {
        self.store()
            .find_care_session(&token_hash(token), self.now())
            .await?
            .ok_or(GuardError::NoCareSession)
    }

    /// Verifies the caller of a care session. Returns the verdict; the session shows the account
    /// from the first `Ok` on.
    pub async fn verify_care_caller(
        &self,
        token: &SecretString,
        proof: &CallerProof,
        ctx: &AttemptContext,
    ) -> Result<Verdict, GuardError> {
        let (account, _, _) = self.care_session(token.expose_secret()).await?;
        let account = AccountId::from_stored(&account);
        let verdict = match proof {
            CallerProof::Secret { kind, secret } => {
                self.verify(&account, *kind, secret, ctx).await?
            }
            CallerProof::StepUpCode(code) => {
                let purpose = StepUpPurpose::CareVerification;
                if self
                    .use_step_up(account.as_str(), purpose, None, code, ctx)
                    .await?
                {
                    Verdict::Ok
                } else {
                    Verdict::Wrong
                }
            }
        };
        if verdict == Verdict::Ok {
            let hash = token_hash(token.expose_secret());
            self.store().verify_care_session(&hash, self.now()).await?;
            self.record(
                NewEvent::new(account.as_str(), EventKind::CareVerified, "ok").with_context(ctx),
            )
            .await?;
        }
        Ok(verdict)
    }

    /// What the session may show: nothing until the caller is verified.
    pub async fn care_view(&self, token: &SecretString) -> Result<CareView, GuardError> {
        let (account, expires_at, verified) = self.care_session(token.expose_secret()).await?;
        if verified.is_none() {
            return Ok(CareView::Unverified {
                expires_at: Timestamp(expires_at),
            });
        }
        let account = AccountId::from_stored(&account);
        let mut secrets = Vec::new();
        for kind in [SecretKind::Pin, SecretKind::Password] {
            let cred = self.store().find_credential(&account, kind).await?;
            let counts = self.store().account_counts(&account, kind).await?;
            secrets.push(SecretStatus {
                kind,
                is_set: cred.is_some(),
                is_compromised: cred.as_ref().is_some_and(|c| c.compromised_at.is_some()),
                failures: counts.failures,
                is_disabled: counts.failures >= self.config().limits.caps(kind).0,
            });
        }
        let mut lines = Vec::new();
        for row in self.store().account_lines(account.as_str()).await? {
            let Ok(phone) = custodian_vault::types::Phone::parse(&row.msisdn) else {
                continue;
            };
            lines.push(self.status_of(row, phone).await?);
        }
        let recent_requests = self
            .store()
            .recent_requests(account.as_str(), 20)
            .await?
            .into_iter()
            .map(|r| RequestRecord {
                id: r.id,
                at: Timestamp(r.at),
                line_last4: r
                    .msisdn
                    .chars()
                    .skip(r.msisdn.len().saturating_sub(4))
                    .collect(),
                kind: r.kind,
                decision: r.decision,
                reason: r.reason,
                channel: r.channel,
                requester: r.requester,
                is_fraud_reported: r.fraud_reported_at.is_some(),
            })
            .collect();
        Ok(CareView::Verified(Box::new(AccountView {
            account,
            secrets,
            lines,
            recent_requests,
        })))
    }
}
