//! `custodian scan …` end to end, as a user runs it: secrets in a git-ignored `.env`, inside a
//! zip and in git history (added then deleted, found with the commit that added it), stored and
//! listed, never printed or logged; the exit code above `--fail-on`; baselines; the PII summary;
//! `rules check`; a network scan of a loopback router page found and identified, a diff that
//! shows it appeared, a closed port, and an out-of-scope target refused.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failure

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

/// Made-up credentials (formats only).
const AWS_KEY: &str = "AKIAQW5ZR3TYV7XB2MNP";
const GH_TOKEN: &str = "ghp_R7uQ2mXk9LpZ4vN8sT1wY6bC3dF5gH0jK2aE";

fn run(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_custodian"))
        .env_remove("CUSTODIAN_DATABASE_URL")
        .env_remove("CUSTODIAN_DATA_DIR")
        .env_remove("CUSTODIAN_ROOT_KEY")
        .env_remove("CUSTODIAN_CONFIG")
        .env("NO_COLOR", "1")
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .expect("run custodian");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.net"])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A tree with `.env` (git-ignored) and a zip, and a repository whose history once held a token.
fn plant(root: &Path) -> (String, String) {
    let tree = root.join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join(".gitignore"), ".env\n").unwrap();
    std::fs::write(tree.join(".env"), format!("AWS_ACCESS_KEY_ID={AWS_KEY}\n")).unwrap();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(tree.join("backup.zip")).unwrap());
    zip.start_file("etc/app.yml", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(format!("token: {GH_TOKEN}\n").as_bytes())
        .unwrap();
    zip.finish().unwrap();

    let repo = root.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    std::fs::write(repo.join("README.md"), "app\n").unwrap();
    std::fs::write(repo.join("ci.env"), format!("GITHUB_TOKEN={GH_TOKEN}\n")).unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "add ci"]);
    let _added = git(&repo, &["rev-parse", "HEAD"]);
    git(&repo, &["rm", "-q", "ci.env"]);
    git(&repo, &["commit", "-q", "-m", "remove the token"]);
    (tree.display().to_string(), repo.display().to_string())
}

fn locations(report: &Value) -> Vec<Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["locations"].as_array().unwrap().clone())
        .collect()
}

#[test]
fn secrets_in_env_zip_and_git_history_are_found_stored_and_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (tree, repo) = plant(dir.path());

    let (code, out, err) = run(
        &[
            "--json",
            "-vv",
            "scan",
            "secrets",
            &tree,
            &repo,
            "--git",
            "--fail-on",
            "none",
        ],
        &data,
    );
    assert_eq!(code, 0, "{err}");
    let report = json(&out);
    let locs = locations(&report);
    assert!(
        locs.iter()
            .any(|l| l["path"].as_str().unwrap().ends_with(".env") && l["line"] == 1),
        "the git-ignored .env: {locs:?}"
    );
    assert!(
        locs.iter().any(|l| l["member"] == "etc/app.yml"),
        "inside the zip: {locs:?}"
    );
    let added = git(Path::new(&repo), &["rev-list", "--max-parents=0", "HEAD"]);
    assert!(
        locs.iter()
            .any(|l| l["commit"] == added.as_str() && l["member"] == "ci.env"),
        "in history, with the commit that added it: {locs:?}"
    );
    for text in [&out, &err] {
        assert!(
            !text.contains(AWS_KEY) && !text.contains(GH_TOKEN),
            "a secret was shown"
        );
    }
    let id = report["scan_id"].as_i64().unwrap().to_string();

    // Stored: listed, and shown with the same findings; the database file holds no secret.
    let (code, out, _) = run(&["--json", "scan", "list"], &data);
    assert_eq!(code, 0);
    assert_eq!(json(&out)[0]["kind"], "secrets");
    assert_eq!(json(&out)[0]["status"], "done");
    let (code, out, _) = run(&["--json", "scan", "show", &id], &data);
    assert_eq!(code, 0);
    let shown = json(&out);
    assert_eq!(
        shown["findings_list"].as_array().unwrap().len(),
        report["findings"].as_array().unwrap().len()
    );
    for entry in std::fs::read_dir(&data).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        for secret in [AWS_KEY, GH_TOKEN] {
            assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
        }
    }

    // Human output and the default threshold: high findings exit with 2.
    let (code, out, err) = run(&["scan", "secrets", &tree], &data);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains(".env:1:"), "{out}");
    assert!(err.contains("at or above `high`"), "{err}");

    // A baseline of today's findings: the next run reports nothing new and passes.
    let base = dir.path().join("baseline.json");
    let base = base.to_str().unwrap();
    let (code, _, _) = run(
        &[
            "scan",
            "secrets",
            &tree,
            "--write-baseline",
            base,
            "--fail-on",
            "none",
        ],
        &data,
    );
    assert_eq!(code, 0);
    let (code, out, err) = run(
        &["--json", "scan", "secrets", &tree, "--baseline", base],
        &data,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(json(&out)["findings"].as_array().unwrap().len(), 0);
    assert!(json(&out)["baselined"].as_u64().unwrap() >= 2);
}

