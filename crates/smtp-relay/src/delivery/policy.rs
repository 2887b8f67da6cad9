//! When to try again: exponential backoff, capped, within a lifetime.

use std::time::{Duration, SystemTime};

/// How long to wait between delivery attempts and when to give up.
///
/// After attempt `n` (counting from 1) the next one waits `first_retry × factor^(n-1)`, at most
/// `max_interval`, and never past the message's expiry (`arrived + lifetime`): the last attempt
/// happens at expiry, after which the recipients still pending fail as expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait after the first failed attempt.
    pub first_retry: Duration,
    /// How much each wait grows over the previous one (1 = constant).
    pub factor: u32,
    /// The longest wait.
    pub max_interval: Duration,
    /// How long a message may stay queued before its pending recipients fail (RFC 5321
    /// §4.5.4.1 suggests at least 4–5 days).
    pub lifetime: Duration,
}

impl Default for RetryPolicy {
    /// 1 minute, doubling, at most 1 hour between attempts, 5 days in all.
    fn default() -> Self {
        Self {
            first_retry: Duration::from_secs(60),
            factor: 2,
            max_interval: Duration::from_secs(60 * 60),
            lifetime: Duration::from_secs(5 * 24 * 60 * 60),
        }
    }
}

impl RetryPolicy {
    /// The wait after `attempts` attempts (0 and 1 both give `first_retry`).
    pub fn delay(&self, attempts: u32) -> Duration {
        let growth = self.factor.max(1).checked_pow(attempts.saturating_sub(1));
        growth
            .and_then(|growth| self.first_retry.checked_mul(growth))
            .map_or(self.max_interval, |delay| delay.min(self.max_interval))
    }

    /// When a message that arrived at `arrived` expires.
    pub fn expiry(&self, arrived: SystemTime) -> SystemTime {
        arrived.checked_add(self.lifetime).unwrap_or(arrived)
    }

    /// Whether a message that arrived at `arrived` has expired at `now`.
    pub fn expired(&self, arrived: SystemTime, now: SystemTime) -> bool {
        now >= self.expiry(arrived)
    }

    /// When to try next after `attempts` attempts, at `now`: the backoff, but not past expiry.
    pub fn next_attempt(&self, arrived: SystemTime, attempts: u32, now: SystemTime) -> SystemTime {
        let backoff = now.checked_add(self.delay(attempts)).unwrap_or(now);
        backoff.min(self.expiry(arrived)).max(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn delays_grow_exponentially_up_to_the_cap() {
        let policy = RetryPolicy::default();
        let cases = [
            (0, MIN),
            (1, MIN),
            (2, 2 * MIN),
            (3, 4 * MIN),
            (6, 32 * MIN),
            (7, 60 * MIN),
            (40, 60 * MIN),
            (u32::MAX, 60 * MIN),
        ];
        for (attempts, expected) in cases {
            assert_eq!(policy.delay(attempts), expected, "after {attempts} attempts");
        }
        let constant = RetryPolicy { factor: 0, ..policy };
        assert_eq!(constant.delay(9), MIN, "a factor below 1 is taken as 1");
    }

    #[test]
    fn the_next_attempt_never_goes_past_expiry() {
        let policy = RetryPolicy { lifetime: 10 * MIN, ..RetryPolicy::default() };
        let arrived = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let cases = [
            (1, arrived, arrived + MIN),
            (3, arrived + MIN, arrived + 5 * MIN),
            (4, arrived + 5 * MIN, arrived + 10 * MIN),
            (9, arrived + 10 * MIN, arrived + 10 * MIN),
            // Long past expiry (a restart after downtime): now, not in the past.
            (9, arrived + 100 * MIN, arrived + 100 * MIN),
        ];
        for (attempts, now, expected) in cases {
            assert_eq!(policy.next_attempt(arrived, attempts, now), expected, "{attempts}");
        }
        assert!(!policy.expired(arrived, arrived + 10 * MIN - Duration::from_millis(1)));
        assert!(policy.expired(arrived, arrived + 10 * MIN));
    }
}
