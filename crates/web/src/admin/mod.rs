//! The admin console under `/admin`: server-rendered pages that work without JavaScript. Sign-in
//! takes a password and a TOTP code; the session lives in an `HttpOnly`, `SameSite=Strict` cookie
//! (`Secure` under TLS); every form carries a CSRF token — the session's own once signed in, a
//! double-submit cookie on the sign-in form before there is a session.

mod campaigns;
mod incidents;
mod scans;
mod trust;

use axum::Router;
use axum::extract::{ConnectInfo, Form, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use custodian_auth::{AuthError, Principal, Session, SigninAttempt};
use minijinja::context;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::pages::render;

const SESSION_COOKIE: &str = "custodian_session";
const LOGIN_CSRF_COOKIE: &str = "custodian_login_csrf";

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(dashboard))
        .route("/admin/login", get(login_form).post(login))
        .route("/admin/logout", post(logout))
        .merge(campaigns::routes())
        .merge(incidents::routes())
        .merge(scans::routes())
        .merge(trust::routes())
}

/// The value of a cookie in the request, if present.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn set_cookie(state: &AppState, name: &str, value: &str, path: &str, max_age: i64) -> HeaderValue {
    let secure = if state.tls { "; Secure" } else { "" };
    let v = format!(
        "{name}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn random_token() -> String {
    let mut b = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// The signed-in session named by the request's cookie.
pub(crate) async fn session(state: &AppState, headers: &HeaderMap) -> Result<Session, AuthError> {
    let token = cookie(headers, SESSION_COOKIE).ok_or(AuthError::NoSession)?;
    state.auth.find_session(token).await
}

/// The signed-in principal, or the response to send instead (sign-in, or unavailable).
pub(super) async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(Principal, String), Response> {
    match session(state, headers).await {
        Ok(s) => Ok((s.principal, s.csrf_token)),
        Err(AuthError::NoSession) => Err(Redirect::to("/admin/login").into_response()),
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            Err((StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response())
        }
    }
}

pub(crate) fn tokens_match(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

async fn login_form(State(state): State<AppState>) -> Response {
    login_page(&state, None, "", StatusCode::OK)
}

fn login_page(
    state: &AppState,
    error: Option<&str>,
    username: &str,
    status: StatusCode,
) -> Response {
    let csrf = random_token();
    let html = render(
        state,
        "login.html",
        context! { csrf => &csrf, error => error, username => username },
    );
    let mut resp = (status, html).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, LOGIN_CSRF_COOKIE, &csrf, "/admin/login", 1800),
    );
    resp
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    username: String,
    password: String,
    totp: String,
}

/// `POST /admin/login`. Public; rate-limited per user and per source.
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or("");
    if !tokens_match(expected, &f.csrf) {
        return login_page(
            &state,
            Some("The form expired; please try again."),
            &f.username,
            StatusCode::FORBIDDEN,
        );
    }
    let password = SecretString::from(f.password);
    let source = peer.ip().to_string();
    let attempt = SigninAttempt {
        username: &f.username,
        password: &password,
        totp_code: &f.totp,
        source: &source,
    };
    match state.auth.sign_in(&attempt).await {
        Ok((token, _)) => {
            let mut resp = Redirect::to("/admin").into_response();
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    &state,
                    SESSION_COOKIE,
                    token.0.expose_secret(),
                    "/",
                    8 * 3600,
                ),
            );
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(&state, LOGIN_CSRF_COOKIE, "", "/admin/login", 0),
            );
            resp
        }
        Err(e @ AuthError::Throttled { .. }) => login_page(
            &state,
            Some(&e.to_string()),
            &f.username,
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(AuthError::BadSignin) => login_page(
            &state,
            Some("Wrong username, password or code."),
            &f.username,
            StatusCode::UNAUTHORIZED,
        ),
        Err(e) => {
            tracing::error!(error = %e, "admin sign-in failed");
            login_page(
                &state,
                Some("Sign-in is unavailable right now."),
                &f.username,
                StatusCode::SERVICE_UNAVAILABLE,
            )
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

/// `POST /admin/logout`. Needs a session and its CSRF token.
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let Ok(s) = session(&state, &headers).await else {
        return Redirect::to("/admin/login").into_response();
    };
    if !tokens_match(&s.csrf_token, &f.csrf) {
        return (StatusCode::FORBIDDEN, "invalid CSRF token").into_response();
    }
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = state.auth.sign_out(token).await
    {
        tracing::error!(error = %e, "sign-out failed");
    }
    let mut resp = Redirect::to("/admin/login").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", "/", 0),
    );
    resp
}

/// `GET /admin`. Needs an admin session.
async fn dashboard(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let s = match session(&state, &headers).await {
        Ok(s) => s,
        Err(AuthError::NoSession) => return Redirect::to("/admin/login").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response();
        }
    };
    let (keys, roles) = match (
        state.auth.list_api_keys().await,
        state.auth.list_roles().await,
    ) {
        (Ok(k), Ok(r)) => (k, r),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "dashboard query failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "unavailable").into_response();
        }
    };
    let now = state.clock.now().0;
    let keys: Vec<_> = keys
        .into_iter()
        .map(|k| {
            let status = if k.revoked_at.is_some() {
                "revoked"
            } else if k.expires_at.is_some_and(|e| e <= now) {
                "expired"
            } else {
                "active"
            };
            context! {
                prefix => k.prefix, principal => k.principal, role => k.role, label => k.label,
                created => custodian_db::Timestamp(k.created_at).to_rfc3339(),
                expires => k.expires_at.map_or_else(|| "never".to_owned(), |e| custodian_db::Timestamp(e).to_rfc3339()),
                status => status,
            }
        })
        .collect();
    let roles: Vec<_> = roles
        .iter()
        .map(|r| {
            let perms: Vec<&str> = r.permissions().map(|p| p.as_str()).collect();
            context! { name => r.name(), permissions => perms.join(" ") }
        })
        .collect();
    render(
        &state,
        "dashboard.html",
        context! {
            session => session_ctx(&s),
            keys => keys, roles => roles, backend => state.db.backend().as_str(),
        },
    )
    .into_response()
}

/// What templates may know of a session.
pub(crate) fn session_ctx(s: &Session) -> minijinja::Value {
    context! { name => &s.principal.name, role => s.principal.role.name(), csrf => &s.csrf_token }
}
