//! The vulnerability disclosure programme's pages: the policy (scope, safe harbour, disclosure
//! window, bounty table), the hall of fame with level badges, the report form and the
//! researcher's follow-up page reached through the secret link mailed on submission.

use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
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
        .route(
            "/security/report",
            get(report_form)
                .post(submit)
                .layer(DefaultBodyLimit::max(REPORT_BODY_LIMIT)),
        )
        .route("/security/reports/{link}", get(follow).post(reply))
}

/// The largest report form the route reads: five attachments at the service's 5 MiB limit and
/// the text (the service refuses larger files with a clear message).
const REPORT_BODY_LIMIT: usize = 27 * 1024 * 1024;

fn cents(c: i64) -> String {
    format!("${}", c / 100)
}

/// `GET /security/policy`. Public.
async fn policy(State(state): State<AppState>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let (rows, scope) = match (trust.bounty_table().await, trust.scope().await) {
        (Ok(r), Ok(s)) => (r, s),
        (Err(e), _) | (_, Err(e)) => return error_page(&state, &e),
    };
    let rows: Vec<Value> = rows
        .iter()
        .map(|b| context! { severity => b.severity.as_str(), min => cents(b.min_cents), max => cents(b.max_cents) })
        .collect();
    let asset = |a: &custodian_trust::ScopeAsset| context! { asset => &a.asset, notes => &a.notes };
    let in_scope: Vec<Value> = scope.iter().filter(|a| a.in_scope).map(asset).collect();
    let out_of_scope: Vec<Value> = scope.iter().filter(|a| !a.in_scope).map(asset).collect();
    let contact = &trust.config().security_contact;
    render(
        &state,
        "trust_policy.html",
        context! {
            bounty => rows, contact => contact, in_scope => in_scope, out_of_scope => out_of_scope,
        },
    )
    .into_response()
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

/// A report form as posted: its fields and its attachments (name, type, bytes).
type Posted = (ReportForm, Vec<(String, String, Vec<u8>)>);

/// Reads the form, multipart (with attachments, as the page sends it) or URL-encoded.
async fn posted(state: &AppState, req: Request) -> Result<Posted, Response> {
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        return match Form::<ReportForm>::from_request(req, state).await {
            Ok(Form(f)) => Ok((f, Vec::new())),
            Err(e) => Err(e.into_response()),
        };
    }
    let mut form = Multipart::from_request(req, state)
        .await
        .map_err(IntoResponse::into_response)?;
    let mut f = ReportForm::default();
    let mut files = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => return Err((e.status(), e.body_text()).into_response()),
        };
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let ty = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_owned();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| (e.status(), e.body_text()).into_response())?;
        if name == "attachments" {
            // A file input left empty still sends a part, with no name and no bytes.
            if let Some(n) = file_name.filter(|n| !n.is_empty() || !bytes.is_empty()) {
                files.push((n, ty, bytes.to_vec()));
            }
            continue;
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        match name.as_str() {
            "csrf" => f.csrf = text,
            "email" => f.email = text,
            "handle" => f.handle = text,
            "hall_of_fame" => f.hall_of_fame = Some(text),
            "title" => f.title = text,
            "asset" => f.asset = text,
            "weakness" => f.weakness = text,
            "description" => f.description = text,
            "steps" => f.steps = text,
            "impact" => f.impact = text,
            "cvss" => f.cvss = text,
            _ => {}
        }
    }
    Ok((f, files))
}

/// `POST /security/report`. Public, CSRF-checked; nothing is stored unless every field and
/// every attachment is valid.
async fn submit(State(state): State<AppState>, req: Request) -> Response {
    let headers = req.headers().clone();
    let (f, attachments) = match posted(&state, req).await {
        Ok(v) => v,
        Err(r) => return r,
    };
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
        attachments,
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
        Err(
            e @ (TrustError::Invalid { .. }
            | TrustError::Duplicate(_)
            | TrustError::TooLarge { .. }
            | TrustError::WrongType(_)),
        ) => report_page(
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
