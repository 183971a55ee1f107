//! The secrets pack against ripsecrets and detect-secrets, in one run, on the same inputs:
//!
//! ```text
//! cargo run --release -p custodian-scan --example secrets_compare -- \
//!     --tree DIR --git REPO --fixtures secrets.jsonl \
//!     --ripsecrets PATH --detect-secrets PATH [--runs N] [--work DIR]
//! ```
//!
//! `scripts/bench-scan.sh` installs the two references, builds the inputs and runs this.
//!
//! - **Tree**: every file under `--tree`, page cache warm; best of `--runs` for Custodian and
//!   ripsecrets, one run of detect-secrets (it is two orders of magnitude slower). Custodian and
//!   ripsecrets are timed on both inputs before detect-secrets runs at all.
//! - **History**: Custodian reads the repository's history itself (every blob once). Neither
//!   reference reads git history, so they get what Custodian reads, handed to them as plain
//!   files: every blob of the repository written to a directory (the export is not timed, to
//!   their advantage). Throughput is over the bytes of all blobs.
//! - **Fixtures**: every text of the labelled corpus written to a file of its own; a text counts
//!   as detected when the scanner reports anything in its file. Recall and precision per
//!   scanner, overall and per category.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use custodian_scan::content::{RuleSet, ScanOptions, Scanner};

type Error = Box<dyn std::error::Error>;

struct Args {
    tree: PathBuf,
    git: PathBuf,
    fixtures: PathBuf,
    ripsecrets: PathBuf,
    detect_secrets: PathBuf,
    runs: usize,
    work: PathBuf,
}

fn parse_args() -> Result<Args, Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |name: &str| -> Result<String, Error> {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .ok_or_else(|| format!("missing {name} VALUE").into())
    };
    Ok(Args {
        tree: get("--tree")?.into(),
        git: get("--git")?.into(),
        fixtures: get("--fixtures")?.into(),
        ripsecrets: get("--ripsecrets")?.into(),
        detect_secrets: get("--detect-secrets")?.into(),
        runs: get("--runs")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(3)
            .max(1),
        work: get("--work")
            .map(PathBuf::from)
            .unwrap_or_else(|_| std::env::temp_dir().join("custodian-secrets-compare")),
    })
}

/// Every regular file under `dir`, and their total size (reading them warms the page cache).
fn warm(dir: &Path) -> Result<(usize, u64), Error> {
    let mut files = 0;
    let mut bytes = 0;
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry?;
        if entry.file_type().is_file() {
            let mut f = std::fs::File::open(entry.path())?;
            let mut sink = Vec::new();
            bytes += f.read_to_end(&mut sink)? as u64;
            files += 1;
        }
    }
    Ok((files, bytes))
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Runs a reference scanner and returns its wall time and standard output. ripsecrets exits
/// 1 when it finds something, detect-secrets 0; anything else is a failure.
fn run_reference(cmd: &mut Command) -> Result<(Duration, String), Error> {
    let started = Instant::now();
    let out = cmd.stderr(Stdio::inherit()).output()?;
    let elapsed = started.elapsed();
    match out.status.code() {
        Some(0) | Some(1) => Ok((elapsed, String::from_utf8_lossy(&out.stdout).into_owned())),
        _ => Err(format!("{cmd:?} failed: {}", out.status).into()),
    }
}

fn ripsecrets(bin: &Path, dir: &Path) -> Result<(Duration, String), Error> {
    run_reference(Command::new(bin).arg(dir))
}

fn detect_secrets(bin: &Path, dir: &Path) -> Result<(Duration, String), Error> {
    // From inside the directory, so the files it names are relative to it.
    run_reference(
        Command::new(bin)
            .current_dir(dir)
            .args(["scan", "--all-files", "."]),
    )
}

/// Files ripsecrets reported (`path:line:text` per finding).
fn ripsecrets_files(out: &str) -> HashSet<String> {
    out.lines()
        .filter_map(|l| {
            let (path, rest) = l.split_once(':')?;
            let (line, _) = rest.split_once(':')?;
            line.parse::<u64>().ok()?;
            Some(Path::new(path).file_name()?.to_string_lossy().into_owned())
        })
        .collect()
}

/// Files detect-secrets reported (the keys of `results` in its JSON baseline).
fn detect_secrets_files(out: &str) -> Result<HashSet<String>, Error> {
    let v: serde_json::Value = serde_json::from_str(out)?;
    let results = v["results"]
        .as_object()
        .ok_or("detect-secrets printed no results object")?;
    Ok(results
        .iter()
        .filter(|(_, found)| found.as_array().is_some_and(|a| !a.is_empty()))
        .filter_map(|(k, _)| Some(Path::new(k).file_name()?.to_string_lossy().into_owned()))
        .collect())
}

fn best_and_median(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[0], times[times.len() / 2])
}

struct Row {
    name: &'static str,
    best: Duration,
    median: Duration,
    runs: usize,
}

