//! Parsing the request side of `/v1/incidents` into the breach engine's types: ids, times
//! (RFC 3339 or `YYYY-MM-DD`), yes/no/unknown facts, the exposure form, and incident changes.

use custodian_breach::obligations::{CpniExposure, KeyExposure, SecReporting};
use custodian_breach::{BreachError, Change, Form, IncidentId, Milestone};
use custodian_db::Timestamp;

use super::wire::ChangeIn;
use crate::api::parse_time;
use crate::error::ApiError;

pub(super) fn parse_id(id: &str) -> Result<IncidentId, ApiError> {
    id.parse()
        .map_err(|_| ApiError::invalid("id", "must be an incident number"))
}

fn whether(field: &str, s: &str) -> Result<(KeyExposure, CpniExposure), ApiError> {
    Ok(match s {
        "exposed" => (KeyExposure::Exposed, CpniExposure::Exposed),
        "not_exposed" => (KeyExposure::NotExposed, CpniExposure::NotExposed),
        "unknown" => (KeyExposure::Unknown, CpniExposure::Unknown),
        _ => {
            return Err(ApiError::invalid(
                field,
                "must be exposed, not_exposed or unknown",
            ));
        }
    })
}

pub(super) fn form(s: Option<&str>) -> Result<Form, ApiError> {
    match s.unwrap_or("clear") {
        "clear" => Ok(Form::Clear),
        "encrypted" => Ok(Form::Encrypted),
        _ => Err(ApiError::invalid("form", "must be clear or encrypted")),
    }
}

pub(super) fn changes(b: &ChangeIn, now: Timestamp) -> Result<Vec<Change>, ApiError> {
    let mut out = Vec::new();
    if let Some(st) = &b.status {
        out.push(Change::Status(
            st.parse().map_err(|e: BreachError| ApiError::from(e))?,
        ));
    }
    if let Some(o) = &b.owner {
        out.push(Change::Owner(o.clone()));
    }
    let at = b.at.as_deref().map(|t| parse_time("at", t)).transpose()?;
    if let Some(m) = &b.milestone {
        let m: Milestone = m.parse().map_err(|e: BreachError| ApiError::from(e))?;
        out.push(Change::Milestone(
            m,
            at.ok_or_else(|| ApiError::invalid("at", "a milestone needs its time"))?,
        ));
    }
    if let Some(k) = &b.key_exposure {
        out.push(Change::KeyExposure(whether("key_exposure", k)?.0));
    }
    if let Some(k) = &b.cpni {
        out.push(Change::Cpni(whether("cpni", k)?.1));
    }
    if let Some(r) = b.sec_registrant {
        out.push(Change::Sec(if r {
            SecReporting::Registrant
        } else {
            SecReporting::NotRegistrant
        }));
    }
    if let Some(f) = &b.finding {
        out.push(Change::Finding(at.unwrap_or(now), f.clone()));
    }
    if out.is_empty() {
        return Err(ApiError::invalid("body", "nothing to change"));
    }
    Ok(out)
}
