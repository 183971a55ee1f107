//! Subscriptions with double opt-in: a sign-up stores the address with a confirmation token that
//! expires and mails the link; only a confirmed address hears anything else. The answer to a
//! sign-up is the same whether or not the address was known (the owner of the address gets a mail
//! saying so instead), so the form reveals nobody's subscriptions. Each address has one stable
//! unsubscribe link (an HMAC of the address under a key in the database), used by the one-click
//! `List-Unsubscribe-Post` of every mail.

use custodian_db::Timestamp;

use crate::error::TrustError;
use crate::mail::OutgoingMail;
use crate::service::{TrustService, email};
use crate::token;
use crate::types::Topic;

/// What the sign-up form tells the visitor: always the same.
pub(crate) const SIGNUP_ANSWER: &str =
    "Thank you. If this address can be subscribed, a confirmation link is on its way to it.";

/// The outcome of a sign-up, deliberately without content: callers cannot leak whether the
/// address was already subscribed because they are never told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignupOutcome;

impl SignupOutcome {
    /// The text to show.
    pub fn message(self) -> &'static str {
        SIGNUP_ANSWER
    }
}

/// A subscriber, for the admin list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscriber {
    /// The address.
    pub email: String,
    /// Topics, comma-separated.
    pub topics: String,
    /// When confirmed.
    pub confirmed_at: Option<Timestamp>,
    /// When unsubscribed.
    pub unsubscribed_at: Option<Timestamp>,
}

impl Subscriber {
    /// Whether mail goes to this subscriber.
    pub fn is_active(&self) -> bool {
        self.confirmed_at.is_some() && self.unsubscribed_at.is_none()
    }
}

impl TrustService {
    /// Signs an address up for topics (double opt-in).
    pub async fn subscribe(
        &self,
        address: &str,
        topics: &[Topic],
    ) -> Result<SignupOutcome, TrustError> {
        let addr = email(address)?;
        if topics.is_empty() {
            return Err(TrustError::invalid("topics", "choose at least one topic"));
        }
        let mut list: Vec<&str> = topics.iter().map(|t| t.as_str()).collect();
        list.sort_unstable();
        list.dedup();
        let topics = list.join(",");
        let now = self.now();
        let unsub = self.unsubscribe_url(addr.as_str());
        let unsub_hash = token::digest(&self.keyed_token("unsubscribe", addr.as_str()));
        let (confirm, confirm_hash) = token::issue();
        let expires = now.plus_seconds(self.config.confirm_ttl_secs);
        let inserted = self
            .store
            .insert_subscriber(
                addr.as_str(),
                &topics,
                &confirm_hash,
                expires,
                &unsub_hash,
                now,
            )
            .await?;
        let is_active = !inserted && self.store.is_active_subscriber(addr.as_str()).await?;
        let mail = if is_active {
            OutgoingMail {
                to: addr,
                subject: format!("{}: you are already subscribed", self.config.company),
                text: format!(
                    "Someone (perhaps you) asked to subscribe this address to {} security updates. \
                     It is already subscribed; nothing changed.\n\nUnsubscribe: {unsub}\n",
                    self.config.company
                ),
                unsubscribe_url: Some(unsub),
            }
        } else {
            if !inserted {
                self.store
                    .renew_confirmation(addr.as_str(), &topics, &confirm_hash, expires)
                    .await?;
            }
            let link = self.url(&format!("/subscribe/confirm/{confirm}"));
            OutgoingMail {
                to: addr,
                subject: format!("{}: confirm your subscription", self.config.company),
                text: format!(
                    "Confirm that you want {} security updates ({topics}) by opening this link \
                     before {}:\n{link}\n\nIf you did not ask for this, ignore this mail.\n\nUnsubscribe: {unsub}\n",
                    self.config.company,
                    expires.to_rfc3339()
                ),
                unsubscribe_url: Some(unsub),
            }
        };
        // The visitor's answer must not depend on delivery either.
        let _ = self.send(mail).await;
        Ok(SignupOutcome)
    }

    /// Confirms a subscription; the link works once and only before it expires.
    pub async fn confirm_subscription(&self, link: &str) -> Result<String, TrustError> {
        self.store
            .confirm_subscriber(&token::digest(link), self.now())
            .await?
            .ok_or(TrustError::BadLink)
    }

    /// The address an unsubscribe link belongs to, and whether it still receives mail (for the
    /// confirmation page a GET shows; a GET never unsubscribes).
    pub async fn unsubscribe_target(&self, link: &str) -> Result<(String, bool), TrustError> {
        self.store
            .subscriber_by_unsubscribe(&token::digest(link))
            .await?
            .ok_or(TrustError::BadLink)
    }

    /// Unsubscribes (the one-click POST); repeating it is harmless.
    pub async fn unsubscribe(&self, link: &str) -> Result<String, TrustError> {
        self.store
            .unsubscribe(&token::digest(link), self.now())
            .await?
            .ok_or(TrustError::BadLink)
    }

    /// Every subscriber. Admin only.
    pub async fn subscribers(&self) -> Result<Vec<Subscriber>, TrustError> {
        self.store.subscribers().await
    }

    /// The confirmed subscribers of a topic with their unsubscribe URLs.
    pub(crate) async fn confirmed_subscribers(
        &self,
        topic: Topic,
    ) -> Result<Vec<(String, String)>, TrustError> {
        let list = self.store.active_subscribers(topic.as_str()).await?;
        Ok(list
            .into_iter()
            .map(|e| {
                let u = self.unsubscribe_url(&e);
                (e, u)
            })
            .collect())
    }

    fn unsubscribe_url(&self, address: &str) -> String {
        self.url(&format!(
            "/unsubscribe/{}",
            self.keyed_token("unsubscribe", address)
        ))
    }
}
