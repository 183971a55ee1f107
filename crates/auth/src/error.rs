//! What can go wrong authenticating or authorizing, with the HTTP meaning of each kind.

/// An authentication or authorization failure, or a storage error underneath.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No credential was presented.
    #[error("authentication required: send an API key as `Authorization: Bearer <key>`")]
    MissingCredential,
    /// The credential is not of the form Custodian issues.
    #[error("malformed API key (expected `cus_<prefix>_<secret>`)")]
    MalformedKey,
    /// No key with that prefix exists, or the secret does not match.
    #[error("unknown API key")]
    UnknownKey,
    /// The key was revoked.
    #[error("API key `{0}` was revoked")]
    RevokedKey(String),
    /// The key is past its expiry.
    #[error("API key `{0}` has expired")]
    ExpiredKey(String),
    /// The principal is disabled.
    #[error("principal `{0}` is disabled")]
    DisabledPrincipal(String),
    /// The principal lacks a permission.
    #[error("principal `{principal}` (role `{role}`) lacks permission `{permission}`")]
    Forbidden {
        /// Who asked.
        principal: String,
        /// Their role.
        role: String,
        /// What they lacked.
        permission: String,
    },
    /// A role name that does not exist.
    #[error("unknown role `{0}` (see `custodian api-key roles`)")]
    UnknownRole(String),
    /// A principal name that does not exist.
    #[error("unknown principal `{0}`")]
    UnknownPrincipal(String),
    /// A principal of that name exists already with another role or kind.
    #[error("principal `{name}` exists already with role `{role}`")]
    PrincipalConflict {
        /// The name.
        name: String,
        /// Its existing role.
        role: String,
    },
    /// A name that is empty, too long or holds characters other than letters, digits, `-_.@`.
    #[error("invalid name `{0}`: use 1-64 letters, digits, `-`, `_`, `.` or `@`")]
    InvalidName(String),
    /// Username, password or TOTP code wrong (deliberately not saying which).
    #[error("wrong username, password or code")]
    BadSignin,
    /// Too many failed sign-ins; try again later.
    #[error("too many failed sign-ins; try again in {retry_after_secs} s")]
    Throttled {
        /// Seconds until another attempt is allowed.
        retry_after_secs: i64,
    },
    /// The admin session is missing, unknown or expired.
    #[error("not signed in, or the session expired")]
    NoSession,
    /// A password that is too short or too long.
    #[error("password must be 12 to 1024 characters")]
    WeakPassword,
    /// The password hashing library failed.
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// The storage layer failed.
    #[error(transparent)]
    Db(#[from] custodian_db::DbError),
}

impl From<custodian_db::sqlx::Error> for AuthError {
    fn from(e: custodian_db::sqlx::Error) -> Self {
        AuthError::Db(custodian_db::DbError::from(e))
    }
}

impl AuthError {
    /// Whether the failure is "who are you?" (401) rather than "you may not" (403).
    pub fn is_unauthenticated(&self) -> bool {
        matches!(
            self,
            AuthError::MissingCredential
                | AuthError::MalformedKey
                | AuthError::UnknownKey
                | AuthError::RevokedKey(_)
                | AuthError::ExpiredKey(_)
                | AuthError::DisabledPrincipal(_)
                | AuthError::BadSignin
                | AuthError::NoSession
        )
    }
}
