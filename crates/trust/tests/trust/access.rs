//! Attestations and the request gate: document limits, NDA acceptance, deny then a new request,
//! approval and magic links that expire and can be revoked, auto-approve, access counts.

use custodian_db::testing::TestDb;
use custodian_trust::{AccessDecision, NewAccessRequest, NewAttestation, TrustError, Visibility};

use crate::common::{START, env, link_token};

pub(crate) fn soc2(slug: &str, visibility: Visibility) -> NewAttestation {
    NewAttestation {
        slug: slug.to_owned(),
        title: "SOC 2 Type 2 report".to_owned(),
        issuer: "Audit Firm LLP".to_owned(),
        standard: "SOC 2 Type 2".to_owned(),
        scope: "Customer data platform".to_owned(),
        description: "Controls over security and availability.".to_owned(),
        period_start: START.plus_seconds(-365 * 86_400),
        period_end: START,
        issued_at: START,
        expires_at: START.plus_seconds(365 * 86_400),
        visibility,
    }
}

fn request(slug: &str, email: &str) -> NewAccessRequest {
    NewAccessRequest {
        attestation: slug.to_owned(),
        name: "Pat Buyer".to_owned(),
        company: "Buyer Inc".to_owned(),
        email: email.to_owned(),
        reason: "Vendor review".to_owned(),
        has_accepted_nda: true,
        ip: "192.0.2.7".to_owned(),
    }
}

async fn gated_documents_need_an_approved_request(t: &TestDb) {
    let e = env(t).await;
    e.trust
        .create_attestation(&soc2("soc2", Visibility::Gated))
        .await
        .unwrap();
    let dup = e
        .trust
        .create_attestation(&soc2("soc2", Visibility::Gated))
        .await;
    assert!(matches!(dup, Err(TrustError::Duplicate(_))), "{dup:?}");

    let wrong = e
        .trust
        .upload_document("soc2", "r.pdf", "text/html", b"<script>")
        .await;
    assert!(matches!(wrong, Err(TrustError::WrongType(_))), "{wrong:?}");
    let fake = e
        .trust
        .upload_document("soc2", "r.pdf", "application/pdf", b"MZ not a pdf")
        .await;
    assert!(matches!(fake, Err(TrustError::WrongType(_))), "{fake:?}");
    let big = vec![b'%'; e.trust.config().max_document_bytes + 1];
    let big = e
        .trust
        .upload_document("soc2", "r.pdf", "application/pdf", &big)
        .await;
    assert!(matches!(big, Err(TrustError::TooLarge { .. })), "{big:?}");
    e.trust
        .upload_document("soc2", "../../r.pdf", "application/pdf", b"%PDF-1.7 report")
        .await
        .unwrap();
    let listed = e.trust.attestations(false).await.unwrap();
    assert_eq!(listed[0].document.as_ref().unwrap().0, "r.pdf");
    assert!(matches!(
        e.trust.public_document("soc2").await,
        Err(TrustError::NotFound)
    ));

    let mut no_nda = request("soc2", "pat@buyer.example");
    no_nda.has_accepted_nda = false;
    assert!(e.trust.request_access(&no_nda).await.is_err());
    assert!(
        e.trust.access_requests(None).await.unwrap().is_empty(),
        "nothing stored half-way"
    );

    let AccessDecision::Pending { request: first } = e
        .trust
        .request_access(&request("soc2", "pat@buyer.example"))
        .await
        .unwrap()
    else {
        panic!("expected pending");
    };
    let stored = &e.trust.access_requests(Some("pending")).await.unwrap()[0];
    assert_eq!(stored.nda_version, e.trust.config().nda_version());
    assert_eq!(
        (stored.ip.as_str(), stored.nda_accepted_at),
        ("192.0.2.7", START)
    );
    e.trust.deny_request(first, "admin").await.unwrap();
    assert!(
        e.trust.deny_request(first, "admin").await.is_err(),
        "decided once"
    );
    let AccessDecision::Pending { request: second } = e
        .trust
        .request_access(&request("soc2", "pat@buyer.example"))
        .await
        .unwrap()
    else {
        panic!("expected pending");
    };
    assert_ne!(first, second, "a request after a denial is a new request");

    e.trust.approve_request(second, "admin").await.unwrap();
    let mails = e.mail.sent();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].unsubscribe_url.is_none());
    let link = link_token(&mails[0].text, "/trust/access/");
    let (a, doc) = e.trust.granted_document(&link).await.unwrap();
    assert_eq!(
        (a.slug.as_str(), doc.bytes.as_slice()),
        ("soc2", &b"%PDF-1.7 report"[..])
    );
    assert!(matches!(
        e.trust.granted_document("0000").await,
        Err(TrustError::BadLink)
    ));

    e.clock.advance(e.trust.config().grant_days * 86_400 + 1);
    assert!(
        matches!(
            e.trust.granted_document(&link).await,
            Err(TrustError::BadLink)
        ),
        "grants expire"
    );

    e.trust.add_auto_approve("Partner.example").await.unwrap();
    let auto = e
        .trust
        .request_access(&request("soc2", "sam@partner.example"))
        .await
        .unwrap();
    assert!(matches!(auto, AccessDecision::Approved { .. }));
    let link = link_token(&e.mail.sent()[1].text, "/trust/access/");
    e.trust.granted_document(&link).await.unwrap();
    let grant = e.trust.grants(a.id).await.unwrap()[0].clone();
    e.trust.revoke_grant(grant.id).await.unwrap();
    assert!(
        matches!(
            e.trust.granted_document(&link).await,
            Err(TrustError::BadLink)
        ),
        "revoked"
    );

    e.trust.view_attestation("soc2").await.unwrap();
    let stats = e.trust.access_stats().await.unwrap();
    assert_eq!((stats[0].views, stats[0].downloads), (1, 2));
}

async fn hidden_and_expiring_attestations(t: &TestDb) {
    let e = env(t).await;
    e.trust
        .create_attestation(&soc2("hidden", Visibility::Hidden))
        .await
        .unwrap();
    let mut old = soc2("iso", Visibility::Public);
    old.expires_at = START.plus_seconds(30 * 86_400);
    e.trust.create_attestation(&old).await.unwrap();
    assert_eq!(e.trust.attestations(false).await.unwrap().len(), 1);
    assert_eq!(e.trust.attestations(true).await.unwrap().len(), 2);
    assert!(matches!(
        e.trust.view_attestation("hidden").await,
        Err(TrustError::NotFound)
    ));
    let iso = e.trust.view_attestation("iso").await.unwrap();
    assert!(iso.is_expiring(START) && !iso.is_expired(START));
    assert!(iso.is_expired(START.plus_seconds(31 * 86_400)));
    let mut bad = soc2("bad", Visibility::Public);
    bad.expires_at = START.plus_seconds(-1);
    assert!(e.trust.create_attestation(&bad).await.is_err());
}

custodian_db::backend_tests!(
    gated_documents_need_an_approved_request,
    hidden_and_expiring_attestations
);
