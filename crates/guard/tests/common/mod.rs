//! Shared test harness: a guard over a test database with cheap Argon2 parameters, a manual
//! clock, a recording notifier and in-memory personal facts. The tests share one binary and
//! run in parallel, so a timing test takes the machine for itself ([`harness_alone`]).
#![allow(dead_code, unreachable_pub)] // each test module uses a different part

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use custodian_db::testing::TestDb;
use custodian_db::{Clock, ManualClock, Timestamp};
use custodian_guard::{
    AccountId, AttemptContext, Channel, DeviceId, GuardConfig, GuardDeps, GuardService, HashParams,
    HashingConfig, InMemoryFacts, Pepper, RecordingNotifier, SecretKind, Verdict,
};
use secrecy::SecretString;
use tokio::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

pub struct H {
    pub guard: GuardService,
    pub clock: ManualClock,
    pub notifier: Arc<RecordingNotifier>,
    pub facts: Arc<InMemoryFacts>,
    _load: Load,
}

/// Every harness holds a share of the machine; a timing test holds all of it, so that the
/// 100,000-account reset running beside it cannot skew one side of its samples.
static LOAD: RwLock<()> = RwLock::const_new(());

enum Load {
    Shared(RwLockReadGuard<'static, ()>),
    Alone(RwLockWriteGuard<'static, ()>),
}

pub const START: Timestamp = Timestamp(1_760_000_000_000_000);

/// The test configuration: cheap hashes, generous waits for hashing slots.
pub fn config() -> GuardConfig {
    GuardConfig {
        hash: HashParams::new(64, 1, 1).unwrap(),
        hashing: HashingConfig {
            max_in_flight: 4,
            max_running: 2,
            trusted_reserve: 1,
            max_wait: Duration::from_secs(10),
            trusted_max_wait: Duration::from_secs(10),
        },
        ..GuardConfig::default()
    }
}

pub async fn harness(t: &TestDb) -> H {
    harness_with(t, config()).await
}

pub async fn harness_with(t: &TestDb, cfg: GuardConfig) -> H {
    let load = Load::Shared(LOAD.read().await);
    build(t, cfg, load).await
}

/// A harness for a timing test: waits until no other test of the binary holds a harness, and
/// keeps the others waiting until it is dropped.
pub async fn harness_alone(t: &TestDb, cfg: GuardConfig) -> H {
    let load = Load::Alone(LOAD.write().await);
    build(t, cfg, load).await
}

async fn build(t: &TestDb, cfg: GuardConfig, load: Load) -> H {
    t.db.migrate(&[custodian_guard::COMPONENT]).await.unwrap();
    let clock = ManualClock::new(START);
    let notifier = Arc::new(RecordingNotifier::new());
    let facts = Arc::new(InMemoryFacts::new());
    let c: Arc<dyn Clock> = Arc::new(clock.clone());
    let guard = GuardService::new(
        t.db.clone(),
        c,
        cfg,
        GuardDeps {
            peppers: vec![Pepper::new(1, &[42; 32]).unwrap()],
            facts: facts.clone(),
            notifier: notifier.clone(),
        },
    )
    .unwrap();
    H {
        guard,
        clock,
        notifier,
        facts,
        _load: load,
    }
}

pub fn acct(s: &str) -> AccountId {
    AccountId::parse(s).unwrap()
}

pub fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

/// A web context from an address, without a device.
pub fn from_ip(ip: &str) -> AttemptContext {
    AttemptContext {
        channel: Channel::Web,
        client_ip: Some(ip.parse::<IpAddr>().unwrap()),
        device: None,
    }
}

/// An app context from an address and a device.
pub fn from_device(ip: &str, device: &str) -> AttemptContext {
    AttemptContext {
        channel: Channel::App,
        client_ip: Some(ip.parse::<IpAddr>().unwrap()),
        device: Some(DeviceId::parse(device).unwrap()),
    }
}

/// The `i`-th loopback address (127.x.y.z with an odd last octet), each a different source.
pub fn loopback(i: u32) -> String {
    let j = 2 * i + 1;
    format!("127.{}.{}.{}", (j >> 16) & 0xff, (j >> 8) & 0xff, j & 0xff)
}

pub async fn pin(h: &H, account: &AccountId, pin: &str, ctx: &AttemptContext) -> Verdict {
    h.guard
        .verify(account, SecretKind::Pin, &secret(pin), ctx)
        .await
        .unwrap()
}
