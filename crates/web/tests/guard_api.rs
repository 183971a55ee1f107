//! The guard over HTTP through `Router::oneshot` on both backends: verification answers the same
//! shape for known and unknown accounts, throttling carries `Retry-After`, weak secrets get
//! `weak_secret`, permissions are checked, a locked line refuses a port-out and the customer is
//! notified, the care view stays empty until the caller is verified, and the OpenAPI document
//! lists the routes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use custodian_auth::{AuthService, SecretSealer};
use custodian_db::testing::TestDb;
use custodian_db::{Clock, ManualClock, Timestamp};
use custodian_guard::{
    GuardConfig, GuardDeps, GuardService, HashParams, HashingConfig, InMemoryFacts, NoticeKind,
    Pepper, RecordingNotifier,
};
use custodian_web::{AppState, RouterLimits, router};
use http_body_util::BodyExt;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tower::ServiceExt;

struct PlainSealer;
impl SecretSealer for PlainSealer {
    fn seal(&self, _: &str, p: &[u8]) -> Vec<u8> {
        p.to_vec()
    }
    fn open(&self, _: &str, s: &[u8]) -> Option<Vec<u8>> {
        Some(s.to_vec())
    }
}

struct H {
    app: axum::Router,
    notifier: Arc<RecordingNotifier>,
    service: String,
    agent: String,
    analyst: String,
}

async fn harness(t: &TestDb, with_guard: bool) -> H {
    let components = vec![custodian_auth::COMPONENT, custodian_guard::COMPONENT];
    t.db.migrate(&components).await.unwrap();
    let clock = ManualClock::new(Timestamp(1_760_000_000_000_000));
    let c: Arc<dyn Clock> = Arc::new(clock);
    let auth = AuthService::new(t.db.clone(), c.clone(), Arc::new(PlainSealer));
    let notifier = Arc::new(RecordingNotifier::new());
    let cfg = GuardConfig {
        hash: HashParams::new(64, 1, 1).unwrap(),
        hashing: HashingConfig {
            max_in_flight: 4,
            max_running: 2,
            trusted_reserve: 1,
            max_wait: Duration::from_secs(10),
            trusted_max_wait: Duration::from_secs(10),
        },
        ..GuardConfig::default()
    };
    let guard = GuardService::new(
        t.db.clone(),
        c.clone(),
        cfg,
        GuardDeps {
            peppers: vec![Pepper::new(1, &[7; 32]).unwrap()],
            facts: Arc::new(InMemoryFacts::new()),
            notifier: notifier.clone(),
        },
    )
    .unwrap();
    let mut state = AppState::new(t.db.clone(), auth.clone(), c, components, "Acme Mobile");
    if with_guard {
        state.guard = Some(Arc::new(guard));
    }
    let app = router(state, RouterLimits::default())
        .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    let key = |p: &'static str, r: &'static str| {
        let auth = auth.clone();
        async move {
            let k = auth.create_api_key(p, r, "", None).await.unwrap();
            k.secret.expose_secret().to_owned()
        }
    };
    H {
        app,
        notifier,
        service: key("retail-pos", "service").await,
        agent: key("care-desk", "agent").await,
        analyst: key("breach-team", "analyst").await,
    }
}

