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

/// Set on every SQLite connection.
///
/// - WAL, foreign keys, `secure_delete` (deleted content is zeroed), a 10 s busy wait, and
///   `synchronous=NORMAL` (the log is synced at checkpoints rather than at every commit: a power
///   failure can lose the last commits but never corrupts the database).
/// - `temp_store=MEMORY`: statement journals and temporary tables stay in memory, so no temporary
///   file ever holds a page of the database (and a multi-row insert does not write each page it
///   touches to a temporary file first: a bulk import spent a fifth of its time there).
/// - `cache_size=-32768`: a 32 MiB page cache per connection instead of 2 MiB; index inserts
///   of a bulk import otherwise read and spill pages all the time.
/// - `wal_autocheckpoint=16384`, `journal_size_limit`: a commit copies the log into the
///   database itself only past 64 MiB of log instead of 4 MiB; the copy is normally done every
///   second in the background (see `Checkpointer`). The log is truncated back to 64 MiB after
///   a checkpoint.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; \
    PRAGMA secure_delete=ON; PRAGMA busy_timeout=10000; PRAGMA synchronous=NORMAL; \
    PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768; PRAGMA wal_autocheckpoint=16384; \
    PRAGMA journal_size_limit=67108864;";

/// SQL that differs between the two backends, in one place.
#[derive(Debug, Clone, Copy)]
pub struct Dialect(Backend);

impl Dialect {
    /// The dialect of an open connection (or transaction, through `&**tx`).
    pub fn of(conn: &sqlx::AnyConnection) -> Dialect {
        if conn.backend_name().eq_ignore_ascii_case("sqlite") {
            Dialect(Backend::Sqlite)
        } else {
            Dialect(Backend::Postgres)
        }
    }

    /// The suffix that claims rows for a worker without blocking other workers: `FOR UPDATE SKIP
    /// LOCKED` on PostgreSQL; nothing on SQLite, where a write transaction is already exclusive.
    pub fn skip_locked(self) -> &'static str {
        match self.0 {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// How many bind parameters one statement should carry; batch inserts size their batches
    /// from this. PostgreSQL takes 65,535 and binds by position. SQLite allows 32,766; binding
    /// numbered parameters there costs time in the square of their count (see
    /// [`Dialect::row_placeholders`]), so statements with numbered parameters stay near the
    /// classic 999 limit.
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

    /// Placeholders for `rows` rows of `cols` parameters each, `(…),(…)`, for a statement whose
    /// only parameters these are, bound in order.
    ///
    /// PostgreSQL gets `$1, $2, …`. SQLite gets anonymous `?`: the driver looks up the name of
    /// every numbered parameter, and SQLite finds a name by walking the list of all of them, so
    /// binding `$n` costs time in the square of the parameter count (a 1,000-parameter insert
    /// spent most of its time there); anonymous parameters have no names to look up.
    pub fn row_placeholders(self, rows: usize, cols: usize) -> String {
        let mut sql = String::with_capacity(rows * (cols * 7 + 3));
        let mut n = 1;
        for r in 0..rows {
            sql.push_str(if r == 0 { "(" } else { ",(" });
            for c in 0..cols {
                if c > 0 {
                    sql.push(',');
                }
                self.push_param(&mut sql, n);
                n += 1;
            }
            sql.push(')');
        }
        sql
    }

    /// `n` placeholders separated by commas (for `IN (…)`), numbered from `first` on
    /// PostgreSQL. On SQLite they are anonymous (see [`Dialect::row_placeholders`]), which bind
    /// in the order they appear: every parameter of the statement must appear in binding order.
    pub fn list_placeholders(self, first: usize, n: usize) -> String {
        let mut sql = String::with_capacity(n * 7);
        for i in first..first + n {
            if i > first {
                sql.push(',');
            }
            self.push_param(&mut sql, i);
        }
        sql
    }

    /// Parameter `n`: `$n` on PostgreSQL, an anonymous `?` on SQLite (under the rule of
    /// [`Dialect::list_placeholders`]).
    pub fn param(self, n: usize) -> String {
        let mut s = String::new();
        self.push_param(&mut s, n);
        s
    }

    fn push_param(self, sql: &mut String, n: usize) {
        use std::fmt::Write;
        match self.0 {
            Backend::Sqlite => sql.push('?'),
            Backend::Postgres => {
                let _ = write!(sql, "${n}");
            }
        }
    }
}

/// An open database: the pool plus what kind of server is behind it.
#[derive(Debug, Clone)]
pub struct Database {
    pool: AnyPool,
    backend: Backend,
    target: Arc<str>,
    /// SQLite's background checkpointer, stopped when the last handle is dropped.
    _checkpointer: Option<Arc<Checkpointer>>,
}

/// How often SQLite's write-ahead log is copied into the database in the background.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Copies SQLite's write-ahead log into the database every [`CHECKPOINT_EVERY`] on a pool
/// connection of its own (`wal_checkpoint(PASSIVE)`, which never waits for readers or writers).
///
/// Without it the copy happens inside whichever commit pushes the log past
/// `wal_autocheckpoint` pages: that commit (and everything queued behind SQLite's one writer)
/// waits for the copy. With the log copied here, commits only append to it, and the
/// auto-checkpoint threshold is a backstop for when this task cannot keep up.
#[derive(Debug)]
struct Checkpointer(tokio::task::JoinHandle<()>);

impl Checkpointer {
    fn spawn(pool: AnyPool) -> Checkpointer {
        Checkpointer(tokio::spawn(async move {
            let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tick.tick().await;
            loop {
                tick.tick().await;
                if pool.is_closed() {
                    return;
                }
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&pool)
                    .await
                {
                    tracing::debug!(error = %e, "background checkpoint did not run");
                }
            }
        }))
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
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
                            conn.execute(SQLITE_PRAGMAS).await?;
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
        let checkpointer =
            (backend == Backend::Sqlite).then(|| Arc::new(Checkpointer::spawn(pool.clone())));
        Ok(Database {
            pool,
            backend,
            target: target.into(),
            _checkpointer: checkpointer,
        })
    }

