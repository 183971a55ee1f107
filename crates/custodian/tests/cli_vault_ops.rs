//! The vault's operations through the binary, as an operator runs them: `vault export
//! --tokenized` writes a file without the imported values, `keys rotate` (interrupted with
//! `--max-batches`, then `--resume`) moves everyone to the new key version while `vault get`
//! keeps revealing, `keys status` reports it, and `vault retention run` follows
//! `[vault.retention]` from the configuration file.

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

/// The binary on `dir`'s data directory, with none of the caller's configuration.
fn custodian(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_custodian"));
    c.env_remove("CUSTODIAN_DATABASE_URL")
        .env_remove("CUSTODIAN_DATA_DIR")
        .env_remove("CUSTODIAN_ROOT_KEY")
        .env_remove("CUSTODIAN_CONFIG")
        .env("NO_COLOR", "1")
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args);
    c
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = custodian(dir, args).output().expect("run custodian");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = run(dir, args);
    assert_eq!(code, 0, "{args:?} failed: {err}");
    out
}

fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ok(dir, &all)).unwrap()
}

const HEADER: &str = "external_id,account_kind,first_name,last_name,state,dob,ssn,phone,imei";

fn ssn(i: usize) -> String {
    format!("{:03}-{:02}-{:04}", 201 + i, 31 + i, 4001 + i)
}

#[test]
fn export_rotate_and_retention_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut csv = format!("{HEADER}\n");
    for i in 0..30 {
        let kind = if i % 2 == 0 { "former" } else { "postpaid" };
        csv.push_str(&format!(
            "E{i:03},{kind},Xq{i},Zyzzyva{i},TX,1961-04-1{},{},+1737555{:04},\n",
            i % 10,
            ssn(i),
            2100 + i
        ));
    }
    let people = dir.join("people.csv");
    std::fs::write(&people, csv).unwrap();
    ok(dir, &["vault", "import", people.to_str().unwrap()]);

    // Export: no SSN or phone of anyone, in digits or dashed; the header is canonical.
    let out = dir.join("test-env.csv");
    let r = json(
        dir,
        &["vault", "export", "--tokenized", out.to_str().unwrap()],
    );
    assert_eq!(r["exported"], 30);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("external_id,account_kind,first_name"));
    for i in 0..30 {
        let phone = format!("1737555{:04}", 2100 + i);
        for needle in [ssn(i), ssn(i).replace('-', ""), phone] {
            assert!(!text.contains(&needle), "a real value is in the export");
        }
        assert!(
            !text.contains(&format!("E{i:03}")),
            "external ids are tokenized"
        );
    }
    assert!(!dir.join("test-env.csv.partial").exists());

    // Rotation, interrupted after one batch, then resumed.
    let r = json(
        dir,
        &["keys", "rotate", "--batch-size", "8", "--max-batches", "1"],
    );
    assert_eq!(
        (r["target_version"].as_u64(), r["remaining"].as_u64()),
        (Some(2), Some(22))
    );
    let status = json(dir, &["keys", "status"]);
    assert_eq!(status["rotations"][0]["status"], "running");
    let revealed = json(
        dir,
        &[
            "vault",
            "get",
            "E020",
            "--purpose",
            "rotation check",
            "--reveal",
            "ssn",
        ],
    );
    assert!(revealed.to_string().contains(&ssn(20).replace('-', "")));
    let r = json(dir, &["keys", "rotate", "--resume"]);
    assert_eq!(
        (r["start"].as_str(), r["remaining"].as_u64()),
        (Some("resumed"), Some(0))
    );
    let status = json(dir, &["keys", "status"]);
    assert_eq!(status["current_version"], 2);
    assert_eq!(status["versions"][1]["people"], 30);
    assert_eq!(status["versions"][0]["people"], 0);
    let found = ok(dir, &["vault", "find", "--ssn", &ssn(7)]);
    assert!(found.contains("E007"), "{found}");

    // Retention from the configuration: former customers kept 1 day; nobody is idle yet.
    let config = dir.join("custodian.toml");
    std::fs::write(&config, "[vault.retention]\nformer_days = 1\n").unwrap();
    let cfg = config.to_str().unwrap();
    let r = json(
        dir,
        &["--config", cfg, "vault", "retention", "run", "--dry-run"],
    );
    assert_eq!(
        (r["due"].as_u64(), r["shredded"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(r["kinds"][2]["keep_days"], 1);
    assert!(r["kinds"][0]["keep_days"].is_null());
    let (code, _, err) = run(dir, &["vault", "export"]);
    assert_ne!(code, 0);
    assert!(err.contains("--tokenized"), "{err}");
}

/// Every byte of every file under `dir`, concatenated (the database and its journals).
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(all_bytes(&p));
        } else {
            out.extend(std::fs::read(&p).unwrap());
        }
    }
    out
}

