//! API keys and admin sign-in against real databases on both backends.

// Test code: a broken fixture should panic loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use custodian_auth::{AuthError, AuthService, PrincipalKind, SecretSealer, SigninAttempt};
use custodian_db::testing::TestDb;
use custodian_db::{ManualClock, Timestamp};
use secrecy::{ExposeSecret, SecretString};
use totp_rs::{Algorithm, Secret, TOTP};

/// A reversible test sealer (XOR with a context-derived byte): enough to prove the seed is not
/// stored as given; the real sealer is the vault's.
struct XorSealer;

impl SecretSealer for XorSealer {
    fn seal(&self, context: &str, plaintext: &[u8]) -> Vec<u8> {
        let k = context.len() as u8 ^ 0xA5;
        plaintext.iter().map(|b| b ^ k).collect()
    }
    fn open(&self, context: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        Some(self.seal(context, sealed))
    }
}

async fn service(t: &TestDb) -> (AuthService, ManualClock) {
    t.db.migrate(&[custodian_auth::COMPONENT]).await.unwrap();
    let clock = ManualClock::new(Timestamp(1_750_000_000_000_000));
    (
        AuthService::new(t.db.clone(), Arc::new(clock.clone()), Arc::new(XorSealer)),
        clock,
    )
}

async fn api_key_lifecycle(t: &TestDb) {
    let (auth, clock) = service(t).await;
    let k = auth
        .create_api_key("billing-sync", "service", "ci", Some(3600))
        .await
        .unwrap();
    let key = k.secret.expose_secret().to_owned();
    let p = auth.authenticate_key(&key).await.unwrap();
    assert_eq!(p.name, "billing-sync");
    assert!(p.may("people.write"));
    assert!(!p.may("keys.rotate"));

    // The key material is stored only as a hash: search every stored byte for it.
    let dump: Vec<(String, Vec<u8>)> =
        custodian_db::sqlx::query_as("SELECT prefix, secret_hash FROM api_keys")
            .fetch_all(t.db.pool())
            .await
            .unwrap();
    for (prefix, hash) in dump {
        assert!(
            !key.ends_with(&prefix[4..])
                && !hash
                    .windows(8)
                    .any(|w| key.as_bytes().windows(8).any(|k| k == w))
        );
    }

    // Tampered secret with a valid prefix.
    let mut forged = key.clone();
    forged.pop();
    forged.push(if key.ends_with('a') { 'b' } else { 'a' });
    assert!(matches!(
        auth.authenticate_key(&forged).await,
        Err(AuthError::UnknownKey)
    ));

    clock.advance(3601);
    assert!(matches!(
        auth.authenticate_key(&key).await,
        Err(AuthError::ExpiredKey(_))
    ));

    let k2 = auth
        .create_api_key("billing-sync", "service", "", None)
        .await
        .unwrap();
    auth.revoke_api_key(&k2.info.prefix).await.unwrap();
    let e = auth
        .authenticate_key(k2.secret.expose_secret())
        .await
        .unwrap_err();
    assert!(matches!(e, AuthError::RevokedKey(_)) && e.is_unauthenticated());
    assert_eq!(auth.list_api_keys().await.unwrap().len(), 2);
}

async fn unknown_role_and_conflicts_are_refused(t: &TestDb) {
    let (auth, _) = service(t).await;
    assert!(matches!(
        auth.create_api_key("x", "superuser", "", None).await,
        Err(AuthError::UnknownRole(r)) if r == "superuser"
    ));
    auth.create_api_key("x", "agent", "", None).await.unwrap();
    assert!(matches!(
        auth.create_api_key("x", "admin", "", None).await,
        Err(AuthError::PrincipalConflict { .. })
    ));
    assert!(matches!(
        auth.ensure_principal("bad name", PrincipalKind::Service, "agent")
            .await,
        Err(AuthError::InvalidName(_))
    ));
}

async fn admin_sign_in_needs_password_and_fresh_totp(t: &TestDb) {
    let (auth, clock) = service(t).await;
    let pw = SecretString::from("a long enough password");
    let enrol = auth.create_admin("root", &pw).await.unwrap();
    let totp = TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        Secret::Encoded(enrol.totp_secret_base32.expose_secret().to_owned())
            .to_bytes()
            .unwrap(),
        None,
        "root".into(),
    )
    .unwrap();
    let now = clock.now_secs();
    let code = totp.generate(now);
    let attempt = |pw: &'static str, code: String| (pw, code);
    let (p, c) = attempt("a long enough password", code.clone());
    let pwd = SecretString::from(p);
    let ok = auth
        .sign_in(&SigninAttempt {
            username: "root",
            password: &pwd,
            totp_code: &c,
            source: "127.0.0.1",
        })
        .await
        .unwrap();
    let session = auth.find_session(ok.0.0.expose_secret()).await.unwrap();
    assert_eq!(session.principal.name, "root");
    assert!(!session.csrf_token.is_empty());

    // The same code cannot be replayed.
    let replay = auth
        .sign_in(&SigninAttempt {
            username: "root",
            password: &pwd,
            totp_code: &c,
            source: "127.0.0.1",
        })
        .await;
    assert!(matches!(replay, Err(AuthError::BadSignin)));

    // Five failures throttle the user, even with the right password afterwards.
    let wrong = SecretString::from("not the password at all");
    for _ in 0..5 {
        let _ = auth
            .sign_in(&SigninAttempt {
                username: "root",
                password: &wrong,
                totp_code: "123456",
                source: "10.9.9.9",
            })
            .await;
    }
    clock.advance(30);
    let next = totp.generate(clock.now_secs());
    let throttled = auth
        .sign_in(&SigninAttempt {
            username: "root",
            password: &pwd,
            totp_code: &next,
            source: "127.0.0.2",
        })
        .await;
    assert!(
        matches!(throttled, Err(AuthError::Throttled { .. })),
        "{throttled:?}"
    );
    clock.advance(16 * 60);
    let later = totp.generate(clock.now_secs());
    auth.sign_in(&SigninAttempt {
        username: "root",
        password: &pwd,
        totp_code: &later,
        source: "127.0.0.2",
    })
    .await
    .unwrap();

    auth.sign_out(ok.0.0.expose_secret()).await.unwrap();
    assert!(matches!(
        auth.find_session(ok.0.0.expose_secret()).await,
        Err(AuthError::NoSession)
    ));
}

trait Secs {
    fn now_secs(&self) -> u64;
}
impl Secs for ManualClock {
    fn now_secs(&self) -> u64 {
        use custodian_db::Clock;
        self.now().unix_seconds() as u64
    }
}

custodian_db::backend_tests!(
    api_key_lifecycle,
    unknown_role_and_conflicts_are_refused,
    admin_sign_in_needs_password_and_fresh_totp
);
