//! SMS through an HTTP gateway, on both backends: a loopback HTTP server stands in for the
//! vendor. Every person with a phone gets one text carrying their lookup and verification codes
//! and no SSN; the idempotency key rides in the body and the `Idempotency-Key` header; a `503` is
//! retried after the backoff, a `400` is a hard failure that falls back to a letter and puts the
//! number on the suppression list (the next campaign does not try it); the gateway can take JSON
//! or a form with the vendor's own field names.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use custodian_db::testing::TestDb;
use custodian_db::{ManualClock, Timestamp};
use custodian_notify::channel::{Channels, Letters, Sms, SmsConfig, SmsFormat};
use custodian_notify::model::ChannelKind;
use custodian_notify::{CampaignStatus, Settings, Worker, WorkerConfig, WorkerOutcome};

use common::{admin, campaign_on, env, incident, people};

/// One request the gateway received: content type, header key, and the fields.
#[derive(Debug, Clone)]
struct Got {
    json: bool,
    header_key: String,
    fields: BTreeMap<String, String>,
}

#[derive(Clone, Default)]
struct Gateway {
    got: Arc<Mutex<Vec<Got>>>,
    to_field: Arc<Mutex<String>>,
}

async fn receive(
    State(g): State<Gateway>,
    headers: HeaderMap,
    body: String,
) -> (StatusCode, String) {
    let json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let fields: BTreeMap<String, String> = if json {
        serde_json::from_str::<BTreeMap<String, String>>(&body).unwrap()
    } else {
        url_pairs(&body)
    };
    let to = fields
        .get(&*g.to_field.lock().unwrap())
        .cloned()
        .unwrap_or_default();
    let header_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let mut got = g.got.lock().unwrap();
    let earlier = got
        .iter()
        .filter(|x| x.fields.get(&*g.to_field.lock().unwrap()) == Some(&to))
        .count();
    got.push(Got {
        json,
        header_key,
        fields,
    });
    if to.ends_with("0003") {
        return (
            StatusCode::BAD_REQUEST,
            "{\"error\":\"not a mobile number\"}".into(),
        );
    }
    if to.ends_with("0004") && earlier == 0 {
        return (StatusCode::SERVICE_UNAVAILABLE, String::new());
    }
    (StatusCode::OK, format!("{{\"id\":\"gw-{}\"}}", got.len()))
}

/// `application/x-www-form-urlencoded` pairs.
fn url_pairs(body: &str) -> BTreeMap<String, String> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' && i + 2 < b.len() {
                out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    };
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

async fn start_gateway(g: Gateway) -> String {
    let app = axum::Router::new()
        .route("/sms", post(receive))
        .with_state(g);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    format!("http://{addr}/sms")
}

async fn texts_reach_everyone_once_with_retry_and_fallback(t: &TestDb) {
    let clock = ManualClock::new(Timestamp(1_755_691_200_000_000));
    let env = env(t, Arc::new(clock.clone())).await;
    let dir = tempfile::tempdir().unwrap();
    let ps = people(12);
    let inc = incident(&env, dir.path(), &ps).await;
    let p = admin();
    let gateway = Gateway::default();
    let url = start_gateway(gateway.clone()).await;

    for (name, format, to_field) in [
        ("texts", SmsFormat::Json, "to"),
        ("texts-form", SmsFormat::Form, "To"),
    ] {
        *gateway.to_field.lock().unwrap() = to_field.into();
        gateway.got.lock().unwrap().clear();
        let settings = Settings {
            backoff_base_secs: 10,
            error_window: 100_000,
            ..Settings::default()
        };
        let channels = vec![ChannelKind::Sms, ChannelKind::Letter];
        campaign_on(&env, inc, name, settings, channels).await;
        env.notify.start(&p, &env.ctx, name).await.unwrap();
        let sms = Sms::new(SmsConfig {
            url: url.clone(),
            format,
            to_field: to_field.into(),
            body_field: if format == SmsFormat::Form {
                "Body".into()
            } else {
                "body".into()
            },
            from: Some("ACME".into()),
            ..SmsConfig::default()
        })
        .unwrap();
        let owner = format!("w-{name}");
        let w = Worker::new(
            env.notify.clone(),
            p.clone(),
            env.ctx.clone(),
            Channels {
                email: None,
                sms: Some(sms),
                letters: Some(Letters::new(dir.path().join(name), &owner)),
            },
            WorkerConfig {
                owner,
                batch: 8,
                stop_when_idle: true,
            },
        );
        // First pass: everyone tried once; the 503 waits for its backoff.
        assert_eq!(w.run(name).await.unwrap(), WorkerOutcome::Idle);
        clock.advance(11);
        assert_eq!(w.run(name).await.unwrap(), WorkerOutcome::Finished);

        let st = env.notify.status(&p, name).await.unwrap();
        assert_eq!(st.campaign.status, CampaignStatus::Finished);
        let n = ps.len() as u64;
        assert_eq!(st.by_channel["sms"]["sent"], n - 1, "{:?}", st.by_channel);
        assert_eq!(
            st.by_channel["sms"]["fallen_back"], 1,
            "{:?}",
            st.by_channel
        );
        assert_eq!(st.by_channel["letter"]["sent"], 1, "{:?}", st.by_channel);

        let got = gateway.got.lock().unwrap().clone();
        let mut per_number: BTreeMap<String, usize> = BTreeMap::new();
        for g in &got {
            assert_eq!(g.json, format == SmsFormat::Json);
            let to = g.fields[to_field].clone();
            *per_number.entry(to).or_default() += 1;
            let body_field = if format == SmsFormat::Form {
                "Body"
            } else {
                "body"
            };
            let body = &g.fields[body_field];
            assert_eq!(g.fields["idempotency_key"], g.header_key);
            assert!(g.header_key.starts_with("notice/") && g.header_key.ends_with("/sms"));
            assert_eq!(g.fields["from"], "ACME");
            assert!(body.contains("code") && body.contains("Verif"), "{body}");
            for x in &ps {
                assert!(
                    !body.contains(&x.ssn) && !body.contains(&x.ssn.replace('-', "")),
                    "SSN in a text"
                );
            }
        }
        // The number the gateway refused in the first campaign is on the suppression list: the
        // second campaign does not try it and sends a letter at once.
        let tried = if name == "texts" {
            ps.len()
        } else {
            ps.len() - 1
        };
        assert_eq!(per_number.len(), tried, "{per_number:?}");
        assert_eq!(per_number.contains_key("+15125550003"), name == "texts");
        for (num, count) in &per_number {
            let want = if num.ends_with("0004") { 2 } else { 1 };
            assert_eq!(*count, want, "{num}: {per_number:?}");
        }
    }
}

custodian_db::backend_tests!(texts_reach_everyone_once_with_retry_and_fallback);
