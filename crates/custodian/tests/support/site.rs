//! Where a test's `custodian` processes keep their data: a data directory (the key file, and the
//! SQLite database unless `url` names a PostgreSQL schema), and the commands run against it.
//! Shared by the command-line tests through `#[path]`; each uses a subset.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use custodian_db::testing::TestDb;
use custodian_db::{Database, DbConfig, OpenMode};

pub(crate) struct Site {
    _tmp: tempfile::TempDir,
    pub(crate) dir: PathBuf,
    pub(crate) url: Option<String>,
    /// The PostgreSQL schema behind `url`; dropping it drops the schema.
    pub(crate) pg: Option<TestDb>,
}

impl Site {
    pub(crate) fn sqlite() -> Site {
        let tmp = tempfile::tempdir().unwrap();
        Site {
            dir: tmp.path().to_owned(),
            _tmp: tmp,
            url: None,
            pg: None,
        }
    }

    /// A fresh schema on the test PostgreSQL server, reached by the binary through the URL's
    /// `options` (its `search_path`); `None` after a loud SKIPPED line when no server answers
    /// (a failure instead under `CUSTODIAN_REQUIRE_PG=1`, as in CI).
    pub(crate) async fn postgres(test: &str) -> Option<Site> {
        let t = TestDb::postgres(test).await?;
        let cfg = t.config();
        let (url, schema) = (cfg.url.unwrap(), cfg.pg_schema.unwrap());
        let sep = if url.contains('?') { '&' } else { '?' };
        let tmp = tempfile::tempdir().unwrap();
        Some(Site {
            dir: tmp.path().to_owned(),
            _tmp: tmp,
            url: Some(format!("{url}{sep}options=-c%20search_path%3D{schema}")),
            pg: Some(t),
        })
    }

    /// `custodian` on this site's data, with no setting inherited from the environment.
    pub(crate) fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_custodian"));
        c.env_remove("CUSTODIAN_DATABASE_URL")
            .env_remove("CUSTODIAN_DATA_DIR")
            .env_remove("CUSTODIAN_ROOT_KEY")
            .env_remove("CUSTODIAN_CONFIG")
            .env_remove("CUSTODIAN_SMTP")
            .env("NO_COLOR", "1")
            .arg("--data-dir")
            .arg(self.dir.join("data"));
        if let Some(u) = &self.url {
            c.arg("--database-url").arg(u);
        }
        c
    }

    /// Runs a command to completion; it must succeed. Returns its standard output.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("run custodian");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?} failed: {stdout}{stderr}");
        stdout
    }

    /// Runs a command with `--json`; returns its parsed output.
    pub(crate) fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.ok(&all);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
    }

    /// The same database, opened by the test itself (after the binary created it).
    pub(crate) async fn db(&self) -> Database {
        match &self.pg {
            Some(t) => t.db.clone(),
            None => Database::connect(
                &DbConfig::sqlite_in(self.dir.join("data")),
                OpenMode::Existing,
            )
            .await
            .unwrap(),
        }
    }
}
