//! SIM-change and port-out protection on both backends: a locked line refuses port-outs and the
//! customer is told on another channel; unlocking needs a step-up code, locking does not; the
//! transfer PIN is single use, attempt-capped and expires after 7 days; a PIN alone never
//! authorizes a SIM change; the care view shows nothing until the caller is verified; the
//! effectiveness report counts requests, refusals and fraud reports; records are kept three years.

use custodian_db::testing::TestDb;
use custodian_guard::{
    AttemptContext, CallerProof, CareView, Channel, Decision, GuardConfig, GuardError, LockKind,
    NoticeKind, OneTimeCode, PortOutRequest, RefusalReason, RequestKind, SecretKind, StepUpPurpose,
    Verdict,
};
use custodian_vault::types::Phone;

use crate::common::*;

const PIN: &str = "739164";

fn line() -> Phone {
    Phone::parse("+1 415 555 2671").unwrap()
}

async fn setup(t: &TestDb) -> H {
    let h = harness(t).await;
    let a = acct("ACCT-LINE");
    h.guard
        .set_secret(&a, SecretKind::Pin, &secret(PIN))
        .await
        .unwrap();
    h.guard.register_line(&a, &line()).await.unwrap();
    h
}

async fn step_up(h: &H, purpose: StepUpPurpose) -> OneTimeCode {
    h.guard
        .issue_step_up(&acct("ACCT-LINE"), purpose, Some(&line()))
        .await
        .unwrap();
    let notices = h.notifier.take();
    let n = notices.last().unwrap();
    assert_eq!(
        n.avoid_line.as_ref(),
        Some(&line()),
        "never over the line at risk"
    );
    match &n.kind {
        NoticeKind::StepUpCode {
            code, purpose: p, ..
        } if *p == purpose => code.clone(),
        other => panic!("expected a step-up code, got {other:?}"),
    }
}

fn porting() -> AttemptContext {
    AttemptContext::channel(Channel::Porting)
}

fn port_out(pin: &OneTimeCode) -> PortOutRequest {
    PortOutRequest {
        transfer_pin: pin.clone(),
        requester: "OtherCarrier SPID 1234".into(),
        context: porting(),
    }
}

fn last_protection_notice(h: &H) -> (RequestKind, Decision) {
    let notices = h.notifier.take();
    let n = notices.last().expect("a notice");
    assert_eq!(n.avoid_line.as_ref(), Some(&line()));
    match &n.kind {
        NoticeKind::ProtectionRequest {
            request, decision, ..
        } => (*request, *decision),
        other => panic!("expected a protection notice, got {other:?}"),
    }
}

async fn port_out_with_the_lock_on_is_refused_and_notified(t: &TestDb) {
    let h = setup(t).await;
    let ctx = AttemptContext::channel(Channel::Care);
    let on = h
        .guard
        .lock_line(&line(), LockKind::PortOut, &ctx)
        .await
        .unwrap();
    assert_eq!(on.decision, Decision::Allowed, "locking needs no step-up");
    assert_eq!(
        last_protection_notice(&h),
        (RequestKind::LockOn(LockKind::PortOut), Decision::Allowed)
    );

    let code = step_up(&h, StepUpPurpose::TransferPin).await;
    let ntp = h
        .guard
        .issue_transfer_pin(&line(), &code, &ctx)
        .await
        .unwrap();
    assert_eq!(ntp.code.expose().len(), 6);
    assert_eq!(ntp.expires_at, START.plus_seconds(7 * 86_400));
    h.notifier.take();

    let out = h
        .guard
        .request_port_out(&line(), &port_out(&ntp.code))
        .await
        .unwrap();
    let refused = Decision::Refused(RefusalReason::LineLocked);
    assert_eq!(out.decision, refused);
    assert_eq!(last_protection_notice(&h), (RequestKind::PortOut, refused));
    let status = h.guard.line_status(&line()).await.unwrap();
    assert!(status.port_lock_since.is_some());
    assert!(
        status.transfer_pin_expires_at.is_some(),
        "a refused request does not spend the PIN"
    );

    // Unlocking needs a step-up code for that purpose; a code for another purpose does not do.
    let other = step_up(&h, StepUpPurpose::SimChange).await;
    let off = h
        .guard
        .unlock_line(&line(), LockKind::PortOut, &other, &ctx)
        .await
        .unwrap();
    assert_eq!(
        off.decision,
        Decision::Refused(RefusalReason::StepUpRequired)
    );
    let code = step_up(&h, StepUpPurpose::RemoveLock(LockKind::PortOut)).await;
    let off = h
        .guard
        .unlock_line(&line(), LockKind::PortOut, &code, &ctx)
        .await
        .unwrap();
    assert_eq!(off.decision, Decision::Allowed);
    h.notifier.take();

    let out = h
        .guard
        .request_port_out(&line(), &port_out(&ntp.code))
        .await
        .unwrap();
    assert_eq!(out.decision, Decision::Allowed);
    assert_eq!(
        last_protection_notice(&h),
        (RequestKind::PortOut, Decision::Allowed)
    );
    let again = h
        .guard
        .request_port_out(&line(), &port_out(&ntp.code))
        .await
        .unwrap();
    assert_eq!(
        again.decision,
        Decision::Refused(RefusalReason::TransferPinInvalid),
        "single use"
    );

    // Every request is in the report, and the customer's fraud report is counted.
    assert!(h.guard.report_fraud(again.request_id).await.unwrap());
    assert!(!h.guard.report_fraud(999_999).await.unwrap());
    let r = h
        .guard
        .protection_report(START, START.plus_seconds(60))
        .await
        .unwrap();
    let count = |kind: &str, decision: &str| -> (i64, i64) {
        r.rows
            .iter()
            .filter(|x| x.kind == kind && x.decision == decision)
            .fold((0, 0), |(a, b), x| (a + x.requests, b + x.fraud_reports))
    };
    assert_eq!(count("port_out", "refused"), (2, 1));
    assert_eq!(count("port_out", "allowed"), (1, 0));
    assert_eq!(count("lock_off_port_out", "refused"), (1, 0));
    assert_eq!(count("transfer_pin", "allowed"), (1, 0));
    assert_eq!((r.lines, r.port_locked, r.sim_locked), (1, 0, 0));
}

