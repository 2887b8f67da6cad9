//! The scheduler's notion of "now", replaceable so tests can step time.

use std::fmt;
use std::time::SystemTime;

/// Wall-clock time as the scheduler sees it. Queue metadata stores these instants, and the
/// scheduler sleeps (with tokio's timer) until the next one is due.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The system clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// The system time when created, advanced by tokio's clock since: under
/// `tokio::time::pause()` it moves only when tokio's time does, so tests can step days of
/// retries instantly.
#[derive(Clone, Copy, Debug)]
pub struct TokioClock {
    wall: SystemTime,
    origin: tokio::time::Instant,
}

impl TokioClock {
    /// A clock starting at the current system time.
    pub fn new() -> Self {
        Self { wall: SystemTime::now(), origin: tokio::time::Instant::now() }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> SystemTime {
        let elapsed = self.origin.elapsed();
        self.wall.checked_add(elapsed).unwrap_or(self.wall)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_tokio_clock_follows_paused_time() {
        let clock = TokioClock::new();
        let start = clock.now();
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert_eq!(clock.now().duration_since(start).unwrap(), Duration::from_secs(3600));
    }
}
