//! Principals, roles and credentials: who is calling Custodian and what they may do.
//!
//! A [`Principal`] is a human or a service; its [`Role`] is data (a row holding a list of named
//! permissions), so no code branches on role names: code asks [`Principal::require`] for a
//! permission such as `people.read`. Services authenticate with API keys (shown once, stored as a
//! SHA-256 hash under a visible prefix, with expiry and revocation); humans sign in to the admin
//! console with an Argon2id password plus a TOTP code and get a server-side session.
//!
//! This crate sits below the domain crates: the vault takes a `Principal` to decide what it may
//! reveal and to write who read what into its access log.

mod admin;
mod apikey;
mod error;
mod principal;
mod store;

pub use admin::{AdminEnrolment, Session, SessionToken, SigninAttempt};
pub use apikey::{ApiKeyInfo, NewApiKey};
pub use error::AuthError;
pub use principal::{Permission, Principal, PrincipalId, PrincipalKind, Role};
pub use store::{AuthService, SecretSealer};

use custodian_db::{Component, Migration};

/// The schema this crate owns.
pub const COMPONENT: Component = Component {
    name: "auth",
    migrations: &[
        Migration {
            version: 1,
            name: "principals, keys, admin sign-in",
            sqlite: include_str!("../migrations/sqlite/0001_principals.sql"),
            postgres: include_str!("../migrations/postgres/0001_principals.sql"),
        },
        Migration {
            version: 2,
            name: "default roles",
            sqlite: include_str!("../migrations/sqlite/0002_default_roles.sql"),
            postgres: include_str!("../migrations/postgres/0002_default_roles.sql"),
        },
        Migration {
            version: 3,
            name: "the notifier role",
            sqlite: include_str!("../migrations/sqlite/0003_notifier_role.sql"),
            postgres: include_str!("../migrations/postgres/0003_notifier_role.sql"),
        },
        Migration {
            version: 4,
            name: "the trust_editor role",
            sqlite: include_str!("../migrations/sqlite/0004_trust_editor_role.sql"),
            postgres: include_str!("../migrations/postgres/0004_trust_editor_role.sql"),
        },
    ],
};
