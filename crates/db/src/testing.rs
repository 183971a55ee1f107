//! Test support shared by every crate: a fresh, isolated database on each backend, so that one
//! test body runs on SQLite and on PostgreSQL (see [`backend_tests!`](crate::backend_tests)).
//!
//! SQLite databases live in a temporary directory. PostgreSQL tests each get a fresh schema in the
//! server named by `CUSTODIAN_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`),
//! dropped afterwards. When no server answers, the PostgreSQL half of each test prints a loud
//! `SKIPPED` line and returns; with `CUSTODIAN_REQUIRE_PG=1` (set by CI) it fails instead.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rand::Rng;

use crate::connect::{Database, DbConfig, OpenMode};

/// The PostgreSQL server tests use unless `CUSTODIAN_TEST_PG_URL` says otherwise.
pub const DEFAULT_TEST_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database for one test; dropping it removes the PostgreSQL schema or SQLite directory.
#[derive(Debug)]
pub struct TestDb {
    /// The open database.
    pub db: Database,
    /// The data directory (SQLite file, key file) for this test.
    pub dir: tempfile::TempDir,
    schema: Option<(String, String)>,
}

impl TestDb {
    /// A fresh SQLite database in a new temporary directory.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let db = Database::connect(&DbConfig::sqlite_in(dir.path()), OpenMode::Create)
            .await
            .unwrap_or_else(|e| panic!("open SQLite: {e}"));
        TestDb {
            db,
            dir,
            schema: None,
        }
    }

    /// A fresh schema on the test PostgreSQL server, or `None` (after a loud notice) when none
    /// answers. Panics instead when `CUSTODIAN_REQUIRE_PG=1`.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let url = pg_url();
        let admin = match connect_pg(&url, None).await {
            Ok(db) => db,
            Err(e) => {
                if std::env::var("CUSTODIAN_REQUIRE_PG").is_ok_and(|v| v == "1") {
                    panic!("PostgreSQL required (CUSTODIAN_REQUIRE_PG=1) but unreachable: {e}");
                }
                eprintln!("SKIPPED {test} on PostgreSQL: no server at {url}: {e}");
                return None;
            }
        };
        static N: AtomicU32 = AtomicU32::new(0);
        let schema = format!(
            "t_{}_{}_{:08x}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            rand::thread_rng().r#gen::<u32>()
        );
        sqlx::raw_sql(&format!("CREATE SCHEMA \"{schema}\""))
            .execute(admin.pool())
            .await
            .unwrap_or_else(|e| panic!("create schema: {e}"));
        admin.close().await;
        let db = connect_pg(&url, Some(schema.clone()))
            .await
            .unwrap_or_else(|e| panic!("connect to schema: {e}"));
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        Some(TestDb {
            db,
            dir,
            schema: Some((url, schema)),
        })
    }

    /// The config that opens this same database again (for a second process or a restart).
    pub fn config(&self) -> DbConfig {
        let mut cfg = DbConfig::sqlite_in(self.dir.path());
        if let Some((url, schema)) = &self.schema {
            cfg.url = Some(url.clone());
            cfg.pg_schema = Some(schema.clone());
        }
        cfg
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((url, schema)) = self.schema.take() else {
            return;
        };
        // Drop runs inside the test's runtime, which cannot block on async work; a short-lived
        // thread with its own runtime removes the schema, bounded by a timeout.
        let handle = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let fut = async {
                    if let Ok(db) = connect_pg(&url, None).await {
                        let sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
                        let _ = sqlx::raw_sql(&sql).execute(db.pool()).await;
                        db.close().await;
                    }
                };
                let _ = tokio::time::timeout(Duration::from_secs(20), fut).await;
            });
        });
        let _ = handle.join();
    }
}

/// The PostgreSQL URL for tests.
pub fn pg_url() -> String {
    std::env::var("CUSTODIAN_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_TEST_PG_URL.to_owned())
}

async fn connect_pg(url: &str, schema: Option<String>) -> Result<Database, crate::DbError> {
    let cfg = DbConfig {
        url: Some(url.to_owned()),
        data_dir: std::env::temp_dir(),
        max_connections: 4,
        pg_schema: schema,
        connect_timeout: Duration::from_secs(3),
    };
    Database::connect(&cfg, OpenMode::Create).await
}

/// The Python interpreter of the test tools' virtual environment (`CUSTODIAN_TEST_PYTHON`, else
/// `bin/python` in `CUSTODIAN_TEST_VENV`, else in `~/.cache/custodian/test-venv`; installed by
/// `scripts/test-services/install.sh`).
pub fn test_python() -> std::path::PathBuf {
    if let Ok(p) = std::env::var("CUSTODIAN_TEST_PYTHON") {
        return p.into();
    }
    let venv = std::env::var("CUSTODIAN_TEST_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::PathBuf::from(std::env::var("HOME").unwrap_or_default())
                .join(".cache/custodian/test-venv")
        });
    venv.join("bin/python")
}

/// A real SMTP server on a loopback port (Python's aiosmtpd) that writes each message it
/// accepts to a Maildir; stopped when dropped.
#[derive(Debug)]
pub struct MaildirSmtp {
    /// Its port on 127.0.0.1.
    pub port: u16,
    child: std::process::Child,
    dir: tempfile::TempDir,
}

impl MaildirSmtp {
    /// Starts the server, or returns `None` after a loud `SKIPPED` line when aiosmtpd is not
    /// installed (panics instead under `CI=true`).
    pub fn start(test: &str) -> Option<MaildirSmtp> {
        MaildirSmtp::start_with(test, &[])
    }

    /// [`MaildirSmtp::start`] with more options of `python -m aiosmtpd`: `--tlscert FILE
    /// --tlskey FILE` (STARTTLS, required), `--smtpscert FILE --smtpskey FILE` (TLS from the
    /// first byte).
    pub fn start_with(test: &str, options: &[&str]) -> Option<MaildirSmtp> {
        use std::process::{Command, Stdio};
        let py = test_python();
        let installed = Command::new(&py)
            .args(["-c", "import aiosmtpd"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "aiosmtpd is required under CI=true (run scripts/test-services/install.sh)"
            );
            eprintln!("SKIPPED {test}: aiosmtpd missing (run scripts/test-services/install.sh)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap_or_else(|e| panic!("a free loopback port: {e}"))
            .port();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let child = Command::new(&py)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(options)
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("box"))
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start aiosmtpd: {e}"));
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(MaildirSmtp { port, child, dir })
    }

    /// The messages delivered so far, each as its raw text.
    pub fn messages(&self) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(self.dir.path().join("box/new")) else {
            return Vec::new();
        };
        rd.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .collect()
    }

    /// Waits up to 10 s for at least `n` messages and returns what has arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..100 {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.messages()
    }
}

impl Drop for MaildirSmtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs one async test body on both backends: for each `name`, an `async fn name(t: &TestDb)`
/// must exist in scope, and the macro generates `name::sqlite` and `name::postgres` tests.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let t = $crate::testing::TestDb::sqlite().await;
                    super::$name(&t).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(t) = $crate::testing::TestDb::postgres(concat!(module_path!())).await
                    else {
                        return;
                    };
                    super::$name(&t).await;
                }
            }
        )*
    };
}

/// Undoes quoted-printable soft breaks and `=XX` escapes, enough to search the bodies a
/// [`MaildirSmtp`] received.
pub fn unquote_printable(s: &str) -> String {
    let s = s.replace("=\r\n", "").replace("=\n", "");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
