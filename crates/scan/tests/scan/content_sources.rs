//! The scanner finds secrets wherever they are stored: in git history (even after deletion,
//! with the commit that added them), in git-ignored `.env` files, inside zip, tar.gz and
//! tar.zst archives, and in files of any name; it skips binary content by looking at it, not
//! at the file name; and it reports each value once, by fingerprint, with every location.

// One module named `content` so that `cargo test -p custodian-scan content` selects these;
// `cfg(test)` lets its helpers unwrap like the tests do (clippy `allow-unwrap-in-tests`).
#[cfg(test)]
mod content {
    use std::fs;
    use std::io::Write;
    use std::path::Path;
    use std::process::Command;

    use custodian_scan::content::{
        Allowlist, Baseline, Category, RuleSet, ScanOptions, ScanReport, Scanner,
    };

    /// A made-up GitHub token (format only) and a made-up AWS key id.
    const GH_TOKEN: &str = "ghp_R7uQ2mXk9LpZ4vN8sT1wY6bC3dF5gH0jK2aE";
    const AWS_KEY: &str = "AKIAQW5ZR3TYV7XB2MNP";

    fn scanner() -> Scanner {
        Scanner::new(
            RuleSet::secrets().unwrap(),
            ScanOptions {
                threads: 2,
                ..ScanOptions::default()
            },
        )
        .unwrap()
    }

    fn rule_ids(report: &ScanReport) -> Vec<&str> {
        report.findings.iter().map(|f| f.rule_id()).collect()
    }

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=Test",
                "-c",
                "user.email=test@example.net",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    #[test]
    fn secret_deleted_from_git_history_is_found_with_the_commit_that_added_it() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path();
        git(repo, &["init", "-q", "-b", "main"]);
        fs::write(repo.join("README.md"), "demo\n").unwrap();
        git(repo, &["add", "."]);
        git(repo, &["commit", "-q", "-m", "first"]);
        fs::create_dir(repo.join("deploy")).unwrap();
        fs::write(
            repo.join("deploy/ci.env"),
            format!("# ci\nGITHUB_TOKEN={GH_TOKEN}\n"),
        )
        .unwrap();
        git(repo, &["add", "."]);
        git(repo, &["commit", "-q", "-m", "add ci config"]);
        let added = git(repo, &["rev-parse", "HEAD"]);
        git(repo, &["rm", "-q", "deploy/ci.env"]);
        git(repo, &["commit", "-q", "-m", "remove secret"]);
        // The same blob re-added on a branch is the same value: one finding, two introductions.
        git(repo, &["checkout", "-q", "-b", "side", &added]);
        fs::write(
            repo.join("copy.env"),
            format!("# ci\nGITHUB_TOKEN={GH_TOKEN}\n"),
        )
        .unwrap();
        git(repo, &["add", "."]);
        git(repo, &["commit", "-q", "-m", "copy"]);
        let copied = git(repo, &["rev-parse", "HEAD"]);
        git(repo, &["checkout", "-q", "main"]);