async fn the_transfer_pin_expires_and_is_attempt_capped(t: &TestDb) {
    let h = setup(t).await;
    let ctx = AttemptContext::channel(Channel::App);
    let code = step_up(&h, StepUpPurpose::TransferPin).await;
    let ntp = h
        .guard
        .issue_transfer_pin(&line(), &code, &ctx)
        .await
        .unwrap();
    h.clock.advance(7 * 86_400 + 1);
    let out = h
        .guard
        .request_port_out(&line(), &port_out(&ntp.code))
        .await
        .unwrap();
    assert_eq!(
        out.decision,
        Decision::Refused(RefusalReason::TransferPinInvalid),
        "expired"
    );

    // A new PIN; three wrong ones void it and alert the customer.
    let code = step_up(&h, StepUpPurpose::TransferPin).await;
    let ntp = h
        .guard
        .issue_transfer_pin(&line(), &code, &ctx)
        .await
        .unwrap();
    h.notifier.take();
    for guess in ["000001", "000002", "000003"] {
        let out = h
            .guard
            .request_port_out(&line(), &port_out(&OneTimeCode::new(guess)))
            .await
            .unwrap();
        assert_eq!(
            out.decision,
            Decision::Refused(RefusalReason::TransferPinInvalid)
        );
    }
    let alerts = h.notifier.take();
    assert!(
        alerts
            .iter()
            .any(|n| matches!(n.kind, NoticeKind::FraudAlert { .. }))
    );
    let out = h
        .guard
        .request_port_out(&line(), &port_out(&ntp.code))
        .await
        .unwrap();
    assert_eq!(
        out.decision,
        Decision::Refused(RefusalReason::TransferPinInvalid),
        "void after 3 misses"
    );
    // A step-up code is never accepted without the right purpose, and the PIN never is.
    let e = h
        .guard
        .issue_transfer_pin(&line(), &OneTimeCode::new(PIN), &ctx)
        .await
        .unwrap_err();
    assert!(matches!(e, GuardError::BadCode));
}

async fn a_pin_alone_never_authorizes_a_sim_change(t: &TestDb) {
    let h = setup(t).await;
    let ctx = AttemptContext::channel(Channel::Retail);
    let out = h
        .guard
        .request_sim_change(&line(), &OneTimeCode::new(PIN), &ctx)
        .await
        .unwrap();
    assert_eq!(
        out.decision,
        Decision::Refused(RefusalReason::StepUpRequired)
    );
    h.guard
        .lock_line(&line(), LockKind::SimChange, &ctx)
        .await
        .unwrap();
    let code = step_up(&h, StepUpPurpose::SimChange).await;
    let out = h
        .guard
        .request_sim_change(&line(), &code, &ctx)
        .await
        .unwrap();
    assert_eq!(out.decision, Decision::Refused(RefusalReason::LineLocked));
    let unlock = step_up(&h, StepUpPurpose::RemoveLock(LockKind::SimChange)).await;
    h.guard
        .unlock_line(&line(), LockKind::SimChange, &unlock, &ctx)
        .await
        .unwrap();
    let code = step_up(&h, StepUpPurpose::SimChange).await;
    let out = h
        .guard
        .request_sim_change(&line(), &code, &ctx)
        .await
        .unwrap();
    assert_eq!(out.decision, Decision::Allowed);
    assert_eq!(
        last_protection_notice(&h),
        (RequestKind::SimChange, Decision::Allowed)
    );
    // Step-up codes expire.
    let code = step_up(&h, StepUpPurpose::SimChange).await;
    h.clock.advance(601);
    let out = h
        .guard
        .request_sim_change(&line(), &code, &ctx)
        .await
        .unwrap();
    assert_eq!(
        out.decision,
        Decision::Refused(RefusalReason::StepUpRequired)
    );
    // A line of another account cannot be named in a step-up.
    let e = h
        .guard
        .issue_step_up(&acct("ACCT-OTHER"), StepUpPurpose::SimChange, Some(&line()))
        .await;
    assert!(matches!(e, Err(GuardError::UnknownLine { .. })));
}

