//! `/v1/campaigns`, `/v1/protection-codes`, `/v1/banner`, the public lookup and verification
//! (API and pages) and the console's campaign pages through `Router::oneshot`, on both
//! backends: a campaign planned, refused until its templates and codes are there, started and
//! delivered (letters, by an in-process worker), then looked up by the code its notice carries;
//! unknown codes answer in the same shape; the rate limit answers 429 with nothing about the
//! code; roles are enforced.

use std::collections::BTreeSet;

use custodian_notify::channel::{Channels, Letters};
use custodian_notify::{Worker, WorkerConfig, WorkerOutcome};
use custodian_vault::RequestContext;

use super::*;

fn person(i: usize) -> Value {
    json!({"external_id": format!("N{i}"), "account_kind": "postpaid", "first_name": "Ana",
           "last_name": format!("Diaz{i}"), "street": format!("{} Elm St", 10 + i), "city": "Austin",
           "state": "TX", "zip": "78701", "dob": "1980-02-03",
           "ssn": format!("52{i}-45-6789"), "phone": format!("+1512555{:04}", 300 + i)})
}

/// The text after `marker` up to the first character that cannot be in a code.
fn code_after(text: &str, marker: &str) -> String {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("no `{marker}` in {text}"))
        + marker.len();
    text[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn form(path: &str, body: String) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap()
}

