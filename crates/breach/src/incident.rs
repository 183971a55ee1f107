//! Incidents: a title, an owner, a status, the milestones the law's clocks start from
//! (detected, contained, determined, aware, materiality), what is known about key exposure,
//! CPNI and SEC reporting, and a timeline of events. Every change is an event in the same
//! transaction (who, when it happened, when it was recorded, what changed), so the timeline is
//! also the incident's audit trail.

use std::fmt;
use std::str::FromStr;

use custodian_db::Timestamp;

use crate::error::BreachError;
use crate::ids::IncidentId;
use crate::obligations::{CpniExposure, KeyExposure, SecReporting};
use crate::service::Cap;
use crate::store::incidents::{self as sql, Column, NewEvent, Value};

/// Where an incident stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IncidentStatus {
    /// Reported, not yet looked at.
    Open,
    /// Being investigated.
    Investigating,
    /// The attacker's access is closed.
    Contained,
    /// Notices are going out.
    Notifying,
    /// Done.
    Closed,
}

impl IncidentStatus {
    /// Every status, in workflow order.
    pub const ALL: [IncidentStatus; 5] = [
        IncidentStatus::Open,
        IncidentStatus::Investigating,
        IncidentStatus::Contained,
        IncidentStatus::Notifying,
        IncidentStatus::Closed,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Open => "open",
            IncidentStatus::Investigating => "investigating",
            IncidentStatus::Contained => "contained",
            IncidentStatus::Notifying => "notifying",
            IncidentStatus::Closed => "closed",
        }
    }
}

impl fmt::Display for IncidentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for IncidentStatus {
    type Err = BreachError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IncidentStatus::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                BreachError::invalid(
                    "status",
                    "must be open, investigating, contained, notifying or closed",
                )
            })
    }
}

/// A dated milestone of an incident; deadlines count from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Milestone {
    /// The breach was discovered (most state clocks).
    Detected,
    /// The attacker's access was closed.
    Contained,
    /// The company determined that a breach occurred.
    Determined,
    /// The company became aware of a personal-data breach (GDPR).
    Aware,
    /// The incident was determined material (SEC).
    Materiality,
}

impl Milestone {
    /// Every milestone.
    pub const ALL: [Milestone; 5] = [
        Milestone::Detected,
        Milestone::Contained,
        Milestone::Determined,
        Milestone::Aware,
        Milestone::Materiality,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Milestone::Detected => "detected",
            Milestone::Contained => "contained",
            Milestone::Determined => "determined",
            Milestone::Aware => "aware",
            Milestone::Materiality => "materiality",
        }
    }

    fn column(self) -> Column {
        match self {
            Milestone::Detected => Column::DetectedAt,
            Milestone::Contained => Column::ContainedAt,
            Milestone::Determined => Column::DeterminedAt,
            Milestone::Aware => Column::AwareAt,
            Milestone::Materiality => Column::MaterialityAt,
        }
    }
}

impl FromStr for Milestone {
    type Err = BreachError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Milestone::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                BreachError::invalid(
                    "milestone",
                    "must be detected, contained, determined, aware or materiality",
                )
            })
    }
}

/// An incident.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Incident {
    /// Its id.
    pub id: IncidentId,
    /// One-line title.
    pub title: String,
    /// What happened, in a few sentences.
    pub summary: String,
    /// Who runs the response.
    pub owner: String,
    /// Where it stands.
    pub status: IncidentStatus,
    /// Whether the keys of exposed ciphertext were exposed too.
    pub key_exposure: KeyExposure,
    /// Whether CPNI was exposed.
    pub cpni: CpniExposure,
    /// Whether the SEC rule applies.
    pub sec: SecReporting,
    /// Discovery.
    pub detected_at: Option<Timestamp>,
    /// Containment.
    pub contained_at: Option<Timestamp>,
    /// Determination that a breach occurred.
    pub determined_at: Option<Timestamp>,
    /// Awareness of a personal-data breach (GDPR).
    pub aware_at: Option<Timestamp>,
    /// Materiality determination (SEC).
    pub materiality_at: Option<Timestamp>,
    /// Created when, by whom.
    pub created_at: Timestamp,
    /// Created by.
    pub created_by: String,
    /// Last change.
    pub updated_at: Timestamp,
}

/// One entry of an incident's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// Its id.
    pub id: i64,
    /// When it happened.
    pub occurred_at: Timestamp,
    /// When it was recorded.
    pub recorded_at: Timestamp,
    /// Who recorded it.
    pub actor: String,
    /// What kind of event (`created`, `detected`, `finding`, `status`, `exposure`, `impact`, ...).
    pub kind: String,
    /// What changed, in words.
    pub detail: String,
}

