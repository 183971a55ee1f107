//! Opening the database: SQLite in the data directory by default (WAL, foreign keys, busy
//! timeout), PostgreSQL when the URL says `postgres://`, both behind one `sqlx::AnyPool`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

use crate::error::DbError;

/// Which database server holds the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: one file in the data directory.
    Sqlite,
    /// A PostgreSQL server (or a compatible engine).
    Postgres,
}

impl Backend {
    /// A short name for messages and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Whether opening may create the data directory and database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Create the data directory and an empty database if they are missing.
    Create,
    /// Fail with [`DbError::MissingDataDir`] when there is no data yet.
    Existing,
}

/// Where the database is and how to open it.
#[derive(Debug, Clone)]
pub struct DbConfig {
    /// `postgres://…` or `sqlite://…`; `None` means SQLite in `data_dir`.
    pub url: Option<String>,
    /// The data directory (holds `custodian.db` for SQLite, the key file, exports).
    pub data_dir: PathBuf,
    /// The most connections the pool opens.
    pub max_connections: u32,
    /// PostgreSQL only: the schema to use (`search_path`), for isolated tests and tenants.
    pub pg_schema: Option<String>,
    /// How long to wait for a connection before giving up.
    pub connect_timeout: Duration,
}

impl DbConfig {
    /// SQLite in `data_dir` with default limits.
    pub fn sqlite_in(data_dir: impl Into<PathBuf>) -> Self {
        DbConfig {
            url: None,
            data_dir: data_dir.into(),
            max_connections: 8,
            pg_schema: None,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// SQL that differs between the two backends, in one place.
#[derive(Debug, Clone, Copy)]
pub struct Dialect(Backend);

impl Dialect {
    /// The suffix that claims rows for a worker without blocking other workers: `FOR UPDATE SKIP
    /// LOCKED` on PostgreSQL; nothing on SQLite, where a write transaction is already exclusive.
    pub fn skip_locked(self) -> &'static str {
        match self.0 {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// How many bind parameters one statement should carry; batch inserts size their batches
    /// from this. PostgreSQL takes 65,535 and binds by position. SQLite allows 32,766, but the
    /// driver's binding cost grows with the square of the parameter count, so statements stay
    /// near the classic 999 limit, where a batch insert is fastest.
    pub fn max_params(self) -> usize {
        match self.0 {
            Backend::Sqlite => 999,
            Backend::Postgres => 65_535,
        }
    }

    /// The backend this dialect speaks for.
    pub fn backend(self) -> Backend {
        self.0
    }
}

/// An open database: the pool plus what kind of server is behind it.
#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
    target: Arc<str>,
}

impl Database {
    /// Opens (and, with [`OpenMode::Create`], creates) the database the config names.
    pub async fn connect(cfg: &DbConfig, mode: OpenMode) -> Result<Database, DbError> {
        sqlx::any::install_default_drivers();
        let (url, backend, target) = resolve(cfg, mode)?;
        let schema = cfg.pg_schema.clone();
        let options = AnyConnectOptions::from_str(&url)
            .map_err(|source| DbError::Connect {
                target: target.clone(),
                source,
            })?
            // Statement logs would carry whole batch statements; timing lives in our own spans.
            .log_statements(log::LevelFilter::Off)
            .log_slow_statements(log::LevelFilter::Off, Duration::from_secs(60));
        let pool = AnyPoolOptions::new()
            .max_connections(cfg.max_connections.max(1))
            .acquire_timeout(cfg.connect_timeout)
            .after_connect(move |conn, _meta| {
                let schema = schema.clone();
                Box::pin(async move {
                    match backend {
                        Backend::Sqlite => {
                            conn.execute(
                                "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON; \
                                 PRAGMA busy_timeout=10000; PRAGMA synchronous=NORMAL;",
                            )
                            .await?;
                        }
                        Backend::Postgres => {
                            if let Some(s) = schema {
                                conn.execute(format!("SET search_path TO \"{s}\"").as_str())
                                    .await?;
                            }
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|source| DbError::Connect {
                target: target.clone(),
                source,
            })?;
        if backend == Backend::Sqlite && cfg.url.is_none() {
            restrict_to_owner(&cfg.data_dir.join("custodian.db"));
        }
        Ok(Database {
            pool,
            backend,
            target: target.into(),
        })
    }

    /// The connection pool; all SQL goes through it.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The dialect helpers for this backend.
    pub fn dialect(&self) -> Dialect {
        Dialect(self.backend)
    }

    /// Where the database is, without credentials (for messages).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Makes deleted content unrecoverable from the database files where the backend allows it:
    /// on SQLite (which zeroes deleted content, `secure_delete`) this moves the write-ahead log's
    /// old page images into the main file and truncates the log. On PostgreSQL old row versions
    /// stay until `VACUUM` reuses their space; callers document that.
    pub async fn purge_deleted(&self) -> Result<(), DbError> {
        if self.backend == Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn resolve(cfg: &DbConfig, mode: OpenMode) -> Result<(String, Backend, String), DbError> {
    match cfg.url.as_deref() {
        Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
            Ok((u.to_owned(), Backend::Postgres, redact_url(u)))
        }
        Some(u) if u.starts_with("sqlite:") => Ok((u.to_owned(), Backend::Sqlite, u.to_owned())),
        Some(u) => Err(DbError::UnsupportedUrl(redact_url(u))),
        None => {
            let file = sqlite_file(&cfg.data_dir, mode)?;
            let url = format!("sqlite://{}?mode=rwc", file.display());
            Ok((url, Backend::Sqlite, file.display().to_string()))
        }
    }
}

/// The SQLite file in the data directory, creating the directory when allowed.
fn sqlite_file(dir: &Path, mode: OpenMode) -> Result<PathBuf, DbError> {
    let file = dir.join("custodian.db");
    match mode {
        OpenMode::Existing if !file.exists() => Err(DbError::MissingDataDir(dir.to_owned())),
        OpenMode::Existing => Ok(file),
        OpenMode::Create => {
            create_private_dir(dir)?;
            Ok(file)
        }
    }
}

/// Creates the data directory readable by its owner only: it holds the database and key file.
fn create_private_dir(dir: &Path) -> Result<(), DbError> {
    use std::os::unix::fs::DirBuilderExt;
    let err = |source| DbError::DataDir {
        path: dir.to_owned(),
        source,
    };
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(err)
}

/// Makes the SQLite file readable by its owner only (SQLite gives its WAL and SHM files the same
/// mode). Failure is logged, not fatal: the directory is already private.
fn restrict_to_owner(file: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Err(e) = std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600)) {
        tracing::warn!(file = %file.display(), error = %e, "cannot restrict database file mode");
    }
}

/// The URL with any password replaced, for messages and logs.
pub(crate) fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}")
            } else {
                format!("{scheme}://{user}@{host}")
            }
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn rejects_unknown_schemes() {
        let mut cfg = DbConfig::sqlite_in("/tmp/x");
        cfg.url = Some("mysql://root:pw@localhost/db".into());
        let err = resolve(&cfg, OpenMode::Create).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported database URL `mysql://root:***@localhost/db` (expected postgres://… or sqlite://…)"
        );
    }

    #[test]
    fn existing_mode_names_the_missing_dir() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let err = resolve(&DbConfig::sqlite_in(&missing), OpenMode::Existing).unwrap_err();
        assert!(matches!(err, DbError::MissingDataDir(p) if p == missing));
    }
}
