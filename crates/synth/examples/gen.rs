//! Generates a synthetic carrier and reports how long it took:
//! `cargo run --release -p custodian-synth --example gen -- N DIR [SEED]`.
//! The speed figure for `BENCHMARKS.md` comes from here.

use std::path::PathBuf;
use std::time::Instant;

use custodian_synth::{CarrierConfig, write_carrier};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let people: u64 = args.next().unwrap_or_else(|| "1000000".into()).parse()?;
    let out = PathBuf::from(args.next().unwrap_or_else(|| "synth-out".into()));
    let seed: u64 = args.next().unwrap_or_else(|| "2021".into()).parse()?;
    let cfg = CarrierConfig {
        people,
        seed,
        ..CarrierConfig::default()
    };
    let started = Instant::now();
    let summary = write_carrier(&cfg, &out, &|_| {})?;
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} people, {:.1} MB of CSV in {secs:.2} s ({:.0} people/s) on {} threads",
        summary.people,
        summary.csv_bytes as f64 / 1e6,
        summary.people as f64 / secs,
        rayon_threads(),
    );
    for spec in &summary.systems {
        eprintln!(
            "  {:<22} {:>10} rows ({} unlinked)",
            spec.file, spec.rows, spec.unlinked_rows
        );
    }
    Ok(())
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
