//! The guard's benchmark: verifications per second at OWASP Argon2id parameters against the raw
//! ceiling of the hash on this machine, throttled rejections per second, the owner's p99 latency
//! during a flood of wrong guesses, bulk import, and a forced reset of a million accounts.
//!
//! `cargo run --release -p custodian-guard --example guard_bench [-- --accounts N] [-- --pg]
//! [-- --reset-only]`
//! (SQLite in a temporary directory by default; `--pg` uses `CUSTODIAN_TEST_PG_URL`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark binary

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use custodian_db::SystemClock;
use custodian_db::testing::TestDb;
use custodian_guard::{
    AccountId, AttemptContext, Channel, CountingNotifier, DeviceId, GuardConfig, GuardDeps,
    GuardService, HashParams, Hasher, ImportRecord, NoFacts, ResetKinds, ResetPlan, ResetProgress,
    SecretKind, Verdict,
};
use secrecy::SecretString;

const PIN: &str = "739164";
/// Rounds of (raw ceiling, guard rate), alternated.
const ROUNDS: usize = 16;

fn ctx(ip: &str, device: Option<&str>) -> AttemptContext {
    AttemptContext {
        channel: Channel::App,
        client_ip: Some(ip.parse().unwrap()),
        device: device.map(|d| DeviceId::parse(d).unwrap()),
    }
}

fn ip(i: u64) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff)
}

/// This process's CPU time so far (user + system), in seconds, from `/proc/self/stat`.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, usize::from)
}

