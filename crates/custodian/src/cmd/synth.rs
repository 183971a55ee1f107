//! `custodian synth`: writes a synthetic carrier (people, its systems, a breach scenario).

use anyhow::Context;

use crate::cli::SynthArgs;
use crate::config::Settings;
use crate::output::Progress;

pub(crate) fn run(s: &Settings, a: &SynthArgs) -> anyhow::Result<()> {
    let cfg = custodian_synth::CarrierConfig {
        people: a.people,
        seed: a.seed,
        ..Default::default()
    };
    let progress = Progress::new("people", a.people, s.json);
    let started = std::time::Instant::now();
    let summary = custodian_synth::write_carrier(&cfg, &a.out, &|n| progress.set(n))
        .with_context(|| format!("writing the synthetic carrier to {}", a.out.display()))?;
    progress.finish();
    let secs = started.elapsed().as_secs_f64();
    if s.json {
        let systems: Vec<_> = summary
            .systems
            .iter()
            .map(|sys| serde_json::json!({"name": sys.name, "file": sys.file, "rows": sys.rows}))
            .collect();
        crate::output::json(&serde_json::json!({
            "people": summary.people, "out": a.out, "seconds": secs, "systems": systems,
        }));
    } else {
        println!(
            "wrote {} people and {} systems to {} in {secs:.1} s",
            summary.people,
            summary.systems.len(),
            a.out.display()
        );
        for sys in &summary.systems {
            println!("  {:<22} {:>10} rows  {}", sys.name, sys.rows, sys.file);
        }
    }
    Ok(())
}
