//! The vulnerability disclosure programme's pages: the policy (scope, safe harbour, disclosure
//! window, bounty table), the hall of fame with level badges, the report form and the
//! researcher's follow-up page reached through the secret link mailed on submission.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use custodian_trust::{NewReport, TrustError};
use minijinja::{Value, context};
use serde::Deserialize;

use super::{csrf_issue, csrf_ok, csrf_refused, day, error_page, message, service, with_csrf};
use crate::AppState;
use crate::pages::render;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/security/policy", get(policy))
        .route("/security/hall-of-fame", get(hall_of_fame))
        .route("/security/badge/{file}", get(badge))
        .route("/security/report", get(report_form).post(submit))
        .route("/security/reports/{link}", get(follow).post(reply))
}

fn cents(c: i64) -> String {
    format!("${}", c / 100)
}

/// `GET /security/policy`. Public.
async fn policy(State(state): State<AppState>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match trust.bounty_table().await {
        Ok(rows) => {
            let rows: Vec<Value> = rows
                .iter()
                .map(|b| context! { severity => b.severity.as_str(), min => cents(b.min_cents), max => cents(b.max_cents) })
                .collect();
            let contact = &trust.config().security_contact;
            render(
                &state,
                "trust_policy.html",
                context! { bounty => rows, contact => contact },
            )
            .into_response()
        }
        Err(e) => error_page(&state, &e),
    }
}

/// `GET /security/hall-of-fame`. Public; only researchers who consented.
async fn hall_of_fame(State(state): State<AppState>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match trust.hall_of_fame().await {
        Ok(list) => {
            let list: Vec<Value> = list
                .iter()
                .map(|r| context! { handle => &r.handle, reputation => r.reputation, level => r.level() })
                .collect();
            render(
                &state,
                "trust_hall_of_fame.html",
                context! { researchers => list },
            )
            .into_response()
        }
        Err(e) => error_page(&state, &e),
    }
}

/// `GET /security/badge/{level}.svg`. Public.
async fn badge(Path(file): Path<String>) -> Response {
    match file
        .strip_suffix(".svg")
        .and_then(custodian_trust::badge_svg)
    {
        Some(svg) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            svg,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReportForm {
    csrf: String,
    email: String,
    handle: String,
    hall_of_fame: Option<String>,
    title: String,
    asset: String,
    weakness: String,
    description: String,
    steps: String,
    impact: String,
    cvss: String,
}

fn report_page(
    state: &AppState,
    status: StatusCode,
    error: Option<&str>,
    f: &ReportForm,
) -> Response {
    let (csrf, cookie) = csrf_issue(state);
    let form = context! {
        email => &f.email, handle => &f.handle, title => &f.title, asset => &f.asset,
        weakness => &f.weakness, description => &f.description, steps => &f.steps,
        impact => &f.impact, cvss => &f.cvss, hall_of_fame => f.hall_of_fame.is_some(),
    };
    let html = render(
        state,
        "trust_report.html",
        context! { csrf => csrf, error => error, form => form },
    );
    with_csrf(status, html, cookie)
}

/// `GET /security/report`. Public.
async fn report_form(State(state): State<AppState>) -> Response {
    report_page(&state, StatusCode::OK, None, &ReportForm::default())
}

/// `POST /security/report`. Public, CSRF-checked; nothing is stored unless every field is valid.
async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<ReportForm>,
) -> Response {
    if !csrf_ok(&headers, &f.csrf) {
        return csrf_refused(&state);
    }
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let r = NewReport {
        email: f.email.clone(),
        handle: f.handle.clone(),
        is_listed: f.hall_of_fame.is_some(),
        title: f.title.clone(),
        asset: f.asset.clone(),
        weakness: f.weakness.clone(),
        description: f.description.clone(),
        steps: f.steps.clone(),
        impact: f.impact.clone(),
        cvss_vector: f.cvss.clone(),
        attachments: Vec::new(),
    };
    match trust.submit_report(&r).await {
        Ok(s) => message(
            &state,
            StatusCode::OK,
            "Report received",
            &format!(
                "Thank you. Your report is #{}. A private follow-up link is on its way to your e-mail.",
                s.id
            ),
        ),
        Err(e @ (TrustError::Invalid { .. } | TrustError::Duplicate(_))) => report_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&e.to_string()),
            &f,
        ),
        Err(e) => error_page(&state, &e),
    }
}

/// `GET /security/reports/{link}`. The researcher holding the link.
async fn follow(State(state): State<AppState>, Path(link): Path<String>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match trust.followed_report(&link).await {
        Ok((r, comments)) => {
            let comments: Vec<Value> = comments
                .iter()
                .map(|c| context! { author => &c.author, body => &c.body, from => &c.from, to => &c.to, date => day(c.at) })
                .collect();
            let ctx = context! {
                action => format!("/security/reports/{link}"),
                r => context! { id => r.id, title => &r.title, asset => &r.asset, state => r.state.as_str(), severity => r.severity.as_str(), created => day(r.created_at), description => &r.description },
                comments => comments,
            };
            render(&state, "trust_followup.html", ctx).into_response()
        }
        Err(e) => error_page(&state, &e),
    }
}

#[derive(Deserialize)]
struct ReplyForm {
    body: String,
}

/// `POST /security/reports/{link}`. The researcher holding the link (the link is the credential).
async fn reply(
    State(state): State<AppState>,
    Path(link): Path<String>,
    Form(f): Form<ReplyForm>,
) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match trust.researcher_reply(&link, &f.body).await {
        Ok(()) => {
            axum::response::Redirect::to(&format!("/security/reports/{link}")).into_response()
        }
        Err(e) => error_page(&state, &e),
    }
}