fn print_throughput(title: &str, bytes: u64, rows: &[Row]) {
    println!("\n### {title}: {:.1} MiB\n", mib(bytes));
    println!("| scanner | runs | best | median | MiB/s (best) | Custodian's speed-up |");
    println!("|---|---:|---:|---:|---:|---:|");
    let ours = rows[0].best.as_secs_f64();
    for r in rows {
        println!(
            "| {} | {} | {:.2} s | {:.2} s | {:.1} | {:.1}× |",
            r.name,
            r.runs,
            r.best.as_secs_f64(),
            r.median.as_secs_f64(),
            mib(bytes) / r.best.as_secs_f64(),
            r.best.as_secs_f64() / ours
        );
    }
}

/// One input's measurements: Custodian's and ripsecrets' runs are all taken before any
/// detect-secrets run, so the fast scanners are timed on a quiet machine; detect-secrets (two
/// orders of magnitude slower) comes last, once per input.
struct Input {
    title: String,
    bytes: u64,
    /// What the references scan: the tree itself, or the history's blobs written out.
    files: PathBuf,
    names: [&'static str; 3],
    ours: Vec<Duration>,
    rip: Vec<Duration>,
    /// What Custodian and ripsecrets reported, printed under the table.
    reported: String,
}

impl Input {
    /// Runs detect-secrets once and prints the table.
    fn finish(self, a: &Args) -> Result<(), Error> {
        let (ds_time, ds_out) = detect_secrets(&a.detect_secrets, &self.files)?;
        let ds_found = detect_secrets_files(&ds_out)?.len();
        let (b, m) = best_and_median(self.ours);
        let (rb, rm) = best_and_median(self.rip);
        let row = |name, best, median, runs| Row {
            name,
            best,
            median,
            runs,
        };
        print_throughput(
            &self.title,
            self.bytes,
            &[
                row(self.names[0], b, m, a.runs),
                row(self.names[1], rb, rm, a.runs),
                row(self.names[2], ds_time, ds_time, 1),
            ],
        );
        println!(
            "\nReported: {}; detect-secrets {ds_found} files.",
            self.reported
        );
        Ok(())
    }
}

/// Times Custodian and ripsecrets on the plain files under `dir`.
fn tree(a: &Args, scanner: &Scanner, dir: &Path) -> Result<Input, Error> {
    let (files, bytes) = warm(dir)?;
    eprintln!("source tree: {files} files, {:.1} MiB", mib(bytes));
    let mut ours = Vec::new();
    let mut found = 0;
    for _ in 0..a.runs {
        let report = scanner.scan_path(dir);
        ours.push(report.elapsed);
        found = report.findings.len();
    }
    let mut rip = Vec::new();
    let mut rip_found = 0;
    for _ in 0..a.runs {
        let (t, out) = ripsecrets(&a.ripsecrets, dir)?;
        rip.push(t);
        rip_found = out.lines().count();
    }
    Ok(Input {
        title: format!("Source tree ({files} files)"),
        bytes,
        files: dir.to_owned(),
        names: ["Custodian", "ripsecrets", "detect-secrets"],
        ours,
        rip,
        reported: format!("Custodian {found} distinct values, ripsecrets {rip_found} lines"),
    })
}

/// Writes every blob of `repo` to `out/<oid>`; returns how many and their bytes.
fn export_blobs(repo: &Path, out: &Path) -> Result<(usize, u64), Error> {
    std::fs::create_dir_all(out)?;
    let list = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "cat-file",
            "--batch-all-objects",
            "--batch-check=%(objecttype) %(objectname)",
        ])
        .output()?;
    if !list.status.success() {
        return Err(format!("git cat-file failed on {}", repo.display()).into());
    }
    let oids: Vec<String> = String::from_utf8(list.stdout)?
        .lines()
        .filter_map(|l| l.strip_prefix("blob ").map(str::to_owned))
        .collect();
    let mut child = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let feeder = {
        let oids = oids.clone();
        std::thread::spawn(move || -> std::io::Result<()> {
            for oid in &oids {
                writeln!(stdin, "{oid}")?;
            }
            Ok(())
        })
    };
    let mut reader = std::io::BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut bytes = 0;
    for oid in &oids {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let size: usize = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("unexpected git header {header:?}"))?;
        let mut body = vec![0u8; size + 1];
        reader.read_exact(&mut body)?;
        body.pop();
        std::fs::write(out.join(oid), &body)?;
        bytes += size as u64;
    }
    feeder.join().map_err(|_| "feeder panicked")??;
    child.wait()?;
    Ok((oids.len(), bytes))
}