#[test]
fn incident_expose_files_finds_the_people_in_a_leaked_text_dump() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut csv = format!("{HEADER}\n");
    for i in 0..20 {
        csv.push_str(&format!(
            "E{i:03},prepaid,Xq{i},Zyzzyva{i},TX,1961-04-1{},{},+1737555{:04},\n",
            i % 10,
            ssn(i),
            2100 + i
        ));
    }
    let people = dir.join("people.csv");
    std::fs::write(&people, csv).unwrap();
    ok(dir, &["vault", "import", people.to_str().unwrap()]);

    // The dump: no header, mixed separators; people 0..5 by SSN (with birth dates), one SSN of
    // nobody we hold, a line without personal data, and a gzip'd log naming people 5..8 by phone.
    let leak = dir.join("leak");
    std::fs::create_dir_all(leak.join("logs")).unwrap();
    let mut dump = String::from("exported from crm-test-07\n");
    for i in 0..5 {
        dump.push_str(&format!(
            "Xq{i} Zyzzyva{i} | SSN: {} | DOB: 04/1{}/1961\n",
            ssn(i),
            i % 10
        ));
    }
    dump.push_str("Someone Else | SSN: 301-41-5001 | DOB: 07/02/1975\n");
    std::fs::write(leak.join("dump.txt"), dump).unwrap();
    let mut log = String::new();
    for i in 5..8 {
        log.push_str(&format!(
            "2021-08-01T10:0{i}:00Z care callback phone: (737) 555-{:04} ticket {i}\n",
            2100 + i
        ));
    }
    let gz = std::fs::File::create(leak.join("logs/care.log.gz")).unwrap();
    let mut enc = flate2::write::GzEncoder::new(gz, flate2::Compression::default());
    std::io::Write::write_all(&mut enc, log.as_bytes()).unwrap();
    enc.finish().unwrap();

    let incident = json(
        dir,
        &["incident", "new", "--title", "test environment dump"],
    );
    let id = incident["id"].as_str().map_or_else(
        || incident["id"].to_string(),
        std::borrow::ToOwned::to_owned,
    );
    let e = json(
        dir,
        &["incident", "expose", &id, "--files", leak.to_str().unwrap()],
    );
    assert_eq!(e["kind"], "file", "{e}");
    assert_eq!(e["people"], 8, "{e}");
    assert_eq!(e["unlinked_rows"], 1, "{e}");
    let elements: Vec<&str> = e["elements"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    for want in ["ssn", "date_of_birth", "phone_number"] {
        assert!(elements.contains(&want), "{want} missing from {elements:?}");
    }
    for absent in ["imei", "payment_card", "email"] {
        assert!(
            !elements.contains(&absent),
            "{absent} claimed but not in the files: {elements:?}"
        );
    }

    // The values read from the dump are not stored anywhere: only who was in it.
    let stored = all_bytes(&dir.join("data"));
    for needle in [ssn(0), ssn(0).replace('-', ""), "301415001".into()] {
        assert!(
            !stored.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{needle} is stored in the data directory"
        );
    }

    // Files without personal data: a clear error, nothing recorded.
    let empty = dir.join("notes.txt");
    std::fs::write(&empty, "meeting moved to thursday\n").unwrap();
    let (code, _, err) = run(
        dir,
        &[
            "incident",
            "expose",
            &id,
            "--files",
            empty.to_str().unwrap(),
        ],
    );
    assert_ne!(code, 0);
    assert!(err.contains("no personal data found"), "{err}");
    let list = json(dir, &["incident", "show", &id]);
    assert_eq!(
        list["exposures"].as_array().map(Vec::len),
        Some(1),
        "{list}"
    );
}

