//! Home, attestations (with the gated request flow and magic-link downloads), security practices,
//! and subscriptions (double opt-in, confirm and unsubscribe pages whose GET only shows a button).

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use custodian_trust::{AccessDecision, Attestation, NewAccessRequest, Topic};
use minijinja::{Value, context};
use serde::Deserialize;

use super::{
    PeerIp, csrf_issue, csrf_ok, csrf_refused, day, error_page, message, service, with_csrf,
};
use crate::AppState;
use crate::pages::render;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/static/trust.css", get(super::stylesheet))
        .route("/static/brand.css", get(super::brand_stylesheet))
        .route("/brand/logo", get(super::logo))
        .route("/practices", get(practices))
        .route("/practices/{slug}", get(practice))
        .route("/trust", get(attestations))
        .route("/trust/{slug}", get(attestation))
        .route("/trust/{slug}/request", axum::routing::post(request))
        .route("/trust/{slug}/document", get(public_document))
        .route("/trust/access/{link}", get(granted_document))
        .route("/subscribe", get(subscribe_form).post(subscribe))
        .route("/subscribe/confirm/{link}", get(confirm_form).post(confirm))
        .route(
            "/unsubscribe/{link}",
            get(unsubscribe_form).post(unsubscribe),
        )
}

fn attestation_view(a: &Attestation, now: custodian_db::Timestamp) -> Value {
    let status = if a.is_expired(now) {
        "expired"
    } else if a.is_expiring(now) {
        "expiring soon"
    } else {
        "current"
    };
    context! {
        slug => &a.slug, title => &a.title, issuer => &a.issuer, standard => &a.standard,
        scope => &a.scope, description => &a.description, visibility => a.visibility.as_str(),
        period => format!("{} to {}", day(a.period_start), day(a.period_end)),
        issued => day(a.issued_at), expires => day(a.expires_at), status => status,
        has_document => a.document.is_some(), is_gated => a.visibility.is_gated(),
    }
}

/// `GET /`. Public.
async fn home(State(state): State<AppState>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let now = trust.now();
    let (atts, advs) = match (
        trust.attestations(false).await,
        trust.published_advisories().await,
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return error_page(&state, &e),
    };
    let atts: Vec<Value> = atts.iter().map(|a| attestation_view(a, now)).collect();
    let advs: Vec<Value> = advs
        .iter()
        .take(5)
        .map(|a| context! { slug => &a.slug, title => &a.title, kind => a.kind.as_str(), date => day(a.published_at.unwrap_or(a.updated_at)) })
        .collect();
    render(
        &state,
        "trust_home.html",
        context! { attestations => atts, advisories => advs },
    )
    .into_response()
}

/// `GET /practices`. Public: the practices pages, the subprocessor list and the FAQ.
async fn practices(State(state): State<AppState>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let (pages, subs, faq) = match (
        trust.practice_pages().await,
        trust.subprocessors().await,
        trust.faq().await,
    ) {
        (Ok(p), Ok(s), Ok(f)) => (p, s, f),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return error_page(&state, &e),
    };
    let pages: Vec<Value> = pages
        .iter()
        .map(|p| context! { slug => &p.slug, title => &p.title, updated => day(p.updated_at) })
        .collect();
    let subs: Vec<Value> = subs
        .iter()
        .map(|s| context! { name => &s.name, purpose => &s.purpose, location => &s.location })
        .collect();
    let faq: Vec<Value> = faq
        .iter()
        .map(|f| {
            context! { question => &f.question, answer => Value::from_safe_string(f.answer_html()) }
        })
        .collect();
    render(
        &state,
        "trust_practices.html",
        context! { pages => pages, subprocessors => subs, faq => faq },
    )
    .into_response()
}

/// `GET /practices/{slug}`. Public.
async fn practice(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match trust.practice_page(&slug).await {
        Ok(p) => render(
            &state,
            "trust_practice.html",
            context! { page => context! {
                title => &p.title, updated => day(p.updated_at),
                body => Value::from_safe_string(p.body_html()),
            } },
        )
        .into_response(),
        Err(e) => error_page(&state, &e),
    }
}

