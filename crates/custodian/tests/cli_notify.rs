//! `custodian notify send` as real processes, counted at a real SMTP server on loopback
//! (aiosmtpd writing a Maildir): a sender killed with SIGKILL at three random moments and then
//! restarted misses nobody, and sends no more duplicates than it had notices in flight at the
//! kills; two senders at once on one PostgreSQL database send exactly one e-mail per person. No
//! message carries a full SSN. The campaign is built the way an operator builds it: vault import,
//! incident, exposure, impact, plan, codes, check, start.

// Test code: a broken fixture should panic loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use custodian_db::Database;
use custodian_db::testing::{MaildirSmtp, unquote_printable as unqp};
use rand::{Rng, SeedableRng};

/// The campaign every test plans.
const CAMPAIGN: &str = "spring";

#[path = "support/site.rs"]
mod site;

use site::Site;

impl Site {
    /// Starts `notify send` with `flags` against the SMTP server on `port`; its output goes to
    /// `NAME.out` and `NAME.err` in the data directory's parent.
    fn send(&self, name: &str, port: u16, flags: &[&str]) -> Sender {
        let out = self.dir.join(format!("{name}.out"));
        let err = self.dir.join(format!("{name}.err"));
        let child = self
            .cmd()
            .args(["--json", "notify", "send", CAMPAIGN])
            .args(["--smtp", &format!("127.0.0.1:{port}")])
            .args(flags)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .expect("spawn notify send");
        Sender { child, out, err }
    }
}

/// A running `notify send`; killed if the test fails before it ends.
struct Sender {
    child: Child,
    out: PathBuf,
    err: PathBuf,
}

