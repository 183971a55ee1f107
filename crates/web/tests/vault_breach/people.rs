//! `/v1/people` through `Router::oneshot` on both backends: batch create with per-item results
//! (one bad record rejected by name and field, the rest stored), masked reads by role, reveal
//! only with a purpose and a role that may, batch reads with per-item results, search by blind
//! index, shred, batch tokenizing for test environments, and the access log naming every person
//! each call read.

use super::*;

fn person(i: usize) -> Value {
    json!({"external_id": format!("P{i}"), "account_kind": "postpaid", "first_name": "Ana",
           "last_name": "Diaz", "state": "CA", "dob": "1980-02-03",
           "ssn": format!("41{i}-45-6789"), "phone": format!("+1415555{:04}", 200 + i)})
}

/// A list of 1,001 ids is refused at the edge with 422, naming `ids`.
async fn too_many_ids_are_refused(app: &axum::Router, path: &str, key: &str) {
    let many: Vec<String> = (0..1_001).map(|i| format!("X{i}")).collect();
    let (s, _, b) = call(app, req("POST", path, key, Some(json!({"ids": many})))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
    assert_eq!(json_of(&b)["error"]["field"], "ids", "{path}");
}

async fn people_over_http(t: &TestDb) {
    let (app, auth, _) = app(t).await;
    let key = |name: &'static str, role: &'static str| {
        let auth = auth.clone();
        async move {
            auth.create_api_key(name, role, "", None)
                .await
                .unwrap()
                .secret
                .expose_secret()
                .to_owned()
        }
    };
    let (admin, agent, analyst) = (
        key("ops", "admin").await,
        key("care", "agent").await,
        key("ana", "analyst").await,
    );

    // A batch with one bad record: per-item results, the others stored.
    let mut batch: Vec<Value> = (0..5).map(person).collect();
    batch[2]["ssn"] = json!("000-12-3456");
    let (s, _, b) = call(&app, req("POST", "/v1/people", &admin, Some(json!(batch)))).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let items = json_of(&b);
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 5);
    for (i, it) in items.iter().enumerate() {
        assert_eq!(it["index"], i);
        if i == 2 {
            assert_eq!(it["status"], "rejected");
            assert_eq!(it["field"], "ssn");
            // The error never echoes the value.
            assert!(!it.to_string().contains("000-12-3456"), "{it}");
        } else {
            assert_eq!(it["status"], "created", "{it}");
        }
    }

    // The analyst role may not read people at all; the agent reads masked.
    let (s, _, _) = call(&app, req("GET", "/v1/people/P1", &analyst, None)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, b) = call(&app, req("GET", "/v1/people/P1", &agent, None)).await;
    assert_eq!(s, StatusCode::OK);
    let body = String::from_utf8_lossy(&b).into_owned();
    assert!(
        !body.contains("411-45-6789") && !body.contains("411456789"),
        "{body}"
    );
    assert!(body.contains("6789"), "last four shown masked: {body}");
    // The agent may not reveal an SSN; the admin may, with a purpose only.
    let (s, _, _) = call(
        &app,
        req(
            "GET",
            "/v1/people/P1?reveal=ssn&purpose=fraud%20case%2012",
            &agent,
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, _) = call(&app, req("GET", "/v1/people/P1?reveal=ssn", &admin, None)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, b) = call(
        &app,
        req(
            "GET",
            "/v1/people/P1?reveal=ssn&purpose=fraud%20case%2012",
            &admin,
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8_lossy(&b).into_owned();
    assert!(
        text.contains("411-45-6789") || text.contains("411456789"),
        "revealed in full: {text}"
    );

    // Batch read: per-item results, an unknown id does not fail the batch.
    let ids = json!({"ids": ["P0", "nobody", "P3", "P2"]});
    let (s, _, b) = call(&app, req("POST", "/v1/people/read", &agent, Some(ids))).await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let got = json_of(&b);
    let got = got.as_array().unwrap();
    let statuses: Vec<&str> = got.iter().map(|i| i["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["ok", "not_found", "ok", "not_found"]);
    assert_eq!(got[2]["person"]["external_id"], "P3");
    assert!(!got[2].to_string().contains("413-45-6789"));
    // A batch reveal follows the same rules as a single one.
    let reveal = json!({"ids": ["P0", "P3"], "reveal": ["ssn"], "purpose": "fraud case 12"});
    let (s, _, _) = call(
        &app,
        req("POST", "/v1/people/read", &agent, Some(reveal.clone())),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _, b) = call(&app, req("POST", "/v1/people/read", &admin, Some(reveal))).await;
    assert_eq!(s, StatusCode::OK);
    let text = String::from_utf8_lossy(&b);
    assert!(
        text.contains("410456789") && text.contains("413456789"),
        "{text}"
    );
    // Too many ids and unknown fields are refused at the edge.
    too_many_ids_are_refused(&app, "/v1/people/read", &agent).await;
    let (s, _, b) = call(
        &app,
        req(
            "POST",
            "/v1/people/read",
            &admin,
            Some(json!({"ids": ["P0"], "reveal": ["pin"], "purpose": "fraud case 12"})),
        ),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        String::from_utf8_lossy(&b)
    );

    // Search by blind index finds who, never what.
    let (s, _, b) = call(
        &app,
        req(
            "POST",
            "/v1/people/search",
            &agent,
            Some(json!({"field": "ssn", "value": "414-45-6789"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let hits = json_of(&b);
    assert_eq!(hits.as_array().unwrap().len(), 1);
    assert_eq!(hits[0]["external_id"], "P4");
    assert!(!String::from_utf8_lossy(&b).contains("6789"));

    // Every read is in the access log under its principal: the batch read names both people.
    let read = custodian_vault::audit::people_read_by(
        &t.db,
        "care",
        custodian_db::Timestamp(0),
        custodian_db::Timestamp(i64::MAX),
    )
    .await
    .unwrap();
    let mut who: Vec<i64> = read.iter().map(|r| r.person_id).collect();
    who.dedup();
    // P1 read alone, P0 and P3 in the batch, P4 found by the search: four people, and the
    // refused reveals and the unknown id logged nobody.
    assert_eq!(who.len(), 4, "{who:?}");

    // Shred: the person is gone but the tombstone answers 410 on reveal-free reads.
    let (s, _, _) = call(
        &app,
        req(
            "DELETE",
            "/v1/people/P4?purpose=erasure%20request%207",
            &admin,
            None,
        ),
    )
    .await;
    assert!(s.is_success(), "{s}");
    let (s, _, b) = call(
        &app,
        req(
            "POST",
            "/v1/people/search",
            &agent,
            Some(json!({"field": "ssn", "value": "414-45-6789"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(json_of(&b).as_array().unwrap().len(), 0);

    // Tokenize a batch for a test environment: per-item results (unknown, shredded), tokens
    // that keep the formats and never the real values, the same tokens under the same key.
    let ask =
        json!({"ids": ["P0", "P1", "nobody", "P4"], "key": "qa-env", "purpose": "load test data"});
    let (s, _, b) = call(
        &app,
        req("POST", "/v1/people/tokenize", &admin, Some(ask.clone())),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let body = String::from_utf8_lossy(&b).into_owned();
    for real in [
        "410-45-6789",
        "410456789",
        "411456789",
        "+14155550200",
        "P0\"",
    ] {
        assert!(!body.contains(real), "{real} in {body}");
    }
    let items = json_of(&b);
    let status: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(status, ["ok", "ok", "not_found", "shredded"]);
    let ssn = items[0]["record"]["ssn"].as_str().unwrap().to_owned();
    assert!(
        ssn.len() == 9 && ssn.bytes().all(|c| c.is_ascii_digit()) && ssn != "410456789",
        "an SSN token is nine digits, like the stored SSN, and not the SSN: {ssn}"
    );
    assert!(
        items[0]["record"]["external_id"]
            .as_str()
            .unwrap()
            .starts_with('T')
    );
    let (_, _, again) = call(&app, req("POST", "/v1/people/tokenize", &admin, Some(ask))).await;
    assert_eq!(
        json_of(&again)[0]["record"]["ssn"],
        ssn.as_str(),
        "same key, same token"
    );
    let (s, _, _) = call(
        &app,
        req(
            "POST",
            "/v1/people/tokenize",
            &agent,
            Some(json!({"ids": ["P0"], "purpose": "x"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "tokenizing needs people.export");
    let (s, _, b) = call(
        &app,
        req(
            "POST",
            "/v1/people/tokenize",
            &admin,
            Some(json!({"ids": ["P0"], "purpose": " "})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(&b)["error"]["field"], "purpose");

    // Batch re-wrap: per-item results (everyone here is already on the only key version; the
    // vault's tests move people between versions); it needs keys.rotate; too many is 422.
    let (s, _, b) = call(
        &app,
        req(
            "POST",
            "/v1/people/rewrap",
            &admin,
            Some(json!({"ids": ["P0", "nobody", "P4"]})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let status: Vec<String> = json_of(&b)
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(status, ["current", "not_found", "shredded"]);
    let (s, _, _) = call(
        &app,
        req(
            "POST",
            "/v1/people/rewrap",
            &agent,
            Some(json!({"ids": ["P0"]})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "re-wrapping needs keys.rotate");
    too_many_ids_are_refused(&app, "/v1/people/rewrap", &admin).await;
}

custodian_db::backend_tests!(people_over_http);