/// Hashes per second: `threads` threads, each calling the hash that `make` builds for it (once
/// per thread, so per-thread state stays in it) until `secs` seconds have passed.
fn rate<H: FnMut() + Send + 'static>(secs: f64, threads: usize, make: impl Fn() -> H) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let threads: Vec<_> = (0..threads)
        .map(|_| {
            let (mut hash, d) = (make(), done.clone());
            std::thread::spawn(move || {
                while start.elapsed().as_secs_f64() < secs {
                    hash();
                    d.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// The hash alone, at its fastest: Argon2id at OWASP's parameters straight through the `argon2`
/// crate, each thread in working memory allocated once (no pool, no wiping, no PHC parsing, no
/// comparison).
fn ceiling(secs: f64, threads: usize) -> f64 {
    let p = HashParams::OWASP;
    let params = argon2::Params::new(p.m_kib(), p.t(), p.p(), Some(32)).unwrap();
    let engine = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        params.clone(),
    );
    rate(secs, threads, || {
        let e = engine.clone();
        let mut memory = vec![argon2::Block::default(); params.block_count()];
        let mut out = [0u8; 32];
        move || {
            e.hash_password_into_with_memory(
                PIN.as_bytes(),
                b"sixteen byte salt",
                &mut out,
                &mut memory,
            )
            .unwrap();
        }
    })
}

/// The guard's hashing layer alone (`Hasher::verify`: PHC parsing, pooled and wiped working
/// memory, constant-time comparison).
fn hasher_rate(phc: &str, secs: f64, threads: usize) -> f64 {
    let hasher = Arc::new(Hasher::new(HashParams::OWASP, Vec::new()));
    let stored = custodian_guard::hash::StoredHash {
        phc: phc.to_owned(),
        pepper_id: 0,
    };
    rate(secs, threads, || {
        let (h, s) = (hasher.clone(), stored.clone());
        move || {
            assert!(matches!(
                h.verify(PIN.as_bytes(), &s),
                custodian_guard::hash::HashCheck::Match { .. }
            ));
        }
    })
}

/// The `argon2` crate's own `verify_password` (fresh working memory for every hash, as most
/// callers use it).
fn crate_verify_rate(phc: &str, secs: f64, threads: usize) -> f64 {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    rate(secs, threads, || {
        let phc = phc.to_owned();
        move || {
            let parsed = PasswordHash::new(&phc).unwrap();
            argon2::Argon2::default()
                .verify_password(PIN.as_bytes(), &parsed)
                .unwrap();
        }
    })
}

async fn import(guard: &GuardService, n: usize, phc: &str) -> Vec<AccountId> {
    let accounts: Vec<AccountId> = (0..n)
        .map(|i| AccountId::parse(&format!("ACCT-{i:08}")).unwrap())
        .collect();
    let records: Vec<ImportRecord> = accounts
        .iter()
        .map(|a| ImportRecord {
            account: a.clone(),
            kind: SecretKind::Pin,
            phc: phc.to_owned(),
        })
        .collect();
    guard.import_hashes(&records).await.unwrap();
    accounts
}

/// Right-PIN verifications per second from 64 concurrent callers for `secs` seconds.
async fn guard_rate(guard: &GuardService, accounts: &[AccountId], secs: f64) -> f64 {
    let done = Arc::new(AtomicU64::new(0));
    let busy_count = Arc::new(AtomicU64::new(0));
    let honor_retry = std::env::var_os("GUARD_BENCH_IGNORE_RETRY").is_none();
    let start = Instant::now();
    let cpu0 = cpu_secs();
    let mut tasks = Vec::new();
    for w in 0..64usize {
        let (g, d, accts) = (guard.clone(), done.clone(), accounts.to_vec());
        let busy = busy_count.clone();
        tasks.push(tokio::spawn(async move {
            let mut i = w;
            while start.elapsed().as_secs_f64() < secs {
                let a = &accts[i % accts.len()];
                let c = ctx(&ip(i as u64), None);
                let v = g
                    .verify(a, SecretKind::Pin, &SecretString::from(PIN), &c)
                    .await
                    .unwrap();
                // Only what completes inside the window counts, and a caller told to retry
                // sleeps at most until the window ends, so the rate is the window's own.
                let left = secs - start.elapsed().as_secs_f64();
                match v {
                    Verdict::Ok if left >= 0.0 => {
                        d.fetch_add(1, Ordering::Relaxed);
                    }
                    Verdict::Ok => {}
                    Verdict::Throttled { retry_after_secs } => {
                        busy.fetch_add(1, Ordering::Relaxed);
                        if honor_retry && left > 0.0 {
                            let wait = (retry_after_secs as f64).min(left);
                            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
                        }
                    }
                    other => panic!("right PIN answered {other:?}"),
                }
                i += 64;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    let cpu = cpu_secs() - cpu0;
    for t in tasks {
        t.await.unwrap();
    }
    println!(
        "  {} verified, {} told to retry later; CPU busy {:.0}% of the cores in the window",
        done.load(Ordering::Relaxed),
        busy_count.load(Ordering::Relaxed),
        100.0 * cpu / (secs * cores() as f64)
    );
    done.load(Ordering::Relaxed) as f64 / secs
}

/// The owner's verification latencies (ms) from a known device while `flood` runs.
async fn owner_latencies(guard: &GuardService, owner: &AccountId, samples: usize) -> Vec<f64> {
    let owner_ctx = ctx("172.16.0.1", Some("owner-phone"));
    let mut lat = Vec::new();
    for _ in 0..samples {
        let t0 = Instant::now();
        let v = guard
            .verify(owner, SecretKind::Pin, &SecretString::from(PIN), &owner_ctx)
            .await
            .unwrap();
        assert_eq!(v, Verdict::Ok);
        lat.push(t0.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    lat
}

/// Which account the i-th guess of a flood of n accounts goes to.
type Target = fn(u64, usize) -> usize;

/// Starts 32 tasks sending wrong PINs; `target(i)` picks the account of the i-th guess. Each
/// guess comes from a new address. Returns the stop flag, the guess counter and the tasks.
fn flood(
    guard: &GuardService,
    accounts: &[AccountId],
    target: Target,
) -> (
    Arc<AtomicBool>,
    Arc<AtomicU64>,
    Vec<tokio::task::JoinHandle<()>>,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for w in 0..32u64 {
        let (g, s, f, accts) = (
            guard.clone(),
            stop.clone(),
            count.clone(),
            accounts.to_vec(),
        );
        tasks.push(tokio::spawn(async move {
            let mut i = w;
            while !s.load(Ordering::Relaxed) {
                let a = &accts[target(i, accts.len())];
                let c = ctx(&ip(100_000 + i), None);
                g.verify(a, SecretKind::Pin, &SecretString::from("482915"), &c)
                    .await
                    .unwrap();
                f.fetch_add(1, Ordering::Relaxed);
                // A refused guess may complete without awaiting anything; a client over a
                // network would yield here (and cost far more per request).
                tokio::task::yield_now().await;
                i += 32;
            }
        }));
    }
    (stop, count, tasks)
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n_reset: usize = args
        .iter()
        .position(|a| a == "--accounts")
        .and_then(|i| args.get(i + 1))
        .map_or(1_000_000, |s| s.parse().unwrap());
    let t = if args.iter().any(|a| a == "--pg") {
        TestDb::postgres("guard_bench")
            .await
            .expect("PostgreSQL at CUSTODIAN_TEST_PG_URL")
    } else {
        TestDb::sqlite().await
    };
    t.db.migrate(&[custodian_guard::COMPONENT]).await.unwrap();
    let notifier = Arc::new(CountingNotifier::default());
    let guard = GuardService::new(
        t.db.clone(),
        Arc::new(SystemClock),
        GuardConfig::default(),
        GuardDeps {
            peppers: Vec::new(),
            facts: Arc::new(NoFacts),
            notifier: notifier.clone(),
        },
    )
    .unwrap();
    println!(
        "machine: {} cores; backend: {}",
        cores(),
        t.db.backend().as_str()
    );
    let phc = Hasher::new(HashParams::OWASP, Vec::new())
        .hash(PIN.as_bytes())
        .unwrap()
        .phc;

    // `--reset-only` skips to step 4.
    if !args.iter().any(|a| a == "--reset-only") {
        // 1. The ceiling of the hash itself and the guard end to end, alternated ROUNDS times in
        //    short slices so that changes in the machine's load hit both alike. The ceiling is the
        //    hash on as many threads as there are cores, which is also how many hashes the guard
        //    computes at once (`max_running`); more threads than cores is shown for reference once.
        let slots = guard.config().hashing.max_in_flight;
        let running = guard.config().hashing.max_running;
        let accounts = import(&guard, 2_000, &phc).await;
        let over: Vec<f64> = (running + 1..=slots).map(|t| ceiling(3.0, t)).collect();
        println!(
            "  for reference, raw hashes/s with {}..={slots} threads: {over:.1?}",
            running + 1
        );
        let (mut raw, mut layer, mut plain) = (0.0, 0.0, 0.0);
        for _ in 0..10 {
            raw += ceiling(1.0, running);
            layer += hasher_rate(&phc, 1.0, running);
            plain += crate_verify_rate(&phc, 1.0, running);
        }
        println!(
            "  for reference, {running} threads, 10 alternating seconds each: raw {:.1}/s, through \
             the hashing layer {:.1}/s = {:.0}%, the argon2 crate's verify_password {:.1}/s = {:.0}%",
            raw / 10.0,
            layer / 10.0,
            100.0 * layer / raw,
            plain / 10.0,
            100.0 * plain / raw
        );
        let (mut raw_total, mut guard_total) = (0.0, 0.0);
        let mut ratios = Vec::new();
        for round in 0..ROUNDS {
            let raw = ceiling(2.0, running);
            let rate = guard_rate(&guard, &accounts, 3.0).await;
            println!(
                "round {round}: argon2id m=19456 t=2 p=1 raw ceiling ({running} threads) {raw:.1}/s ({:.1} ms per hash per core); guard {rate:.1}/s = {:.0}%",
                1000.0 * running as f64 / raw,
                100.0 * rate / raw
            );
            raw_total += raw;
            guard_total += rate;
            ratios.push(100.0 * rate / raw);
        }
        ratios.sort_by(f64::total_cmp);
        println!(
            "guard verifications (right PIN, 64 callers) vs the raw ceiling: {:.1}/s vs {:.1}/s = {:.0}% (rounds {:.0}–{:.0}%, median {:.0}%)",
            guard_total / ROUNDS as f64,
            raw_total / ROUNDS as f64,
            100.0 * guard_total / raw_total,
            ratios[0],
            ratios[ROUNDS - 1],
            (ratios[ROUNDS / 2 - 1] + ratios[ROUNDS / 2]) / 2.0
        );

        // 2. Throttled rejections: one source over its limit, hammered by 2 tasks.
        let victim = AccountId::parse("ACCT-VICTIM").unwrap();
        let attacker = ctx("192.0.2.66", None);
        for _ in 0..6 {
            guard
                .verify(
                    &victim,
                    SecretKind::Pin,
                    &SecretString::from("000001"),
                    &attacker,
                )
                .await
                .unwrap();
        }
        let evals = guard.hasher().evaluations();
        let n = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..cores() {
            let (g, n, v, c) = (guard.clone(), n.clone(), victim.clone(), attacker.clone());
            tasks.push(tokio::spawn(async move {
                let s = SecretString::from("000002");
                while start.elapsed() < Duration::from_secs(3) {
                    for _ in 0..1000 {
                        let r = g.verify(&v, SecretKind::Pin, &s, &c).await.unwrap();
                        assert!(matches!(r, Verdict::Throttled { .. } | Verdict::Locked));
                    }
                    n.fetch_add(1000, Ordering::Relaxed);
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let secs = start.elapsed().as_secs_f64();
        let count = n.load(Ordering::Relaxed) as f64;
        println!(
            "throttled rejections: {:.0}/s ({:.1} µs each per core), Argon2 evaluations during them: {}",
            count / secs,
            1e6 * secs * cores() as f64 / count,
            guard.hasher().evaluations() - evals
        );
        guard.flush_events().await.unwrap();

        // 3. The owner's latency from a known device during floods of wrong guesses from ever new
        //    addresses: (a) at the owner's own account, (b) the worst case, at random other
        //    accounts, so that no guess is throttled and every one wants an Argon2 evaluation.
        let owner = accounts[0].clone();
        let owner_ctx = ctx("172.16.0.1", Some("owner-phone"));
        let ok = guard
            .verify(
                &owner,
                SecretKind::Pin,
                &SecretString::from(PIN),
                &owner_ctx,
            )
            .await;
        assert_eq!(ok.unwrap(), Verdict::Ok);
        let floods: [(&str, Target); 2] = [
            ("at the owner's account", |_, _| 0),
            ("at random other accounts", |i, n| {
                1 + (i as usize * 7919) % (n - 1)
            }),
        ];
        for (what, target) in floods {
            let (stop, count, tasks) = flood(&guard, &accounts, target);
            tokio::time::sleep(Duration::from_secs(2)).await;
            let start = Instant::now();
            let before = count.load(Ordering::Relaxed);
            let mut lat = owner_latencies(&guard, &owner, 200).await;
            let rate =
                (count.load(Ordering::Relaxed) - before) as f64 / start.elapsed().as_secs_f64();
            stop.store(true, Ordering::Relaxed);
            for t in tasks {
                t.await.unwrap();
            }
            println!(
                "owner during a flood {what} ({rate:.0} wrong guesses/s): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                pct(&mut lat, 0.5),
                pct(&mut lat, 0.99),
                pct(&mut lat, 1.0)
            );
        }
    }
    // 4. Import and forced reset of n_reset accounts.
    let start = Instant::now();
    let cohort: Vec<AccountId> = {
        let accounts: Vec<AccountId> = (0..n_reset)
            .map(|i| AccountId::parse(&format!("PRE-{i:08}")).unwrap())
            .collect();
        let records: Vec<ImportRecord> = accounts
            .iter()
            .map(|a| ImportRecord {
                account: a.clone(),
                kind: SecretKind::Pin,
                phc: phc.clone(),
            })
            .collect();
        guard.import_hashes(&records).await.unwrap();
        accounts
    };
    println!(
        "import of {n_reset} hashes: {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    let plan = ResetPlan {
        name: "bench-reset".into(),
        kinds: ResetKinds::All,
        code_ttl_secs: None,
    };
    let stages = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = stages.clone();
    let progress = Arc::new(move |p: ResetProgress| {
        let mut v = s.lock().unwrap();
        if v.last().is_none_or(|(stage, _)| *stage != p.stage) {
            v.push((p.stage, start.elapsed()));
        }
    });
    let r = guard.forced_reset(&plan, &cohort, progress).await.unwrap();
    let total = start.elapsed();
    println!(
        "forced reset of {} accounts ({} codes delivered): {:.1} s",
        r.members,
        notifier.count(),
        total.as_secs_f64()
    );
    let v = stages.lock().unwrap().clone();
    for (i, (stage, at)) in v.iter().enumerate() {
        let end = v.get(i + 1).map_or(total, |(_, t)| *t);
        println!("  {stage:?}: {:.1} s", (end - *at).as_secs_f64());
    }
}