/// A valid SSN for each of up to 80,000 people.
fn many_ssn(i: usize) -> String {
    format!(
        "{:03}-{:02}-{:04}",
        301 + i / 8000,
        10 + (i / 100) % 80,
        1001 + i % 8000
    )
}

/// Imports `n` people (E0000…) with the SSNs of [`many_ssn`]; all must be accepted.
fn import_people(dir: &Path, n: usize) {
    let mut csv = format!("{HEADER}\n");
    for i in 0..n {
        csv.push_str(&format!(
            "E{i:04},postpaid,Xq{i},Zyzzyva{i},TX,1961-04-1{},{},+1737{:07},\n",
            i % 10,
            many_ssn(i),
            5_000_000 + i
        ));
    }
    let people = dir.join("people.csv");
    std::fs::write(&people, csv).unwrap();
    let r = json(dir, &["vault", "import", people.to_str().unwrap()]);
    assert_eq!(r["created"].as_u64(), Some(n as u64), "{r}");
}

/// Starts `args` (one transaction per person), waits until `progress` (read through `keys
/// status`) says some but not all of the work is committed, then kills it with SIGKILL.
fn kill_nine_midway(dir: &Path, args: &[&str], progress: impl Fn(&serde_json::Value) -> u64) {
    let mut child = custodian(dir, args)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.join("killed.stderr")).unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "no progress within a minute"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "{args:?} finished before it could be killed"
        );
        if progress(&json(dir, &["keys", "status"])) > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-9", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(
        exit.code().is_none(),
        "killed by a signal, not finished ({exit:?}): {}",
        std::fs::read_to_string(dir.join("killed.stderr")).unwrap_or_default()
    );
}

/// `keys rotate` and `keys rotate-index`, each killed with SIGKILL halfway: every person still
/// reads and is found meanwhile, and `--resume` finishes the work without redoing any of it.
#[test]
fn rotations_killed_with_sigkill_resume_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let n = 6000;
    import_people(dir, n);
    let find = |i: usize| {
        let found = ok(dir, &["vault", "find", "--ssn", &many_ssn(i)]);
        assert!(found.contains(&format!("E{i:04}")), "{found}");
    };

    // Root-key rotation.
    kill_nine_midway(dir, &["keys", "rotate", "--batch-size", "1"], |st| {
        st["versions"][1]["people"].as_u64().unwrap_or(0)
    });
    let st = json(dir, &["keys", "status"]);
    let moved = st["versions"][1]["people"].as_u64().unwrap();
    assert!(moved > 0 && moved < n as u64, "{st}");
    assert_eq!(st["rotations"][0]["status"], "running");
    for i in [0, n / 2, n - 1] {
        find(i);
    }
    let r = json(dir, &["keys", "rotate", "--resume"]);
    assert_eq!(r["rewrapped"].as_u64(), Some(n as u64 - moved), "{r}");
    assert_eq!(r["remaining"], 0);
    let st = json(dir, &["keys", "status"]);
    assert_eq!(st["versions"][1]["people"], n);

    // Blind-index rotation.
    kill_nine_midway(dir, &["keys", "rotate-index", "--batch-size", "1"], |st| {
        let lacking = st["index_versions"][1]["lacking"]
            .as_u64()
            .unwrap_or(n as u64);
        n as u64 - lacking
    });
    let st = json(dir, &["keys", "status"]);
    assert_eq!(st["index_versions"][1]["status"], "building", "{st}");
    let lacking = st["index_versions"][1]["lacking"].as_u64().unwrap();
    assert!(lacking > 0 && lacking < n as u64, "{st}");
    for i in [0, n / 2, n - 1] {
        find(i);
    }
    let r = json(dir, &["keys", "rotate-index", "--resume"]);
    assert_eq!(r["backfilled"].as_u64(), Some(lacking), "{r}");
    assert_eq!(
        (r["activated"].as_bool(), r["remaining"].as_u64()),
        (Some(true), Some(0))
    );
    assert_eq!(r["retired"], serde_json::json!([1]));
    let st = json(dir, &["keys", "status"]);
    assert_eq!(st["index_versions"][0]["status"], "retired");
    assert_eq!(st["index_versions"][1]["status"], "active");
    for i in [0, 1, n / 2, n - 1] {
        find(i);
    }
}
