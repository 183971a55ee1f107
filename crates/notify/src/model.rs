//! The types of a campaign: its status, channels, the per-recipient state machine, settings and
//! the progress report.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A campaign's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CampaignId(pub i64);

impl fmt::Display for CampaignId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where a campaign is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    /// Planned; templates and codes may still change. Nothing is sent.
    Draft,
    /// Workers send.
    Running,
    /// Stopped by an operator or by the error-rate threshold (see the reason); resumable.
    Paused,
    /// Stopped for good; open notices were cancelled.
    Cancelled,
    /// Every notice reached a final state.
    Finished,
}

impl CampaignStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Running => "running",
            CampaignStatus::Paused => "paused",
            CampaignStatus::Cancelled => "cancelled",
            CampaignStatus::Finished => "finished",
        }
    }

    pub(crate) fn parse(s: &str) -> CampaignStatus {
        match s {
            "running" => CampaignStatus::Running,
            "paused" => CampaignStatus::Paused,
            "cancelled" => CampaignStatus::Cancelled,
            "finished" => CampaignStatus::Finished,
            _ => CampaignStatus::Draft,
        }
    }
}

impl fmt::Display for CampaignStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A delivery channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// E-mail over SMTP.
    Email,
    /// SMS through an HTTP gateway.
    Sms,
    /// A postal letter (print file plus mailing manifest).
    Letter,
}

impl ChannelKind {
    /// Every channel.
    pub const ALL: [ChannelKind; 3] = [ChannelKind::Email, ChannelKind::Sms, ChannelKind::Letter];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Email => "email",
            ChannelKind::Sms => "sms",
            ChannelKind::Letter => "letter",
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChannelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ChannelKind::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
            .ok_or_else(|| format!("unknown channel `{s}` (expected email, sms or letter)"))
    }
}

/// Parses a channel order such as `email,letter`.
pub fn parse_channels(s: &str) -> Result<Vec<ChannelKind>, String> {
    let mut out = Vec::new();
    for part in s.split(',').filter(|p| !p.trim().is_empty()) {
        let c: ChannelKind = part.parse()?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    if out.is_empty() {
        return Err("at least one channel is needed".into());
    }
    Ok(out)
}

/// One notice's state. `Queued`, `Claimed` and `SoftFailed` are open; the rest are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeState {
    /// Waiting for a worker.
    Queued,
    /// Leased by a worker until its lease ends; an expired lease is claimed again.
    Claimed,
    /// Accepted by the channel (the SMTP server, the gateway, the print file).
    Sent,
    /// Confirmed delivered (by a delivery report).
    Delivered,
    /// Failed in a way worth retrying; retried at `next_attempt_at` with exponential backoff.
    SoftFailed,
    /// Failed for good (a hard bounce, no contact data, attempts exhausted).
    Bounced,
    /// The address is on the suppression list.
    Suppressed,
    /// Bounced or suppressed, and the next channel in the order took over.
    FallenBack,
    /// The campaign was cancelled before this notice went out.
    Cancelled,
}

impl NoticeState {
    /// Every state, in lifecycle order.
    pub const ALL: [NoticeState; 9] = [
        NoticeState::Queued,
        NoticeState::Claimed,
        NoticeState::SoftFailed,
        NoticeState::Sent,
        NoticeState::Delivered,
        NoticeState::Bounced,
        NoticeState::Suppressed,
        NoticeState::FallenBack,
        NoticeState::Cancelled,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeState::Queued => "queued",
            NoticeState::Claimed => "claimed",
            NoticeState::Sent => "sent",
            NoticeState::Delivered => "delivered",
            NoticeState::SoftFailed => "soft_failed",
            NoticeState::Bounced => "bounced",
            NoticeState::Suppressed => "suppressed",
            NoticeState::FallenBack => "fallen_back",
            NoticeState::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<NoticeState> {
        NoticeState::ALL.into_iter().find(|n| n.as_str() == s)
    }

    /// Whether a worker may still act on it.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            NoticeState::Queued | NoticeState::Claimed | NoticeState::SoftFailed
        )
    }
}

