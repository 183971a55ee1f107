//! The auth service and its SQL: principals, API keys, admin credentials, sessions and sign-in
//! throttling, written once for both backends.

use std::sync::Arc;

use custodian_db::sqlx::{self, Row};
use custodian_db::{Clock, Database, is_unique_violation};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use crate::admin::{self, AdminEnrolment, Session, SessionToken, SigninAttempt};
use crate::apikey::{self, ApiKeyInfo, NewApiKey};
use crate::error::AuthError;
use crate::principal::{Principal, PrincipalId, PrincipalKind, Role, check_name};

/// Seals small secrets (TOTP seeds) before they are stored; the binary provides one backed by the
/// vault's key hierarchy so that a copied database yields no second factors.
pub trait SecretSealer: Send + Sync {
    /// Encrypts `plaintext`, bound to `context`.
    fn seal(&self, context: &str, plaintext: &[u8]) -> Vec<u8>;
    /// Decrypts what [`SecretSealer::seal`] produced for the same context.
    fn open(&self, context: &str, sealed: &[u8]) -> Option<Vec<u8>>;
}

/// Failed sign-ins allowed per user and per source in one window.
const SIGNIN_MAX_FAILURES: i64 = 5;
/// The throttling window, in seconds.
const SIGNIN_WINDOW_SECS: i64 = 15 * 60;
/// How long an admin session lasts, in seconds.
const SESSION_SECS: i64 = 8 * 3600;

/// Principals, API keys and admin sign-in over one database.
#[derive(Clone)]
pub struct AuthService {
    db: Database,
    clock: Arc<dyn Clock>,
    sealer: Arc<dyn SecretSealer>,
}

impl std::fmt::Debug for AuthService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthService").finish_non_exhaustive()
    }
}

const PRINCIPAL_COLS: &str = "p.id, p.name, p.kind, r.name, r.permissions, p.disabled_at";

fn principal_from(row: &sqlx::any::AnyRow) -> Result<(Principal, Option<i64>), AuthError> {
    let role_name: String = row.try_get(3)?;
    let perms: String = row.try_get(4)?;
    let kind: String = row.try_get(2)?;
    Ok((
        Principal {
            id: PrincipalId(row.try_get(0)?),
            name: row.try_get(1)?,
            kind: PrincipalKind::parse(&kind),
            role: Role::from_stored(&role_name, &perms),
        },
        row.try_get(5)?,
    ))
}

impl AuthService {
    /// A service over `db` (migrated with [`crate::COMPONENT`]).
    pub fn new(db: Database, clock: Arc<dyn Clock>, sealer: Arc<dyn SecretSealer>) -> Self {
        AuthService { db, clock, sealer }
    }

    /// The role of that name.
    pub async fn find_role(&self, name: &str) -> Result<Role, AuthError> {
        let row = sqlx::query("SELECT name, permissions FROM roles WHERE name = $1")
            .bind(name)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or_else(|| AuthError::UnknownRole(name.to_owned()))?;
        Ok(Role::from_stored(
            &row.try_get::<String, _>(0)?,
            &row.try_get::<String, _>(1)?,
        ))
    }