    /// The connection pool; all SQL goes through it.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Begins a transaction that will write and may read first. On SQLite it takes the write
    /// lock at once (`BEGIN IMMEDIATE`, waiting out `busy_timeout`): a deferred transaction that
    /// reads and then writes fails at once with "database is locked" when another connection
    /// wrote in between, since its read snapshot is stale. On PostgreSQL a plain `BEGIN`.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
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

    /// After a bulk write: on PostgreSQL, `VACUUM (ANALYZE)` the tables, so that the planner
    /// knows their new size and the rows are marked visible to everyone. Without it, the first
    /// queries after a fresh million-row import check every row's transaction status on each
    /// visit (and autovacuum, when it runs at all, gets there minutes later): a breach
    /// engine's blind-index resolution of 1M rows took 83 s before and 8 s after. Nothing on
    /// SQLite, whose planner needs no statistics for these lookups. `tables` are names this
    /// code owns, never outside input.
    pub async fn vacuum_analyze(&self, tables: &[&str]) -> Result<(), DbError> {
        if self.backend == Backend::Postgres && !tables.is_empty() {
            // VACUUM cannot run inside a transaction: a simple query on a pooled connection.
            sqlx::raw_sql(&format!("VACUUM (ANALYZE) {}", tables.join(", ")))
                .execute(&self.pool)
                .await?;
        }
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
    fn placeholders_are_numbered_on_postgres_and_anonymous_on_sqlite() {
        let (pg, lite) = (Dialect(Backend::Postgres), Dialect(Backend::Sqlite));
        assert_eq!(pg.row_placeholders(2, 3), "($1,$2,$3),($4,$5,$6)");
        assert_eq!(lite.row_placeholders(2, 3), "(?,?,?),(?,?,?)");
        assert_eq!(pg.list_placeholders(3, 2), "$3,$4");
        assert_eq!(lite.list_placeholders(3, 2), "?,?");
        assert_eq!(
            (pg.param(7), lite.param(7)),
            ("$7".to_owned(), "?".to_owned())
        );
        assert_eq!(pg.row_placeholders(0, 3), "");
    }

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
