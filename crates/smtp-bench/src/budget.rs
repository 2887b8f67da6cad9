//! The shared stopping rule: a total number of messages handed out to sessions, and a deadline.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Messages still to send and the time to stop starting sessions.
#[derive(Debug)]
pub struct Budget {
    remaining: AtomicU64,
    deadline: Instant,
}

impl Budget {
    /// `messages` in total, no new session after `deadline`.
    pub fn new(messages: u64, deadline: Instant) -> Self {
        Self { remaining: AtomicU64::new(messages), deadline }
    }

    /// Takes up to `wanted` messages for one session: 0 when the budget or the time is spent.
    pub fn claim(&self, wanted: u32) -> u32 {
        if Instant::now() >= self.deadline {
            return 0;
        }
        let taken = self.remaining.fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
            (left > 0).then(|| left.saturating_sub(u64::from(wanted)))
        });
        match taken {
            Ok(before) => u32::try_from(before.min(u64::from(wanted))).unwrap_or(wanted),
            Err(_) => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn claims_share_out_the_total_then_stop() {
        let budget = Budget::new(250, Instant::now() + Duration::from_secs(60));
        let claims: Vec<u32> = (0..5).map(|_| budget.claim(100)).collect();
        assert_eq!(claims, [100, 100, 50, 0, 0]);
    }

    #[test]
    fn nothing_is_handed_out_after_the_deadline() {
        let budget = Budget::new(1_000, Instant::now());
        assert_eq!(budget.claim(1), 0);
    }

    #[test]
    fn concurrent_claims_never_exceed_the_total() {
        let budget =
            std::sync::Arc::new(Budget::new(10_000, Instant::now() + Duration::from_secs(60)));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let budget = budget.clone();
                std::thread::spawn(move || {
                    let mut sum = 0u64;
                    loop {
                        match budget.claim(7) {
                            0 => return sum,
                            n => sum += u64::from(n),
                        }
                    }
                })
            })
            .collect();
        let total: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(total, 10_000);
    }
}
