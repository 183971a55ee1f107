//! A 50 MB file is scanned in bounded memory (fixed chunks with an overlap, never the whole
//! file), and a secret that straddles a chunk boundary is still found, at the right line.

// One module named `content` so that `cargo test -p custodian-scan content` selects these;
// `cfg(test)` lets its helpers unwrap like the tests do (clippy `allow-unwrap-in-tests`).
#[cfg(test)]
mod content {
    use std::fs::File;
    use std::io::{BufWriter, Write};

    use custodian_scan::content::{RuleSet, ScanOptions, Scanner};

    const SECRET: &str = "ghp_R7uQ2mXk9LpZ4vN8sT1wY6bC3dF5gH0jK2aE";

    fn peak_rss_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    #[test]
    fn huge_file_is_scanned_in_bounded_memory_and_a_secret_across_a_chunk_edge_is_found() {
        let chunk = 8 << 20;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.log");
        let mut out = BufWriter::new(File::create(&path).unwrap());
        let filler =
            b"2021-08-01T12:00:00Z INFO request served path=/api/v1/items status=200 ms=12\n";
        let mut written = 0usize;
        let mut line = 1u64;
        // Stop one line short of the chunk edge and put the token so it straddles it.
        while written + filler.len() < chunk - 20 {
            out.write_all(filler).unwrap();
            written += filler.len();
            line += 1;
        }
        let pad = chunk - 20 - written;
        out.write_all(&vec![b'x'; pad]).unwrap();
        out.write_all(format!(" token={SECRET}\n").as_bytes())
            .unwrap();
        let secret_line = line;
        let mut total = chunk + SECRET.len();
        while total < 50_000_000 {
            out.write_all(filler).unwrap();
            total += filler.len();
        }
        out.flush().unwrap();
        drop(out);

        let scanner = Scanner::new(
            RuleSet::secrets().unwrap(),
            ScanOptions {
                threads: 1,
                ..ScanOptions::default()
            },
        )
        .unwrap();
        let before = peak_rss_kib();
        let report = scanner.scan_path(&path);
        let grown_mib = (peak_rss_kib().saturating_sub(before)) / 1024;
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert_eq!(
            report.bytes_scanned,
            std::fs::metadata(&path).unwrap().len()
        );
        let finding = report
            .findings
            .iter()
            .find(|f| f.rule_id() == "github-token")
            .expect("token across the edge");
        let loc = &finding.locations()[0];
        assert_eq!(loc.line(), secret_line);
        assert_eq!(loc.column(), pad as u64 + 8);
        // One chunk plus its overlap, a little scratch, never the 50 MB file.
        assert!(grown_mib < 32, "peak memory grew by {grown_mib} MiB");
    }
}
