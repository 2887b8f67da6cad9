//! Latency samples and their percentiles. Every sample is kept (microseconds as `u32`, four
//! bytes per message), which is exact and small enough for the counts a benchmark sends.

use std::time::Duration;

/// Per-message latencies in microseconds.
#[derive(Clone, Debug, Default)]
pub struct Samples(Vec<u32>);

impl Samples {
    /// Room for `n` samples.
    pub fn with_capacity(n: usize) -> Self {
        Self(Vec::with_capacity(n))
    }

    /// Records one latency (saturating at about 71 minutes).
    pub fn record(&mut self, latency: Duration) {
        self.0.push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX));
    }

    /// Adds another task's samples.
    pub fn merge(&mut self, other: Samples) {
        self.0.extend(other.0);
    }

    /// How many samples there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The 50th and 99th percentiles, `None` without samples.
    pub fn summary(mut self) -> Option<Percentiles> {
        self.0.sort_unstable();
        Some(Percentiles { p50: percentile(&self.0, 50)?, p99: percentile(&self.0, 99)? })
    }
}

/// Two percentiles of the latency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Percentiles {
    /// The median.
    pub p50: Duration,
    /// The 99th percentile.
    pub p99: Duration,
}

/// The nearest-rank percentile `p` (1..=100) of sorted samples: the smallest sample with at
/// least `p` percent of the samples at or below it.
pub fn percentile(sorted: &[u32], p: u8) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (usize::from(p.clamp(1, 100)) * sorted.len()).div_ceil(100);
    let index = rank.saturating_sub(1).min(sorted.len() - 1);
    sorted.get(index).map(|&us| Duration::from_micros(u64::from(us)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    #[test]
    fn nearest_rank_percentiles() {
        let hundred: Vec<u32> = (1..=100).collect();
        let cases: &[(&[u32], u8, Option<Duration>)] = &[
            (&[], 50, None),
            (&[7], 50, Some(us(7))),
            (&[7], 99, Some(us(7))),
            (&[1, 2], 50, Some(us(1))),
            (&[1, 2], 99, Some(us(2))),
            (&[1, 2, 3, 4], 50, Some(us(2))),
            (&hundred, 50, Some(us(50))),
            (&hundred, 99, Some(us(99))),
            (&hundred, 100, Some(us(100))),
            (&hundred, 1, Some(us(1))),
        ];
        for (sorted, p, expected) in cases {
            assert_eq!(percentile(sorted, *p), *expected, "p{p} of {sorted:?}");
        }
    }

    #[test]
    fn summary_sorts_merged_samples() {
        let mut a = Samples::default();
        for n in [900, 100, 500] {
            a.record(us(n));
        }
        let mut b = Samples::with_capacity(2);
        b.record(us(300));
        b.record(Duration::from_secs(10_000));
        a.merge(b);
        assert_eq!(a.len(), 5);
        let summary = a.summary().unwrap();
        assert_eq!(summary.p50, us(500));
        assert_eq!(summary.p99, Duration::from_micros(u64::from(u32::MAX)));
        assert!(Samples::default().summary().is_none());
    }
}
