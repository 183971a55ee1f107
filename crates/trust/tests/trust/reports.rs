//! The disclosure programme: validation before storage, the state machine with comments and
//! mails, reputation, duplicates, the 30-day auto-close, payouts and the hall of fame.

use custodian_db::testing::TestDb;
use custodian_trust::{NewReport, ReportState, Severity, TrustError};

use crate::common::{env, link_token};

fn report(email: &str, handle: &str) -> NewReport {
    NewReport {
        email: email.to_owned(),
        handle: handle.to_owned(),
        is_listed: true,
        title: "Stored XSS in <profile>".to_owned(),
        asset: "app.example.com".to_owned(),
        weakness: "CWE-79".to_owned(),
        description: "<img src=x onerror=alert(1)>".to_owned(),
        steps: "1. Log in\n2. Edit profile".to_owned(),
        impact: "Session theft".to_owned(),
        cvss_vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N".to_owned(),
        attachments: vec![(
            "poc.txt".to_owned(),
            "text/plain".to_owned(),
            b"proof".to_vec(),
        )],
    }
}

async fn reports_move_through_the_states(t: &TestDb) {
    let e = env(t).await;
    let mut bad = report("r@example.net", "rita");
    bad.cvss_vector = "CVSS:3.1/AV:N/AC:Q".to_owned();
    assert!(e.trust.submit_report(&bad).await.is_err());
    bad.cvss_vector.clear();
    bad.attachments = vec![(
        "x.exe".to_owned(),
        "application/x-msdownload".to_owned(),
        b"MZ".to_vec(),
    )];
    assert!(matches!(
        e.trust.submit_report(&bad).await,
        Err(TrustError::WrongType(_))
    ));
    bad.attachments = vec![(
        "x.png".to_owned(),
        "image/png".to_owned(),
        b"GIF89a".to_vec(),
    )];
    assert!(matches!(
        e.trust.submit_report(&bad).await,
        Err(TrustError::WrongType(_))
    ));
    bad.attachments = vec![(
        "big.txt".to_owned(),
        "text/plain".to_owned(),
        vec![b'a'; e.trust.config().max_attachment_bytes + 1],
    )];
    assert!(matches!(
        e.trust.submit_report(&bad).await,
        Err(TrustError::TooLarge { .. })
    ));
    assert!(
        e.trust.reports(None).await.unwrap().is_empty(),
        "nothing stored half-way"
    );

    let sub = e
        .trust
        .submit_report(&report("r@example.net", "rita"))
        .await
        .unwrap();
    let follow = link_token(&e.mail.sent()[0].text, "/security/reports/");
    let (r, _) = e.trust.followed_report(&follow).await.unwrap();
    assert_eq!(
        (r.id, r.state, r.severity, r.score_tenths),
        (sub.id, ReportState::New, Severity::Medium, Some(61))
    );
    let mut other = report("r@example.net", "someone-else");
    other.cvss_vector.clear();
    assert!(
        e.trust.submit_report(&other).await.is_err(),
        "one handle per e-mail"
    );

    let err = e
        .trust
        .transition_report(sub.id, ReportState::Disclosed, "no", None)
        .await;
    assert!(
        matches!(err, Err(TrustError::BadTransition { .. })),
        "{err:?}"
    );
    e.trust
        .transition_report(sub.id, ReportState::NeedsMoreInfo, "Which browser?", None)
        .await
        .unwrap();
    e.trust
        .researcher_reply(&follow, "Firefox 140")
        .await
        .unwrap();
    assert_eq!(
        e.trust.report(sub.id).await.unwrap().0.state,
        ReportState::New
    );
    for to in [
        ReportState::Triaged,
        ReportState::Retesting,
        ReportState::Resolved,
    ] {
        e.trust
            .transition_report(sub.id, to, "Moving on.", None)
            .await
            .unwrap();
    }
    let (_, comments) = e.trust.report(sub.id).await.unwrap();
    assert_eq!(comments.len(), 5);
    assert!(
        e.mail
            .sent()
            .iter()
            .filter(|m| m.to.as_str() == "r@example.net")
            .count()
            >= 5
    );
    let fame = e.trust.hall_of_fame().await.unwrap();
    assert_eq!(
        (fame[0].handle.as_str(), fame[0].reputation, fame[0].level()),
        ("rita", 7, "bronze")
    );

    e.trust
        .set_bounty(Severity::Medium, 50_000, 150_000)
        .await
        .unwrap();
    assert!(e.trust.set_bounty(Severity::High, 10, 5).await.is_err());
    e.trust
        .record_payout(sub.id, 75_000, "Medium XSS")
        .await
        .unwrap();
    assert_eq!(e.trust.payouts().await.unwrap()[0].amount_cents, 75_000);

    let dup = e
        .trust
        .submit_report(&report("d@example.net", "dana"))
        .await
        .unwrap();
    assert!(
        e.trust.record_payout(dup.id, 100, "early").await.is_err(),
        "only resolved reports are paid"
    );
    assert!(
        e.trust
            .transition_report(dup.id, ReportState::Duplicate, "dup", None)
            .await
            .is_err()
    );
    e.trust
        .transition_report(
            dup.id,
            ReportState::Duplicate,
            "Same as the first.",
            Some(sub.id),
        )
        .await
        .unwrap();
    assert_eq!(
        e.trust.report(dup.id).await.unwrap().0.duplicate_of,
        Some(sub.id)
    );

    let stale = e
        .trust
        .submit_report(&report("s@example.net", "sam"))
        .await
        .unwrap();
    e.trust
        .transition_report(stale.id, ReportState::NeedsMoreInfo, "Details?", None)
        .await
        .unwrap();
    e.clock.advance(29 * 86_400);
    assert_eq!(e.trust.close_stale_reports().await.unwrap(), 0);
    e.clock.advance(86_400);
    assert_eq!(e.trust.close_stale_reports().await.unwrap(), 1);
    assert_eq!(
        e.trust.report(stale.id).await.unwrap().0.state,
        ReportState::Informative
    );
}

/// The server's housekeeping closes a report that waited 30 days for more information, without
/// anyone asking.
async fn waiting_reports_close_themselves(t: &TestDb) {
    let e = env(t).await;
    let r = e
        .trust
        .submit_report(&report("w@example.net", "wes"))
        .await
        .unwrap();
    e.trust
        .transition_report(r.id, ReportState::NeedsMoreInfo, "Which version?", None)
        .await
        .unwrap();
    e.clock.advance(31 * 86_400);
    let task = e
        .trust
        .spawn_housekeeping(std::time::Duration::from_millis(20));
    let mut state = ReportState::NeedsMoreInfo;
    for _ in 0..250 {
        state = e.trust.report(r.id).await.unwrap().0.state;
        if state != ReportState::NeedsMoreInfo {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    task.abort();
    assert_eq!(state, ReportState::Informative);
    let (_, comments) = e.trust.report(r.id).await.unwrap();
    assert!(comments.iter().any(|c| c.author == "system"));
}

custodian_db::backend_tests!(
    reports_move_through_the_states,
    waiting_reports_close_themselves
);
