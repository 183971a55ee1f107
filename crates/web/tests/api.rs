//! The HTTP edge through `Router::oneshot` on both backends: authentication (401 vs 403), the one
//! error shape, security headers, health and readiness, the OpenAPI document, and the console's
//! sign-in with CSRF.

// Test code: a broken fixture should panic loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use custodian_auth::{AuthService, SecretSealer};
use custodian_db::testing::TestDb;
use custodian_db::{Clock, ManualClock, Timestamp};
use custodian_web::{AppState, RouterLimits, router};
use http_body_util::BodyExt;
use secrecy::ExposeSecret;
use tower::ServiceExt;

struct PlainSealer;
impl SecretSealer for PlainSealer {
    fn seal(&self, _: &str, p: &[u8]) -> Vec<u8> {
        p.iter().map(|b| b ^ 0x5A).collect()
    }
    fn open(&self, c: &str, s: &[u8]) -> Option<Vec<u8>> {
        Some(self.seal(c, s))
    }
}

struct Harness {
    app: axum::Router,
    auth: AuthService,
    clock: ManualClock,
}

async fn harness(t: &TestDb) -> Harness {
    t.db.migrate(&[custodian_auth::COMPONENT]).await.unwrap();
    let clock = ManualClock::new(Timestamp(1_760_000_000_000_000));
    let c: Arc<dyn Clock> = Arc::new(clock.clone());
    let auth = AuthService::new(t.db.clone(), c.clone(), Arc::new(PlainSealer));
    let state = AppState::new(
        t.db.clone(),
        auth.clone(),
        c,
        vec![custodian_auth::COMPONENT],
        "Acme Mobile",
    );
    let app = router(
        state,
        RouterLimits {
            max_body_bytes: 4096,
        },
    )
    .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    Harness { app, auth, clock }
}

