//! The public pages through the real router: content types, CSP, CSRF on forms, the subscription
//! flow (same answer on a repeat sign-up, GET never unsubscribes, the RFC 8058 POST does),
//! injection attempts rendered inert.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use custodian_auth::{AuthService, SecretSealer};
use custodian_db::Clock;
use custodian_db::testing::TestDb;
use custodian_web::{AppState, RouterLimits, router};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::common::{env, link_token};
use crate::notices::notice;

pub(crate) struct PlainSealer;
impl SecretSealer for PlainSealer {
    fn seal(&self, _: &str, p: &[u8]) -> Vec<u8> {
        p.to_vec()
    }
    fn open(&self, _: &str, s: &[u8]) -> Option<Vec<u8>> {
        Some(s.to_vec())
    }
}

async fn app(t: &TestDb, e: &crate::common::Env) -> axum::Router {
    t.db.migrate(&[custodian_auth::COMPONENT]).await.unwrap();
    let clock: Arc<dyn Clock> = Arc::new(e.clock.clone());
    let auth = AuthService::new(t.db.clone(), clock.clone(), Arc::new(PlainSealer));
    let mut state = AppState::new(
        t.db.clone(),
        auth,
        clock,
        vec![custodian_trust::COMPONENT],
        "Acme <Mobile>",
    );
    state.trust = Some(e.trust.clone());
    router(state, RouterLimits::default())
        .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))))
}

pub(crate) async fn call(
    app: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, HeaderMap, String) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

fn post(path: &str, cookie: Option<&str>, body: &str) -> Request<Body> {
    let mut b =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::from(body.to_owned())).unwrap()
}

/// The CSRF cookie a form page set and the token in its hidden field.
fn csrf(headers: &HeaderMap, body: &str) -> (String, String) {
    let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    let pair = cookie.split(';').next().unwrap().to_owned();
    let token = link_token(body, "name=\"csrf\" value=\"");
    (pair, token.trim_end_matches("\">").to_owned())
}

