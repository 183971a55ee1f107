//! The public answers: "was I affected?" by lookup code, "is this message really from us?" by
//! verification code (or a whole pasted message), and the login banner by the company's own
//! external id. Lookups never take SSN digits, names or phone numbers.
//!
//! Unknown and known codes get the same answer shape (every field present; empty when not
//! found), take the same path (one indexed query, the same serialization) and are padded to the
//! same minimum duration; rate limits per client address and per code prefix stop enumeration.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::codes;
use crate::error::NotifyError;
use crate::service::Notify;
use crate::store;

/// The answer to "was I affected?". Every field is present whether or not the code is known.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LookupAnswer {
    /// Whether the code was found (and so the person affected).
    pub found: bool,
    /// The campaign.
    pub campaign: String,
    /// The data elements exposed.
    pub elements: Vec<String>,
    /// What the company is doing.
    pub what_we_are_doing: String,
    /// The cohort's FAQ entries (question, answer).
    pub faq: Vec<(String, String)>,
    /// The identity-protection code.
    pub protection_code: String,
    /// Its engagement number.
    pub engagement: String,
    /// The last day to enrol.
    pub enrol_by: String,
    /// A general message.
    pub message: String,
}

/// The answer to "is this message really from us?". Says nothing about the recipient.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VerifyAnswer {
    /// Whether the message carries a verification code of a notice we sent.
    pub genuine: bool,
    /// The campaign.
    pub campaign: String,
    /// The channel it was sent on.
    pub channel: String,
    /// When it was sent (RFC 3339), empty if not yet sent.
    pub sent_at: String,
    /// A general message.
    pub message: String,
}

/// The login banner for a logged-in customer.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Banner {
    /// Whether the person is affected.
    pub affected: bool,
    /// What to show.
    pub message: String,
    /// A link to their notice's lookup page (without the code, which only the notice carries).
    pub link: String,
}

/// Why a public request was refused (the same for every reason a caller may learn).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Refusal {
    /// Too many requests from this address or for this code prefix.
    RateLimited,
}

/// Token buckets per client address and per code prefix.
#[derive(Debug)]
pub struct Limits {
    per_ip: Bucket,
    per_prefix: Bucket,
    /// Every public answer takes at least this long.
    pub floor: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_ip: Bucket::new(10.0, 10.0 / 60.0),
            per_prefix: Bucket::new(5.0, 5.0 / 60.0),
            floor: Duration::from_millis(25),
        }
    }
}

impl Limits {
    /// Limits with `ip` requests then `ip_per_min` a minute per address, and the same for a code
    /// prefix with `prefix` / `prefix_per_min`.
    pub fn new(
        ip: f64,
        ip_per_min: f64,
        prefix: f64,
        prefix_per_min: f64,
        floor: Duration,
    ) -> Limits {
        Limits {
            per_ip: Bucket::new(ip, ip_per_min / 60.0),
            per_prefix: Bucket::new(prefix, prefix_per_min / 60.0),
            floor,
        }
    }

    fn allow(&self, ip: &str, code: &str) -> bool {
        let prefix: String = codes::normalize(code).chars().take(4).collect();
        // Both buckets are charged, so probing one prefix from many addresses is slowed too.
        let a = self.per_ip.take(ip);
        let b = self.per_prefix.take(&prefix);
        a && b
    }
}

#[derive(Debug)]
struct Bucket {
    burst: f64,
    per_sec: f64,
    m: Mutex<HashMap<String, (f64, Instant)>>,
}

impl Bucket {
    fn new(burst: f64, per_sec: f64) -> Bucket {
        Bucket {
            burst,
            per_sec,
            m: Mutex::new(HashMap::new()),
        }
    }

    fn take(&self, key: &str) -> bool {
        let now = Instant::now();
        let mut m = self
            .m
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if m.len() > 100_000 {
            m.retain(|_, (_, t)| now.duration_since(*t) < Duration::from_secs(600));
        }
        let e = m.entry(key.to_owned()).or_insert((self.burst, now));
        let refill = now.duration_since(e.1).as_secs_f64() * self.per_sec;
        e.0 = (e.0 + refill).min(self.burst);
        e.1 = now;
        if e.0 >= 1.0 {
            e.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

const NOT_FOUND: &str = "We could not find that code. Check it against your notice; codes are 20 characters. \
If you did not receive a notice, you can learn about the incident on our website.";

impl Notify {
    /// Replaces the public rate limits (for deployments and tests).
    pub fn with_limits(self, limits: Limits) -> Notify {
        let inner = &self.inner;
        Notify {
            inner: std::sync::Arc::new(crate::service::Inner {
                db: inner.db.clone(),
                vault: inner.vault.clone(),
                breach: inner.breach.clone(),
                clock: inner.clock.clone(),
                key: inner.key.clone(),
                limits,
            }),
        }
    }

    /// "Was I affected?" for a code typed by anyone, from client address `ip`.
    pub async fn lookup(&self, ip: &str, code: &str) -> Result<LookupAnswer, Refusal> {
        let start = Instant::now();
        let allowed = self.inner.limits.allow(ip, code);
        let answer = if allowed {
            self.lookup_inner(code).await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "lookup failed");
                not_found()
            })
        } else {
            not_found()
        };
        pad(start, self.inner.limits.floor).await;
        if allowed {
            Ok(answer)
        } else {
            Err(Refusal::RateLimited)
        }
    }