/// Times Custodian on the history of `--git` and ripsecrets on its blobs written out.
fn history(a: &Args, scanner: &Scanner) -> Result<Input, Error> {
    let blobs = a.work.join("blobs");
    let _ = std::fs::remove_dir_all(&blobs);
    let (count, bytes) = export_blobs(&a.git, &blobs)?;
    eprintln!("history: {count} blobs, {:.1} MiB", mib(bytes));
    warm(&blobs)?;
    let mut ours = Vec::new();
    let mut report = None;
    for _ in 0..a.runs {
        let r = scanner.scan_git(&a.git);
        ours.push(r.elapsed);
        report = Some(r);
    }
    let report = report.ok_or("no run")?;
    if !report.errors.is_empty() {
        return Err(format!("history scan errors: {:?}", report.errors).into());
    }
    let commits: BTreeSet<&str> = report
        .findings
        .iter()
        .flat_map(|f| f.locations().iter().filter_map(|l| l.commit()))
        .collect();
    let mut rip = Vec::new();
    let mut rip_found = 0;
    for _ in 0..a.runs {
        let (t, out) = ripsecrets(&a.ripsecrets, &blobs)?;
        rip.push(t);
        rip_found = out.lines().count();
    }
    Ok(Input {
        title: format!("Git history ({count} blobs)"),
        bytes,
        files: blobs,
        names: [
            "Custodian (reads the repository)",
            "ripsecrets (blobs as files)",
            "detect-secrets (blobs as files)",
        ],
        ours,
        rip,
        reported: format!(
            "Custodian {} distinct values, introduced by {} commits; ripsecrets {rip_found} lines",
            report.findings.len(),
            commits.len()
        ),
    })
}

#[derive(Default, Clone, Copy)]
struct Counts {
    tp: u32,
    fn_: u32,
    fp: u32,
    tn: u32,
}

impl Counts {
    fn add(&mut self, label: bool, detected: bool) {
        match (label, detected) {
            (true, true) => self.tp += 1,
            (true, false) => self.fn_ += 1,
            (false, true) => self.fp += 1,
            (false, false) => self.tn += 1,
        }
    }
    fn recall(&self) -> f64 {
        100.0 * f64::from(self.tp) / f64::from((self.tp + self.fn_).max(1))
    }
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            100.0
        } else {
            100.0 * f64::from(self.tp) / f64::from(self.tp + self.fp)
        }
    }
}

fn fixtures(a: &Args, scanner: &Scanner) -> Result<(), Error> {
    let dir = a.work.join("fixtures");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    // (file name, category, label)
    let mut items = Vec::new();
    for line in std::fs::read_to_string(&a.fixtures)?.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let id = v["id"].as_str().ok_or("fixture without id")?;
        let name = format!("{}.txt", id.replace(['/', ':'], "_"));
        std::fs::write(dir.join(&name), v["text"].as_str().ok_or("no text")?)?;
        items.push((
            name,
            v["category"].as_str().ok_or("no category")?.to_owned(),
            v["label"].as_bool().ok_or("no label")?,
        ));
    }
    let report = scanner.scan_path(&dir);
    let ours: HashSet<String> = report
        .findings
        .iter()
        .flat_map(|f| f.locations().iter())
        .filter_map(|l| Some(l.file().file_name()?.to_string_lossy().into_owned()))
        .collect();
    let rip = ripsecrets_files(&ripsecrets(&a.ripsecrets, &dir)?.1);
    let ds = detect_secrets_files(&detect_secrets(&a.detect_secrets, &dir)?.1)?;
    let scanners: [(&str, &HashSet<String>); 3] = [
        ("Custodian", &ours),
        ("ripsecrets", &rip),
        ("detect-secrets", &ds),
    ];
    let mut overall = [Counts::default(); 3];
    let mut per: BTreeMap<&str, [Counts; 3]> = BTreeMap::new();
    for (name, category, label) in &items {
        for (i, (_, found)) in scanners.iter().enumerate() {
            let hit = found.contains(name);
            overall[i].add(*label, hit);
            per.entry(category).or_default()[i].add(*label, hit);
        }
    }
    let positives = items.iter().filter(|i| i.2).count();
    println!(
        "\n### Labelled fixtures: {} texts ({positives} positives, {} negatives)\n",
        items.len(),
        items.len() - positives
    );
    println!("| scanner | recall | precision |");
    println!("|---|---:|---:|");
    for (i, (name, _)) in scanners.iter().enumerate() {
        println!(
            "| {name} | {:.1} % | {:.1} % |",
            overall[i].recall(),
            overall[i].precision()
        );
    }
    println!("\nRecall / precision per category:\n");
    println!("| category | Custodian | ripsecrets | detect-secrets |");
    println!("|---|---:|---:|---:|");
    for (category, c) in &per {
        println!(
            "| {category} | {:.1} / {:.1} | {:.1} / {:.1} | {:.1} / {:.1} |",
            c[0].recall(),
            c[0].precision(),
            c[1].recall(),
            c[1].precision(),
            c[2].recall(),
            c[2].precision()
        );
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn main() -> Result<(), Error> {
    let a = parse_args()?;
    std::fs::create_dir_all(&a.work)?;
    let scanner = Scanner::new(RuleSet::secrets()?, ScanOptions::default())?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("## Secrets: Custodian vs ripsecrets vs detect-secrets ({threads} threads)");
    // The fast scanners on both inputs first, then every detect-secrets run.
    let inputs = [tree(&a, &scanner, &a.tree)?, history(&a, &scanner)?];
    let blobs = inputs[1].files.clone();
    for input in inputs {
        input.finish(&a)?;
    }
    std::fs::remove_dir_all(&blobs)?;
    fixtures(&a, &scanner)?;
    Ok(())
}
