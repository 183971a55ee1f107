//! The Trust Center's administration over `/v1/trust…` and in the console (`/admin/trust…`), and
//! what it changes on the public pages: attestations with documents, access requests approved
//! and revoked, advisories drafted and published to subscribers, reports triaged through the
//! state machine, practices pages, subprocessors, FAQ and scope authored (markdown kept inert),
//! branding, and the permission checks.

use custodian_trust::{NewAccessRequest, NewReport, Topic};

use super::*;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";

fn raw(method: &str, path: &str, key: &str, ctype: &str, body: &[u8]) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, ctype)
        .body(Body::from(body.to_vec()))
        .unwrap()
}

fn page(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut b = Request::get(path);
    if let Some(c) = cookie {
        b = b.header(header::COOKIE, c);
    }
    b.body(Body::empty()).unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn the_api_administers_the_trust_center(t: &TestDb) {
    let h = notify_app(t, 100.0).await;
    let (app, auth) = (&h.app, &h.auth);
    let editor = auth
        .create_api_key("trust-team", "trust_editor", "", None)
        .await
        .unwrap();
    let k = editor.secret.expose_secret();
    let care = auth
        .create_api_key("care", "agent", "", None)
        .await
        .unwrap();

    // Without trust.read, nothing.
    let (s, _, b) = call(
        app,
        req(
            "GET",
            "/v1/trust/attestations",
            care.secret.expose_secret(),
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{}", text(&b));

    // An attestation, refused field by field, then created and given its document.
    let mut att = json!({
        "slug": "soc2-type2", "title": "SOC 2 Type 2 report", "issuer": "Audit LLP",
        "standard": "SOC 2 Type 2", "scope": "Customer data platform",
        "description": "Controls over customer data.", "period_start": "2024-10-01",
        "period_end": "2025-09-30", "issued": "2025-06-01", "expires": "2025-10-01",
        "visibility": "gated"
    });
    att["period_start"] = json!("last autumn");
    let (s, _, b) = call(
        app,
        req("POST", "/v1/trust/attestations", k, Some(att.clone())),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(&b)["error"]["field"], "period_start");
    att["period_start"] = json!("2024-10-01");
    att["visibility"] = json!("secret");
    let (s, _, b) = call(
        app,
        req("POST", "/v1/trust/attestations", k, Some(att.clone())),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(&b)["error"]["field"], "visibility");
    att["visibility"] = json!("gated");
    let (s, _, b) = call(
        app,
        req("POST", "/v1/trust/attestations", k, Some(att.clone())),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{}", text(&b));
    // The clock is 2025-08-20: the report expires within 60 days.
    assert_eq!(json_of(&b)["status"], "expiring");
    let (s, _, _) = call(app, req("POST", "/v1/trust/attestations", k, Some(att))).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _, b) = call(
        app,
        raw(
            "PUT",
            "/v1/trust/attestations/soc2-type2/document?name=soc2.pdf",
            k,
            "image/png",
            PDF,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", text(&b));
    let (s, _, b) = call(
        app,
        raw(
            "PUT",
            "/v1/trust/attestations/soc2-type2/document?name=soc2.pdf",
            k,
            "application/pdf",
            PDF,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", text(&b));
    assert_eq!(json_of(&b)["document"], "soc2.pdf");

    // A visitor asks for it; the API lists, approves and the grant can be revoked.
    let request = NewAccessRequest {
        attestation: "soc2-type2".into(),
        name: "Dana Buyer".into(),
        company: "Big Customer Inc".into(),
        email: "dana@bigcustomer.example".into(),
        reason: "Vendor review".into(),
        has_accepted_nda: true,
        ip: "127.0.0.1".into(),
    };
    h.trust.request_access(&request).await.unwrap();
    let (_, _, b) = call(
        app,
        req("GET", "/v1/trust/access-requests?status=pending", k, None),
    )
    .await;
    let pending = json_of(&b);
    assert_eq!(pending.as_array().unwrap().len(), 1);
    assert_eq!(pending[0]["email"], "dana@bigcustomer.example");
    assert_eq!(pending[0]["nda_version"].as_str().unwrap().len(), 64);
    let id = pending[0]["id"].as_i64().unwrap();
    let (s, _, b) = call(
        app,
        req(
            "POST",
            &format!("/v1/trust/access-requests/{id}/approve"),
            k,
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", text(&b));
    let link = json_of(&b)["link"].as_str().unwrap().to_owned();
    let path = link.trim_start_matches("https://trust.acme.example");
    let (s, ctype, _) = call(app, page(path, None)).await;
    assert_eq!((s, ctype.as_str()), (StatusCode::OK, "application/pdf"));
    let (_, _, b) = call(
        app,
        req("GET", "/v1/trust/access-requests?status=approved", k, None),
    )
    .await;
    assert_eq!(json_of(&b)[0]["decided_by"], "trust-team");
    let grants = h
        .trust
        .grants(json_of(&b)[0]["attestation_id"].as_i64().unwrap())
        .await
        .unwrap();
    let (s, _, _) = call(
        app,
        req(
            "POST",
            &format!("/v1/trust/grants/{}/revoke", grants[0].id),
            k,
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = call(app, page(path, None)).await;
    assert_eq!(s, StatusCode::GONE, "a revoked link stops working");
    let (_, _, b) = call(app, req("GET", "/v1/trust/stats", k, None)).await;
    assert_eq!(json_of(&b)[0]["downloads"], 1);
    let (s, _, b) = call(
        app,
        req(
            "POST",
            "/v1/trust/auto-approve",
            k,
            Some(json!({"domain": "not a domain"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_of(&b)["error"]["field"], "domain");

    // An advisory: drafted, revised, published to the confirmed subscribers of its topic.
    let signup = h
        .trust
        .subscribe("reader@example.org", &[Topic::Advisories])
        .await;
    assert!(signup.is_ok());
    let confirm = h.trust_mail.sent().last().unwrap().text.clone();
    let token = confirm
        .split_whitespace()
        .find(|w| w.contains("/subscribe/confirm/"))
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    h.trust.confirm_subscription(&token).await.unwrap();
    let adv = json!({
        "slug": "2025-001", "kind": "advisory", "title": "Portal session fixation",
        "summary": "Fixed.", "body": "## Details\n<script>alert(1)</script>",
        "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N"
    });
    let (s, _, b) = call(app, req("POST", "/v1/trust/advisories", k, Some(adv))).await;
    assert_eq!(s, StatusCode::CREATED, "{}", text(&b));
    let (s, _, b) = call(
        app,
        req(
            "POST",
            "/v1/trust/advisories/2025-001/revisions",
            k,
            Some(json!({"summary": "Fixed on 2025-08-19.", "body": "## Details\nFixed."})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", text(&b));
    assert_eq!(json_of(&b)["version"], 2);
    let (s, _, b) = call(
        app,
        req("POST", "/v1/trust/advisories/2025-001/publish", k, None),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", text(&b));
    assert_eq!(json_of(&b)["mailed"], 1);
    let (s, _, _) = call(
        app,
        req("POST", "/v1/trust/advisories/2025-001/publish", k, None),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "publishing twice is refused");
    let (_, _, b) = call(app, req("GET", "/v1/trust/subscribers", k, None)).await;
    assert_eq!(json_of(&b)[0]["status"], "active");

    // A report, triaged over the API; a move the state machine forbids is refused.
    let sub = h
        .trust
        .submit_report(&NewReport {
            email: "finder@research.example".into(),
            handle: "finder".into(),
            title: "IDOR on invoices".into(),
            asset: "portal.acme.example".into(),
            weakness: "CWE-639".into(),
            description: "Invoices of others.".into(),
            steps: "Change the id.".into(),
            impact: "Billing data.".into(),
            cvss_vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N".into(),
            ..NewReport::default()
        })
        .await
        .unwrap();
    let (s, _, b) = call(
        app,
        req(
            "POST",
            &format!("/v1/trust/reports/{}/state", sub.id),
            k,
            Some(json!({"state": "disclosed", "comment": "Too early"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{}", text(&b));
    let (s, _, b) = call(
        app,
        req(
            "POST",
            &format!("/v1/trust/reports/{}/state", sub.id),
            k,
            Some(json!({"state": "triaged", "comment": "Confirmed, thank you."})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", text(&b));
    assert_eq!(json_of(&b)["state"], "triaged");
    assert_eq!(json_of(&b)["severity"], "high");
    let (_, _, b) = call(
        app,
        req("GET", &format!("/v1/trust/reports/{}", sub.id), k, None),
    )
    .await;
    let detail = json_of(&b);
    assert!(
        detail["comments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["body"] == "Confirmed, thank you.")
    );
    let (s, _, _) = call(app, req("GET", "/v1/trust/reports?state=bogus", k, None)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _, _) = call(
        app,
        req(
            "PUT",
            "/v1/trust/bounty",
            k,
            Some(json!({"severity": "high", "min_cents": 100000, "max_cents": 500000})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, _, b) = call(app, req("GET", "/v1/trust/bounty", k, None)).await;
    assert_eq!(json_of(&b)[0]["max_cents"], 500000);

    // Authored content reaches the public pages, with markdown's raw HTML kept inert.
    let (s, _, b) = call(
        app,
        req(
            "PUT",
            "/v1/trust/pages/encryption",
            k,
            Some(json!({"title": "Encryption", "body": "Every field is **encrypted**.\n\n<script>alert('x')</script>\n\n[bad](javascript:alert(1))"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{}", text(&b));
    let (s, _, _) = call(
        app,
        req(
            "PUT",
            "/v1/trust/pages/Bad_Slug",
            k,
            Some(json!({"title": "x", "body": "y"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    for (path, body) in [
        (
            "/v1/trust/subprocessors",
            json!({"name": "Mail Relay Co", "purpose": "Transactional e-mail", "location": "Ireland"}),
        ),
        (
            "/v1/trust/faq",
            json!({"question": "Do you sell data?", "answer": "No. *Never.*"}),
        ),
        (
            "/v1/trust/scope",
            json!({"asset": "portal.acme.example", "in_scope": true, "notes": "Use test accounts"}),
        ),
        (
            "/v1/trust/scope",
            json!({"asset": "stores.acme.example", "in_scope": false}),
        ),
    ] {
        let (s, _, b) = call(app, req("POST", path, k, Some(body))).await;
        assert_eq!(s, StatusCode::OK, "{path}: {}", text(&b));
    }
    let (_, _, b) = call(app, page("/practices", None)).await;
    let html = text(&b);
    assert!(html.contains("href=\"/practices/encryption\""), "{html}");
    assert!(html.contains("Mail Relay Co") && html.contains("Ireland"));
    assert!(html.contains("<em>Never.</em>"));
    let (_, _, b) = call(app, page("/practices/encryption", None)).await;
    let html = text(&b);
    assert!(html.contains("<strong>encrypted</strong>"));
    assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
    assert!(!html.contains("javascript:"));
    let (_, _, b) = call(app, page("/security/policy", None)).await;
    let html = text(&b);
    assert!(html.contains("Assets in scope") && html.contains("portal.acme.example"));
    assert!(html.contains("Assets out of scope") && html.contains("stores.acme.example"));
    let (_, _, b) = call(app, req("GET", "/v1/trust/faq", k, None)).await;
    let faq_id = json_of(&b)[0]["id"].as_i64().unwrap();
    let (s, _, _) = call(
        app,
        req("DELETE", &format!("/v1/trust/faq/{faq_id}"), k, None),
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = call(
        app,
        req("DELETE", &format!("/v1/trust/faq/{faq_id}"), k, None),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Every route is documented.
    let (_, _, b) = call(app, page("/v1/openapi.json", None)).await;
    let doc = json_of(&b);
    for path in [
        "/v1/trust/attestations",
        "/v1/trust/access-requests/{id}/approve",
        "/v1/trust/advisories/{slug}/publish",
        "/v1/trust/reports/{id}/state",
        "/v1/trust/pages/{slug}",
        "/v1/trust/scope",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
}

/// The session's CSRF token, from a console page's hidden field.
fn session_csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_owned()
}

fn form(path: &str, cookie: &str, body: &str) -> Request<Body> {
    Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

async fn the_console_administers_the_trust_center(t: &TestDb) {
    let h = notify_app(t, 100.0).await;
    let app = &h.app;
    let (s, _, _) = call(app, page("/admin/trust", None)).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "the console needs a session");
    let cookie = super::incidents::console_session(app, &h.auth, &h.clock).await;
    let (s, _, b) = call(app, page("/admin/trust", Some(&cookie))).await;
    assert_eq!(s, StatusCode::OK);
    let csrf = session_csrf(&text(&b));

    // A forged post (no token) changes nothing.
    let (s, _, _) = call(
        app,
        form(
            "/admin/trust/do/page",
            &cookie,
            "slug=x&title=X&body=Y&back=/admin/trust/content",
        ),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(h.trust.practice_pages().await.unwrap().is_empty());

    // An attestation through the form; a bad date names the field and stores nothing.
    let att = "slug=iso-27001&title=ISO%2FIEC+27001+certificate&issuer=Cert+Body&standard=ISO%2FIEC+27001%3A2022&scope=All+systems&description=Certified.&period_start=2025-01-01&period_end=2025-12-31&issued=2025-01-15&expires=2028-01-14&visibility=public&back=/admin/trust";
    let (s, _, b) = call(
        app,
        form(
            "/admin/trust/do/attestation",
            &cookie,
            &format!("csrf={csrf}&{}", att.replace("2028-01-14", "soon")),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&b).contains("expires"), "{}", text(&b));
    assert!(h.trust.attestations(true).await.unwrap().is_empty());
    let (s, _, _) = call(
        app,
        form(
            "/admin/trust/do/attestation",
            &cookie,
            &format!("csrf={csrf}&{att}"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);

    // The document, as a multipart upload with the token.
    let (ctype, body) = multipart(
        &[("csrf", csrf.as_str())],
        &[("document", "iso.pdf", "application/pdf", PDF)],
    );
    let upload = Request::post("/admin/trust/attestations/iso-27001/document")
        .header(header::CONTENT_TYPE, ctype)
        .header(header::COOKIE, &cookie)
        .body(Body::from(body))
        .unwrap();
    let (s, _, b) = call(app, upload).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{}", text(&b));
    let (s, ctype, b) = call(app, page("/trust/iso-27001/document", None)).await;
    assert_eq!((s, ctype.as_str()), (StatusCode::OK, "application/pdf"));
    assert_eq!(b, PDF);

    // Content and an advisory, authored and published from the console.
    for (action, fields) in [
        (
            "page",
            "slug=access-control&title=Access+control&position=1&body=Least+privilege.+%3Cimg+src%3Dx+onerror%3Dalert(1)%3E",
        ),
        (
            "subprocessor",
            "name=Cloud+Host&purpose=Hosting&location=United+States",
        ),
        ("faq", "question=Where+is+data+stored%3F&answer=In+the+US."),
        (
            "scope",
            "asset=api.acme.example&status=in&notes=Rate+limits+apply",
        ),
        (
            "advisory",
            "slug=notice-1&kind=incident&title=Data+incident&summary=What+happened.&body=Details.&lookup_url=%2Fwas-i-affected",
        ),
        ("publish", "slug=notice-1"),
        ("bounty", "severity=critical&min=5000&max=20000.50"),
    ] {
        let (s, _, b) = call(
            app,
            form(
                &format!("/admin/trust/do/{action}"),
                &cookie,
                &format!("csrf={csrf}&{fields}&back=/admin/trust/content"),
            ),
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER, "{action}: {}", text(&b));
    }
    let (_, _, b) = call(app, page("/practices/access-control", None)).await;
    let html = text(&b);
    assert!(
        html.contains("Least privilege.") && !html.contains("<img"),
        "{html}"
    );
    let (s, _, b) = call(app, page("/advisories/notice-1", None)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(text(&b).contains("was-i-affected"), "{}", text(&b));
    assert_eq!(
        h.trust.bounty_table().await.unwrap()[0].max_cents,
        2_000_050
    );
    let (s, _, b) = call(
        app,
        form(
            "/admin/trust/do/scope",
            &cookie,
            &format!("csrf={csrf}&asset=x&status=maybe&back=/admin/trust/content"),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(&b).contains("status"));

    // A report triaged from its console page: only the allowed moves are offered.
    let sub = h
        .trust
        .submit_report(&NewReport {
            email: "finder@research.example".into(),
            handle: "finder".into(),
            title: "<b>XSS</b> in search".into(),
            asset: "www.acme.example".into(),
            weakness: "CWE-79".into(),
            description: "Reflected.".into(),
            steps: "Search for it.".into(),
            impact: "Session theft.".into(),
            ..NewReport::default()
        })
        .await
        .unwrap();
    let (_, _, b) = call(
        app,
        page(&format!("/admin/trust/reports/{}", sub.id), Some(&cookie)),
    )
    .await;
    let html = text(&b);
    assert!(
        html.contains("&lt;b&gt;XSS&lt;&#x2f;b&gt;"),
        "titles are escaped: {html}"
    );
    assert!(
        html.contains("<option value=\"triaged\">")
            && !html.contains("<option value=\"disclosed\">")
    );
    let (s, _, _) = call(
        app,
        form(
            "/admin/trust/do/transition",
            &cookie,
            &format!(
                "csrf={csrf}&id={}&state=triaged&comment=Confirmed.&back=/admin/trust/reports/{}",
                sub.id, sub.id
            ),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let (r, _) = h.trust.report(sub.id).await.unwrap();
    assert_eq!(r.state.as_str(), "triaged");

    // The console pages show what was done; the overview flags nothing (the certificate runs
    // to 2028).
    for (path, needle) in [
        ("/admin/trust", "27001 certificate"),
        ("/admin/trust/advisories", "Data incident"),
        ("/admin/trust/advisories/notice-1", "Revisions"),
        ("/admin/trust/reports", "in search"),
        ("/admin/trust/content", "Cloud Host"),
    ] {
        let (s, _, b) = call(app, page(path, Some(&cookie))).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(text(&b).contains(needle), "{path} lacks {needle}");
    }
    // A redirect never leaves the console.
    let (s, headers) = {
        let resp = app
            .clone()
            .oneshot(form(
                "/admin/trust/do/subprocessor",
                &cookie,
                &format!("csrf={csrf}&name=A&purpose=B&location=C&back=https://evil.example/"),
            ))
            .await
            .unwrap();
        (resp.status(), resp.headers().clone())
    };
    assert_eq!(s, StatusCode::SEE_OTHER);
    assert_eq!(headers.get(header::LOCATION).unwrap(), "/admin/trust");
}

/// A multipart body of text fields and files (`name`, `file name`, `type`, bytes).
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----custodian-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (k, file, ty, bytes) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{file}\"\r\nContent-Type: {ty}\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn researchers_attach_files_that_admins_download(t: &TestDb) {
    let h = notify_app(t, 100.0).await;
    let app = &h.app;
    let resp = app
        .clone()
        .oneshot(page("/security/report", None))
        .await
        .unwrap();
    let cookie = resp.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let html = text(&resp.into_body().collect().await.unwrap().to_bytes());
    assert!(html.contains("enctype=\"multipart/form-data\"") && html.contains("type=\"file\""));
    let csrf = session_csrf(&html);
    let fields = [
        ("csrf", csrf.as_str()),
        ("email", "finder@research.example"),
        ("handle", "finder"),
        ("title", "Stored XSS in profile"),
        ("asset", "portal.acme.example"),
        ("weakness", "CWE-79"),
        ("description", "Stored."),
        ("steps", "Save a name."),
        ("impact", "Session theft."),
    ];
    let png: &[u8] = b"\x89PNG\r\n\x1a\nscreenshot";
    let post = |ctype: String, body: Vec<u8>| {
        Request::post("/security/report")
            .header(header::CONTENT_TYPE, ctype)
            .header(header::COOKIE, &cookie)
            .body(Body::from(body))
            .unwrap()
    };
    // A file whose contents are not its claimed type is refused, and nothing is stored.
    let (ctype, body) = multipart(
        &fields,
        &[("attachments", "shot.png", "image/png", b"MZ\x90\x00")],
    );
    let (s, _, b) = call(app, post(ctype, body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{}", text(&b));
    assert!(text(&b).contains("image/png"));
    assert!(h.trust.reports(None).await.unwrap().is_empty());
    // An empty file input (a part with no file) is no attachment.
    let (ctype, body) = multipart(
        &fields,
        &[
            ("attachments", "shot.png", "image/png", png),
            ("attachments", "", "application/octet-stream", b""),
        ],
    );
    let (s, _, b) = call(app, post(ctype, body)).await;
    assert_eq!(s, StatusCode::OK, "{}", text(&b));
    let id = h.trust.reports(None).await.unwrap()[0].id;
    let files = h.trust.report_attachments(id).await.unwrap();
    assert_eq!(files.len(), 1);
    let session = super::incidents::console_session(app, &h.auth, &h.clock).await;
    let (_, _, b) = call(
        app,
        page(&format!("/admin/trust/reports/{id}"), Some(&session)),
    )
    .await;
    assert!(text(&b).contains("shot.png"));
    let resp = app
        .clone()
        .oneshot(page(
            &format!("/admin/trust/reports/{id}/attachments/{}", files[0].id),
            Some(&session),
        ))
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()[header::CONTENT_DISPOSITION],
        "attachment; filename=\"shot.png\""
    );
    assert_eq!(resp.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(
        resp.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .as_ref(),
        png
    );
    // Without a session, no download.
    let (s, _, _) = call(
        app,
        page(
            &format!("/admin/trust/reports/{id}/attachments/{}", files[0].id),
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

/// Public pages are served from a cache: a change through this server shows at once, a change
/// by another process (here a second service over the same database, as `custodian trust`
/// would make) shows within a second, and pages with a form or a secret are never cached.
async fn public_pages_are_cached_but_never_stale_for_long(t: &TestDb) {
    let h = notify_app(t, 100.0).await;
    let app = &h.app;
    let (_, _, b) = call(app, page("/practices", None)).await;
    assert!(!text(&b).contains("Key management"));
    let other = custodian_trust::TrustService::open(
        t.db.clone(),
        Arc::new(h.clock.clone()),
        h.trust.config().clone(),
        Arc::new(custodian_trust::RecordingMailer::default()),
    )
    .await
    .unwrap();
    other
        .put_practice_page("keys", "Key management", "Keys rotate yearly.", 0)
        .await
        .unwrap();
    let (_, _, b) = call(app, page("/practices", None)).await;
    assert!(
        !text(&b).contains("Key management"),
        "served from the cache within the same second"
    );
    h.clock.advance(1);
    let (_, _, b) = call(app, page("/practices", None)).await;
    assert!(
        text(&b).contains("Key management"),
        "a second later the change shows"
    );
    h.trust
        .put_practice_page("access", "Access reviews", "Quarterly.", 1)
        .await
        .unwrap();
    let (_, _, b) = call(app, page("/practices", None)).await;
    assert!(
        text(&b).contains("Access reviews"),
        "this server's change shows at once"
    );
    // A form page sets a fresh CSRF cookie on every visit: never cached.
    let cookie = |resp: &axum::response::Response| {
        resp.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_owned()
    };
    let first = app.clone().oneshot(page("/subscribe", None)).await.unwrap();
    let second = app.clone().oneshot(page("/subscribe", None)).await.unwrap();
    assert_ne!(cookie(&first), cookie(&second));
}

async fn a_role_without_trust_write_only_reads(t: &TestDb) {
    let h = notify_app(t, 100.0).await;
    custodian_db::sqlx::query(
        "INSERT INTO roles (name, description, permissions) VALUES ('trust_viewer', 'Reads', 'trust.read')",
    )
    .execute(t.db.pool())
    .await
    .unwrap();
    let viewer = h
        .auth
        .create_api_key("viewer", "trust_viewer", "", None)
        .await
        .unwrap();
    let k = viewer.secret.expose_secret();
    let (s, _, _) = call(&h.app, req("GET", "/v1/trust/pages", k, None)).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, b) = call(
        &h.app,
        req(
            "PUT",
            "/v1/trust/pages/x",
            k,
            Some(json!({"title": "X", "body": "Y"})),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(text(&b).contains("trust.write"));
    assert!(h.trust.practice_pages().await.unwrap().is_empty());
}

custodian_db::backend_tests!(
    the_api_administers_the_trust_center,
    the_console_administers_the_trust_center,
    a_role_without_trust_write_only_reads,
    researchers_attach_files_that_admins_download,
    public_pages_are_cached_but_never_stale_for_long,
);
