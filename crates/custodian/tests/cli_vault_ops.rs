//! The vault's operations through the binary, as an operator runs them: `vault export
//! --tokenized` writes a file without the imported values, `keys rotate` (interrupted with
//! `--max-batches`, then `--resume`) moves everyone to the new key version while `vault get`
//! keeps revealing, `keys status` reports it, and `vault retention run` follows
//! `[vault.retention]` from the configuration file.

// Test code: panicking on a broken fixture is the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_custodian"))
        .env_remove("CUSTODIAN_DATABASE_URL")
        .env_remove("CUSTODIAN_DATA_DIR")
        .env_remove("CUSTODIAN_ROOT_KEY")
        .env_remove("CUSTODIAN_CONFIG")
        .env("NO_COLOR", "1")
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args)
        .output()
        .expect("run custodian");
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