async fn the_care_view_shows_nothing_until_the_caller_is_verified(t: &TestDb) {
    let h = setup(t).await;
    let a = acct("ACCT-LINE");
    let ctx = AttemptContext::channel(Channel::Care);
    h.guard
        .lock_line(&line(), LockKind::PortOut, &ctx)
        .await
        .unwrap();
    let s = h.guard.open_care_session(&a, "agent-17").await.unwrap();
    assert!(matches!(
        h.guard.care_view(&s.token).await.unwrap(),
        CareView::Unverified { .. }
    ));
    let wrong = CallerProof::Secret {
        kind: SecretKind::Pin,
        secret: secret("482915"),
    };
    assert_eq!(
        h.guard
            .verify_care_caller(&s.token, &wrong, &ctx)
            .await
            .unwrap(),
        Verdict::Wrong
    );
    assert!(matches!(
        h.guard.care_view(&s.token).await.unwrap(),
        CareView::Unverified { .. }
    ));
    let right = CallerProof::Secret {
        kind: SecretKind::Pin,
        secret: secret(PIN),
    };
    assert_eq!(
        h.guard
            .verify_care_caller(&s.token, &right, &ctx)
            .await
            .unwrap(),
        Verdict::Ok
    );
    let CareView::Verified(view) = h.guard.care_view(&s.token).await.unwrap() else {
        panic!("verified");
    };
    assert_eq!(view.account, a);
    assert_eq!(view.lines.len(), 1);
    assert!(view.lines[0].port_lock_since.is_some());
    assert_eq!(view.recent_requests.len(), 1);
    assert_eq!(view.recent_requests[0].line_last4, "2671");
    assert!(view.secrets[0].is_set && !view.secrets[1].is_set);

    // A step-up code verifies a caller too; sessions end.
    let s2 = h.guard.open_care_session(&a, "agent-17").await.unwrap();
    h.guard
        .issue_step_up(&a, StepUpPurpose::CareVerification, None)
        .await
        .unwrap();
    let code = match &h.notifier.take().last().unwrap().kind {
        NoticeKind::StepUpCode { code, .. } => code.clone(),
        other => panic!("{other:?}"),
    };
    let proof = CallerProof::StepUpCode(code);
    assert_eq!(
        h.guard
            .verify_care_caller(&s2.token, &proof, &ctx)
            .await
            .unwrap(),
        Verdict::Ok
    );
    h.clock.advance(31 * 60);
    assert!(matches!(
        h.guard.care_view(&s2.token).await,
        Err(GuardError::NoCareSession)
    ));
}

async fn records_are_kept_three_years(t: &TestDb) {
    let short = GuardConfig {
        retention_secs: 365 * 86_400,
        ..GuardConfig::default()
    };
    assert!(matches!(short.validate(), Err(GuardError::Config(_))));
    let h = setup(t).await;
    let ctx = AttemptContext::channel(Channel::Web);
    h.guard
        .lock_line(&line(), LockKind::SimChange, &ctx)
        .await
        .unwrap();
    h.clock.advance(3 * 365 * 86_400);
    h.guard.maintain().await.unwrap();
    let r = h
        .guard
        .protection_report(START, START.plus_seconds(60))
        .await
        .unwrap();
    assert_eq!(r.rows.len(), 1, "kept for three years");
    h.clock.advance(2 * 86_400);
    h.guard.maintain().await.unwrap();
    let r = h
        .guard
        .protection_report(START, START.plus_seconds(60))
        .await
        .unwrap();
    assert!(r.rows.is_empty(), "purged after the retention period");
}

custodian_db::backend_tests!(
    port_out_with_the_lock_on_is_refused_and_notified,
    the_transfer_pin_expires_and_is_attempt_capped,
    a_pin_alone_never_authorizes_a_sim_change,
    the_care_view_shows_nothing_until_the_caller_is_verified,
    records_are_kept_three_years,
);
