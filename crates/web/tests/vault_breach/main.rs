//! The vault and breach engine over HTTP through `Router::oneshot`, on both backends, in one
//! test binary: `incidents` (the incident lifecycle, bad input, the console pages) and `people`
//! (`/v1/people`). The router harness below is shared by both.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

mod campaigns;
mod incidents;
mod people;
mod trust;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use custodian_auth::{AuthService, SecretSealer};
use custodian_breach::BreachService;
use custodian_breach::obligations::RuleBook;
use custodian_db::testing::TestDb;
use custodian_db::{Clock, ManualClock, Timestamp};
use custodian_vault::policy::Policy;
use custodian_vault::{DEFAULT_TENANT, FileKeyProvider, KeyCacheConfig, Keyring, Vault};
use custodian_web::{AppState, RouterLimits, router};
use http_body_util::BodyExt;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tower::ServiceExt;

struct XorSealer;

impl SecretSealer for XorSealer {
    fn seal(&self, _: &str, p: &[u8]) -> Vec<u8> {
        p.iter().map(|b| b ^ 0x5A).collect()
    }
    fn open(&self, c: &str, s: &[u8]) -> Option<Vec<u8>> {
        Some(self.seal(c, s))
    }
}

/// The router over the vault and breach engine (notification campaigns are there too, with a
/// generous lookup limit).
async fn app(t: &TestDb) -> (axum::Router, AuthService, ManualClock) {
    let h = notify_app(t, 100.0).await;
    (h.app, h.auth, h.clock)
}

/// The router with the vault, breach engine and notification campaigns, and what a test needs
/// to run a campaign worker.
struct NotifyApp {
    app: axum::Router,
    auth: AuthService,
    clock: ManualClock,
    notify: custodian_notify::Notify,
    /// The `notify-worker` principal (role `notifier`).
    worker: custodian_auth::Principal,
    /// The Trust Center and the mail it sent.
    trust: custodian_trust::TrustService,
    trust_mail: custodian_trust::RecordingMailer,
}

async fn notify_app(t: &TestDb, ip_burst: f64) -> NotifyApp {
    let components = vec![
        custodian_auth::COMPONENT,
        custodian_vault::COMPONENT,
        custodian_breach::COMPONENT,
        custodian_notify::COMPONENT,
        custodian_trust::COMPONENT,
    ];
    t.db.migrate(&components).await.unwrap();
    let manual = ManualClock::new(Timestamp(1_755_691_200_000_000));
    let clock: Arc<dyn Clock> = Arc::new(manual.clone());
    let auth = AuthService::new(t.db.clone(), clock.clone(), Arc::new(XorSealer));
    let provider = Arc::new(FileKeyProvider::open(t.dir.path()).unwrap());
    let keys = Keyring::new(provider, DEFAULT_TENANT, KeyCacheConfig::default());
    let vault = Vault::open(t.db.clone(), keys, Policy::default(), clock.clone())
        .await
        .unwrap();
    let breach = BreachService::new(vault.clone(), clock.clone(), RuleBook::shipped().unwrap());
    let notify = custodian_notify::Notify::new(
        vault.clone(),
        breach.clone(),
        clock.clone(),
        custodian_notify::codes::CodeKey::new([7; 32]),
    )
    .with_limits(custodian_notify::lookup::Limits::new(
        ip_burst,
        0.0,
        ip_burst,
        0.0,
        std::time::Duration::from_millis(5),
    ));
    let trust_mail = custodian_trust::RecordingMailer::default();
    let trust = custodian_trust::TrustService::open(
        t.db.clone(),
        clock.clone(),
        custodian_trust::TrustConfig::new(
            "https://trust.acme.example",
            "Acme Mobile",
            "security@acme.example",
        ),
        Arc::new(trust_mail.clone()),
    )
    .await
    .unwrap();
    let mut state = AppState::new(t.db.clone(), auth.clone(), clock, components, "Acme Mobile");
    state.trust = Some(trust.clone());
    state.breach = Some(breach);
    state.vault = Some(vault);
    state.notify = Some(notify.clone());
    let app = router(
        state,
        RouterLimits {
            max_body_bytes: 1 << 20,
        },
    )
    .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
    let worker = auth
        .ensure_principal(
            "notify-worker",
            custodian_auth::PrincipalKind::Service,
            "notifier",
        )
        .await
        .unwrap();
    NotifyApp {
        app,
        auth,
        clock: manual,
        notify,
        worker,
        trust,
        trust_mail,
    }
}

async fn call(app: &axum::Router, req: Request<Body>) -> (StatusCode, String, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let ctype = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, ctype, body)
}

fn req(method: &str, path: &str, key: &str, body: Option<Value>) -> Request<Body> {
    let b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {key}"));
    match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    }
}

fn json_of(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(body)))
}
