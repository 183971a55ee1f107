//! The published formats against their real validators, installed by
//! scripts/test-services/trust.sh: security.txt through PyPI's `sectxt`, the Atom feed through
//! `feedparser` plus our own RFC 4287 checks, the CSAF documents through npm's
//! `@secvisogram/csaf-validator-lib` (strict schema and every mandatory test).

use std::process::Command;

use custodian_db::testing::TestDb;
use custodian_trust::{AdvisoryKind, feeds, securitytxt};

use crate::common::{START, env, node_dir, skip, venv_python};
use crate::notices::notice;

const SECTXT: &str = r#"
import sys, sectxt
p = sectxt.Parser(open(sys.argv[1], 'rb').read(), urls='https://trust.example.com/.well-known/security.txt')
for e in p.errors: print('ERROR', e)
for r in p.recommendations: print('RECOMMENDATION', r)
sys.exit(0 if p.is_valid() and not p.errors else 1)
"#;

const FEEDPARSER: &str = r#"
import sys, json, feedparser
d = feedparser.parse(open(sys.argv[1], 'rb').read())
if d.bozo: print('BOZO', d.bozo_exception); sys.exit(1)
print(json.dumps({'version': d.version, 'title': d.feed.title,
  'entries': [{'title': e.title, 'id': e.id, 'link': e.link, 'summary': e.summary} for e in d.entries]}))
"#;

const CSAF: &str = r#"
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
const lib = process.env.CSAF_LIB
const { default: validateStrict } = await import(pathToFileURL(lib + '/validateStrict.js'))
const mandatory = await import(pathToFileURL(lib + '/mandatoryTests.js'))
const { csaf_2_0_strict } = await import(pathToFileURL(lib + '/schemaTests.js'))
let ok = true
for (const f of process.argv.slice(2)) {
  const doc = JSON.parse(readFileSync(f, 'utf8'))
  const r = await validateStrict([csaf_2_0_strict, ...Object.values(mandatory)], doc)
  for (const t of r.tests) for (const e of t.errors) { ok = false; console.log('ERROR', f, t.name, JSON.stringify(e)) }
  if (!r.isValid) ok = false
}
process.exit(ok ? 0 : 1)
"#;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "validator failed:\n{text}");
    text
}

