//! Subscriptions (double opt-in, expiring and single-use links, same answer on a repeat sign-up,
//! GET never unsubscribes) and advisories (versions, publication mails with one-click
//! unsubscribe to the subscribers of the topic only).

use custodian_db::testing::TestDb;
use custodian_trust::{AdvisoryKind, NewAdvisory, Topic, TrustError};

use crate::common::{env, link_token};

pub(crate) fn notice(slug: &str) -> NewAdvisory {
    NewAdvisory {
        slug: slug.to_owned(),
        kind: AdvisoryKind::Incident,
        title: "Unauthorized access to customer data <update>".to_owned(),
        summary: "We found & stopped unauthorized access.".to_owned(),
        body_md: "## What happened\n\nAn attacker reached test systems. <script>alert(1)</script>\n\n[Check](javascript:alert(1))".to_owned(),
        cvss_vector: None,
        incident_id: Some("inc-1".to_owned()),
        lookup_url: Some("/lookup".to_owned()),
    }
}

async fn subscriptions_are_double_opt_in(t: &TestDb) {
    let e = env(t).await;
    assert!(
        e.trust
            .subscribe("not an address", &[Topic::Incidents])
            .await
            .is_err()
    );
    assert!(e.trust.subscribe("a@example.org", &[]).await.is_err());
    let first = e
        .trust
        .subscribe("a@example.org", &[Topic::Incidents])
        .await
        .unwrap();
    let mail = e.mail.sent()[0].clone();
    assert!(
        mail.unsubscribe_url
            .as_deref()
            .unwrap()
            .starts_with("https://trust.example.com/unsubscribe/")
    );
    let confirm = link_token(&mail.text, "/subscribe/confirm/");
    assert!(matches!(
        e.trust.confirm_subscription("bogus").await,
        Err(TrustError::BadLink)
    ));
    assert_eq!(
        e.trust.confirm_subscription(&confirm).await.unwrap(),
        "a@example.org"
    );
    assert!(
        matches!(
            e.trust.confirm_subscription(&confirm).await,
            Err(TrustError::BadLink)
        ),
        "single use"
    );

    let again = e
        .trust
        .subscribe("a@example.org", &[Topic::Advisories])
        .await
        .unwrap();
    assert_eq!(first, again, "a repeat sign-up gets the same answer");
    assert_eq!(first.message(), again.message());
    assert!(e.mail.sent()[1].subject.contains("already subscribed"));
    assert_eq!(
        e.trust.subscribers().await.unwrap()[0].topics,
        "incidents",
        "topics unchanged without confirmation"
    );

    e.trust
        .subscribe("late@example.org", &[Topic::Incidents])
        .await
        .unwrap();
    let late = link_token(&e.mail.sent()[2].text, "/subscribe/confirm/");
    e.clock.advance(e.trust.config().confirm_ttl_secs + 1);
    assert!(
        matches!(
            e.trust.confirm_subscription(&late).await,
            Err(TrustError::BadLink)
        ),
        "expired"
    );

    let unsub = mail.unsubscribe_url.unwrap();
    let token = unsub.rsplit('/').next().unwrap();
    assert_eq!(
        e.trust.unsubscribe_target(token).await.unwrap(),
        ("a@example.org".to_owned(), true)
    );
    assert!(
        e.trust.unsubscribe_target(token).await.unwrap().1,
        "looking never unsubscribes"
    );
    e.trust.unsubscribe(token).await.unwrap();
    e.trust.unsubscribe(token).await.unwrap();
    assert!(!e.trust.unsubscribe_target(token).await.unwrap().1);
}

async fn publishing_mails_the_topic_subscribers(t: &TestDb) {
    let e = env(t).await;
    for (addr, topic) in [
        ("inc@example.org", Topic::Incidents),
        ("adv@example.org", Topic::Advisories),
    ] {
        e.trust.subscribe(addr, &[topic]).await.unwrap();
        let link = link_token(&e.mail.sent().last().unwrap().text, "/subscribe/confirm/");
        e.trust.confirm_subscription(&link).await.unwrap();
    }
    e.trust
        .subscribe("pending@example.org", &[Topic::Incidents])
        .await
        .unwrap();
    let before = e.mail.sent().len();

    let mut bad = notice("bad");
    bad.cvss_vector = Some("CVSS:3.1/AV:X".to_owned());
    assert!(e.trust.create_advisory(&bad).await.is_err());
    bad.cvss_vector = None;
    bad.lookup_url = Some("javascript:alert(1)".to_owned());
    assert!(e.trust.create_advisory(&bad).await.is_err());

    e.trust
        .create_advisory(&notice("breach-2026"))
        .await
        .unwrap();
    assert!(
        e.trust.published_advisories().await.unwrap().is_empty(),
        "drafts are not public"
    );
    assert!(e.trust.published_advisory("breach-2026").await.is_err());
    let (adv, sent) = e.trust.publish_advisory("breach-2026").await.unwrap();
    assert_eq!(sent, 1);
    assert!(
        e.trust.publish_advisory("breach-2026").await.is_err(),
        "published once"
    );
    let mails = &e.mail.sent()[before..];
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to.as_str(), "inc@example.org");
    assert!(mails[0].unsubscribe_url.is_some());
    assert_eq!(adv.version, 1);
    let html = adv.body_html();
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );

    e.clock.advance(3600);
    let v2 = e
        .trust
        .revise_advisory("breach-2026", "Updated summary.", "More detail.")
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    let revs = e.trust.advisory_revisions(v2.id).await.unwrap();
    assert_eq!(revs.iter().map(|r| r.0).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(e.trust.published_advisories().await.unwrap().len(), 1);
}

custodian_db::backend_tests!(
    subscriptions_are_double_opt_in,
    publishing_mails_the_topic_subscribers
);