/// A new incident.
#[derive(Debug, Clone)]
pub struct NewIncident {
    /// One-line title (1-200 characters).
    pub title: String,
    /// What happened.
    pub summary: String,
    /// Who runs the response.
    pub owner: String,
    /// Discovery, if known.
    pub detected_at: Option<Timestamp>,
}

/// A change to an incident; each becomes one event.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Change {
    /// A new status.
    Status(IncidentStatus),
    /// A new owner.
    Owner(String),
    /// A milestone's date.
    Milestone(Milestone, Timestamp),
    /// What is known about key exposure.
    KeyExposure(KeyExposure),
    /// What is known about CPNI exposure.
    Cpni(CpniExposure),
    /// Whether the SEC rule applies.
    Sec(SecReporting),
    /// A finding of the investigation, dated when it was found.
    Finding(Timestamp, String),
}

pub(crate) fn key_exposure_name(k: KeyExposure) -> &'static str {
    match k {
        KeyExposure::Exposed => "exposed",
        KeyExposure::NotExposed => "not_exposed",
        _ => "unknown",
    }
}

pub(crate) fn parse_key_exposure(s: &str) -> KeyExposure {
    match s {
        "exposed" => KeyExposure::Exposed,
        "not_exposed" => KeyExposure::NotExposed,
        _ => KeyExposure::Unknown,
    }
}

fn cpni_name(k: CpniExposure) -> &'static str {
    match k {
        CpniExposure::Exposed => "exposed",
        CpniExposure::NotExposed => "not_exposed",
        _ => "unknown",
    }
}

fn parse_cpni(s: &str) -> CpniExposure {
    match s {
        "exposed" => CpniExposure::Exposed,
        "not_exposed" => CpniExposure::NotExposed,
        _ => CpniExposure::Unknown,
    }
}

fn to_incident(r: sql::IncidentRow) -> Result<Incident, BreachError> {
    Ok(Incident {
        id: IncidentId(r.id),
        title: r.title,
        summary: r.summary,
        owner: r.owner,
        status: r.status.parse().map_err(|_| {
            BreachError::Corrupt(format!("incident {} has status {:?}", r.id, r.status))
        })?,
        key_exposure: parse_key_exposure(&r.key_exposure),
        cpni: parse_cpni(&r.cpni),
        sec: if r.sec_registrant != 0 {
            SecReporting::Registrant
        } else {
            SecReporting::NotRegistrant
        },
        detected_at: r.detected_at.map(Timestamp),
        contained_at: r.contained_at.map(Timestamp),
        determined_at: r.determined_at.map(Timestamp),
        aware_at: r.aware_at.map(Timestamp),
        materiality_at: r.materiality_at.map(Timestamp),
        created_at: Timestamp(r.created_at),
        created_by: r.created_by,
        updated_at: Timestamp(r.updated_at),
    })
}

pub(crate) async fn find(cap: Cap<'_>, id: IncidentId) -> Result<Incident, BreachError> {
    let row = sql::find(cap.db(), id.0)
        .await?
        .ok_or(BreachError::UnknownIncident(id.0))?;
    to_incident(row)
}

/// Reading incidents. Obtained from [`crate::BreachService::incident_reader`].
pub struct IncidentReader<'a>(pub(crate) Cap<'a>);

impl IncidentReader<'_> {
    /// Every incident, newest first.
    pub async fn list(&self) -> Result<Vec<Incident>, BreachError> {
        sql::list(self.0.db())
            .await?
            .into_iter()
            .map(to_incident)
            .collect()
    }

    /// One incident.
    pub async fn find(&self, id: IncidentId) -> Result<Incident, BreachError> {
        find(self.0, id).await
    }

    /// The incident's timeline, in the order things happened.
    pub async fn timeline(&self, id: IncidentId) -> Result<Vec<Event>, BreachError> {
        timeline(self.0, id).await
    }
}

pub(crate) async fn timeline(cap: Cap<'_>, id: IncidentId) -> Result<Vec<Event>, BreachError> {
    find(cap, id).await?;
    Ok(sql::events(cap.db(), id.0)
        .await?
        .into_iter()
        .map(|e| Event {
            id: e.id,
            occurred_at: Timestamp(e.occurred_at),
            recorded_at: Timestamp(e.recorded_at),
            actor: e.actor,
            kind: e.kind,
            detail: e.detail,
        })
        .collect())
}

