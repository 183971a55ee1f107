//! Admin console sign-in: Argon2id passwords, TOTP second factor (RFC 6238, each code usable
//! once), server-side sessions addressed by a random token whose hash is stored, and a CSRF token
//! per session for every form.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};

use crate::error::AuthError;
use crate::principal::Principal;

/// What a new admin needs once: the TOTP secret for their authenticator app.
#[derive(Debug)]
pub struct AdminEnrolment {
    /// The admin's principal.
    pub principal: Principal,
    /// Base32 TOTP secret.
    pub totp_secret_base32: SecretString,
    /// `otpauth://` URL for QR codes.
    pub otpauth_url: SecretString,
}

/// A session cookie's value (random, shown to the browser only).
#[derive(Debug, Clone)]
pub struct SessionToken(pub SecretString);

impl SessionToken {
    pub(crate) fn generate() -> SessionToken {
        let mut b = [0u8; 32];
        OsRng.fill_bytes(&mut b);
        SessionToken(SecretString::from(hex::encode(b)))
    }

    pub(crate) fn hash(&self) -> Vec<u8> {
        Sha256::digest(self.0.expose_secret().as_bytes()).to_vec()
    }
}

/// A signed-in admin session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who is signed in.
    pub principal: Principal,
    /// The token every form of this session must echo.
    pub csrf_token: String,
    /// When the session ends (µs since the epoch).
    pub expires_at: i64,
}

/// A sign-in attempt as the console receives it.
#[derive(Debug)]
pub struct SigninAttempt<'a> {
    /// The principal name typed.
    pub username: &'a str,
    /// The password typed.
    pub password: &'a SecretString,
    /// The six-digit code typed.
    pub totp_code: &'a str,
    /// The client's address, for per-source limits.
    pub source: &'a str,
}

pub(crate) fn hash_password(password: &SecretString) -> Result<String, AuthError> {
    let len = password.expose_secret().chars().count();
    if !(12..=1024).contains(&len) {
        return Err(AuthError::WeakPassword);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hashing(e.to_string()))
}

/// Verifies a password against a PHC string. Unknown users are checked against a fixed dummy hash
/// by the caller so both paths cost one Argon2 evaluation.
pub(crate) fn verify_password(password: &SecretString, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(h) => Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A valid Argon2id hash of a random password, verified against when the user is unknown.
pub(crate) const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Qf3dbnYGGbbhRp3o6ZPQ1I/t4pK8hHXUVV0RV0E3r0E";

pub(crate) fn new_totp_secret() -> Vec<u8> {
    let mut b = vec![0u8; 20];
    OsRng.fill_bytes(&mut b);
    b
}

pub(crate) fn totp(secret: Vec<u8>, account: &str) -> Result<TOTP, AuthError> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        secret,
        Some("Custodian".to_owned()),
        account.to_owned(),
    )
    .map_err(|e| AuthError::Hashing(e.to_string()))
}

/// The 30-second step whose code matches, within one step of skew, if any.
pub(crate) fn matching_step(t: &TOTP, code: &str, now_secs: i64) -> Option<i64> {
    let now = now_secs.max(0) as u64;
    [now.saturating_sub(30), now, now + 30]
        .into_iter()
        .find(|ts| {
            let expected = t.generate(*ts);
            bool::from(subtle::ConstantTimeEq::ct_eq(
                expected.as_bytes(),
                code.trim().as_bytes(),
            ))
        })
        .map(|ts| (ts / 30) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let pw = SecretString::from("correct horse battery staple");
        let h = hash_password(&pw).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&pw, &h));
        assert!(!verify_password(
            &SecretString::from("wrong password!!"),
            &h
        ));
        assert!(matches!(
            hash_password(&SecretString::from("short")),
            Err(AuthError::WeakPassword)
        ));
    }

    #[test]
    fn dummy_hash_parses() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
    }

    #[test]
    fn totp_accepts_current_and_adjacent_steps_only() {
        let t = totp(new_totp_secret(), "root").unwrap();
        let now = 1_700_000_000;
        let code = t.generate(now as u64);
        assert_eq!(matching_step(&t, &code, now), Some(now / 30));
        assert!(matching_step(&t, &code, now + 30).is_some());
        assert!(matching_step(&t, &code, now + 300).is_none());
        assert!(matching_step(&t, "000000x", now).is_none());
    }
}