async fn a_campaign_from_plan_to_lookup(t: &TestDb) {
    let h = notify_app(t, 100.0).await;
    let app = &h.app;
    let auth = &h.auth;
    let key = |name: &'static str, role: &'static str| async move {
        auth.create_api_key(name, role, "", None)
            .await
            .unwrap()
            .secret
            .expose_secret()
            .to_owned()
    };
    let admin = key("ops", "admin").await;
    let analyst = key("ana", "analyst").await;
    let notifier = key("notices", "notifier").await;
    let agent = key("care", "agent").await;

    let people: Vec<Value> = (0..3).map(person).collect();
    let (s, _, b) = call(app, req("POST", "/v1/people", &admin, Some(json!(people)))).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let (_, _, b) = call(
        app,
        req(
            "POST",
            "/v1/incidents",
            &analyst,
            Some(json!({"title": "Dump on a forum", "owner": "ciso", "detected_at": "2025-08-15"})),
        ),
    )
    .await;
    let incident = json_of(&b)["id"].as_i64().unwrap();
    let upload = Request::post(format!(
        "/v1/incidents/{incident}/exposures/upload?name=d.csv&note=x"
    ))
    .header(header::AUTHORIZATION, format!("Bearer {analyst}"))
    .header(header::CONTENT_TYPE, "text/csv")
    .body(Body::from("ssn\n520-45-6789\n521-45-6789\n"))
    .unwrap();
    let (s, _, b) = call(app, upload).await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let (s, _, _) = call(
        app,
        req(
            "POST",
            &format!("/v1/incidents/{incident}/impact"),
            &analyst,
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);

    let body = json!({"name": "forum-dump", "incident": incident, "channels": ["letter"],
                      "settings": {"company_name": "Acme Mobile", "lookup_url": "https://acme.example/was-i-affected"}});
    // Agents may not plan campaigns; analysts may, but may not reveal the addresses a plan reads.
    let (s, _, _) = call(
        app,
        req("POST", "/v1/campaigns", &agent, Some(body.clone())),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = call(
        app,
        req("POST", "/v1/campaigns", &analyst, Some(body.clone())),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "the analyst role cannot read addresses"
    );
    let (s, _, b) = call(
        app,
        req(
            "POST",
            "/v1/campaigns",
            &notifier,
            Some(json!({"name": "x", "incident": incident, "channels": ["fax"]})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(&b)["error"]["field"], "channels");
    let (s, _, b) = call(app, req("POST", "/v1/campaigns", &notifier, Some(body))).await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let st = json_of(&b);
    assert_eq!(st["recipients"], 2, "{st}");
    assert_eq!(st["campaign"]["status"], "draft");

    // Not ready: no templates, no codes; each problem named, and start refuses with them.
    let (s, _, b) = call(
        app,
        req("GET", "/v1/campaigns/forum-dump/check", &notifier, None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let check = json_of(&b);
    assert_eq!(check["ready"], false, "{check}");
    let (s, _, b) = call(
        app,
        req("POST", "/v1/campaigns/forum-dump/start", &notifier, None),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{}", String::from_utf8_lossy(&b));
    assert_eq!(json_of(&b)["error"]["code"], "not_ready");

    let (s, _, b) = call(
        app,
        req(
            "POST",
            "/v1/campaigns/forum-dump/templates/builtin",
            &notifier,
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        json_of(&b).as_array().unwrap().len(),
        6,
        "en and es for three channels"
    );
    let bad =
        json!({"cohort": "*", "channel": "pigeon", "language": "en", "subject": "s", "body": "b"});
    let (s, _, b) = call(
        app,
        req(
            "PUT",
            "/v1/campaigns/forum-dump/templates",
            &notifier,
            Some(bad),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(&b)["error"]["field"], "channel");

    let csv = "code,engagement,enrol_by\nPROT-0001,ENG-9,2026-12-31\nPROT-0002,ENG-9,2026-12-31\n";
    let codes = Request::post("/v1/protection-codes")
        .header(header::AUTHORIZATION, format!("Bearer {notifier}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(csv))
        .unwrap();
    let (s, _, b) = call(app, codes).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(json_of(&b)["added"], 2);
    let broken = Request::post("/v1/protection-codes")
        .header(header::AUTHORIZATION, format!("Bearer {notifier}"))
        .body(Body::from("nothing,useful\n1,2\n"))
        .unwrap();
    let (s, _, _) = call(app, broken).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let (s, _, b) = call(
        app,
        req("GET", "/v1/campaigns/forum-dump/check", &notifier, None),
    )
    .await;
    assert_eq!(
        (s, json_of(&b)["ready"].clone()),
        (StatusCode::OK, json!(true)),
        "{}",
        String::from_utf8_lossy(&b)
    );
    let (s, _, b) = call(
        app,
        req("POST", "/v1/campaigns/forum-dump/start", &notifier, None),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(json_of(&b)["status"], "running");

    // Preview: the notice as sent, carrying its lookup and verification codes, never the SSN.
    let (s, _, b) = call(
        app,
        req(
            "GET",
            "/v1/campaigns/forum-dump/preview/N0?channel=letter",
            &notifier,
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let notice = json_of(&b)["body"].as_str().unwrap().to_owned();
    assert!(
        !notice.contains("520-45-6789") && !notice.contains("520456789"),
        "{notice}"
    );
    let lookup = code_after(&notice, "enter your code ");
    let verify = code_after(&notice, "Check ");

    // Send: a worker delivers both letters, then the campaign is finished.
    let dir = tempfile::tempdir().unwrap();
    let cfg = WorkerConfig {
        stop_when_idle: true,
        ..WorkerConfig::default()
    };
    let channels = Channels {
        letters: Some(Letters::new(dir.path().to_path_buf(), &cfg.owner)),
        ..Channels::default()
    };
    let worker = Worker::new(
        h.notify.clone(),
        h.worker.clone(),
        RequestContext {
            request_id: "t".into(),
        },
        channels,
        cfg,
    );
    assert_eq!(
        worker.run("forum-dump").await.unwrap(),
        WorkerOutcome::Finished
    );
    let (_, _, b) = call(app, req("GET", "/v1/campaigns/forum-dump", &agent, None)).await;
    assert_eq!(json_of(&b)["error"]["code"], "forbidden");
    let (s, _, b) = call(app, req("GET", "/v1/campaigns/forum-dump", &notifier, None)).await;
    assert_eq!(s, StatusCode::OK);
    let st = json_of(&b);
    assert_eq!(
        (
            st["campaign"]["status"].as_str(),
            st["by_state"]["sent"].as_u64(),
            st["open"].as_u64()
        ),
        (Some("finished"), Some(2), Some(0)),
        "{st}"
    );
    assert_eq!(st["codes_assigned"], 2);

    // A delivery report from the print vendor's webhook, by the idempotency key in the manifest.
    let manifest = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("manifest-")
        })
        .unwrap();
    let key = std::fs::read_to_string(manifest)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .trim_matches('"')
        .to_owned();
    let body = json!([{"notice": key, "event": "delivered"}, {"notice": "notice/9/9/email", "event": "bounced"}]);
    let (s, _, b) = call(
        app,
        req("POST", "/v1/notices/reports", &notifier, Some(body.clone())),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let r = json_of(&b);
    assert_eq!(
        (r["delivered"].as_u64(), r["unknown"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    let (_, _, b) = call(
        app,
        req("POST", "/v1/notices/reports", &notifier, Some(body)),
    )
    .await;
    let r = json_of(&b);
    assert_eq!(
        (r["delivered"].as_u64(), r["unchanged"].as_u64()),
        (Some(0), Some(1)),
        "applied twice: {r}"
    );
    let bad = json!([{"notice": "x", "event": "opened"}]);
    let (s, _, b) = call(
        app,
        req("POST", "/v1/notices/reports", &notifier, Some(bad)),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(&b)["error"]["field"], "[0].event");

    // "Was I affected?": the known code, then an unknown one in the same shape.
    let (s, _, b) = call(
        app,
        Request::post("/v1/lookup")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"code": lookup}).to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let found = json_of(&b);
    assert_eq!(found["found"], true, "{found}");
    assert!(
        found["protection_code"]
            .as_str()
            .unwrap()
            .starts_with("PROT-")
    );
    assert!(
        found["elements"].to_string().contains("Social Security"),
        "{found}"
    );
    let unknown_code: String = lookup
        .chars()
        .map(|c| {
            if c == '-' {
                c
            } else if c == 'A' {
                'B'
            } else {
                'A'
            }
        })
        .collect();
    let (s, _, b) = call(
        app,
        Request::post("/v1/lookup")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"code": unknown_code}).to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let missing = json_of(&b);
    assert_eq!(missing["found"], false);
    assert_eq!(keys(&found), keys(&missing), "the same answer shape");
    assert_eq!(missing["protection_code"], "");

    // "Is this message really from us?": the whole notice, then a made-up code.
    let (s, _, b) = call(
        app,
        Request::post("/v1/verify")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"text": notice}).to_string()))
            .unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let v = json_of(&b);
    assert_eq!(
        (v["genuine"].as_bool(), v["channel"].as_str()),
        (Some(true), Some("letter")),
        "{v}"
    );
    assert!(
        !v.to_string().contains("Diaz") && !v.to_string().contains("Elm"),
        "nothing about the recipient: {v}"
    );
    assert!(!verify.is_empty());
    let (_, _, b) = call(
        app,
        Request::post("/v1/verify")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(
                json!({"text": "VERIFY-0000-0000-0000"}).to_string(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(json_of(&b)["genuine"], false);

    // The login banner, for the company's own pages.
    let (s, _, b) = call(app, req("GET", "/v1/banner/N1", &notifier, None)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json_of(&b)["affected"], true);
    let (_, _, b) = call(app, req("GET", "/v1/banner/N2", &notifier, None)).await;
    assert_eq!(json_of(&b)["affected"], false, "N2 was not in the dump");
    let (s, _, _) = call(
        app,
        Request::get("/v1/banner/N1").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // The public pages: the form, an answer with the protection code, and no-store.
    let (s, ctype, b) = call(
        app,
        Request::get("/was-i-affected").body(Body::empty()).unwrap(),
    )
    .await;
    assert!(s == StatusCode::OK && ctype.starts_with("text/html"));
    assert!(String::from_utf8(b).unwrap().contains("name=\"code\""));
    let resp = app
        .clone()
        .oneshot(form("/was-i-affected", format!("code={lookup}")))
        .await
        .unwrap();
    assert_eq!(
        resp.headers().get(header::CACHE_CONTROL).unwrap(),
        "no-store"
    );
    let html = String::from_utf8(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    assert!(
        html.contains("PROT-000") && html.contains("ENG-9"),
        "{html}"
    );
    let (s, _, b) = call(app, form("/verify-a-message", format!("text={verify}"))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(String::from_utf8(b).unwrap().contains("genuine notice"));

    // The console shows the campaign.
    let session = super::incidents::console_session(app, auth, &h.clock).await;
    let page = |p: &str| {
        Request::get(p)
            .header(header::COOKIE, &session)
            .body(Body::empty())
            .unwrap()
    };
    let (s, _, b) = call(app, page("/admin/campaigns")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(String::from_utf8(b).unwrap().contains("forum-dump"));
    let (s, _, b) = call(app, page("/admin/campaigns/forum-dump")).await;
    let html = String::from_utf8(b).unwrap();
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("finished") && html.contains("2 of 2 notices"),
        "{html}"
    );

    // Every new route is in the OpenAPI document.
    let (_, _, b) = call(
        app,
        Request::get("/v1/openapi.json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let doc = json_of(&b);
    for p in [
        "/v1/campaigns",
        "/v1/campaigns/{name}/start",
        "/v1/protection-codes",
        "/v1/banner/{external_id}",
        "/v1/lookup",
        "/v1/verify",
    ] {
        assert!(
            doc["paths"].get(p).is_some(),
            "{p} missing from the OpenAPI document"
        );
    }
}

async fn lookups_are_rate_limited_without_saying_why(t: &TestDb) {
    let h = notify_app(t, 6.0).await;
    let lookup = |code: String| {
        Request::post("/v1/lookup")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"code": code}).to_string()))
            .unwrap()
    };
    // Per address: the burst (6 here) then 429, whatever the code.
    let mut statuses = Vec::new();
    for i in 0..8 {
        let (s, _, b) = call(&h.app, lookup(format!("{i:04}-ZZZZ-ZZZZ-ZZZZ-ZZZZ"))).await;
        if s == StatusCode::TOO_MANY_REQUESTS {
            let body = String::from_utf8(b).unwrap();
            assert!(
                !body.contains("ZZZZ"),
                "the refusal says nothing about the code: {body}"
            );
            assert_eq!(json_of(body.as_bytes())["error"]["code"], "rate_limited");
        }
        statuses.push(s.as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 200, 429, 429]);
    // The page says so too, in words.
    let (s, _, b) = call(&h.app, form("/was-i-affected", "code=AAAA".into())).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(String::from_utf8(b).unwrap().contains("Too many attempts"));
}

custodian_db::backend_tests!(
    a_campaign_from_plan_to_lookup,
    lookups_are_rate_limited_without_saying_why,
);