#[test]
fn pii_summary_and_rules_check() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(
        files.join("dump.csv"),
        "name,ssn,phone\nA B,123-45-6789,2024181234\nC D,234-56-7891,2024181235\nE F,123-45-6789,2024181236\n",
    )
    .unwrap();
    let (code, out, err) = run(
        &[
            "--json",
            "scan",
            "pii",
            files.to_str().unwrap(),
            "--fail-on",
            "none",
        ],
        &data,
    );
    assert_eq!(code, 0, "{err}");
    let r = json(&out);
    let file = &r["files"][0];
    assert!(file["location"].as_str().unwrap().ends_with("dump.csv"));
    assert_eq!(file["elements"]["ssn"], 2);
    assert!(!out.contains("123-45-6789"));

    let (code, out, _) = run(&["scan", "rules", "check"], &data);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("secrets pack") && out.contains("0 failure(s)"),
        "{out}"
    );
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[rule]]\nid = \"acme-key\"\nname = \"Acme key\"\ncategory = \"token\"\n\
         pattern = '''\\b(acme_[a-z0-9]{8})\\b'''\nkeywords = [\"acme_\"]\nconfidence = \"high\"\n\
         examples = [\"acme_k3y9x2m7\"]\nnegatives = [\"acme_abcdefgh\"]\n",
    )
    .unwrap();
    let (code, out, err) = run(&["scan", "rules", "check", bad.to_str().unwrap()], &data);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("acme-key: negative 0 matched"), "{out}");
}

/// Serves a router-style login page on `listener` for at most `max` connections.
fn serve_router(listener: TcpListener, max: usize) {
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max) {
            let Ok(mut s) = stream else { continue };
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf);
            let body = "<html><head><title>RT-AC68U Wireless Router - Login</title></head><body>\
                <form action=\"/login.cgi\" method=\"post\"><input name=\"login_username\">\
                <input type=\"password\" name=\"login_passwd\"></form></body></html>";
            let resp = format!(
                "HTTP/1.1 200 OK\r\nServer: httpd/2.0\r\nContent-Type: text/html\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = s.write_all(resp.as_bytes());
        }
    });
}

#[test]
fn net_scan_finds_a_loopback_router_and_the_diff_shows_it_appeared() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A free port, closed for the first scan.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ports = port.to_string();
    let net = |extra: &[&str]| {
        let mut args = vec![
            "--json",
            "scan",
            "net",
            "--scope",
            "127.0.0.0/8",
            "127.0.0.1",
        ];
        args.extend(["--ports", &ports, "--no-snmp", "--timeout-ms", "500"]);
        args.extend(extra);
        run(&args, &data)
    };
    let (code, out, err) = net(&[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        json(&out)["open"].as_array().unwrap().len(),
        0,
        "closed: {out}"
    );

    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    serve_router(listener, 32);
    let (code, out, err) = net(&["--fail-on", "none"]);
    assert_eq!(code, 0, "{err}");
    let r = json(&out);
    let open = r["open"].as_array().unwrap();
    assert_eq!(open.len(), 1, "{out}");
    assert_eq!(open[0]["port"], port);
    assert_eq!(open[0]["service"], "http");
    assert_eq!(
        open[0]["severity"], "high",
        "a device admin page over plain HTTP: {out}"
    );
    assert!(r["probe_rate"].as_f64().unwrap() > 0.0);

    let (code, out, err) = run(&["--json", "scan", "net", "diff"], &data);
    assert_eq!(code, 0, "{err}");
    let d = json(&out);
    assert_eq!(d["appeared"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(d["appeared"][0]["port"], port);
    assert_eq!(d["disappeared"].as_array().unwrap().len(), 0);
    let (_, out, _) = run(&["scan", "net", "diff"], &data);
    assert!(
        out.contains("1 appeared") && out.contains(&format!("127.0.0.1:{port}/tcp")),
        "{out}"
    );

    // Outside the scope: refused with a clear error, recorded as failed.
    let (code, out, err) = run(
        &[
            "scan",
            "net",
            "--scope",
            "127.0.0.0/8",
            "192.0.2.10",
            "--no-snmp",
        ],
        &data,
    );
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("out of scope"), "{err}");
    let (_, out, _) = run(&["--json", "scan", "list", "--kind", "net"], &data);
    assert_eq!(json(&out)[0]["status"], "failed");
    let (code, _, err) = run(&["scan", "net", "127.0.0.1"], &data);
    assert_eq!(code, 1);
    assert!(err.contains("no scan scope"), "{err}");
}