async fn published_formats_pass_their_validators(t: &TestDb) {
    let e = env(t).await;
    e.trust
        .create_advisory(&notice("incident-2026-08"))
        .await
        .unwrap();
    e.trust.publish_advisory("incident-2026-08").await.unwrap();
    e.clock.advance(86_400);
    e.trust
        .revise_advisory(
            "incident-2026-08",
            "Update: all PINs reset.",
            "PINs were reset.",
        )
        .await
        .unwrap();
    let mut adv = notice("advisory-2026-01");
    adv.kind = AdvisoryKind::Advisory;
    adv.title = "Router \"admin\" interface & <default> credentials ]]>".to_owned();
    adv.incident_id = None;
    adv.lookup_url = None;
    e.trust.create_advisory(&adv).await.unwrap();
    e.trust.publish_advisory("advisory-2026-01").await.unwrap();
    let published = e.trust.published_advisories().await.unwrap();
    let cfg = e.trust.config().clone();
    let dir = tempfile::tempdir().unwrap();

    // Our own RFC 4287 checks: one feed id, title, updated and author; every entry with id,
    // title, updated and an alternate link; no raw markup from authored text.
    let atom = feeds::atom(&cfg, &published, e.clock_now());
    assert!(atom.starts_with(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">"
    ));
    let head = &atom[..atom.find("<entry>").unwrap()];
    for tag in ["<id>", "<title type=\"text\">", "<updated>", "<author>"] {
        assert_eq!(head.matches(tag).count(), 1, "feed {tag}");
    }
    assert_eq!(atom.matches("<entry>").count(), 2);
    for tag in [
        "<id>",
        "<title type=\"text\">",
        "<updated>",
        "<published>",
        "<link rel=\"alternate\"",
    ] {
        assert_eq!(
            atom.matches(tag).count() - head.matches(tag).count(),
            2,
            "entry {tag}"
        );
    }
    assert!(!atom.contains("<script") && !atom.contains("<default>") && !atom.contains('\u{1}'));
    assert!(atom.contains("&lt;default&gt;") && atom.contains("]]&gt;"));

    let txt = securitytxt::render(&cfg, START);
    std::fs::write(dir.path().join("security.txt"), &txt).unwrap();
    std::fs::write(dir.path().join("feed.atom"), &atom).unwrap();
    let mut files = Vec::new();
    for a in &published {
        let revs = e.trust.advisory_revisions(a.id).await.unwrap();
        let doc = feeds::csaf(&cfg, a, &revs);
        let f = dir.path().join(format!("{}.json", a.slug));
        std::fs::write(&f, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
        files.push(f);
    }
    assert_eq!(
        feeds::rolie(&cfg, &published, START)["feed"]["entry"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let py = venv_python();
    if py.exists() || !skip("sectxt/feedparser", "the test virtualenv") {
        run(Command::new(&py)
            .arg("-c")
            .arg(SECTXT)
            .arg(dir.path().join("security.txt")));
        let parsed = run(Command::new(&py)
            .arg("-c")
            .arg(FEEDPARSER)
            .arg(dir.path().join("feed.atom")));
        let v: serde_json::Value = serde_json::from_str(parsed.trim()).unwrap();
        assert_eq!(v["version"], "atom10");
        let titles: Vec<&str> = v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["title"].as_str().unwrap())
            .collect();
        assert!(
            titles.contains(&"Router \"admin\" interface & <default> credentials ]]>"),
            "{titles:?}"
        );
    }
    let lib = node_dir().join("node_modules/@secvisogram/csaf-validator-lib");
    if lib.exists() || !skip("csaf-validator-lib", "the npm package") {
        let script = dir.path().join("csaf.mjs");
        std::fs::write(&script, CSAF).unwrap();
        run(Command::new("node")
            .arg(&script)
            .args(&files)
            .env("CSAF_LIB", &lib));
    }
}

trait Now {
    fn clock_now(&self) -> custodian_db::Timestamp;
}

impl Now for crate::common::Env {
    fn clock_now(&self) -> custodian_db::Timestamp {
        use custodian_db::Clock;
        self.clock.now()
    }
}

/// A GnuPG home with a fresh signing key (no passphrase); `None` when gpg is missing.
fn gnupg_home() -> Option<tempfile::TempDir> {
    let ok = Command::new("gpg")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok && skip("signed security.txt", "gpg") {
        return None;
    }
    let home = tempfile::tempdir().unwrap();
    run(Command::new("gpg")
        .arg("--homedir")
        .arg(home.path())
        .args(["--batch", "--passphrase", "", "--quick-generate-key"])
        .args([
            "Example Security <security@example.com>",
            "ed25519",
            "sign",
            "1y",
        ]));
    Some(home)
}

/// security.txt as an OpenPGP cleartext-signed file: gpg verifies it with the key, sectxt
/// accepts it, the text inside is the plain file, and a key that is not there is a clear error.
async fn signed_security_txt_verifies(t: &TestDb) {
    let Some(home) = gnupg_home() else { return };
    let e = env(t).await;
    let mut cfg = e.trust.config().clone();
    cfg.security_txt_signer = Some(securitytxt::Signer {
        program: "gpg".into(),
        home: Some(home.path().to_owned()),
        key: "security@example.com".to_owned(),
    });
    let trust = custodian_trust::TrustService::open(
        t.db.clone(),
        std::sync::Arc::new(e.clock.clone()),
        cfg.clone(),
        std::sync::Arc::new(e.mail.clone()),
    )
    .await
    .unwrap();
    let signed = trust.security_txt().await.unwrap();
    assert!(signed.starts_with("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"));
    assert!(signed.contains(&securitytxt::render(&cfg, e.clock_now())));
    assert!(signed.trim_end().ends_with("-----END PGP SIGNATURE-----"));
    // Signed once per day: the same text gives the same file (no second signature).
    assert_eq!(trust.security_txt().await.unwrap(), signed);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("security.txt");
    std::fs::write(&file, &signed).unwrap();
    run(Command::new("gpg")
        .arg("--homedir")
        .arg(home.path())
        .args(["--batch", "--verify"])
        .arg(&file));
    let py = venv_python();
    if py.exists() || !skip("sectxt", "the test virtualenv") {
        run(Command::new(&py).arg("-c").arg(SECTXT).arg(&file));
    }
    // A day later the file is signed anew, with the new Expires.
    e.clock.advance(86_400);
    let next = trust.security_txt().await.unwrap();
    assert_ne!(next, signed);
    assert!(next.contains(&securitytxt::render(&cfg, e.clock_now())));

    cfg.security_txt_signer = Some(securitytxt::Signer {
        program: "gpg".into(),
        home: Some(home.path().to_owned()),
        key: "nobody@example.com".to_owned(),
    });
    let wrong = custodian_trust::TrustService::open(
        t.db.clone(),
        std::sync::Arc::new(e.clock.clone()),
        cfg,
        std::sync::Arc::new(e.mail.clone()),
    )
    .await
    .unwrap();
    let err = wrong.security_txt().await.unwrap_err().to_string();
    assert!(err.contains("nobody@example.com"), "{err}");
}

custodian_db::backend_tests!(
    published_formats_pass_their_validators,
    signed_security_txt_verifies
);
