//! `/v1/scans` through `Router::oneshot` on both backends: permissions (403 without `scan.*`),
//! a secrets scan of a path on the server started with `POST` and read back with its findings
//! (fingerprints and locations; the planted value appears in no response), a network scan of a
//! loopback listener within the configured scope, an out-of-scope target refused with 422, the
//! diff of two network scans, and the admin console's scan pages behind sign-in.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use custodian_auth::{AuthService, SecretSealer};
use custodian_db::testing::TestDb;
use custodian_db::{Clock, ManualClock, Timestamp};
use custodian_scan::net::{NetScanConfig, PortList, Scope};
use custodian_scan::store::ScanStore;
use custodian_web::{AppState, RouterLimits, ScanConfig, router};
use http_body_util::BodyExt;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tower::ServiceExt;

const AWS_KEY: &str = "AKIAQW5ZR3TYV7XB2MNP";

struct XorSealer;

impl SecretSealer for XorSealer {
    fn seal(&self, _: &str, p: &[u8]) -> Vec<u8> {
        p.iter().map(|b| b ^ 0x5A).collect()
    }
    fn open(&self, c: &str, s: &[u8]) -> Option<Vec<u8>> {
        Some(self.seal(c, s))
    }
}

async fn app(t: &TestDb, port: u16) -> (axum::Router, AuthService) {
    let components = vec![custodian_auth::COMPONENT, custodian_scan::store::COMPONENT];
    t.db.migrate(&components).await.unwrap();
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(Timestamp(1_760_000_000_000_000)));
    let auth = AuthService::new(t.db.clone(), clock.clone(), Arc::new(XorSealer));
    let mut state = AppState::new(
        t.db.clone(),
        auth.clone(),
        clock.clone(),
        components,
        "Acme",
    );
    state.scans = Some(ScanConfig {
        store: ScanStore::new(t.db.clone(), clock),
        scope: Some(Scope::parse(&["127.0.0.0/8"]).unwrap()),
        net: NetScanConfig {
            ports: PortList::from_ports([port]).unwrap(),
            udp_snmp: false,
            timeout: Duration::from_millis(500),
            ..NetScanConfig::default()
        },
        content_roots: vec![std::env::temp_dir()],
    });
    let app = router(state, RouterLimits::default())
        .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    (app, auth)
}

async fn call(
    app: &axum::Router,
    method: &str,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (StatusCode, String) {
    let b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {key}"));
    let req = match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Polls a scan until it is no longer running (bounded: 10 s).
async fn finished(app: &axum::Router, key: &str, id: i64) -> Value {
    for _ in 0..200 {
        let (status, body) = call(app, "GET", &format!("/v1/scans/{id}"), key, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let v = json_of(&body);
        if v["scan"]["status"] != "running" {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("scan {id} did not finish in 10 s");
}

async fn scans_over_the_api(t: &TestDb) {
    // A loopback listener that accepts and closes: open, unidentified.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (app, auth) = app(t, port).await;
    let analyst = auth
        .create_api_key("ana", "analyst", "t", None)
        .await
        .unwrap();
    let analyst = analyst.secret.expose_secret().to_owned();
    let agent = auth
        .create_api_key("care", "agent", "t", None)
        .await
        .unwrap();
    let agent = agent.secret.expose_secret().to_owned();

    let (status, _) = call(&app, "GET", "/v1/scans", &agent, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let tree = tempfile::tempdir().unwrap();
    std::fs::write(
        tree.path().join(".env"),
        format!("AWS_ACCESS_KEY_ID={AWS_KEY}\n"),
    )
    .unwrap();
    let body = json!({"kind": "secrets", "paths": [tree.path()]});
    let (status, _) = call(&app, "POST", "/v1/scans", &agent, Some(body.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, out) = call(&app, "POST", "/v1/scans", &analyst, Some(body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{out}");
    let id = json_of(&out)["id"].as_i64().unwrap();
    let detail = finished(&app, &analyst, id).await;
    assert_eq!(detail["scan"]["status"], "done", "{detail}");
    let findings = detail["findings"].as_array().unwrap();
    assert!(!findings.is_empty());
    let loc = &findings[0]["locations"][0];
    assert!(
        loc["path"].as_str().unwrap().ends_with(".env") && loc["line"] == 1,
        "{detail}"
    );
    assert!(
        !detail.to_string().contains(AWS_KEY),
        "the value was answered"
    );
    // Only under [scan] content_roots (here the temporary directory), after resolving `..`
    // and symlinks; a missing path and one elsewhere get the same answer.
    let escape = format!("{}/../../etc", tree.path().display());
    let link = tree.path().join("to-etc");
    std::os::unix::fs::symlink("/etc", &link).unwrap();
    for path in [
        "/no/such/dir".to_owned(),
        "/etc".to_owned(),
        escape,
        link.display().to_string(),
    ] {
        let (status, out) = call(
            &app,
            "POST",
            "/v1/scans",
            &analyst,
            Some(json!({"kind": "pii", "paths": [path]})),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {out}");
        assert!(
            out.contains("is not an existing path under [scan] content_roots"),
            "{out}"
        );
    }

    // Network: out of scope refused before anything is sent; in scope found.
    let (status, out) = call(
        &app,
        "POST",
        "/v1/scans",
        &analyst,
        Some(json!({"kind": "net", "targets": ["192.0.2.1"]})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{out}");
    assert!(out.contains("out of scope"), "{out}");
    let net = json!({"kind": "net", "targets": ["127.0.0.1"]});
    let (_, out) = call(
        &app,
        "POST",
        "/v1/scans",
        &analyst,
        Some(json!({"kind": "net", "targets": ["127.0.0.1"], "ports": "1"})),
    )
    .await;
    let first = json_of(&out)["id"].as_i64().unwrap();
    finished(&app, &analyst, first).await;
    let accept = tokio::spawn(async move {
        for _ in 0..16 {
            let Ok((s, _)) = listener.accept().await else {
                break;
            };
            drop(s);
        }
    });
    let (status, out) = call(&app, "POST", "/v1/scans", &analyst, Some(net)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{out}");
    let second = json_of(&out)["id"].as_i64().unwrap();
    let detail = finished(&app, &analyst, second).await;
    accept.abort();
    assert_eq!(detail["scan"]["kind"], "net");
    assert!(
        detail["scan"]["probe_rate"].as_f64().unwrap() > 0.0,
        "{detail}"
    );
    assert_eq!(detail["findings"][0]["port"]["port"], port, "{detail}");

    let (status, out) = call(
        &app,
        "GET",
        &format!("/v1/scans/diff?old={first}&new={second}"),
        &analyst,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    let d = json_of(&out);
    assert_eq!(d["appeared"][0]["port"], port, "{out}");
    let (status, out) = call(&app, "GET", "/v1/scans?kind=net", &analyst, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json_of(&out).as_array().unwrap().len(), 2);
    let (status, _) = call(&app, "GET", "/v1/scans/9999", &analyst, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The console pages need a session.
    let req = Request::get("/admin/scans").body(Body::empty()).unwrap();
    let resp = app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let doc = custodian_web::openapi();
    let doc = serde_json::to_value(&doc).unwrap();
    for path in ["/v1/scans", "/v1/scans/{id}", "/v1/scans/diff"] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} in the OpenAPI document"
        );
    }
}

custodian_db::backend_tests!(scans_over_the_api);
