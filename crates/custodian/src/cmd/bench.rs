//! `custodian bench`: the measurements behind BENCHMARKS.md, each against its reference in the
//! same run. `bench vault` imports a synthetic carrier encrypted and indexed, then the same rows
//! unencrypted with the same batching into the same database (the ceiling), and on PostgreSQL
//! with `pgcrypto` (`pgp_sym_encrypt` per field); then times lookups in process. `bench http`
//! drives `GET /v1/people/{id}` on a running server at a fixed rate over loopback and reports
//! latency percentiles.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use custodian_db::sqlx;
use custodian_db::{Backend, Database, OpenMode};
use custodian_vault::import::{Format, ImportOptions, import_file};
use custodian_vault::record::{self, Field};
use custodian_vault::{Lookup, PersonRef, ReadRequest, RequestContext};
use serde_json::json;

use crate::app::App;
use crate::cli::BenchCommand;
use crate::config::Settings;

pub(crate) async fn run(s: &Settings, c: BenchCommand) -> anyhow::Result<()> {
    match c {
        BenchCommand::Vault {
            people,
            pgcrypto_people,
            lookups,
        } => vault(s, people, pgcrypto_people, lookups).await,
        BenchCommand::Http {
            url,
            key,
            ids,
            rate,
            seconds,
            connections,
        } => crate::cmd::bench_http::run(s, &url, &key, &ids, rate, seconds, connections).await,
    }
}