    /// Every role.
    pub async fn list_roles(&self) -> Result<Vec<Role>, AuthError> {
        let rows = sqlx::query("SELECT name, permissions FROM roles ORDER BY name")
            .fetch_all(self.db.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Role::from_stored(
                    &r.try_get::<String, _>(0)?,
                    &r.try_get::<String, _>(1)?,
                ))
            })
            .collect()
    }

    /// Finds a principal by name, or creates it with the given kind and role. An existing
    /// principal with another role is a conflict, never silently changed.
    pub async fn ensure_principal(
        &self,
        name: &str,
        kind: PrincipalKind,
        role: &str,
    ) -> Result<Principal, AuthError> {
        check_name(name)?;
        let role = self.find_role(role).await?;
        if let Some(p) = self.find_principal(name).await? {
            if p.role.name() != role.name() {
                return Err(AuthError::PrincipalConflict {
                    name: name.to_owned(),
                    role: p.role.name().to_owned(),
                });
            }
            return Ok(p);
        }
        let res = sqlx::query(
            "INSERT INTO principals (name, kind, role, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(name)
        .bind(kind.as_str())
        .bind(role.name())
        .bind(self.clock.now().0)
        .fetch_one(self.db.pool())
        .await;
        match res {
            Ok(row) => Ok(Principal {
                id: PrincipalId(row.try_get(0)?),
                name: name.to_owned(),
                kind,
                role,
            }),
            // Another process created it between our read and write: use theirs.
            Err(e) if is_unique_violation(&e) => self
                .find_principal(name)
                .await?
                .ok_or_else(|| AuthError::UnknownPrincipal(name.to_owned())),
            Err(e) => Err(e.into()),
        }
    }

    /// The principal of that name, if any.
    pub async fn find_principal(&self, name: &str) -> Result<Option<Principal>, AuthError> {
        let sql = format!(
            "SELECT {PRINCIPAL_COLS} FROM principals p JOIN roles r ON r.name = p.role WHERE p.name = $1"
        );
        let row = sqlx::query(&sql)
            .bind(name)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| principal_from(&r).map(|(p, _)| p)).transpose()
    }

    /// Creates an API key for a principal (created with `role` if it does not exist yet).
    /// `ttl_secs` of `None` means no expiry.
    pub async fn create_api_key(
        &self,
        principal: &str,
        role: &str,
        label: &str,
        ttl_secs: Option<i64>,
    ) -> Result<NewApiKey, AuthError> {
        let p = self
            .ensure_principal(principal, PrincipalKind::Service, role)
            .await?;
        let (prefix, secret) = apikey::generate();
        let now = self.clock.now();
        let expires_at = ttl_secs.map(|s| now.plus_seconds(s).0);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_keys (principal_id, prefix, secret_hash, label, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(p.id.0)
        .bind(&prefix)
        .bind(apikey::hash(&secret))
        .bind(label)
        .bind(now.0)
        .bind(expires_at)
        .fetch_one(self.db.pool())
        .await?;
        tracing::info!(key = %prefix, principal = %p.name, "API key created");
        Ok(NewApiKey {
            info: ApiKeyInfo {
                id,
                prefix,
                principal: p.name,
                role: p.role.name().to_owned(),
                label: label.to_owned(),
                created_at: now.0,
                expires_at,
                revoked_at: None,
                last_used_at: None,
            },
            secret,
        })
    }

    /// Every API key, newest first.
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKeyInfo>, AuthError> {
        let rows = sqlx::query(
            "SELECT k.id, k.prefix, p.name, p.role, k.label, k.created_at, k.expires_at, \
             k.revoked_at, k.last_used_at FROM api_keys k JOIN principals p ON p.id = k.principal_id \
             ORDER BY k.id DESC",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ApiKeyInfo {
                    id: r.try_get(0)?,
                    prefix: r.try_get(1)?,
                    principal: r.try_get(2)?,
                    role: r.try_get(3)?,
                    label: r.try_get(4)?,
                    created_at: r.try_get(5)?,
                    expires_at: r.try_get(6)?,
                    revoked_at: r.try_get(7)?,
                    last_used_at: r.try_get(8)?,
                })
            })
            .collect()
    }

    /// Revokes a key by its prefix; revoking twice is harmless. Unknown prefixes are an error.
    pub async fn revoke_api_key(&self, prefix: &str) -> Result<(), AuthError> {
        let now = self.clock.now().0;
        let n = sqlx::query(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE prefix = $2",
        )
        .bind(now)
        .bind(prefix)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        if n == 0 {
            return Err(AuthError::UnknownKey);
        }
        tracing::info!(key = %prefix, "API key revoked");
        Ok(())
    }

    /// The principal a presented key belongs to, if the key is valid, unrevoked and unexpired.
    pub async fn authenticate_key(&self, presented: &str) -> Result<Principal, AuthError> {
        let prefix = apikey::parse_prefix(presented)?;
        let sql = format!(
            "SELECT {PRINCIPAL_COLS}, k.secret_hash, k.revoked_at, k.expires_at, k.id FROM api_keys k \
             JOIN principals p ON p.id = k.principal_id JOIN roles r ON r.name = p.role WHERE k.prefix = $1"
        );
        let row = sqlx::query(&sql)
            .bind(prefix)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or(AuthError::UnknownKey)?;
        let stored: Vec<u8> = row.try_get(6)?;
        let given = apikey::hash(&SecretString::from(presented.to_owned()));
        if !bool::from(stored.ct_eq(&given)) {
            return Err(AuthError::UnknownKey);
        }
        let now = self.clock.now().0;
        if row.try_get::<Option<i64>, _>(7)?.is_some() {
            return Err(AuthError::RevokedKey(prefix.to_owned()));
        }
        if row
            .try_get::<Option<i64>, _>(8)?
            .is_some_and(|exp| exp <= now)
        {
            return Err(AuthError::ExpiredKey(prefix.to_owned()));
        }
        let (principal, disabled) = principal_from(&row)?;
        if disabled.is_some() {
            return Err(AuthError::DisabledPrincipal(principal.name));
        }
        let key_id: i64 = row.try_get(9)?;
        sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(key_id)
            .execute(self.db.pool())
            .await?;
        Ok(principal)
    }

    /// Creates a human admin with a password and a fresh TOTP secret.
    pub async fn create_admin(
        &self,
        name: &str,
        password: &SecretString,
    ) -> Result<AdminEnrolment, AuthError> {
        let hash = admin::hash_password(password)?;
        let p = self
            .ensure_principal(name, PrincipalKind::Human, "admin")
            .await?;
        let seed = admin::new_totp_secret();
        let sealed = self.sealer.seal(&totp_context(p.id), &seed);
        let totp = admin::totp(seed, name)?;
        sqlx::query(
            "INSERT INTO admin_credentials (principal_id, password_hash, totp_secret, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (principal_id) DO UPDATE SET \
             password_hash = excluded.password_hash, totp_secret = excluded.totp_secret, last_totp_step = 0",
        )
        .bind(p.id.0)
        .bind(hash)
        .bind(sealed)
        .bind(self.clock.now().0)
        .execute(self.db.pool())
        .await?;
        Ok(AdminEnrolment {
            principal: p,
            totp_secret_base32: SecretString::from(totp.get_secret_base32()),
            otpauth_url: SecretString::from(totp.get_url()),
        })
    }

    /// Checks a sign-in and opens a session. Failures are counted per user and per source before
    /// any password work, so a throttled attempt costs nothing; every outcome but success looks
    /// the same to the caller.
    pub async fn sign_in(
        &self,
        a: &SigninAttempt<'_>,
    ) -> Result<(SessionToken, Session), AuthError> {
        let scopes = [format!("user:{}", a.username), format!("src:{}", a.source)];
        for s in &scopes {
            self.check_throttle(s).await?;
        }
        match self.check_credentials(a).await? {
            Some(p) => {
                for s in &scopes {
                    sqlx::query("DELETE FROM signin_failures WHERE scope = $1")
                        .bind(s)
                        .execute(self.db.pool())
                        .await?;
                }
                self.open_session(p).await
            }
            None => {
                for s in &scopes {
                    self.count_failure(s).await?;
                }
                Err(AuthError::BadSignin)
            }
        }
    }

    async fn check_credentials(
        &self,
        a: &SigninAttempt<'_>,
    ) -> Result<Option<Principal>, AuthError> {
        let sql = format!(
            "SELECT {PRINCIPAL_COLS}, c.password_hash, c.totp_secret, c.last_totp_step FROM admin_credentials c \
             JOIN principals p ON p.id = c.principal_id JOIN roles r ON r.name = p.role WHERE p.name = $1"
        );
        let row = sqlx::query(&sql)
            .bind(a.username)
            .fetch_optional(self.db.pool())
            .await?;
        let Some(row) = row else {
            // Same Argon2 cost as a known user, so timing does not tell who exists.
            let _ = admin::verify_password(a.password, admin::DUMMY_HASH);
            return Ok(None);
        };
        let (p, disabled) = principal_from(&row)?;
        let phc: String = row.try_get(6)?;
        if !admin::verify_password(a.password, &phc) || disabled.is_some() {
            return Ok(None);
        }
        let sealed: Vec<u8> = row.try_get(7)?;
        let last_step: i64 = row.try_get(8)?;
        let Some(seed) = self.sealer.open(&totp_context(p.id), &sealed) else {
            return Ok(None);
        };
        let totp = admin::totp(seed, &p.name)?;
        let Some(step) = admin::matching_step(&totp, a.totp_code, self.clock.now().unix_seconds())
        else {
            return Ok(None);
        };
        // Each code is good once: the step must move forward, atomically.
        let moved = sqlx::query(
            "UPDATE admin_credentials SET last_totp_step = $1 WHERE principal_id = $2 AND last_totp_step < $1",
        )
        .bind(step)
        .bind(p.id.0)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        Ok((moved == 1 && step > last_step).then_some(p))
    }

    async fn check_throttle(&self, scope: &str) -> Result<(), AuthError> {
        let row =
            sqlx::query("SELECT failures, window_start FROM signin_failures WHERE scope = $1")
                .bind(scope)
                .fetch_optional(self.db.pool())
                .await?;
        let now = self.clock.now();
        if let Some(r) = row {
            let failures: i64 = r.try_get(0)?;
            let start: i64 = r.try_get(1)?;
            let ends = custodian_db::Timestamp(start).plus_seconds(SIGNIN_WINDOW_SECS);
            if failures >= SIGNIN_MAX_FAILURES && ends > now {
                return Err(AuthError::Throttled {
                    retry_after_secs: (ends.0 - now.0) / 1_000_000 + 1,
                });
            }
        }
        Ok(())
    }

    async fn count_failure(&self, scope: &str) -> Result<(), AuthError> {
        let now = self.clock.now().0;
        let window_start = self.clock.now().plus_seconds(-SIGNIN_WINDOW_SECS).0;
        sqlx::query(
            "INSERT INTO signin_failures (scope, failures, window_start) VALUES ($1, 1, $2) \
             ON CONFLICT (scope) DO UPDATE SET \
             failures = CASE WHEN signin_failures.window_start < $3 THEN 1 ELSE signin_failures.failures + 1 END, \
             window_start = CASE WHEN signin_failures.window_start < $3 THEN $2 ELSE signin_failures.window_start END",
        )
        .bind(scope)
        .bind(now)
        .bind(window_start)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    async fn open_session(&self, p: Principal) -> Result<(SessionToken, Session), AuthError> {
        let token = SessionToken::generate();
        let csrf = SessionToken::generate().0.expose_secret().to_owned();
        let now = self.clock.now();
        let expires_at = now.plus_seconds(SESSION_SECS).0;
        sqlx::query(
            "INSERT INTO admin_sessions (token_hash, principal_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token.hash())
        .bind(p.id.0)
        .bind(&csrf)
        .bind(now.0)
        .bind(expires_at)
        .execute(self.db.pool())
        .await?;
        Ok((
            token,
            Session {
                principal: p,
                csrf_token: csrf,
                expires_at,
            },
        ))
    }

    /// The live session a cookie names.
    pub async fn find_session(&self, token: &str) -> Result<Session, AuthError> {
        let hash = SessionToken(SecretString::from(token.to_owned())).hash();
        let sql = format!(
            "SELECT {PRINCIPAL_COLS}, s.csrf_token, s.expires_at FROM admin_sessions s \
             JOIN principals p ON p.id = s.principal_id JOIN roles r ON r.name = p.role WHERE s.token_hash = $1"
        );
        let row = sqlx::query(&sql)
            .bind(hash)
            .fetch_optional(self.db.pool())
            .await?
            .ok_or(AuthError::NoSession)?;
        let (principal, disabled) = principal_from(&row)?;
        let expires_at: i64 = row.try_get(7)?;
        if disabled.is_some() || expires_at <= self.clock.now().0 {
            return Err(AuthError::NoSession);
        }
        Ok(Session {
            principal,
            csrf_token: row.try_get(6)?,
            expires_at,
        })
    }

    /// Ends a session.
    pub async fn sign_out(&self, token: &str) -> Result<(), AuthError> {
        let hash = SessionToken(SecretString::from(token.to_owned())).hash();
        sqlx::query("DELETE FROM admin_sessions WHERE token_hash = $1")
            .bind(hash)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }
}

fn totp_context(id: PrincipalId) -> String {
    format!("totp/{id}")
}
