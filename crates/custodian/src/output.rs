//! Writing command results: plain lines for people, one JSON document with `--json` for
//! programs, and progress bars on a terminal (plain progress lines otherwise).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Prints a JSON value as the command's whole output.
pub(crate) fn json(v: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

/// A progress display: a bar on a terminal, a line every few seconds elsewhere.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    label: String,
    total: u64,
    last_line: std::sync::Mutex<std::time::Instant>,
}

impl Progress {
    /// A progress display for `total` items of work named `label`.
    pub(crate) fn new(label: &str, total: u64, quiet: bool) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let b = ProgressBar::new(total);
            let style = ProgressStyle::with_template(
                "{msg:>12} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            b.set_style(style);
            b.set_message(label.to_owned());
            b
        });
        Progress {
            bar,
            label: label.to_owned(),
            total,
            last_line: std::sync::Mutex::new(std::time::Instant::now()),
        }
    }

    /// Reports how much is done.
    pub(crate) fn set(&self, done: u64) {
        match &self.bar {
            Some(b) => {
                // Some totals are estimates; never show more done than the whole.
                if b.length().is_some_and(|l| done > l) {
                    b.set_length(done);
                }
                b.set_position(done);
            }
            None => {
                let mut last = self
                    .last_line
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if last.elapsed().as_secs() >= 5 {
                    eprintln!("{}: {done}/{}", self.label, self.total.max(done));
                    *last = std::time::Instant::now();
                }
            }
        }
    }

    /// Ends the display.
    pub(crate) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