async fn pages_serve_the_right_types_and_refuse_forged_forms(t: &TestDb) {
    let e = env(t).await;
    let app = app(t, &e).await;
    let (s, h, body) = call(&app, get("/")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        h.get(header::CONTENT_SECURITY_POLICY)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    assert!(
        body.contains("Acme &lt;Mobile&gt; Trust Center"),
        "brand escaped"
    );
    let (_, h, txt) = call(&app, get("/.well-known/security.txt")).await;
    assert_eq!(h[header::CONTENT_TYPE], "text/plain; charset=utf-8");
    assert!(txt.contains("Expires: "));
    let (_, h, _) = call(&app, get("/advisories/feed.atom")).await;
    assert_eq!(
        h[header::CONTENT_TYPE],
        "application/atom+xml; charset=utf-8"
    );

    e.trust
        .create_advisory(&notice("incident-1"))
        .await
        .unwrap();
    e.trust.publish_advisory("incident-1").await.unwrap();
    let (s, _, page) = call(&app, get("/advisories/incident-1")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !page.contains("<script>alert") && !page.contains("javascript:"),
        "{page}"
    );
    assert!(page.contains("&lt;script&gt;") && page.contains("&lt;update&gt;"));
    let (s, h, json) = call(&app, get("/.well-known/csaf/provider-metadata.json")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "application/json");
    assert!(json.contains("\"metadata_version\":\"2.0\""));
    let year =
        custodian_trust::feeds::csaf_path(&e.trust.published_advisory("incident-1").await.unwrap());
    let (s, _, doc) = call(&app, get(&year)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc.contains("csaf_security_incident_response"));

    // A forged report (no CSRF cookie) is refused and stores nothing.
    let forged = "csrf=x&email=a%40b.example&handle=eve&title=t&asset=a&weakness=w&description=d&steps=s&impact=i&cvss=";
    let (s, _, _) = call(&app, post("/security/report", None, forged)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(e.trust.reports(None).await.unwrap().is_empty());

    // Injection in form fields comes back escaped with the error.
    let (_, h, form) = call(&app, get("/security/report")).await;
    let (cookie, token) = csrf(&h, &form);
    let evil = format!(
        "csrf={token}&email=bad&handle=eve&title=%3Cscript%3Ealert(1)%3C%2Fscript%3E&asset=a&weakness=w&description=%22%3E%3Cimg+src%3Dx+onerror%3Dalert(1)%3E&steps=s&impact=i&cvss="
    );
    let (s, _, page) = call(&app, post("/security/report", Some(&cookie), &evil)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !page.contains("<script>alert") && !page.contains("<img src=x"),
        "{page}"
    );
    assert!(
        page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            || page.contains("&lt;script&gt;")
    );
    let ok = format!(
        "csrf={token}&email=r%40example.net&handle=rita&title=XSS&asset=a&weakness=CWE-79&description=d&steps=s&impact=i&cvss=CVSS%3A3.1%2FAV%3AN%2FAC%3AL%2FPR%3AN%2FUI%3AN%2FS%3AU%2FC%3AH%2FI%3AH%2FA%3AH"
    );
    let (s, _, _) = call(&app, post("/security/report", Some(&cookie), &ok)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        e.trust.reports(None).await.unwrap()[0].score_tenths,
        Some(98)
    );
}

async fn subscription_pages_never_leak_and_get_never_unsubscribes(t: &TestDb) {
    let e = env(t).await;
    let app = app(t, &e).await;
    let (_, h, form) = call(&app, get("/subscribe")).await;
    let (cookie, token) = csrf(&h, &form);
    let body = format!("csrf={token}&email=s%40example.org&topic=incidents&topic=advisories");
    let (s1, _, first) = call(&app, post("/subscribe", Some(&cookie), &body)).await;
    let confirm = link_token(&e.mail.sent()[0].text, "/subscribe/confirm/");
    let (s, _, button) = call(&app, get(&format!("/subscribe/confirm/{confirm}"))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(button.contains("<form method=\"post\""));
    assert!(
        e.trust.subscribers().await.unwrap()[0]
            .confirmed_at
            .is_none(),
        "GET does not confirm"
    );
    let (s, _, _) = call(
        &app,
        post(&format!("/subscribe/confirm/{confirm}"), None, ""),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = call(
        &app,
        post(&format!("/subscribe/confirm/{confirm}"), None, ""),
    )
    .await;
    assert_eq!(s, StatusCode::GONE, "reused link");
    let (s2, _, second) = call(&app, post("/subscribe", Some(&cookie), &body)).await;
    assert_eq!(
        (s1, first),
        (s2, second),
        "a repeat sign-up gets the same answer"
    );

    let unsub = e.mail.sent()[0].unsubscribe_url.clone().unwrap();
    let path = unsub.trim_start_matches("https://trust.example.com");
    let (s, _, _) = call(&app, get(path)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        e.trust.subscribers().await.unwrap()[0].is_active(),
        "GET never unsubscribes"
    );
    let (s, _, _) = call(&app, post(path, None, "List-Unsubscribe=One-Click")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !e.trust.subscribers().await.unwrap()[0].is_active(),
        "the one-click POST does"
    );
}

/// Branding from the settings: the logo is served with its own type and shown in the header,
/// and the colours reach the pages through the stylesheet (no inline style under the CSP).
async fn branding_shows_the_logo_and_colours(t: &TestDb) {
    let mut e = env(t).await;
    let mut cfg = e.trust.config().clone();
    cfg.branding = custodian_trust::Branding {
        logo: Some(custodian_trust::Logo::from_bytes(b"\x89PNG\r\n\x1a\nlogo".to_vec()).unwrap()),
        header_colour: "#222222".to_owned(),
        accent_colour: "#0b5cad".to_owned(),
    };
    e.trust = custodian_trust::TrustService::open(
        t.db.clone(),
        Arc::new(e.clock.clone()),
        cfg,
        Arc::new(e.mail.clone()),
    )
    .await
    .unwrap();
    let app = app(t, &e).await;
    let (_, _, home) = call(&app, get("/")).await;
    assert!(
        home.contains("<img class=\"logo\" src=\"/brand/logo\""),
        "{home}"
    );
    assert!(home.contains("/static/brand.css") && !home.contains("style="));
    let (s, h, _) = call(&app, get("/brand/logo")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h[header::CONTENT_TYPE], "image/png");
    let (_, h, css) = call(&app, get("/static/brand.css")).await;
    assert_eq!(h[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert!(css.contains("header.top { background: #222222; }"), "{css}");
    assert!(css.contains("--accent: #0b5cad"));
    // Without a logo, none is shown and the route answers 404.
    let plain = app_without_logo(t).await;
    let (s, _, _) = call(&plain, get("/brand/logo")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, _, home) = call(&plain, get("/")).await;
    assert!(!home.contains("/brand/logo"));
}

async fn app_without_logo(t: &TestDb) -> axum::Router {
    let e = env(t).await;
    app(t, &e).await
}

custodian_db::backend_tests!(
    pages_serve_the_right_types_and_refuse_forged_forms,
    subscription_pages_never_leak_and_get_never_unsubscribes,
    branding_shows_the_logo_and_colours
);