    async fn lookup_inner(&self, code: &str) -> Result<LookupAnswer, NotifyError> {
        let h = codes::hash(code);
        let r = store::recipient_by_lookup(self.db(), &h).await?;
        let Some(r) = r else { return Ok(not_found()) };
        let c = store::campaign(self.db(), crate::model::CampaignId(r.campaign_id)).await?;
        if matches!(
            c.status,
            crate::model::CampaignStatus::Draft | crate::model::CampaignStatus::Cancelled
        ) {
            return Ok(not_found());
        }
        let elements: Vec<String> = custodian_vault::ElementSet::from_bits(r.elements as u32)
            .iter()
            .map(|e| e.label().to_owned())
            .collect();
        let (code, eng, by) = r.code.clone().unwrap_or_default();
        Ok(LookupAnswer {
            found: true,
            campaign: c.name.clone(),
            faq: faq(&elements),
            elements,
            what_we_are_doing: format!(
                "{} closed the access, is working with law enforcement, and offers you identity protection at no cost.",
                c.settings.company_name
            ),
            protection_code: code,
            engagement: eng,
            enrol_by: by,
            message:
                "Your information was involved in this incident. Your notice explains what to do."
                    .into(),
        })
    }

    /// "Is this message really from us?" for a verification code or a whole pasted message.
    pub async fn verify(&self, ip: &str, text: &str) -> Result<VerifyAnswer, Refusal> {
        let start = Instant::now();
        let found = codes::find_verify_codes(text);
        let code = found
            .first()
            .cloned()
            .unwrap_or_else(|| text.trim().chars().take(40).collect());
        let allowed = self.inner.limits.allow(ip, &code);
        let mut answer = VerifyAnswer {
            genuine: false,
            campaign: String::new(),
            channel: String::new(),
            sent_at: String::new(),
            message: "We did not send a message with that verification code. Do not click its links or call its numbers.".into(),
        };
        if allowed
            && let Ok(Some((campaign, channel, sent_at, state))) =
                store::notice_by_verify(self.db(), &codes::hash(&code)).await
            && (sent_at.is_some() || state == "sent" || state == "delivered")
        {
            answer = VerifyAnswer {
                genuine: true,
                campaign,
                channel,
                sent_at: sent_at
                    .map(|t| custodian_db::Timestamp(t).to_rfc3339())
                    .unwrap_or_default(),
                message: "This is a genuine notice from us.".into(),
            };
        }
        pad(start, self.inner.limits.floor).await;
        if allowed {
            Ok(answer)
        } else {
            Err(Refusal::RateLimited)
        }
    }

    /// The login banner for the company's own logged-in pages (the caller authenticated the
    /// customer). Needs `notify.read`.
    pub async fn banner(
        &self,
        p: &custodian_auth::Principal,
        external_id: &str,
    ) -> Result<Banner, NotifyError> {
        p.require("notify.read")?;
        let rs = store::recipients_by_external(self.db(), external_id).await?;
        Ok(match rs.last() {
            Some(r) => {
                let c = store::campaign(self.db(), crate::model::CampaignId(r.campaign_id)).await?;
                Banner {
                    affected: true,
                    message: "Your information was involved in a recent security incident. We sent you a notice with what to do.".into(),
                    link: c.settings.lookup_url,
                }
            }
            None => Banner {
                affected: false,
                message: "Your information was not involved in the recent security incident."
                    .into(),
                link: String::new(),
            },
        })
    }
}

fn not_found() -> LookupAnswer {
    LookupAnswer {
        found: false,
        campaign: String::new(),
        elements: Vec::new(),
        what_we_are_doing: String::new(),
        faq: Vec::new(),
        protection_code: String::new(),
        engagement: String::new(),
        enrol_by: String::new(),
        message: NOT_FOUND.into(),
    }
}

fn faq(elements: &[String]) -> Vec<(String, String)> {
    let mut out = vec![(
        "Will you ever ask for my full Social Security number?".to_owned(),
        "No. Our notices and our staff never ask for it.".to_owned(),
    )];
    if elements.iter().any(|e| e.contains("Social Security")) {
        out.push((
            "My SSN was involved. What should I do first?".into(),
            "Enrol in identity protection with your code and consider a free credit freeze.".into(),
        ));
    }
    out
}

async fn pad(start: Instant, floor: Duration) {
    let spent = start.elapsed();
    if spent < floor {
        tokio::time::sleep(floor - spent).await;
    }
}
