//! A memory bound for the streaming tests: the process's resident set size (`VmRSS` in
//! `/proc/self/status`) sampled while a test streams, compared with where it started. The
//! tests that stream hundreds of megabytes hold [`HEAVY`] so two of them never run at once
//! and each measures only itself (the other tests of the suite use kilobytes).

use tokio::sync::{Mutex, MutexGuard};

/// Held by every test that streams a lot and measures memory.
static HEAVY: Mutex<()> = Mutex::const_new(());

/// How much the resident set may grow while 100 MB are streamed.
pub const BOUND: u64 = 20 * 1024 * 1024;

/// Takes the heavy-test lock.
pub async fn exclusive() -> MutexGuard<'static, ()> {
    HEAVY.lock().await
}

/// The resident set size in bytes, or `None` where `/proc` does not say.
fn rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kib: u64 =
        line.trim_start_matches("VmRSS:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// Samples the resident set size against a baseline and keeps the largest growth.
pub struct RssWatch {
    baseline: Option<u64>,
    largest_growth: u64,
}

impl RssWatch {
    /// Starts from the current resident set size.
    pub fn start() -> Self {
        Self { baseline: rss(), largest_growth: 0 }
    }

    /// Takes a sample.
    pub fn sample(&mut self) {
        if let (Some(baseline), Some(now)) = (self.baseline, rss()) {
            self.largest_growth = self.largest_growth.max(now.saturating_sub(baseline));
        }
    }

    /// Asserts the growth stayed under [`BOUND`]; on a system without `/proc`, asserts
    /// nothing beyond having tried (the replies are checked by the caller either way).
    pub fn assert_bounded(&mut self, what: &str) {
        self.sample();
        if cfg!(target_os = "linux") {
            assert!(self.baseline.is_some(), "/proc/self/status has no VmRSS on Linux");
        }
        assert!(
            self.largest_growth < BOUND,
            "{what}: the resident set grew by {} MiB (bound {} MiB)",
            self.largest_growth >> 20,
            BOUND >> 20
        );
    }
}
