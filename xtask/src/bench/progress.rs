//! The progress display: one line on standard error, rewritten in place on a terminal
//! (plain lines otherwise, so logs stay readable).

use std::io::{IsTerminal, Write};
use std::time::Instant;

/// The progress line.
pub struct Progress {
    started: Instant,
    step: (usize, usize),
    terminal: bool,
}

impl Progress {
    /// Starts the clock.
    pub fn new() -> Progress {
        Progress {
            started: Instant::now(),
            step: (0, 0),
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// Which server-and-scenario step of how many.
    pub fn set_step(&mut self, step: usize, total: usize) {
        self.step = (step, total);
    }

    /// Shows what is happening now.
    pub fn show(&self, what: &str) {
        let line = format_line(self.step, self.started.elapsed().as_secs(), what);
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\r\x1b[K{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    /// A result worth keeping on screen.
    pub fn note(&self, what: &str) {
        self.show(&format!("  → {what}"));
        if self.terminal {
            eprintln!();
        }
    }

    /// Ends the line.
    pub fn finish(&self) {
        if self.terminal {
            eprintln!();
        }
        eprintln!("xtask bench: done in {} s", self.started.elapsed().as_secs());
    }
}

/// `[3/35 0:42] what`.
pub fn format_line(step: (usize, usize), secs: u64, what: &str) -> String {
    format!("[{}/{} {}:{:02}] {what}", step.0, step.1, secs / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn line_format() {
        assert_eq!(super::format_line((3, 35), 62, "scenario 1"), "[3/35 1:02] scenario 1");
    }
}