/// The SQL list of open states, for `state IN (...)`.
pub(crate) const OPEN_STATES: &str = "('queued','claimed','soft_failed')";

/// A campaign's settings (stored as JSON with the campaign).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The company's name, as notices sign.
    pub company_name: String,
    /// The company's phone number for questions.
    pub company_phone: String,
    /// The "was I affected?" page, on the company's own domain.
    pub lookup_url: String,
    /// The "is this message really from us?" page.
    pub verify_url: String,
    /// The language of people without a preference.
    pub default_language: String,
    /// The most attempts per notice before a soft failure counts as a bounce.
    pub max_attempts: i64,
    /// The first retry's delay, in seconds; doubled per attempt, capped at an hour.
    pub backoff_base_secs: i64,
    /// How long a worker's claim holds, in seconds.
    pub lease_secs: i64,
    /// The failure share over the last `error_window` outcomes above which the campaign pauses.
    pub error_rate_pause: f64,
    /// How many recent outcomes the error rate is measured over (and the least before it counts).
    pub error_window: usize,
    /// Messages per second per channel (absent: unlimited), per worker process.
    pub rate_per_sec: BTreeMap<String, f64>,
    /// Parallel sends per channel, per worker process.
    pub concurrency: BTreeMap<String, usize>,
    /// The date of the breach, as notices state it.
    pub date_of_breach: String,
    /// What happened, in the company's words (available to templates as `incident.summary`).
    pub incident_summary: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            company_name: "The Company".into(),
            company_phone: "1-800-555-0100".into(),
            lookup_url: "https://example.com/was-i-affected".into(),
            verify_url: "https://example.com/verify".into(),
            default_language: "en".into(),
            max_attempts: 5,
            backoff_base_secs: 30,
            lease_secs: 60,
            error_rate_pause: 0.5,
            error_window: 200,
            rate_per_sec: BTreeMap::new(),
            concurrency: BTreeMap::new(),
            date_of_breach: String::new(),
            incident_summary: String::new(),
        }
    }
}

/// What creating a campaign takes.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    /// A unique name (1-100 characters of letters, digits, `-_.`).
    pub name: String,
    /// The incident.
    pub incident: i64,
    /// The impact version (the latest when `None`).
    pub impact_version: Option<i64>,
    /// The channel order.
    pub channels: Vec<ChannelKind>,
    /// Settings.
    pub settings: Settings,
}

/// A campaign.
#[derive(Debug, Clone, Serialize)]
pub struct Campaign {
    /// Its id.
    pub id: CampaignId,
    /// Its name.
    pub name: String,
    /// The incident.
    pub incident: i64,
    /// The impact version it was planned from.
    pub impact_version: i64,
    /// Its status.
    pub status: CampaignStatus,
    /// Why it is paused or cancelled.
    pub reason: String,
    /// The channel order.
    pub channels: Vec<ChannelKind>,
    /// Settings.
    pub settings: Settings,
    /// Who created it.
    pub principal: String,
    /// When (µs).
    pub created_at: i64,
    /// When it started.
    pub started_at: Option<i64>,
    /// When it finished.
    pub finished_at: Option<i64>,
}

/// A campaign's progress.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// The campaign.
    pub campaign: Campaign,
    /// People in the audience.
    pub recipients: u64,
    /// Notices by channel and state.
    pub by_channel: BTreeMap<String, BTreeMap<String, u64>>,
    /// Notices by state.
    pub by_state: BTreeMap<String, u64>,
    /// Notices still open (queued, claimed, soft-failed).
    pub open: u64,
    /// Notices in a final state.
    pub done: u64,
    /// Sends per second over the last minute.
    pub rate_per_sec: f64,
    /// Estimated seconds left at that rate.
    pub eta_secs: Option<u64>,
    /// Identity-protection codes: assigned to this campaign, and left unassigned (adult, minor).
    pub codes_assigned: u64,
    /// Free adult codes in the pool.
    pub codes_free_adult: u64,
    /// Free minor codes in the pool.
    pub codes_free_minor: u64,
}
