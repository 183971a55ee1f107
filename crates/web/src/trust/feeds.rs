//! Advisories as HTML pages and as feeds: Atom, CSAF 2.0 documents under
//! `/.well-known/csaf/white/<year>/`, `provider-metadata.json`, the JSON ROLIE feed, and
//! `/.well-known/security.txt` (`text/plain; charset=utf-8`).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use custodian_trust::feeds;
use minijinja::{Value, context};

use super::{day, error_page, service};
use crate::AppState;
use crate::pages::render;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/advisories", get(list))
        .route(feeds::ATOM_PATH, get(atom))
        .route("/advisories/{slug}", get(show))
        .route("/.well-known/security.txt", get(security_txt))
        .route(
            "/.well-known/csaf/provider-metadata.json",
            get(provider_metadata),
        )
        .route("/.well-known/csaf/feed-tlp-white.json", get(rolie))
        .route("/.well-known/csaf/white/{year}/{file}", get(csaf))
}

fn typed(content_type: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

/// `GET /advisories`. Public.
async fn list(State(state): State<AppState>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match trust.published_advisories().await {
        Ok(list) => {
            let list: Vec<Value> = list
                .iter()
                .map(|a| context! { slug => &a.slug, title => &a.title, kind => a.kind.as_str(), summary => &a.summary, date => day(a.published_at.unwrap_or(a.updated_at)), version => a.version })
                .collect();
            render(
                &state,
                "trust_advisories.html",
                context! { advisories => list },
            )
            .into_response()
        }
        Err(e) => error_page(&state, &e),
    }
}

/// `GET /advisories/{slug}`. Public; published notices only.
async fn show(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let a = match trust.published_advisory(&slug).await {
        Ok(a) => a,
        Err(e) => return error_page(&state, &e),
    };
    let revisions: Vec<Value> = match trust.advisory_revisions(a.id).await {
        Ok(r) => r
            .iter()
            .map(|(v, at, s)| context! { version => v, date => day(*at), summary => s })
            .collect(),
        Err(e) => return error_page(&state, &e),
    };
    let severity = a
        .cvss_vector
        .as_deref()
        .and_then(|v| custodian_trust::cvss::score(v).ok())
        .map(|s| format!("{} ({}.{})", s.severity, s.score / 10, s.score % 10));
    let ctx = context! {
        title => &a.title, kind => a.kind.as_str(), summary => &a.summary,
        // Sanitized by the trust crate's markdown renderer: raw HTML is escaped, unsafe URLs dropped.
        body => Value::from_safe_string(a.body_html()),
        published => day(a.published_at.unwrap_or(a.updated_at)), updated => day(a.updated_at),
        version => a.version, revisions => revisions, lookup_url => &a.lookup_url,
        incident_id => &a.incident_id, cvss => &a.cvss_vector, severity => severity,
        csaf => feeds::csaf_path(&a),
    };
    render(&state, "trust_advisory.html", ctx).into_response()
}

/// `GET /advisories/feed.atom`. Public.
async fn atom(State(state): State<AppState>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match trust.published_advisories().await {
        Ok(list) => typed(
            "application/atom+xml; charset=utf-8",
            feeds::atom(trust.config(), &list, trust.now()),
        ),
        Err(e) => error_page(&state, &e),
    }
}

/// `GET /.well-known/security.txt`. Public.
async fn security_txt(State(state): State<AppState>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match trust.security_txt().await {
        Ok(text) => typed("text/plain; charset=utf-8", text),
        Err(e) => error_page(&state, &e),
    }
}

/// `GET /.well-known/csaf/provider-metadata.json`. Public.
async fn provider_metadata(State(state): State<AppState>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let last = match trust.published_advisories().await {
        Ok(l) => l
            .iter()
            .map(|a| a.updated_at)
            .max()
            .unwrap_or_else(|| trust.now()),
        Err(e) => return error_page(&state, &e),
    };
    typed(
        "application/json",
        feeds::provider_metadata(trust.config(), last).to_string(),
    )
}

/// `GET /.well-known/csaf/feed-tlp-white.json`. Public.
async fn rolie(State(state): State<AppState>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match trust.published_advisories().await {
        Ok(list) => typed(
            "application/json",
            feeds::rolie(trust.config(), &list, trust.now()).to_string(),
        ),
        Err(e) => error_page(&state, &e),
    }
}

/// `GET /.well-known/csaf/white/{year}/{id}.json`. Public; published notices only.
async fn csaf(
    State(state): State<AppState>,
    Path((year, file)): Path<(String, String)>,
) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let Some(slug) = file.strip_suffix(".json") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let a = match trust.published_advisory(slug).await {
        Ok(a) => a,
        Err(e) => return error_page(&state, &e),
    };
    if feeds::csaf_path(&a) != format!("/.well-known/csaf/white/{year}/{file}") {
        return StatusCode::NOT_FOUND.into_response();
    }
    match trust.advisory_revisions(a.id).await {
        Ok(revs) => typed(
            "application/json",
            feeds::csaf(trust.config(), &a, &revs).to_string(),
        ),
        Err(e) => error_page(&state, &e),
    }
}