async fn call(
    app: &axum::Router,
    req: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

fn get(path: &str, key: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(k) = key {
        b = b.header(header::AUTHORIZATION, format!("Bearer {k}"));
    }
    b.body(Body::empty()).unwrap()
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
}

async fn v1_requires_a_valid_key_and_the_right_role(t: &TestDb) {
    let h = harness(t).await;
    // No key: 401 in the one error shape.
    let (s, _, b) = call(&h.app, get("/v1/api-keys", None)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(
        custodian_web::error_code(&json(&b)),
        Some("unauthenticated")
    );
    // Malformed key: 401.
    let (s, _, _) = call(&h.app, get("/v1/whoami", Some("cus_nope"))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let admin = h
        .auth
        .create_api_key("ops", "admin", "", Some(3600))
        .await
        .unwrap();
    let agent = h
        .auth
        .create_api_key("care", "agent", "", None)
        .await
        .unwrap();
    let (s, _, b) = call(
        &h.app,
        get("/v1/api-keys", Some(admin.secret.expose_secret())),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&b).as_array().unwrap().len(), 2);

    // Wrong role: 403, naming the permission.
    let (s, _, b) = call(
        &h.app,
        get("/v1/api-keys", Some(agent.secret.expose_secret())),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let body = json(&b);
    assert_eq!(custodian_web::error_code(&body), Some("forbidden"));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("apikeys.manage")
    );
    let (s, _, b) = call(
        &h.app,
        get("/v1/whoami", Some(agent.secret.expose_secret())),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json(&b)["role"], "agent");

    // Revoked: 401.
    h.auth.revoke_api_key(&agent.info.prefix).await.unwrap();
    let (s, _, b) = call(
        &h.app,
        get("/v1/whoami", Some(agent.secret.expose_secret())),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(String::from_utf8_lossy(&b).contains("revoked"));

    // Expired: 401.
    h.clock.advance(3601);
    let (s, _, b) = call(
        &h.app,
        get("/v1/whoami", Some(admin.secret.expose_secret())),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(String::from_utf8_lossy(&b).contains("expired"));
}

async fn create_key_over_the_api_validates_input(t: &TestDb) {
    let h = harness(t).await;
    let admin = h
        .auth
        .create_api_key("ops", "admin", "", None)
        .await
        .unwrap();
    let post = |body: &str| {
        Request::post("/v1/api-keys")
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", admin.secret.expose_secret()),
            )
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let (s, _, b) = call(&h.app, post(r#"{"principal":"crm","role":"service"}"#)).await;
    assert_eq!(s, StatusCode::CREATED);
    let key = json(&b)["key"].as_str().unwrap().to_owned();
    let (s, _, _) = call(&h.app, get("/v1/whoami", Some(&key))).await;
    assert_eq!(s, StatusCode::OK);

    let (s, _, b) = call(&h.app, post(r#"{"principal":"crm2","role":"wizard"}"#)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(&b)["error"]["field"], "role");
    let (s, _, b) = call(
        &h.app,
        post(r#"{"principal":"x","role":"service","expires_in_days":0}"#),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(&b)["error"]["field"], "expires_in_days");
    let (s, _, b) = call(&h.app, post("{not json")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(&b)["error"]["field"], "body");
    let big = format!(
        r#"{{"principal":"x","role":"service","label":"{}"}}"#,
        "a".repeat(10_000)
    );
    let (s, _, b) = call(&h.app, post(&big)).await;
    assert_eq!(
        s,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        String::from_utf8_lossy(&b)
    );

    // Unknown prefix on revoke: 404 in the error shape.
    let del = Request::delete("/v1/api-keys/cus_zzzzzzzz")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", admin.secret.expose_secret()),
        )
        .body(Body::empty())
        .unwrap();
    let (s, _, b) = call(&h.app, del).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(custodian_web::error_code(&json(&b)), Some("not_found"));
}

async fn health_readiness_metrics_and_headers(t: &TestDb) {
    let h = harness(t).await;
    let (s, headers, _) = call(&h.app, get("/healthz", None)).await;
    assert_eq!(s, StatusCode::OK);
    for (name, want) in [
        ("content-security-policy", custodian_web::CSP),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
    ] {
        assert_eq!(headers.get(name).unwrap(), want, "{name}");
    }
    assert!(
        headers
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert!(headers.get("x-request-id").is_some());
    let (s, _, b) = call(&h.app, get("/readyz", None)).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let (s, _, b) = call(&h.app, get("/metrics", None)).await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8(b).unwrap();
    assert!(text.contains("custodian_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/readyz\""), "{text}");
    let (s, _, b) = call(&h.app, get("/nope", None)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(custodian_web::error_code(&json(&b)), Some("not_found"));
}

async fn readiness_fails_when_migrations_are_pending(t: &TestDb) {
    t.db.migrate(&[custodian_auth::COMPONENT]).await.unwrap();
    const EXTRA: custodian_db::Component = custodian_db::Component {
        name: "later",
        migrations: &[custodian_db::Migration {
            version: 1,
            name: "x",
            sqlite: "SELECT 1",
            postgres: "SELECT 1",
        }],
    };
    let c: Arc<dyn Clock> = Arc::new(custodian_db::SystemClock);
    let auth = AuthService::new(t.db.clone(), c.clone(), Arc::new(PlainSealer));
    let state = AppState::new(
        t.db.clone(),
        auth,
        c,
        vec![custodian_auth::COMPONENT, EXTRA],
        "X",
    );
    let app = router(state, RouterLimits::default());
    let (s, _, b) = call(&app, get("/readyz", None)).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
    assert!(String::from_utf8_lossy(&b).contains("later/1"));
    t.db.close().await;
    let (s, _, _) = call(&app, get("/readyz", None)).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE);
}

async fn openapi_document_lists_the_routes(t: &TestDb) {
    let h = harness(t).await;
    let (s, _, b) = call(&h.app, get("/v1/openapi.json", None)).await;
    assert_eq!(s, StatusCode::OK);
    let doc = json(&b);
    for p in [
        "/v1/whoami",
        "/v1/api-keys",
        "/v1/api-keys/{prefix}",
        "/healthz",
        "/readyz",
    ] {
        assert!(doc["paths"].get(p).is_some(), "missing {p}");
    }
    assert!(
        doc["components"]["securitySchemes"]
            .get("api_key")
            .is_some()
    );
}

async fn console_sign_in_needs_csrf_password_and_totp(t: &TestDb) {
    let h = harness(t).await;
    let pw = secrecy::SecretString::from("console password 123");
    let enrol = h.auth.create_admin("root", &pw).await.unwrap();
    // Not signed in: redirected.
    let (s, headers, _) = call(&h.app, get("/admin", None)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(headers.get(header::LOCATION).unwrap(), "/admin/login");
    // The form sets a CSRF cookie and embeds the same token.
    let (s, headers, b) = call(&h.app, get("/admin/login", None)).await;
    assert_eq!(s, StatusCode::OK);
    let cookie = headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let csrf = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    assert!(String::from_utf8(b).unwrap().contains(&csrf));

    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        totp_rs::Secret::Encoded(enrol.totp_secret_base32.expose_secret().to_owned())
            .to_bytes()
            .unwrap(),
        None,
        "root".into(),
    )
    .unwrap();
    let code = totp.generate(h.clock.now().unix_seconds() as u64);
    let form = |csrf_field: &str, code: &str| {
        Request::post("/admin/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("custodian_login_csrf={csrf}"))
            .body(Body::from(format!(
                "csrf={csrf_field}&username=root&password=console+password+123&totp={code}"
            )))
            .unwrap()
    };
    // A forged post (wrong CSRF) is refused and signs nobody in.
    let (s, _, _) = call(&h.app, form("forged", &code)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Wrong code: 401 with a generic message.
    let (s, _, b) = call(&h.app, form(&csrf, "000000")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(
        String::from_utf8(b)
            .unwrap()
            .contains("Wrong username, password or code.")
    );
    // Right everything: a session cookie and the dashboard.
    let (s, headers, _) = call(&h.app, form(&csrf, &code)).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let session = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("custodian_session="))
        .unwrap();
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"));
    let token = session.split(';').next().unwrap().to_owned();
    let req = Request::get("/admin")
        .header(header::COOKIE, token.clone())
        .body(Body::empty())
        .unwrap();
    let (s, _, b) = call(&h.app, req).await;
    assert_eq!(s, StatusCode::OK);
    let page = String::from_utf8(b).unwrap();
    assert!(page.contains("Overview") && page.contains("Acme Mobile"));
    // Logout without the session's CSRF token is refused.
    let req = Request::post("/admin/logout")
        .header(header::COOKIE, token.clone())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("csrf=wrong"))
        .unwrap();
    let (s, _, _) = call(&h.app, req).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

custodian_db::backend_tests!(
    v1_requires_a_valid_key_and_the_right_role,
    create_key_over_the_api_validates_input,
    health_readiness_metrics_and_headers,
    readiness_fails_when_migrations_are_pending,
    openapi_document_lists_the_routes,
    console_sign_in_needs_csrf_password_and_totp
);