/// Changing incidents. Obtained from [`crate::BreachService::incident_writer`].
pub struct IncidentWriter<'a>(pub(crate) Cap<'a>);

fn check_text(field: &str, s: &str, max: usize) -> Result<(), BreachError> {
    if s.trim().is_empty() || s.len() > max {
        return Err(BreachError::invalid(
            field,
            format!("must be 1-{max} characters"),
        ));
    }
    Ok(())
}

impl IncidentWriter<'_> {
    /// Opens an incident.
    pub async fn create(&self, new: &NewIncident) -> Result<Incident, BreachError> {
        let cap = self.0;
        check_text("title", &new.title, 200)?;
        check_text("owner", &new.owner, 100)?;
        if new.summary.len() > 10_000 {
            return Err(BreachError::invalid(
                "summary",
                "must be at most 10000 characters",
            ));
        }
        let now = cap.now().0;
        let detail = format!(
            "incident opened: {}; owner {}",
            new.title.trim(),
            new.owner.trim()
        );
        let event = NewEvent {
            occurred_at: now,
            recorded_at: now,
            actor: cap.actor(),
            kind: "created",
            detail: &detail,
        };
        let id = sql::create(
            cap.db(),
            new.title.trim(),
            &new.summary,
            new.owner.trim(),
            new.detected_at.map(|t| t.0),
            &event,
        )
        .await?;
        find(cap, IncidentId(id)).await
    }

    /// Records a change (and its event); `note` is appended to the event's detail.
    pub async fn change(
        &self,
        id: IncidentId,
        change: &Change,
        note: &str,
    ) -> Result<Event, BreachError> {
        let cap = self.0;
        let before = find(cap, id).await?;
        let now = cap.now().0;
        let (set, kind, occurred, mut detail) = match change {
            Change::Status(s) => (
                Some((Column::Status, Value::Text(s.as_str().into()))),
                "status",
                now,
                format!("status: {} → {s}", before.status),
            ),
            Change::Owner(o) => {
                check_text("owner", o, 100)?;
                let detail = format!("owner: {} → {}", before.owner, o.trim());
                (
                    Some((Column::Owner, Value::Text(o.trim().into()))),
                    "owner",
                    now,
                    detail,
                )
            }
            Change::Milestone(m, at) => (
                Some((m.column(), Value::Int(at.0))),
                m.as_str(),
                at.0,
                format!("{} at {}", m.as_str(), at.to_rfc3339()),
            ),
            Change::KeyExposure(k) => (
                Some((
                    Column::KeyExposure,
                    Value::Text(key_exposure_name(*k).into()),
                )),
                "key_exposure",
                now,
                format!(
                    "key exposure: {} → {}",
                    key_exposure_name(before.key_exposure),
                    key_exposure_name(*k)
                ),
            ),
            Change::Cpni(c) => (
                Some((Column::Cpni, Value::Text(cpni_name(*c).into()))),
                "cpni",
                now,
                format!(
                    "CPNI exposure: {} → {}",
                    cpni_name(before.cpni),
                    cpni_name(*c)
                ),
            ),
            Change::Sec(s) => {
                let registrant = matches!(s, SecReporting::Registrant);
                let detail = format!(
                    "SEC Item 1.05 {}",
                    if registrant {
                        "applies"
                    } else {
                        "does not apply"
                    }
                );
                (
                    Some((Column::SecRegistrant, Value::Int(i64::from(registrant)))),
                    "sec",
                    now,
                    detail,
                )
            }
            Change::Finding(at, text) => {
                check_text("finding", text, 4_000)?;
                (None, "finding", at.0, text.trim().to_owned())
            }
        };
        if !note.trim().is_empty() {
            detail.push_str(" — ");
            detail.push_str(note.trim());
        }
        let event = NewEvent {
            occurred_at: occurred,
            recorded_at: now,
            actor: cap.actor(),
            kind,
            detail: &detail,
        };
        let event_id = sql::change(cap.db(), id.0, set, &event).await?;
        Ok(Event {
            id: event_id,
            occurred_at: Timestamp(occurred),
            recorded_at: Timestamp(now),
            actor: cap.actor().to_owned(),
            kind: kind.to_owned(),
            detail,
        })
    }

    /// One incident (for writers that need to read back what they changed).
    pub async fn find(&self, id: IncidentId) -> Result<Incident, BreachError> {
        find(self.0, id).await
    }
}
