//! `/v1/incidents` through `Router::oneshot` on both backends: permissions (403 without
//! `incidents.*`), an incident from creation to report — an uploaded dump resolved through the
//! blind indexes, key exposure set, impact computed and diffed, cohorts as JSON and CSV, the
//! obligations plan, the report as HTML, JSON and a streamed CSV of ids — bad input as 422 with
//! the field, and every route in the OpenAPI document.

use super::*;

async fn an_incident_from_creation_to_report(t: &TestDb) {
    let (app, auth, _) = app(t).await;
    let admin = auth.create_api_key("ops", "admin", "", None).await.unwrap();
    let analyst = auth
        .create_api_key("ana", "analyst", "", None)
        .await
        .unwrap();
    let agent = auth
        .create_api_key("care", "agent", "", None)
        .await
        .unwrap();
    let (admin, analyst, agent) = (
        admin.secret.expose_secret(),
        analyst.secret.expose_secret(),
        agent.secret.expose_secret(),
    );
    let people: Vec<Value> = (0..4)
        .map(|i| json!({"external_id": format!("W{i}"), "account_kind": "postpaid", "first_name": "Ana", "last_name": "Diaz",
                        "state": "CA", "ssn": format!("30{i}-45-6789"), "phone": format!("+1415555{:04}", 100 + i)}))
        .collect();
    let (s, _, b) = call(&app, req("POST", "/v1/people", admin, Some(json!(people)))).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));

    let (s, _, _) = call(&app, req("GET", "/v1/incidents", agent, None)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, b) = call(
        &app,
        req(
            "POST",
            "/v1/incidents",
            analyst,
            Some(json!({"title": "Dump on a forum", "owner": "ciso", "detected_at": "2025-08-15"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let id = json_of(&b)["id"].as_i64().unwrap();

    let dump =
        "ssn,phone\n300-45-6789,4155550100\n301-45-6789,4155550101\n123-45-6780,4155559999\n";
    let upload = Request::post(format!(
        "/v1/incidents/{id}/exposures/upload?name=dump.csv&note=forum"
    ))
    .header(header::AUTHORIZATION, format!("Bearer {analyst}"))
    .header(header::CONTENT_TYPE, "text/csv")
    .body(Body::from(dump))
    .unwrap();
    let (s, _, b) = call(&app, upload).await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let e = json_of(&b);
    assert_eq!(
        (e["people"].as_u64(), e["unlinked_rows"].as_u64()),
        (Some(2), Some(1))
    );
    let (s, _, _) = call(
        &app,
        req(
            "POST",
            &format!("/v1/incidents/{id}/events"),
            analyst,
            Some(json!({"key_exposure": "not_exposed", "note": "HSM intact"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    let (s, _, b) = call(
        &app,
        req("POST", &format!("/v1/incidents/{id}/impact"), analyst, None),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{}", String::from_utf8_lossy(&b));
    let v = json_of(&b);
    assert_eq!(
        (
            v["version"].as_i64(),
            v["affected"].as_u64(),
            v["diff"]["added"].as_u64()
        ),
        (Some(1), Some(2), Some(2))
    );

    let (_, _, b) = call(
        &app,
        req("GET", &format!("/v1/incidents/{id}/cohorts"), analyst, None),
    )
    .await;
    let c = json_of(&b);
    assert_eq!(c["summary"], "2 current postpaid: SSN, phone");
    assert_eq!(c["not_affected"], 2);
    let (_, ctype, b) = call(
        &app,
        req(
            "GET",
            &format!("/v1/incidents/{id}/cohorts?format=csv"),
            analyst,
            None,
        ),
    )
    .await;
    assert!(
        ctype.starts_with("text/csv")
            && String::from_utf8(b)
                .unwrap()
                .starts_with("account_kind,elements,people")
    );
    let (s, _, b) = call(
        &app,
        req(
            "GET",
            &format!("/v1/incidents/{id}/obligations"),
            analyst,
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let plan = json_of(&b);
    assert!(
        plan["disclaimer"]
            .as_str()
            .unwrap()
            .starts_with("Decision support, not legal advice")
    );
    assert!(
        plan["jurisdictions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["code"] == "US-CA" && j["affected"] == 2)
    );

    let (_, ctype, b) = call(
        &app,
        req("GET", &format!("/v1/incidents/{id}/report"), analyst, None),
    )
    .await;
    let html = String::from_utf8(b).unwrap();
    assert!(
        ctype.starts_with("text/html") && html.contains("<svg") && !html.contains("300-45-6789")
    );
    let (_, _, b) = call(
        &app,
        req(
            "GET",
            &format!("/v1/incidents/{id}/report?format=json"),
            analyst,
            None,
        ),
    )
    .await;
    assert_eq!(
        json_of(&b)["unlinked"],
        json!([{"element": "ssn", "count": 1}, {"element": "phone_number", "count": 1}])
    );
    let (_, ctype, b) = call(
        &app,
        req(
            "GET",
            &format!("/v1/incidents/{id}/report?format=csv"),
            analyst,
            None,
        ),
    )
    .await;
    let csv = String::from_utf8(b).unwrap();
    assert!(ctype.starts_with("text/csv"), "{ctype}");
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(
        csv.lines().nth(1).unwrap().contains(",W0,postpaid,CA,"),
        "{csv}"
    );
    assert!(!csv.contains("456789"), "ids only: {csv}");

    let (s, _, b) = call(
        &app,
        req("GET", &format!("/v1/incidents/{id}"), analyst, None),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let kinds: Vec<String> = json_of(&b)["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        ["created", "detected", "exposure", "key_exposure", "impact"]
            .iter()
            .all(|k| kinds.iter().any(|x| x == k)),
        "{kinds:?}"
    );
}

async fn bad_input_is_422_with_the_field(t: &TestDb) {
    let (app, auth, _) = app(t).await;
    let k = auth
        .create_api_key("ana", "analyst", "", None)
        .await
        .unwrap();
    let k = k.secret.expose_secret();
    let (_, _, b) = call(
        &app,
        req(
            "POST",
            "/v1/incidents",
            k,
            Some(json!({"title": "x", "owner": "y"})),
        ),
    )
    .await;
    let id = json_of(&b)["id"].as_i64().unwrap();
    let cases = [
        (
            json!({"principal": "svc", "from": "2025-08-15", "to": "2025-08-01"}),
            "window",
        ),
        (json!({"dataset": "nope"}), ""),
        (json!({"dataset": "Bad Name"}), "dataset"),
        (json!({"dataset": "a", "principal": "b"}), "body"),
        (
            json!({"principal": "svc", "from": "yesterday", "to": "2025-08-01"}),
            "from",
        ),
    ];
    for (body, field) in cases {
        let (s, _, b) = call(
            &app,
            req(
                "POST",
                &format!("/v1/incidents/{id}/exposures"),
                k,
                Some(body.clone()),
            ),
        )
        .await;
        let v = json_of(&b);
        if field.is_empty() {
            assert_eq!(s, StatusCode::NOT_FOUND, "{body}: {v}");
        } else {
            assert_eq!(
                (s, v["error"]["field"].as_str()),
                (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
                "{body}: {v}"
            );
        }
    }
    let (s, _, _) = call(
        &app,
        req("GET", &format!("/v1/incidents/{id}/impact"), k, None),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "no impact version yet");
    let (s, _, _) = call(&app, req("GET", "/v1/incidents/999", k, None)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, _, b) = call(
        &app,
        Request::get("/v1/openapi.json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let doc = json_of(&b);
    for path in [
        "/v1/incidents",
        "/v1/incidents/{id}/exposures/upload",
        "/v1/incidents/{id}/impact",
        "/v1/incidents/{id}/cohorts",
        "/v1/incidents/{id}/obligations",
        "/v1/incidents/{id}/report",
        "/v1/inventory/datasets",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
}

/// Signs `root` in to the console; returns the session cookie.
pub(super) async fn console_session(
    app: &axum::Router,
    auth: &AuthService,
    clock: &ManualClock,
) -> String {
    let pw = secrecy::SecretString::from("console password 123");
    let enrol = auth.create_admin("root", &pw).await.unwrap();
    let resp = app
        .clone()
        .oneshot(Request::get("/admin/login").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let cookie = resp
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let csrf = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    let secret = totp_rs::Secret::Encoded(enrol.totp_secret_base32.expose_secret().to_owned())
        .to_bytes()
        .unwrap();
    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        secret,
        None,
        "root".into(),
    )
    .unwrap();
    let code = totp.generate(clock.now().unix_seconds() as u64);
    let form = Request::post("/admin/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("custodian_login_csrf={csrf}"))
        .body(Body::from(format!(
            "csrf={csrf}&username=root&password=console+password+123&totp={code}"
        )))
        .unwrap();
    let resp = app.clone().oneshot(form).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let session = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("custodian_session="))
        .unwrap();
    session.split(';').next().unwrap().to_owned()
}

async fn the_console_shows_incidents(t: &TestDb) {
    let (app, auth, clock) = app(t).await;
    let k = auth
        .create_api_key("ana", "analyst", "", None)
        .await
        .unwrap();
    let k = k.secret.expose_secret();
    let body = json!({"title": "Lost laptop", "owner": "sec", "detected_at": "2025-08-15"});
    let (_, _, b) = call(&app, req("POST", "/v1/incidents", k, Some(body))).await;
    let id = json_of(&b)["id"].as_i64().unwrap();
    let (s, _, _) = call(
        &app,
        req("POST", &format!("/v1/incidents/{id}/impact"), k, None),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let page = |path: String, cookie: Option<&str>| {
        let mut b = Request::get(path);
        if let Some(c) = cookie {
            b = b.header(header::COOKIE, c);
        }
        b.body(Body::empty()).unwrap()
    };
    let (s, _, _) = call(&app, page("/admin/incidents".into(), None)).await;
    assert_eq!(
        s,
        StatusCode::SEE_OTHER,
        "not signed in: to the sign-in page"
    );
    let session = console_session(&app, &auth, &clock).await;
    let (s, _, b) = call(&app, page("/admin/incidents".into(), Some(&session))).await;
    let html = String::from_utf8(b).unwrap();
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("Lost laptop") && html.contains("0 affected"),
        "{html}"
    );
    let (s, _, b) = call(&app, page(format!("/admin/incidents/{id}"), Some(&session))).await;
    let html = String::from_utf8(b).unwrap();
    assert_eq!(s, StatusCode::OK);
    assert!(
        html.contains("Incident 1: Lost laptop") && html.contains("Timeline"),
        "{html}"
    );
    let (s, ctype, b) = call(
        &app,
        page(format!("/admin/incidents/{id}/report.html"), Some(&session)),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        ctype.starts_with("text/html") && String::from_utf8(b).unwrap().contains("<h2>Obligations")
    );
    let (s, _, _) = call(&app, page("/admin/incidents/77".into(), Some(&session))).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

custodian_db::backend_tests!(
    an_incident_from_creation_to_report,
    bad_input_is_422_with_the_field,
    the_console_shows_incidents,
);
