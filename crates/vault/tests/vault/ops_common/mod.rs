//! Fixtures shared by the `vault_ops_*` tests (export, key rotation, retention): a vault over a
//! test database with a clock the test moves, principals, and known people written as canonical
//! CSV with values distinctive enough to search for in an export.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use custodian_auth::{Principal, PrincipalId, PrincipalKind, Role};
use custodian_db::testing::TestDb;
use custodian_db::{ManualClock, Timestamp};
use custodian_vault::import::{Format, ImportOptions, ImportReport, import_file};
use custodian_vault::policy::Policy;
use custodian_vault::{
    DEFAULT_TENANT, FileKeyProvider, KeyCacheConfig, Keyring, RequestContext, Vault,
};

/// 2025-11-23T00:00:00Z in microseconds.
pub(crate) const T0: i64 = 1_763_856_000_000_000;

pub(crate) const HEADER: &str = "external_id,account_kind,first_name,last_name,street,city,state,zip,dob,ssn,dl_number,dl_state,phone,email,imei,imsi,pin";

pub(crate) fn principal(name: &str, role: &str, perms: &str) -> Principal {
    Principal {
        id: PrincipalId(1),
        name: name.into(),
        kind: PrincipalKind::Service,
        role: Role::from_stored(role, perms),
    }
}

pub(crate) fn admin() -> Principal {
    principal("ops", "admin", "*")
}

pub(crate) fn ctx() -> RequestContext {
    RequestContext {
        request_id: "test".into(),
    }
}

/// A vault over `t` (migrated) with keys in the test's directory and a clock at [`T0`].
pub(crate) async fn open(t: &TestDb) -> (Vault, ManualClock) {
    t.db.migrate(&[custodian_vault::COMPONENT]).await.unwrap();
    let clock = ManualClock::new(Timestamp(T0));
    (reopen(t, &clock).await, clock)
}

/// A second vault over the same database and key file, as a restarted process would open it.
pub(crate) async fn reopen(t: &TestDb, clock: &ManualClock) -> Vault {
    let provider = Arc::new(FileKeyProvider::open(t.dir.path()).unwrap());
    let keys = Keyring::new(provider, DEFAULT_TENANT, KeyCacheConfig::default());
    Vault::open(
        t.db.clone(),
        keys,
        Policy::default(),
        Arc::new(clock.clone()),
    )
    .await
    .unwrap()
}

/// One known person; every value distinctive (no tokenizer word list holds the names).
#[derive(Debug, Clone)]
pub(crate) struct Known {
    pub(crate) external_id: String,
    pub(crate) kind: &'static str,
    pub(crate) first: String,
    pub(crate) last: String,
    pub(crate) street: String,
    pub(crate) city: String,
    pub(crate) dob: String,
    pub(crate) ssn: String,
    pub(crate) dl: String,
    pub(crate) phone: String,
    pub(crate) email: String,
    pub(crate) imei: String,
    pub(crate) imsi: String,
}

fn letters(mut i: usize) -> String {
    let mut s = String::new();
    for _ in 0..3 {
        s.push(char::from(b'a' + (i % 26) as u8));
        i /= 26;
    }
    s
}

/// `n` known people; kinds cycle postpaid, prepaid, former, prospective.
pub(crate) fn known(n: usize) -> Vec<Known> {
    const KINDS: [&str; 4] = ["postpaid", "prepaid", "former", "prospective"];
    (0..n)
        .map(|i| Known {
            external_id: format!("K{i:05}"),
            kind: KINDS[i % 4],
            first: format!("Xq{}", letters(i)),
            last: format!("Zyzzyva{}", letters(i)),
            street: format!("{} Xylo{} Quay", 100 + i, letters(i)),
            city: format!("Quux{}bury", letters(i)),
            dob: format!("19{:02}-0{}-1{}", 50 + i % 40, 1 + i % 9, i % 10),
            ssn: format!("{:03}-{:02}-{:04}", 101 + i % 500, 11 + i % 80, 1001 + i),
            dl: format!("D{:07}", 4_000_000 + i),
            phone: format!("+1512{:07}", 7_300_000 + i),
            email: format!("q{i:05}@example.com"),
            imei: imei(35_209_900_176_000 + i as u64),
            imsi: format!("310260{:09}", 555_000_000 + i),
        })
        .collect()
}

pub(crate) fn imei(body14: u64) -> String {
    let s = format!("{body14:014}");
    let sum: u32 = s
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    format!("{s}{}", (10 - sum % 10) % 10)
}

/// Writes people as canonical CSV (state TX, ZIP 78701, a PIN that the vault ignores).
pub(crate) fn write_csv(dir: &Path, name: &str, people: &[Known]) -> PathBuf {
    let mut text = format!("{HEADER}\n");
    for k in people {
        text.push_str(&format!(
            "{},{},{},{},{},{},TX,78701,{},{},{},TX,{},{},{},{},482913\n",
            k.external_id,
            k.kind,
            k.first,
            k.last,
            k.street,
            k.city,
            k.dob,
            k.ssn,
            k.dl,
            k.phone,
            k.email,
            k.imei,
            k.imsi
        ));
    }
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

pub(crate) fn import_opts() -> ImportOptions {
    ImportOptions {
        format: Format::Csv,
        batch_size: 64,
        rejects: None,
        today: time::Date::from_calendar_date(2026, time::Month::November, 23).unwrap(),
    }
}

/// Imports `people` as the admin; asserts no row was rejected.
pub(crate) async fn import(v: &Vault, people: &[Known]) -> ImportReport {
    let dir = tempfile::tempdir().unwrap();
    let path = write_csv(dir.path(), "people.csv", people);
    let (p, c) = (admin(), ctx());
    let r = import_file(&v.writer(&p, &c).unwrap(), &path, &import_opts(), &|_| {})
        .await
        .unwrap();
    assert_eq!(r.rejected, 0, "{:?}", r.first_errors);
    r
}

/// How many access-log entries have this action.
pub(crate) async fn log_entries(t: &TestDb, action: &str) -> i64 {
    custodian_db::sqlx::query_scalar("SELECT COUNT(*) FROM access_log WHERE action = $1")
        .bind(action)
        .fetch_one(t.db.pool())
        .await
        .unwrap()
}

/// Gives `victim` the wrapped data key of `donor`: bound to another person, it cannot unwrap.
pub(crate) async fn break_wrapped_key(t: &TestDb, victim: &str, donor: &str) {
    custodian_db::sqlx::query(
        "UPDATE vault_people SET wrapped_key = (SELECT wrapped_key FROM vault_people \
         WHERE external_id = $1) WHERE external_id = $2",
    )
    .bind(donor)
    .bind(victim)
    .execute(t.db.pool())
    .await
    .unwrap();
}