/// Peak resident memory of this process so far, in MiB (Linux `VmHWM`).
pub(crate) fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn vault(
    s: &Settings,
    people: u64,
    pgcrypto_people: u64,
    lookups: usize,
) -> anyhow::Result<()> {
    let work = tempfile_dir(&s.data_dir.join("bench"))?;
    let carrier = work.join("carrier");
    let cfg = custodian_synth::CarrierConfig {
        people,
        seed: 42,
        ..Default::default()
    };
    custodian_synth::write_carrier(&cfg, &carrier, &|_| {})
        .context("writing the synthetic carrier")?;
    let csv = carrier.join("people.csv");
    let app = App::open(s, OpenMode::Create).await?;
    let backend = app.db.backend();
    let me = super::vault::operator(&app).await?;
    let ctx = RequestContext {
        request_id: "bench".into(),
    };
    let today = app.clock.now().to_datetime().date();
    let opts = ImportOptions {
        format: Format::Csv,
        batch_size: 2000,
        rejects: None,
        today,
    };

    let t = Instant::now();
    let report = import_file(&app.vault.writer(&me, &ctx)?, &csv, &opts, &|_| {}).await?;
    let enc_secs = t.elapsed().as_secs_f64();
    if report.created + report.unchanged + report.updated != people {
        bail!(
            "import stored {} of {people} people",
            report.created + report.unchanged + report.updated
        );
    }
    let peak = peak_rss_mib();

    let plain_secs = plain_import(&app.db, &csv, people as usize, today, PlainKind::Clear).await?;
    let pgcrypto = if backend == Backend::Postgres && pgcrypto_people > 0 {
        let n = pgcrypto_people.min(people) as usize;
        let secs = plain_import(&app.db, &csv, n, today, PlainKind::Pgcrypto).await?;
        Some((n, secs))
    } else {
        None
    };

    let (find_us, get_us) = lookup_latency(&app, &me, &ctx, &csv, lookups).await?;
    let enc_rate = people as f64 / enc_secs;
    let plain_rate = people as f64 / plain_secs;
    let out = json!({
        "backend": backend.as_str(), "people": people,
        "encrypted_import_seconds": enc_secs, "encrypted_people_per_second": enc_rate,
        "plain_import_seconds": plain_secs, "plain_people_per_second": plain_rate,
        "encrypted_over_plain": enc_rate / plain_rate,
        "pgcrypto_people": pgcrypto.map(|p| p.0), "pgcrypto_people_per_second": pgcrypto.map(|(n, s)| n as f64 / s),
        "encrypted_over_pgcrypto": pgcrypto.map(|(n, s)| enc_rate / (n as f64 / s)),
        "peak_rss_mib_after_import": peak,
        "lookup_find_median_us": find_us.0, "lookup_find_p99_us": find_us.1,
        "lookup_find_and_read_median_us": get_us.0, "lookup_find_and_read_p99_us": get_us.1,
    });
    if s.json {
        crate::output::json(&out);
    } else {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(())
}

fn tempfile_dir(p: &Path) -> anyhow::Result<std::path::PathBuf> {
    if p.exists() {
        std::fs::remove_dir_all(p).with_context(|| format!("clearing {}", p.display()))?;
    }
    std::fs::create_dir_all(p)?;
    Ok(p.to_owned())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PlainKind {
    Clear,
    Pgcrypto,
}

const PLAIN_COLS: [&str; 12] = [
    "first_name",
    "last_name",
    "street",
    "city",
    "zip",
    "dob",
    "ssn",
    "drivers_license",
    "phone",
    "email",
    "imei",
    "imsi",
];

/// The reference: the same parsed rows, the same batch size, into one table with the identifier
/// columns indexed like the blind indexes, unencrypted (or `pgp_sym_encrypt`ed on the server).
async fn plain_import(
    db: &Database,
    csv: &Path,
    limit: usize,
    today: time::Date,
    kind: PlainKind,
) -> anyhow::Result<f64> {
    let table = if kind == PlainKind::Clear {
        "bench_plain"
    } else {
        "bench_pgcrypto"
    };
    let blob = if kind == PlainKind::Clear {
        "TEXT"
    } else {
        "BYTEA"
    };
    sqlx::raw_sql(&format!("DROP TABLE IF EXISTS {table}"))
        .execute(db.pool())
        .await?;
    if kind == PlainKind::Pgcrypto {
        sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS pgcrypto")
            .execute(db.pool())
            .await
            .context("pgcrypto is not available")?;
    }
    let cols: Vec<String> = PLAIN_COLS.iter().map(|c| format!("{c} {blob}")).collect();
    let id = if db.backend() == Backend::Postgres {
        "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
    } else {
        "INTEGER PRIMARY KEY"
    };
    sqlx::raw_sql(&format!(
        "CREATE TABLE {table} (id {id}, external_id TEXT NOT NULL UNIQUE, account_kind TEXT NOT NULL, state TEXT, {})",
        cols.join(", ")
    ))
    .execute(db.pool())
    .await?;
    for c in ["ssn", "phone", "email", "imei", "imsi", "drivers_license"] {
        sqlx::raw_sql(&format!("CREATE INDEX {table}_{c} ON {table} ({c})"))
            .execute(db.pool())
            .await?;
    }
    let mut rdr = csv::Reader::from_path(csv)?;
    let header: Vec<String> = rdr.headers()?.iter().map(str::to_owned).collect();
    let started = Instant::now();
    let mut batch = Vec::with_capacity(2000);
    let mut done = 0usize;
    for (i, rec) in rdr.records().enumerate() {
        if done + batch.len() >= limit {
            break;
        }
        let rec = rec?;
        let r = record::parse_row(
            i as u64 + 2,
            |c| header.iter().position(|h| h == c).and_then(|k| rec.get(k)),
            today,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        batch.push(r);
        if batch.len() == 2000 {
            insert_plain(db, table, &batch, kind).await?;
            done += batch.len();
            batch.clear();
        }
    }
    if !batch.is_empty() {
        insert_plain(db, table, &batch, kind).await?;
    }
    let secs = started.elapsed().as_secs_f64();
    sqlx::raw_sql(&format!("DROP TABLE {table}"))
        .execute(db.pool())
        .await?;
    Ok(secs)
}

async fn insert_plain(
    db: &Database,
    table: &str,
    rows: &[custodian_vault::CanonicalRecord],
    kind: PlainKind,
) -> anyhow::Result<()> {
    let per = 3 + PLAIN_COLS.len();
    let max_rows = (db.dialect().max_params() / per).min(1000);
    let mut tx = db.pool().begin().await?;
    for chunk in rows.chunks(max_rows) {
        let mut sql = format!(
            "INSERT INTO {table} (external_id, account_kind, state, {}) VALUES ",
            PLAIN_COLS.join(", ")
        );
        let mut n = 1;
        for (ri, _) in chunk.iter().enumerate() {
            sql.push_str(if ri == 0 { "(" } else { ",(" });
            for ci in 0..per {
                if ci > 0 {
                    sql.push(',');
                }
                // The same placeholders as the vault's own inserts (anonymous on SQLite).
                let p = db.dialect().param(n);
                if kind == PlainKind::Pgcrypto && ci >= 3 {
                    sql.push_str(&format!("pgp_sym_encrypt({p}, 'bench-key-material')"));
                } else {
                    sql.push_str(&p);
                }
                n += 1;
            }
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.external_id.as_str())
                .bind(r.account_kind.as_str())
                .bind(r.state.map(|s| s.code()));
            for f in Field::ALL {
                q = q.bind(r.value(f).map(str::to_owned));
            }
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Median and p99 (µs) of a blind-index find, and of find + read (decrypting the record).
async fn lookup_latency(
    app: &App,
    me: &custodian_auth::Principal,
    ctx: &RequestContext,
    csv: &Path,
    n: usize,
) -> anyhow::Result<((f64, f64), (f64, f64))> {
    let mut rdr = csv::Reader::from_path(csv)?;
    let header: Vec<String> = rdr.headers()?.iter().map(str::to_owned).collect();
    let ssn_col = header
        .iter()
        .position(|h| h == "ssn")
        .context("no ssn column")?;
    let ssns: Vec<String> = rdr
        .records()
        .filter_map(Result::ok)
        .filter_map(|r| {
            r.get(ssn_col)
                .filter(|s| !s.is_empty())
                .map(|s| s.replace('-', ""))
        })
        .step_by(7)
        .take(n)
        .collect();
    let searcher = app.vault.searcher(me, ctx)?;
    let reader = app.vault.reader(me, ctx)?;
    let mut find = Vec::with_capacity(ssns.len());
    let mut both = Vec::with_capacity(ssns.len());
    for ssn in &ssns {
        let t = Instant::now();
        let hits = searcher
            .find(&Lookup {
                field: Field::Ssn,
                normalized: ssn,
            })
            .await?;
        find.push(t.elapsed());
        let hit = hits.first().context("a known SSN was not found")?;
        reader
            .get(
                &PersonRef::External(hit.external_id.clone()),
                &ReadRequest::default(),
            )
            .await?;
        both.push(t.elapsed());
    }
    Ok((percentiles(&mut find), percentiles(&mut both)))
}

/// (median, p99) in microseconds.
pub(crate) fn percentiles(v: &mut [Duration]) -> (f64, f64) {
    if v.is_empty() {
        return (0.0, 0.0);
    }
    v.sort_unstable();
    let at = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)].as_secs_f64() * 1e6;
    (at(0.5), at(0.99))
}
