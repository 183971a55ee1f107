//! Throughput of the content scanner: `cargo run --release -p custodian-scan --example
//! content_speed -- [DIR] [--pii] [--threads N] [--runs N]`. Without DIR it generates 256 MiB
//! of source-like files (with a few planted secrets) in a temporary directory. Files are read
//! once first so the page cache is warm; then the scan runs `--runs` times (default 3) and the
//! best and median MiB/s are printed. On a shared machine the best run is the one to quote.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use custodian_scan::content::{RuleSet, ScanOptions, Scanner};

/// Lines of ordinary application code.
const LINES: &[&str] = &[
    "fn handle_request(req: &Request, ctx: &mut Context) -> Result<Response, Error> {",
    "    let user = self.store.find_user(&req.user_id).await?;",
    "    metrics::counter!(\"requests_total\", \"route\" => req.route()).increment(1);",
    "    for item in items.iter().filter(|i| i.is_visible()) { out.push(item.render()); }",
    "    let config = Config::from_env().context(\"reading configuration\")?;",
    "    tracing::debug!(elapsed_ms = started.elapsed().as_millis(), \"handled\");",
    "    match plan { Plan::Prepaid => limits.prepaid(), Plan::Postpaid => limits.postpaid() }",
    "}",
    "",
    "#[derive(Debug, Clone, PartialEq, Eq)]",
    "pub struct Subscriber { pub id: SubscriberId, pub plan: Plan, pub region: Region }",
    "import { fetchAccount, updateSettings } from '../api/account';",
    "    const rows = await db.query('SELECT id, plan FROM subscribers WHERE region = $1', [r]);",
    "    if (!rows.length) { return res.status(404).json({ error: 'not found' }); }",
    "def render_invoice(account, period):",
    "    total = sum(line.amount for line in account.lines if line.period == period)",
    "    /// Returns the number of active lines on the account, excluding suspended ones.",
    "    let active = account.lines.iter().filter(|l| !l.is_suspended()).count();",
];

/// Lines with the words that make scanners look twice ("token", "password", "key"), but no
/// secret; about one line in twelve of the generated code is one of these.
const WORDY_LINES: &[&str] = &[
    "    let token = ctx.session().token().ok_or(Error::Unauthorized)?;",
    "    if !user.check_password(&req.password) { return Err(Error::Forbidden); }",
    "    // Keys are rotated by the scheduler; see docs/keys.md for the procedure.",
    "    let cache_key = format!(\"{}:{}\", user.id, req.path);",
    "const apiBase = process.env.API_BASE_URL || 'http://localhost:8080';",
    "    return session.post(f\"{API}/login\", json={\"user\": username, \"password\": password})",
];

fn generate(root: &Path, total: usize) -> std::io::Result<()> {
    let mut written = 0usize;
    let mut file_no = 0usize;
    while written < total {
        let dir = root.join(format!("src{}", file_no / 100));
        std::fs::create_dir_all(&dir)?;
        let mut out =
            std::io::BufWriter::new(std::fs::File::create(dir.join(format!("m{file_no}.rs")))?);
        let mut size = 0;
        let mut i = file_no;
        while size < 128 * 1024 {
            let line = if i.is_multiple_of(12) {
                WORDY_LINES[(i / 12) % WORDY_LINES.len()]
            } else {
                LINES[i % LINES.len()]
            };
            out.write_all(line.as_bytes())?;
            out.write_all(b"\n")?;
            size += line.len() + 1;
            i = i.wrapping_mul(31).wrapping_add(7);
        }
        if file_no.is_multiple_of(500) {
            writeln!(
                out,
                "GITHUB_TOKEN = \"ghp_R7uQ2mXk9LpZ4vN8sT1wY6bC3dF5gH0jK2aE\""
            )?;
        }
        out.flush()?;
        written += size;
        file_no += 1;
    }
    Ok(())
}

fn warm(dir: &Path) -> u64 {
    walk(dir)
        .iter()
        .map(|p| std::fs::read(p).map(|b| b.len() as u64).unwrap_or(0))
        .sum()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let pii = args.iter().any(|a| a == "--pii");
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|n| n.parse::<usize>().ok())
    };
    let threads = flag("--threads").unwrap_or(0);
    let runs = flag("--runs").unwrap_or(3).max(2);
    let given = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || !args[i - 1].starts_with("--")));
    let temp;
    let dir: PathBuf = match given {
        Some((_, d)) => PathBuf::from(d),
        None => {
            temp = tempfile::tempdir()?;
            generate(temp.path(), 256 << 20)?;
            temp.path().to_path_buf()
        }
    };
    let bytes = warm(&dir);
    let rules = if pii {
        RuleSet::secrets()?.merge(RuleSet::pii()?)?
    } else {
        RuleSet::secrets()?
    };
    let rule_count = rules.len();
    let scanner = Scanner::new(
        rules,
        ScanOptions {
            threads,
            ..ScanOptions::default()
        },
    )?;
    let mut times: Vec<Duration> = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let report = scanner.scan_path(&dir);
        times.push(report.elapsed);
        last = Some(report);
    }
    times.sort();
    let report = last.ok_or("no run")?;
    let mib = report.bytes_scanned as f64 / (1024.0 * 1024.0);
    println!(
        "{} ({:.0} MiB on disk, {} files scanned, {} binary skipped), {} rules, threads {}",
        dir.display(),
        bytes as f64 / (1024.0 * 1024.0),
        report.files_scanned,
        report.files_skipped_binary,
        rule_count,
        if threads == 0 {
            "all".to_string()
        } else {
            threads.to_string()
        },
    );
    println!(
        "best {:.0} MiB/s, median {:.0} MiB/s, {} findings",
        mib / times[0].as_secs_f64(),
        mib / times[times.len() / 2].as_secs_f64(),
        report.findings.len()
    );
    Ok(())
}
