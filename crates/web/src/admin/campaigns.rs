//! The console's campaign pages: `/admin/campaigns` lists campaigns and `/admin/campaigns/{name}`
//! shows one campaign's progress — notices by channel and state, the rate and time left, the
//! identity-protection codes — with pause, resume and cancel buttons (session CSRF token). The
//! signed-in admin's principal needs `notify.read` to look and `notify.write` to act.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use custodian_auth::Principal;
use custodian_notify::{CampaignStatus, NoticeState, Notify, NotifyError};
use minijinja::context;
use serde::Deserialize;

use super::{signed_in, tokens_match};
use crate::AppState;
use crate::pages::render;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/campaigns", get(list))
        .route("/admin/campaigns/{name}", get(show))
        .route("/admin/campaigns/{name}/{action}", post(act))
}

/// The signed-in principal, its CSRF token and the service, or the response to send instead.
async fn reader(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(Principal, String, Notify), Response> {
    let (principal, csrf) = signed_in(state, headers).await?;
    if !principal.may("notify.read") {
        return Err((StatusCode::FORBIDDEN, "your role may not read campaigns").into_response());
    }
    let Some(n) = state.notify.clone() else {
        return Err((
            StatusCode::SERVICE_UNAVAILABLE,
            "notification campaigns are not configured",
        )
            .into_response());
    };
    Ok((principal, csrf, n))
}

fn failure(e: &NotifyError) -> Response {
    match e {
        NotifyError::NoCampaign(_) => (StatusCode::NOT_FOUND, "no such campaign").into_response(),
        NotifyError::Auth(_) => {
            (StatusCode::FORBIDDEN, "your role may not do that").into_response()
        }
        NotifyError::Invalid(m) => (StatusCode::CONFLICT, m.clone()).into_response(),
        other => {
            tracing::error!(error = %other, "campaign page failed");
            (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response()
        }
    }
}

/// `GET /admin/campaigns`.
async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (p, csrf, n) = match reader(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let cs = match n.list(&p).await {
        Ok(c) => c,
        Err(e) => return failure(&e),
    };
    let rows: Vec<_> = cs
        .iter()
        .map(|c| {
            context! {
                id => c.id.0, name => &c.name, incident => c.incident, version => c.impact_version,
                status => c.status.as_str(), reason => &c.reason,
                channels => c.channels.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", "),
                created => custodian_db::Timestamp(c.created_at).to_rfc3339(),
            }
        })
        .collect();
    let session = context! { name => &p.name, csrf => csrf };
    render(
        &state,
        "campaigns.html",
        context! { session => session, campaigns => rows },
    )
    .into_response()
}

fn duration(secs: u64) -> String {
    match secs {
        s if s < 90 => format!("{s} s"),
        s if s < 5400 => format!("{} min", s.div_ceil(60)),
        s => format!("{:.1} h", s as f64 / 3600.0),
    }
}

/// `GET /admin/campaigns/{name}`.
async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let (p, csrf, n) = match reader(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let st = match n.status(&p, &name).await {
        Ok(s) => s,
        Err(e) => return failure(&e),
    };
    let states: Vec<&str> = NoticeState::ALL.iter().map(|s| s.as_str()).collect();
    let rows: Vec<_> = st
        .by_channel
        .iter()
        .map(|(ch, m)| {
            let counts: Vec<u64> = states
                .iter()
                .map(|s| m.get(*s).copied().unwrap_or(0))
                .collect();
            context! { channel => ch, counts => counts }
        })
        .collect();
    let totals: Vec<u64> = states
        .iter()
        .map(|s| st.by_state.get(*s).copied().unwrap_or(0))
        .collect();
    let total = st.open + st.done;
    let percent = (st.done * 100).checked_div(total).unwrap_or(100);
    let c = &st.campaign;
    let actions: Vec<&str> = if p.may("notify.write") {
        match c.status {
            CampaignStatus::Running => vec!["pause", "cancel"],
            CampaignStatus::Paused => vec!["resume", "cancel"],
            CampaignStatus::Draft => vec!["cancel"],
            CampaignStatus::Cancelled | CampaignStatus::Finished => vec![],
        }
    } else {
        vec![]
    };
    let session = context! { name => &p.name, csrf => csrf };
    render(
        &state,
        "campaign.html",
        context! {
            session => session,
            c => context! {
                name => &c.name, incident => c.incident, version => c.impact_version,
                status => c.status.as_str(), reason => &c.reason,
            },
            states => states, rows => rows, totals => totals,
            total => total, done => st.done, open => st.open, percent => percent,
            rate => format!("{:.1}", st.rate_per_sec), eta => st.eta_secs.map(duration),
            recipients => st.recipients, codes_assigned => st.codes_assigned,
            free_adult => st.codes_free_adult, free_minor => st.codes_free_minor,
            actions => actions,
        },
    )
    .into_response()
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /admin/campaigns/{name}/{pause|resume|cancel}`. Needs `notify.write` and the session's
/// CSRF token.
async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((name, action)): Path<(String, String)>,
    Form(f): Form<CsrfForm>,
) -> Response {
    let (p, csrf, n) = match reader(&state, &headers).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if !tokens_match(&csrf, &f.csrf) {
        return (StatusCode::FORBIDDEN, "invalid CSRF token").into_response();
    }
    let res = match action.as_str() {
        "pause" => {
            let why = format!("paused from the console by {}", p.name);
            n.pause(&p, &name, &why).await
        }
        "resume" => n.resume(&p, &name).await,
        "cancel" => {
            let why = format!("cancelled from the console by {}", p.name);
            n.cancel(&p, &name, &why).await
        }
        _ => return (StatusCode::NOT_FOUND, "no such action").into_response(),
    };
    match res {
        Ok(c) => Redirect::to(&format!("/admin/campaigns/{}", c.name)).into_response(),
        Err(e) => failure(&e),
    }
}