impl Sender {
    fn output(&self) -> String {
        let out = std::fs::read_to_string(&self.out).unwrap_or_default();
        let err = std::fs::read_to_string(&self.err).unwrap_or_default();
        format!("stdout:\n{out}\nstderr:\n{err}")
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Waits for the process to end by itself; it must succeed. Returns its JSON summary.
    async fn finish(mut self, limit: Duration) -> serde_json::Value {
        let deadline = Instant::now() + limit;
        let status = loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                break st;
            }
            assert!(
                Instant::now() < deadline,
                "notify send still running after {limit:?}: {}",
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(status.success(), "notify send: {status}: {}", self.output());
        let out = std::fs::read_to_string(&self.out).unwrap();
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {}", self.output()))
    }
}

impl Drop for Sender {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One synthetic person: every ninth is a minor, everyone has an e-mail address.
struct Person {
    ssn: String,
    email: String,
}

fn people(n: usize) -> Vec<Person> {
    (0..n)
        .map(|i| Person {
            ssn: format!("{:03}-{:02}-{:04}", 200 + i % 400, 10 + i % 80, 1000 + i),
            email: format!("p{i}@example.test"),
        })
        .collect()
}

const HEADER: &str = "external_id,account_kind,first_name,last_name,street,city,state,zip,dob,\
                      ssn,dl_number,dl_state,phone,email,imei,imsi,pin";

fn people_csv(path: &Path, ps: &[Person]) {
    let mut text = format!("{HEADER}\n");
    for (i, p) in ps.iter().enumerate() {
        let dob = if i % 9 == 4 {
            "2012-05-05".to_owned()
        } else {
            format!("1970-0{}-1{}", 1 + i % 9, i % 10)
        };
        let state = ["TX", "CA", "NY", "FL"][i % 4];
        text.push_str(&format!(
            "C{i:05},postpaid,Ana{i},Diaz,{} Elm St,Austin,{state},7{:04},{dob},{},,,+1512555{:04},{},,,\n",
            i + 1,
            i % 10_000,
            p.ssn,
            i % 10_000,
            p.email
        ));
    }
    std::fs::write(path, text).unwrap();
}

/// Builds and starts the campaign through the binary: the people are imported into the vault,
/// an incident's stolen file holds all of them, the campaign is planned from its impact with the
/// built-in templates and campaign `settings` (JSON), identity-protection codes are imported,
/// checked and started.
fn start_campaign(site: &Site, ps: &[Person], settings: &serde_json::Value) {
    let csv = site.dir.join("people.csv");
    people_csv(&csv, ps);
    let csv = csv.to_str().unwrap();
    site.ok(&["vault", "import", csv]);
    let inc = site.json(&[
        "incident",
        "new",
        "--title",
        "Stolen customer file",
        "--detected",
        "2025-08-19",
    ]);
    let id = inc["id"]
        .as_str()
        .map_or_else(|| inc["id"].to_string(), ToOwned::to_owned);
    site.ok(&["incident", "update", &id, "--keys", "not-exposed"]);
    site.ok(&["incident", "expose", &id, "--file", csv]);
    site.ok(&["incident", "impact", &id]);

    let sfile = site.dir.join("settings.json");
    std::fs::write(&sfile, settings.to_string()).unwrap();
    let plan = site.json(&[
        "notify",
        "plan",
        CAMPAIGN,
        "--incident",
        &id,
        "--channels",
        "email",
        "--settings",
        sfile.to_str().unwrap(),
        "--builtin-templates",
    ]);
    assert_eq!(plan["recipients"], ps.len(), "{plan}");

    let mut codes = String::from("code,engagement,enrol_by,minor\n");
    for i in 0..ps.len() {
        codes.push_str(&format!("ADULT{i:06},ENG-77,2026-12-31,0\n"));
        codes.push_str(&format!("MINOR{i:06},ENG-78,2026-12-31,1\n"));
    }
    let cfile = site.dir.join("codes.csv");
    std::fs::write(&cfile, codes).unwrap();
    site.ok(&["notify", "codes", "import", cfile.to_str().unwrap()]);
    let check = site.ok(&["notify", "check", CAMPAIGN]);
    assert!(check.contains("may start"), "{check}");
    site.ok(&["notify", "start", CAMPAIGN]);
}

/// The `To:` address of each message the server received.
fn recipients(msgs: &[String]) -> Vec<String> {
    msgs.iter()
        .map(|m| {
            m.lines()
                .take_while(|l| !l.trim().is_empty())
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("to").then(|| v.trim().to_owned())
                })
                .unwrap_or_else(|| panic!("no To: header in {m}"))
        })
        .collect()
}

/// Asserts that everyone got at least one message and nobody else got any; returns the number
/// of duplicates (messages beyond the first per person).
fn count_deliveries(msgs: &[String], ps: &[Person]) -> usize {
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    for r in recipients(msgs) {
        *per.entry(r).or_default() += 1;
    }
    let missed: Vec<&str> = ps
        .iter()
        .map(|p| p.email.as_str())
        .filter(|e| !per.contains_key(*e))
        .collect();
    assert!(
        missed.is_empty(),
        "{} people missed: {missed:?}",
        missed.len()
    );
    assert_eq!(per.len(), ps.len(), "mail to someone not affected: {per:?}");
    msgs.len() - per.len()
}