/// `GET /trust`. Public.
async fn attestations(State(state): State<AppState>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match trust.attestations(false).await {
        Ok(list) => {
            let now = trust.now();
            let list: Vec<Value> = list.iter().map(|a| attestation_view(a, now)).collect();
            render(
                &state,
                "trust_attestations.html",
                context! { attestations => list },
            )
            .into_response()
        }
        Err(e) => error_page(&state, &e),
    }
}

#[allow(clippy::needless_pass_by_value)] // callers build the form context in place
fn attestation_page(
    state: &AppState,
    a: &Attestation,
    status: StatusCode,
    error: Option<&str>,
    form: Value,
) -> Response {
    let Some(trust) = state.trust.as_ref() else {
        return message(
            state,
            StatusCode::SERVICE_UNAVAILABLE,
            "Unavailable",
            "The Trust Center is not configured.",
        );
    };
    let (csrf, cookie) = csrf_issue(state);
    let html = render(
        state,
        "trust_attestation.html",
        context! {
            a => attestation_view(a, trust.now()), csrf => csrf, error => error, form => form,
            nda => &trust.config().nda_text, nda_version => trust.config().nda_version(),
        },
    );
    with_csrf(status, html, cookie)
}

/// `GET /trust/{slug}`. Public; records a view.
async fn attestation(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match trust.view_attestation(&slug).await {
        Ok(a) => attestation_page(&state, &a, StatusCode::OK, None, context! {}),
        Err(e) => error_page(&state, &e),
    }
}

#[derive(Deserialize)]
struct RequestForm {
    csrf: String,
    name: String,
    company: String,
    email: String,
    reason: String,
    #[serde(default)]
    nda: Option<String>,
}

/// `POST /trust/{slug}/request`. Public, CSRF-checked.
async fn request(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    PeerIp(ip): PeerIp,
    headers: HeaderMap,
    Form(f): Form<RequestForm>,
) -> Response {
    if !csrf_ok(&headers, &f.csrf) {
        return csrf_refused(&state);
    }
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    let req = NewAccessRequest {
        attestation: slug.clone(),
        name: f.name.clone(),
        company: f.company.clone(),
        email: f.email.clone(),
        reason: f.reason.clone(),
        has_accepted_nda: f.nda.is_some(),
        ip,
    };
    match trust.request_access(&req).await {
        Ok(AccessDecision::Approved { .. }) => message(
            &state,
            StatusCode::OK,
            "Request approved",
            "Your request was approved. A personal download link is on its way to your e-mail.",
        ),
        Ok(_) => message(
            &state,
            StatusCode::OK,
            "Request received",
            "Thank you. We review requests within two business days and will e-mail you a personal download link once approved.",
        ),
        Err(e @ custodian_trust::TrustError::Invalid { .. }) => {
            match trust.view_attestation(&slug).await {
                Ok(a) => attestation_page(
                    &state,
                    &a,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(&e.to_string()),
                    context! { name => f.name, company => f.company, email => f.email, reason => f.reason },
                ),
                Err(e) => error_page(&state, &e),
            }
        }
        Err(e) => error_page(&state, &e),
    }
}