        let report = scanner().scan_git(repo);
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let finding = report
            .findings
            .iter()
            .find(|f| f.rule_id() == "github-token")
            .expect("token found");
        let places: Vec<(Option<&str>, Option<&str>, u64)> = finding
            .locations()
            .iter()
            .map(|l| (l.commit(), l.member(), l.line()))
            .collect();
        assert!(
            places.contains(&(Some(added.as_str()), Some("deploy/ci.env"), 2)),
            "{places:?}"
        );
        assert!(
            places.contains(&(Some(copied.as_str()), Some("copy.env"), 2)),
            "{places:?}"
        );
        assert_eq!(
            places.len(),
            2,
            "the blob is introduced twice, never re-reported per commit: {places:?}"
        );
    }

    #[test]
    fn git_ignored_env_file_is_scanned() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".gitignore"), ".env\n*.pem\n").unwrap();
        fs::write(
            dir.path().join(".env"),
            format!("AWS_ACCESS_KEY_ID={AWS_KEY}\n"),
        )
        .unwrap();
        let report = scanner().scan_path(dir.path());
        assert_eq!(rule_ids(&report), vec!["aws-access-key-id"]);
        let loc = &report.findings[0].locations()[0];
        assert!(loc.file().ends_with(".env"));
        assert_eq!((loc.line(), loc.column()), (1, 19));
    }

    #[test]
    fn secrets_inside_zip_tar_gz_and_tar_zst_are_found_with_member_paths() {
        let dir = tempfile::tempdir().unwrap();
        let body = format!("token: {GH_TOKEN}\n");

        let zip_path = dir.path().join("backup.zip");
        let mut zip = zip::ZipWriter::new(fs::File::create(&zip_path).unwrap());
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("etc/app/config.yml", options).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
        zip.finish().unwrap();

        let tar_bytes = {
            let mut builder = tar::Builder::new(Vec::new());
            let mut header = tar::Header::new_gnu();
            let secret = format!("AWS_ACCESS_KEY_ID={AWS_KEY}\n");
            header.set_size(secret.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder
                .append_data(&mut header, "home/ops/.aws/credentials", secret.as_bytes())
                .unwrap();
            builder.into_inner().unwrap()
        };
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&tar_bytes).unwrap();
        fs::write(dir.path().join("home.tar.gz"), gz.finish().unwrap()).unwrap();
        let zst = ruzstd::encoding::compress_to_vec(
            &tar_bytes[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        fs::write(dir.path().join("home.tar.zst"), zst).unwrap();

        let report = scanner().scan_path(dir.path());
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        let members: Vec<String> = report
            .findings
            .iter()
            .flat_map(|f| f.locations())
            .map(|l| {
                format!(
                    "{}!{}",
                    l.file().file_name().unwrap().to_string_lossy(),
                    l.member().unwrap_or("")
                )
            })
            .collect();
        assert!(
            members.contains(&"backup.zip!etc/app/config.yml".to_owned()),
            "{members:?}"
        );
        assert!(
            members.contains(&"home.tar.gz!home/ops/.aws/credentials".to_owned()),
            "{members:?}"
        );
        assert!(
            members.contains(&"home.tar.zst!home/ops/.aws/credentials".to_owned()),
            "{members:?}"
        );
        // One AWS key in two archives is one finding with two locations.
        let aws = report
            .findings
            .iter()
            .find(|f| f.rule_id() == "aws-access-key-id")
            .unwrap();
        assert_eq!(aws.locations().len(), 2);
    }

    #[test]
    fn binary_content_is_skipped_by_content_not_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut binary = b"\x7fELF\x02\x01\x01\0\0\0".to_vec();
        binary.extend_from_slice(format!("GITHUB_TOKEN={GH_TOKEN}\n").as_bytes());
        fs::write(dir.path().join("notes.txt"), &binary).unwrap();
        fs::write(
            dir.path().join("blob.bin"),
            format!("GITHUB_TOKEN={GH_TOKEN}\n"),
        )
        .unwrap();
        let report = scanner().scan_path(dir.path());
        assert_eq!(report.files_skipped_binary, 1);
        assert_eq!(report.files_scanned, 1);
        let files: Vec<_> = report.findings[0]
            .locations()
            .iter()
            .map(|l| l.file().file_name().unwrap().to_owned())
            .collect();
        assert_eq!(files, vec!["blob.bin"]);
    }

    #[test]
    fn findings_hold_no_secret_and_dedupe_by_value() {
        let text = format!("a = \"{GH_TOKEN}\"\nb = \"{GH_TOKEN}\"\n");
        let report = scanner().scan_bytes("app.py", text.as_bytes());
        assert_eq!(report.findings.len(), 1);
        let f = &report.findings[0];
        assert_eq!(f.locations().len(), 2);
        assert_eq!(f.preview(), "ghp_…");
        assert_eq!(f.fingerprint().len(), 32);
        assert_eq!(f.category(), Category::Token);
        let debug = format!("{report:?}");
        assert!(
            !debug.contains(&GH_TOKEN[4..]),
            "Debug output leaks the secret"
        );
    }

    #[test]
    fn allowlist_paths_inline_comments_and_fingerprints_suppress_findings() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("testdata")).unwrap();
        fs::write(
            dir.path().join("testdata/fake.env"),
            format!("T={GH_TOKEN}\n"),
        )
        .unwrap();
        fs::write(
            dir.path().join("app.env"),
            format!("K={AWS_KEY} # custodian:allow\n"),
        )
        .unwrap();
        let mut allow = Allowlist::new();
        allow.add_path_glob("testdata/**").unwrap();
        let options = ScanOptions {
            allowlist: allow,
            ..ScanOptions::default()
        };
        let report = Scanner::new(RuleSet::secrets().unwrap(), options)
            .unwrap()
            .scan_path(dir.path());
        assert!(report.findings.is_empty(), "{:?}", rule_ids(&report));
        assert_eq!(report.files_skipped_allowlisted, 1);

        let found = scanner().scan_bytes("x", GH_TOKEN.as_bytes());
        let mut by_fp = Allowlist::new();
        by_fp.add_fingerprint(found.findings[0].fingerprint());
        let options = ScanOptions {
            allowlist: by_fp,
            ..ScanOptions::default()
        };
        let again = Scanner::new(RuleSet::secrets().unwrap(), options)
            .unwrap()
            .scan_bytes("x", GH_TOKEN.as_bytes());
        assert!(again.findings.is_empty());
    }

    #[test]
    fn baseline_reports_only_new_findings() {
        let first = scanner().scan_bytes("a", format!("T={GH_TOKEN}\n").as_bytes());
        let baseline = Baseline::from_json(&Baseline::from_report(&first).to_json()).unwrap();
        let options = ScanOptions {
            baseline: Some(baseline),
            ..ScanOptions::default()
        };
        let scanner = Scanner::new(RuleSet::secrets().unwrap(), options).unwrap();
        let second = scanner.scan_bytes("a", format!("T={GH_TOKEN}\nK={AWS_KEY}\n").as_bytes());
        assert_eq!(rule_ids(&second), vec!["aws-access-key-id"]);
        assert_eq!(second.findings_baselined, 1);
    }

    #[test]
    fn router_configs_with_type7_and_snmp_community_are_found() {
        let config = "hostname edge-01\nenable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0\nusername admin privilege 15 password 7 02050D480809\nsnmp-server community n0c-R3ad RO 10\n";
        let report = scanner().scan_bytes("edge-01.cfg", config.as_bytes());
        let mut ids = rule_ids(&report);
        ids.sort_unstable();
        assert_eq!(
            ids,
            vec![
                "cisco-secret-hash",
                "cisco-type7-password",
                "snmp-community"
            ]
        );
    }

    #[test]
    fn empty_and_tiny_inputs_scan_cleanly() {
        let s = scanner();
        for input in [&b""[..], b"a", b"ab", b"@", b"key"] {
            let report = s.scan_bytes("tiny", input);
            assert!(report.findings.is_empty() && report.errors.is_empty());
            assert_eq!(report.files_scanned, 1);
        }
        let bad = ScanOptions {
            chunk_size: 10,
            ..ScanOptions::default()
        };
        assert!(Scanner::new(RuleSet::secrets().unwrap(), bad).is_err());
    }
}