/// Whether `text` holds something shaped like a full SSN: `ddd-dd-dddd` or nine digits alone,
/// not inside a longer word.
fn has_ssn_shape(text: &str) -> bool {
    let b = text.as_bytes();
    let word = |i: usize| {
        b.get(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    };
    let digits =
        |from: usize, n: usize| (from..from + n).all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    (0..b.len()).any(|i| {
        let boundary = i == 0 || !word(i - 1);
        let dashed = digits(i, 3)
            && b.get(i + 3) == Some(&b'-')
            && digits(i + 4, 2)
            && b.get(i + 6) == Some(&b'-')
            && digits(i + 7, 4)
            && !word(i + 11);
        let plain = digits(i, 9) && !word(i + 9);
        boundary && (dashed || plain)
    })
}

/// No message carries anyone's full SSN, dashed or not, nor anything SSN-shaped; and none is
/// base64, which would hide its body from these checks.
fn assert_no_ssn(msgs: &[String], ps: &[Person]) {
    for m in msgs {
        assert!(
            !m.to_ascii_lowercase()
                .contains("content-transfer-encoding: base64"),
            "{m}"
        );
        let text = unqp(m);
        for p in ps {
            assert!(
                !text.contains(&p.ssn) && !text.contains(&p.ssn.replace('-', "")),
                "a full SSN in a message"
            );
        }
        assert!(!has_ssn_shape(&text), "an SSN-shaped number in {text}");
    }
}

/// Notices that the sender with process id `pid` had claimed and not recorded: after a kill,
/// those are the ones in flight. (`notify status` counts claims but does not say whose.)
async fn in_flight(db: &Database, pid: u32) -> i64 {
    use custodian_db::sqlx::{self, Row};
    sqlx::query(
        "SELECT COUNT(*) FROM notify_outbox WHERE state = 'claimed' AND lease_owner LIKE $1",
    )
    .bind(format!("worker-{pid}-%"))
    .fetch_one(db.pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap()
}

/// Waits until the server holds at least `n` messages while `s` keeps running.
async fn wait_for_mail(smtp: &MaildirSmtp, n: usize, s: &mut Sender) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while smtp.messages().len() < n {
        assert!(s.is_running(), "the sender stopped early: {}", s.output());
        assert!(
            Instant::now() < deadline,
            "fewer than {n} messages after 60 s: {}",
            s.output()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn status(site: &Site) -> serde_json::Value {
    site.json(&["notify", "status", CAMPAIGN])
}

/// Notices claimed at a time by the killed senders: the most that can be in flight at a kill.
const KILL_BATCH: i64 = 8;

/// The test: `notify send` killed with SIGKILL at three random moments (each after some
/// mail went out), then run again to the end: everyone got their notice, and the duplicates are
/// no more than the notices in flight at the kills.
async fn kill_nine_three_times_then_restart(site: Site, test: &str) {
    let Some(smtp) = MaildirSmtp::start(test) else {
        return;
    };
    let started = Instant::now();
    let ps = people(300);
    // Paced to 60 e-mails a second so a kill lands mid-campaign; two-second leases so the
    // restart takes over the killed senders' claims quickly.
    let settings = serde_json::json!({
        "rate_per_sec": {"email": 60.0},
        "lease_secs": 2,
        "error_window": 100_000,
    });
    start_campaign(&site, &ps, &settings);
    let db = site.db().await;

    let seed: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("{test}: kill moments from seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let batch = KILL_BATCH.to_string();
    let flags = ["--batch", &batch, "--connections", "2"];
    let mut flight = Vec::new();
    for k in 0..3 {
        let before = smtp.messages().len();
        let mut s = site.send(&format!("killed-{k}"), smtp.port, &flags);
        wait_for_mail(&smtp, before + rng.gen_range(1..=12), &mut s).await;
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..300))).await;
        assert!(s.is_running(), "finished before the kill: {}", s.output());
        s.child.kill().unwrap();
        s.child.wait().unwrap();
        let n = in_flight(&db, s.child.id()).await;
        assert!(
            n <= KILL_BATCH,
            "{n} in flight with batches of {KILL_BATCH}"
        );
        flight.push(n);
    }
    let at_kills = smtp.messages().len();
    assert!(
        at_kills < ps.len(),
        "the kills came too late to test anything"
    );

    let last = site.send("restart", smtp.port, &flags);
    let summary = last.finish(Duration::from_secs(120)).await;
    assert_eq!(summary["outcome"], "Finished", "{summary}");
    let st = status(&site);
    assert_eq!(st["campaign"]["status"], "finished", "{st}");
    assert_eq!(st["open"], 0, "{st}");
    assert_eq!(st["by_state"]["sent"], ps.len(), "{st}");

    let msgs = smtp.messages();
    let dups = count_deliveries(&msgs, &ps);
    let bound: i64 = flight.iter().sum();
    eprintln!(
        "{test}: {} messages for {} people: {dups} duplicates; in flight at the kills {flight:?} \
         (bound {bound}); {at_kills} delivered before the restart; {:.1} s",
        msgs.len(),
        ps.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        dups as i64 <= bound,
        "{dups} duplicates but only {bound} notices were in flight at the kills"
    );
    assert_no_ssn(&msgs, &ps);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_three_times_then_restart_misses_nobody_on_sqlite() {
    kill_nine_three_times_then_restart(Site::sqlite(), "kill -9 notify send (SQLite)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_three_times_then_restart_misses_nobody_on_postgres() {
    let test = "kill -9 notify send (PostgreSQL)";
    let Some(site) = Site::postgres(test).await else {
        return;
    };
    kill_nine_three_times_then_restart(site, test).await;
}

/// The test: two `notify send` processes at once on one PostgreSQL database; every
/// affected person gets exactly one e-mail, and both senders took part.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_senders_on_one_postgres_database_send_no_duplicates() {
    let test = "two notify senders on PostgreSQL";
    let Some(site) = Site::postgres(test).await else {
        return;
    };
    let Some(smtp) = MaildirSmtp::start(test) else {
        return;
    };
    let started = Instant::now();
    let ps = people(240);
    // Paced per process, so that neither finishes the campaign before the other starts.
    let settings = serde_json::json!({
        "rate_per_sec": {"email": 50.0},
        "error_window": 100_000,
    });
    start_campaign(&site, &ps, &settings);

    let flags = ["--batch", "16", "--connections", "4"];
    let a = site.send("sender-a", smtp.port, &flags);
    let b = site.send("sender-b", smtp.port, &flags);
    let (a, b) = tokio::join!(
        a.finish(Duration::from_secs(120)),
        b.finish(Duration::from_secs(120))
    );
    for s in [&a, &b] {
        assert_eq!(s["outcome"], "Finished", "{s}");
        assert_eq!(s["lost_claims"], 0, "{s}");
    }
    let (sa, sb) = (a["sent"].as_u64().unwrap(), b["sent"].as_u64().unwrap());
    assert!(sa > 0 && sb > 0, "both senders took part ({sa}, {sb})");
    assert_eq!(sa + sb, ps.len() as u64);

    let st = status(&site);
    assert_eq!(st["campaign"]["status"], "finished", "{st}");
    assert_eq!(st["by_state"]["sent"], ps.len(), "{st}");
    let msgs = smtp.messages();
    assert_eq!(count_deliveries(&msgs, &ps), 0, "duplicates");
    assert_eq!(msgs.len(), ps.len());
    assert_no_ssn(&msgs, &ps);
    eprintln!(
        "{test}: {sa} + {sb} sent, {} received; {:.1} s",
        msgs.len(),
        started.elapsed().as_secs_f64()
    );
}

/// Regression test: with a paced rate, a batch took longer to send than a lease held, so a second
/// sender took over the first one's unsent claims and both sent them (duplicates). Two senders,
/// four e-mails a second each, one-second leases, batches of 16 and 4.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_paced_senders_do_not_outlive_their_leases() {
    let test = "slow paced notify senders on PostgreSQL";
    let Some(site) = Site::postgres(test).await else {
        return;
    };
    let Some(smtp) = MaildirSmtp::start(test) else {
        return;
    };
    let started = Instant::now();
    let ps = people(30);
    let settings = serde_json::json!({
        "rate_per_sec": {"email": 4.0},
        "lease_secs": 1,
        "error_window": 100_000,
    });
    start_campaign(&site, &ps, &settings);
    // Uneven batches: the sender with the small one comes back for more while the other's
    // big batch is still being paced out.
    let a = site.send("slow-a", smtp.port, &["--batch", "16"]);
    let b = site.send("slow-b", smtp.port, &["--batch", "4"]);
    let (a, b) = tokio::join!(
        a.finish(Duration::from_secs(120)),
        b.finish(Duration::from_secs(120))
    );
    let msgs = smtp.messages();
    let dups = count_deliveries(&msgs, &ps);
    eprintln!(
        "{test}: {a} {b}; {} received, {dups} duplicates; {:.1} s",
        msgs.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(dups, 0, "duplicates");
    for s in [&a, &b] {
        assert_eq!(s["lost_claims"], 0, "{s}");
    }
}

/// `custodian serve` sends running campaigns by itself: two serve processes on one PostgreSQL
/// database, each with `[notify.smtp]` pointing at the loopback server, share the campaign and
/// deliver exactly one e-mail per person; the campaign finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serve_processes_deliver_a_running_campaign_once() {
    let test = "two serve processes sending on PostgreSQL";
    let Some(site) = Site::postgres(test).await else {
        return;
    };
    let Some(smtp) = MaildirSmtp::start(test) else {
        return;
    };
    let ps = people(120);
    // Paced per process, so the second server starts sending before the first is done.
    let settings = serde_json::json!({
        "rate_per_sec": {"email": 40.0},
        "error_window": 100_000,
    });
    start_campaign(&site, &ps, &settings);
    let config = site.dir.join("custodian.toml");
    std::fs::write(
        &config,
        format!(
            "[notify]\nworkers = 2\nbatch = 8\n\n[notify.smtp]\nhost = \"127.0.0.1\"\nport = {}\n\
             security = \"none\"\nfrom = \"Acme Notices <notices@acme.example>\"\nconnections = 2\n",
            smtp.port
        ),
    )
    .unwrap();
    let serve = |name: &str| {
        let child = site
            .cmd()
            .arg("--config")
            .arg(&config)
            .args(["-v", "serve", "--bind", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(site.dir.join(format!("{name}.out"))).unwrap())
            .stderr(std::fs::File::create(site.dir.join(format!("{name}.err"))).unwrap())
            .spawn()
            .expect("spawn serve");
        Sender {
            child,
            out: site.dir.join(format!("{name}.out")),
            err: site.dir.join(format!("{name}.err")),
        }
    };
    let mut a = serve("serve-a");
    let mut b = serve("serve-b");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let st = status(&site);
        if st["campaign"]["status"] == "finished" {
            break;
        }
        assert!(a.is_running(), "serve a stopped: {}", a.output());
        assert!(b.is_running(), "serve b stopped: {}", b.output());
        assert!(
            Instant::now() < deadline,
            "not finished after 120 s: {st}\n{}\n{}",
            a.output(),
            b.output()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let msgs = smtp.wait_for(ps.len()).await;
    assert_eq!(msgs.len(), ps.len(), "one e-mail per person");
    assert_eq!(count_deliveries(&msgs, &ps), 0, "duplicates");
    assert_no_ssn(&msgs, &ps);
    for s in [&a, &b] {
        assert!(
            s.output().contains("campaign worker started"),
            "each server ran a worker: {}",
            s.output()
        );
    }
    let st = status(&site);
    assert_eq!(st["by_state"]["sent"], ps.len(), "{st}");
}

/// `notify bounces` reads a bounce mailbox: a DSN returning one notice marks it bounced (the
/// campaign's only channel, so nothing falls back), other mail is skipped, and read messages move
/// to `cur/`, so a second run finds nothing new.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bounce_mailbox_marks_returned_notices_bounced() {
    let test = "notify bounces";
    let site = Site::sqlite();
    let Some(smtp) = MaildirSmtp::start(test) else {
        return;
    };
    let ps = people(12);
    start_campaign(&site, &ps, &serde_json::json!({"error_window": 100_000}));
    site.send("sender", smtp.port, &["--once"])
        .finish(Duration::from_secs(60))
        .await;
    let msgs = smtp.wait_for(ps.len()).await;
    let first = unqp(&msgs[0]);
    let key = first
        .lines()
        .find_map(|l| l.strip_prefix("X-Idempotency-Key: "))
        .expect("the notice carries its key")
        .trim()
        .to_owned();
    let rcpt = recipients(&msgs[..1]).remove(0);
    let bounces = site.dir.join("bounces");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(bounces.join(sub)).unwrap();
    }
    std::fs::write(
        bounces.join("new/1.dsn"),
        format!(
            "From: MAILER-DAEMON@mx.example\r\nContent-Type: multipart/report; \
             report-type=delivery-status; boundary=\"B\"\r\n\r\n--B\r\n\
             Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\n\
             Final-Recipient: rfc822; {rcpt}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--B\r\n\
             Content-Type: text/rfc822-headers\r\n\r\nX-Idempotency-Key: {key}\r\n\r\n--B--\r\n"
        ),
    )
    .unwrap();
    std::fs::write(
        bounces.join("new/2.txt"),
        "Subject: out of office\r\n\r\naway\r\n",
    )
    .unwrap();
    let b = bounces.to_str().unwrap();
    let out = site.json(&["notify", "bounces", b]);
    assert_eq!(
        (
            out["messages"].as_u64(),
            out["not_reports"].as_u64(),
            out["bounced"].as_u64()
        ),
        (Some(2), Some(1), Some(1)),
        "{out}"
    );
    assert_eq!(std::fs::read_dir(bounces.join("new")).unwrap().count(), 0);
    assert_eq!(std::fs::read_dir(bounces.join("cur")).unwrap().count(), 2);
    let again = site.json(&["notify", "bounces", b]);
    assert_eq!(again["messages"], 0, "{again}");
    let st = status(&site);
    assert_eq!(st["by_state"]["bounced"], 1, "{st}");
    assert_eq!(st["by_state"]["sent"], ps.len() - 1, "{st}");
}

/// `notify preview --eml` prints the e-mail the sender sends: the same envelope headers, the
/// same `multipart/alternative` structure, CRLF line ends; a letter cannot be previewed as one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preview_eml_is_the_message_the_sender_sends() {
    let test = "notify preview --eml";
    let site = Site::sqlite();
    let Some(smtp) = MaildirSmtp::start(test) else {
        return;
    };
    let ps = people(3);
    start_campaign(&site, &ps, &serde_json::json!({"error_window": 100_000}));
    let eml = site.ok(&["notify", "preview", CAMPAIGN, "C00001", "--eml"]);
    assert!(
        eml.contains("\r\n") && !eml.replace("\r\n", "").contains('\n'),
        "CRLF only"
    );
    let refused = site
        .cmd()
        .args([
            "notify",
            "preview",
            CAMPAIGN,
            "C00001",
            "--eml",
            "--channel",
            "letter",
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--eml previews an e-mail"));

    site.send("sender", smtp.port, &["--once"])
        .finish(Duration::from_secs(60))
        .await;
    let msgs = smtp.wait_for(ps.len()).await;
    let sent = msgs
        .iter()
        .find(|m| m.contains("To: p1@example.test"))
        .expect("the previewed person's notice was sent");
    let header = |m: &str, name: &str| -> String {
        m.lines()
            .find_map(|l| l.trim_end().strip_prefix(name).map(str::to_owned))
            .unwrap_or_else(|| panic!("no {name} in {m}"))
    };
    for name in [
        "From: ",
        "To: ",
        "Subject: ",
        "Message-ID: ",
        "X-Idempotency-Key: ",
        "MIME-Version: ",
        "Content-Type: ",
    ] {
        assert_eq!(header(&eml, name), header(sent, name), "{name}");
    }
    let parts = |m: &str| -> Vec<String> {
        m.lines()
            .filter(|l| l.starts_with("Content-"))
            .map(|l| l.trim_end().to_owned())
            .collect()
    };
    assert_eq!(parts(&eml), parts(sent));
    assert_eq!(parts(&eml).len(), 5, "{eml}");
}