async fn send(
    h: &H,
    method: &str,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {key}"));
    let body = match body {
        Some(v) => {
            b = b.header(header::CONTENT_TYPE, "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let resp = h.app.clone().oneshot(b.body(body).unwrap()).await.unwrap();
    let (status, headers) = (resp.status(), resp.headers().clone());
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, headers, v)
}

fn ctx(ip: &str) -> Value {
    json!({"channel": "web", "client_ip": ip})
}

async fn verification_answers_alike_for_known_and_unknown_accounts(t: &TestDb) {
    let h = harness(t, true).await;
    let (s, _, b) = send(
        &h,
        "PUT",
        "/v1/accounts/ACCT-1/secrets/pin",
        &h.service,
        Some(json!({"secret": "123456"})),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("weak_secret"))
    );
    assert!(!b.to_string().contains("123456"));
    let (s, _, _) = send(
        &h,
        "PUT",
        "/v1/accounts/ACCT-1/secrets/pin",
        &h.service,
        Some(json!({"secret": "739164"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    for id in ["ACCT-1", "ACCT-NOBODY"] {
        let body = json!({"secret": "482915", "context": ctx("203.0.113.5")});
        let (s, _, b) = send(
            &h,
            "POST",
            &format!("/v1/accounts/{id}/verify"),
            &h.service,
            Some(body),
        )
        .await;
        assert_eq!((s, b), (StatusCode::OK, json!({"result": "wrong"})), "{id}");
    }
    let body = json!({"kind": "pin", "secret": "739164", "context": ctx("203.0.113.5")});
    let (_, _, b) = send(
        &h,
        "POST",
        "/v1/accounts/ACCT-1/verify",
        &h.agent,
        Some(body),
    )
    .await;
    assert_eq!(b, json!({"result": "ok"}));

    // One source over its limit: `throttled` with Retry-After, still status 200.
    for _ in 0..5 {
        let body = json!({"kind": "pin", "secret": "482916", "context": ctx("198.51.100.1")});
        send(
            &h,
            "POST",
            "/v1/accounts/ACCT-2/verify",
            &h.service,
            Some(body),
        )
        .await;
    }
    let body = json!({"secret": "482916", "context": ctx("198.51.100.1")});
    let (s, headers, b) = send(
        &h,
        "POST",
        "/v1/accounts/ACCT-2/verify",
        &h.service,
        Some(body),
    )
    .await;
    assert_eq!(
        (s, b["result"].as_str()),
        (StatusCode::OK, Some("throttled"))
    );
    let retry: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(b["retry_after_secs"].as_u64(), Some(retry));

    // Permissions and input checks.
    let body = json!({"secret": "1", "context": ctx("203.0.113.5")});
    let (s, _, _) = send(
        &h,
        "POST",
        "/v1/accounts/ACCT-1/verify",
        &h.analyst,
        Some(body),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let body = json!({"secret": "1", "context": {"channel": "fax"}});
    let (s, _, b) = send(
        &h,
        "POST",
        "/v1/accounts/ACCT-1/verify",
        &h.service,
        Some(body),
    )
    .await;
    assert_eq!(
        (s, b["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("channel"))
    );
    let (s, _, b) = send(
        &h,
        "GET",
        "/v1/guard/events?account=ACCT-1&limit=10",
        &h.service,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        b.as_array()
            .unwrap()
            .iter()
            .any(|e| e["outcome"] == "ok" && e["source"] == "203.0.113.5")
    );
}

async fn a_locked_line_refuses_port_out_and_the_customer_hears(t: &TestDb) {
    let h = harness(t, true).await;
    let k = &h.service;
    send(
        &h,
        "PUT",
        "/v1/accounts/ACCT-9/secrets/pin",
        k,
        Some(json!({"secret": "739164"})),
    )
    .await;
    let (s, _, _) = send(
        &h,
        "PUT",
        "/v1/lines/4155552671",
        k,
        Some(json!({"account_id": "ACCT-9"})),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, _, b) = send(
        &h,
        "PUT",
        "/v1/lines/4155552671/locks/port_out",
        k,
        Some(json!({"context": ctx("10.0.0.1")})),
    )
    .await;
    assert_eq!(b["decision"], "allowed");
    let (s, _, _) = send(
        &h,
        "POST",
        "/v1/accounts/ACCT-9/step-up",
        k,
        Some(json!({"purpose": "transfer_pin", "line": "+14155552671"})),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let code = h
        .notifier
        .take()
        .into_iter()
        .find_map(|n| match n.kind {
            NoticeKind::StepUpCode { code, .. } => Some(code.expose().to_owned()),
            _ => None,
        })
        .unwrap();
    let (s, _, b) = send(
        &h,
        "POST",
        "/v1/lines/4155552671/transfer-pin",
        k,
        Some(json!({"code": code, "context": ctx("10.0.0.1")})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let ntp = b["transfer_pin"].as_str().unwrap().to_owned();
    let body =
        json!({"transfer_pin": ntp, "requester": "SPID-1234", "context": {"channel": "porting"}});
    let (_, _, b) = send(&h, "POST", "/v1/lines/4155552671/port-out", k, Some(body)).await;
    assert_eq!(
        (b["decision"].as_str(), b["reason"].as_str()),
        (Some("refused"), Some("line_locked"))
    );
    let notices = h.notifier.take();
    assert!(
        notices
            .iter()
            .any(|n| matches!(n.kind, NoticeKind::ProtectionRequest { .. })
                && n.avoid_line.is_some())
    );
    let (_, _, b) = send(&h, "GET", "/v1/lines/4155552671", k, None).await;
    assert!(b["port_lock_since"].is_string() && b["transfer_pin_expires_at"].is_string());
    let (s, _, b) = send(
        &h,
        "GET",
        "/v1/guard/report?from=2025-10-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        k,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        b["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "port_out" && r["reason"] == "line_locked")
    );
    let (s, _, _) = send(
        &h,
        "POST",
        "/v1/lines/4155552671/sim-change",
        k,
        Some(json!({"code": "739164", "context": ctx("10.0.0.1")})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, _) = send(&h, "GET", "/v1/lines/4155550000", k, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn the_care_view_is_empty_until_the_caller_is_verified(t: &TestDb) {
    let h = harness(t, true).await;
    send(
        &h,
        "PUT",
        "/v1/accounts/ACCT-5/secrets/pin",
        &h.service,
        Some(json!({"secret": "739164"})),
    )
    .await;
    let (s, _, b) = send(
        &h,
        "POST",
        "/v1/care/sessions",
        &h.agent,
        Some(json!({"account_id": "ACCT-5"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let session = b["session"].as_str().unwrap().to_owned();
    let (_, _, b) = send(
        &h,
        "POST",
        "/v1/care/view",
        &h.agent,
        Some(json!({"session": session})),
    )
    .await;
    assert_eq!(b["verified"], false);
    assert!(b["account_id"].is_null() && b["lines"].as_array().unwrap().is_empty());
    let care = json!({"channel": "care"});
    let body = json!({"session": session, "secret": "739164", "context": care});
    let (_, _, b) = send(&h, "POST", "/v1/care/verify", &h.agent, Some(body)).await;
    assert_eq!(b["result"], "ok");
    let (_, _, b) = send(
        &h,
        "POST",
        "/v1/care/view",
        &h.agent,
        Some(json!({"session": session})),
    )
    .await;
    assert_eq!(
        (b["verified"].as_bool(), b["account_id"].as_str()),
        (Some(true), Some("ACCT-5"))
    );
}

async fn without_a_guard_the_routes_answer_503_and_the_document_lists_them(t: &TestDb) {
    let h = harness(t, false).await;
    let body = json!({"secret": "739164", "context": ctx("10.0.0.1")});
    let (s, _, b) = send(&h, "POST", "/v1/accounts/A/verify", &h.service, Some(body)).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable"))
    );
    let (_, _, doc) = send(&h, "GET", "/v1/openapi.json", &h.service, None).await;
    for p in [
        "/v1/accounts/{id}/verify",
        "/v1/lines/{msisdn}/port-out",
        "/v1/care/view",
        "/v1/guard/events",
        "/v1/guard/report",
    ] {
        assert!(doc["paths"].get(p).is_some(), "missing {p}");
    }
}

custodian_db::backend_tests!(
    verification_answers_alike_for_known_and_unknown_accounts,
    a_locked_line_refuses_port_out_and_the_customer_hears,
    the_care_view_is_empty_until_the_caller_is_verified,
    without_a_guard_the_routes_answer_503_and_the_document_lists_them,
);