fn download(doc: custodian_trust::Document) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", doc.name.replace('"', ""));
    let mut resp = (StatusCode::OK, doc.bytes).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = doc.content_type.parse() {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = disposition.parse() {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// `GET /trust/{slug}/document`. Public documents only; records a download.
async fn public_document(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match trust.public_document(&slug).await {
        Ok(d) => download(d),
        Err(e) => error_page(&state, &e),
    }
}

/// `GET /trust/access/{link}`. Anyone holding a live magic link; records a download.
async fn granted_document(State(state): State<AppState>, Path(link): Path<String>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match trust.granted_document(&link).await {
        Ok((_, d)) => download(d),
        Err(e) => error_page(&state, &e),
    }
}

fn subscribe_page(
    state: &AppState,
    status: StatusCode,
    error: Option<&str>,
    email: &str,
) -> Response {
    let (csrf, cookie) = csrf_issue(state);
    let topics: Vec<&str> = Topic::ALL.iter().map(|t| t.as_str()).collect();
    let html = render(
        state,
        "trust_subscribe.html",
        context! { csrf => csrf, error => error, email => email, topics => topics },
    );
    with_csrf(status, html, cookie)
}

/// `GET /subscribe`. Public.
async fn subscribe_form(State(state): State<AppState>) -> Response {
    subscribe_page(&state, StatusCode::OK, None, "")
}

/// `POST /subscribe`. Public, CSRF-checked. The answer never says whether the address was known.
async fn subscribe(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let mut csrf = String::new();
    let mut email = String::new();
    let mut topics = Vec::new();
    for (k, v) in pairs {
        match k.as_str() {
            "csrf" => csrf = v,
            "email" => email = v,
            "topic" => match Topic::parse(&v) {
                Ok(t) => topics.push(t),
                Err(e) => {
                    return subscribe_page(
                        &state,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        Some(&e.to_string()),
                        &email,
                    );
                }
            },
            _ => {}
        }
    }
    if !csrf_ok(&headers, &csrf) {
        return csrf_refused(&state);
    }
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match trust.subscribe(&email, &topics).await {
        Ok(outcome) => message(
            &state,
            StatusCode::OK,
            "Check your inbox",
            outcome.message(),
        ),
        Err(e @ custodian_trust::TrustError::Invalid { .. }) => subscribe_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&e.to_string()),
            &email,
        ),
        Err(e) => error_page(&state, &e),
    }
}

fn button_page(state: &AppState, title: &str, text: &str, action: &str, label: &str) -> Response {
    render(
        state,
        "trust_button.html",
        context! { title => title, text => text, action => action, label => label },
    )
    .into_response()
}

/// `GET /subscribe/confirm/{link}`: shows a button (mail scanners follow links; only the POST confirms).
async fn confirm_form(State(state): State<AppState>, Path(link): Path<String>) -> Response {
    let action = format!("/subscribe/confirm/{link}");
    button_page(
        &state,
        "Confirm your subscription",
        "Press the button to start receiving updates.",
        &action,
        "Confirm subscription",
    )
}

/// `POST /subscribe/confirm/{link}`. Anyone holding the link (the link is the credential).
async fn confirm(State(state): State<AppState>, Path(link): Path<String>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match trust.confirm_subscription(&link).await {
        Ok(_) => message(
            &state,
            StatusCode::OK,
            "Subscribed",
            "Your subscription is confirmed. Every mail has a one-click unsubscribe link.",
        ),
        Err(e) => error_page(&state, &e),
    }
}

/// `GET /unsubscribe/{link}`: shows a button; a GET never unsubscribes.
async fn unsubscribe_form(State(state): State<AppState>, Path(link): Path<String>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match trust.unsubscribe_target(&link).await {
        Ok((_, true)) => {
            let action = format!("/unsubscribe/{link}");
            button_page(
                &state,
                "Unsubscribe",
                "Press the button to stop all mail from the Trust Center.",
                &action,
                "Unsubscribe",
            )
        }
        Ok((_, false)) => message(
            &state,
            StatusCode::OK,
            "Not subscribed",
            "This address receives no mail from us.",
        ),
        Err(e) => error_page(&state, &e),
    }
}

/// `POST /unsubscribe/{link}`: the RFC 8058 one-click POST (from mail clients, without cookies)
/// and the button. Anyone holding the link.
async fn unsubscribe(State(state): State<AppState>, Path(link): Path<String>) -> Response {
    let trust = match service(&state) {
        Ok(t) => t,
        Err(r) => return r,
    };
    match trust.unsubscribe(&link).await {
        Ok(_) => message(
            &state,
            StatusCode::OK,
            "Unsubscribed",
            "You will receive no more mail from the Trust Center.",
        ),
        Err(e) => error_page(&state, &e),
    }
}
