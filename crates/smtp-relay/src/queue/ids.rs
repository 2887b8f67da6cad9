//! Queue identifiers: `<unix micros, 16 hex digits>-<8 random hex digits>`.
//!
//! The fixed-width hex timestamp makes the identifiers sort by arrival; the random part keeps
//! two relays sharing a directory, or two messages in the same microsecond, apart. An
//! identifier is also a file name, so anything read back from outside (the CLI, a directory
//! listing) is validated with [`is_valid_id`] before it is turned into a path.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use super::QueueId;

/// Hex digits of the timestamp part.
const TIME_DIGITS: usize = 16;
/// Hex digits of the random part.
const RANDOM_DIGITS: usize = 8;

/// Makes identifiers that are strictly increasing within one process.
#[derive(Debug, Default)]
pub(crate) struct IdGenerator {
    last_micros: AtomicU64,
}

impl IdGenerator {
    /// A fresh identifier, later than every identifier this generator made before.
    pub(crate) fn next_id(&self) -> Result<QueueId, std::io::Error> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| u64::try_from(since.as_micros()).unwrap_or(u64::MAX));
        let micros = self.claim(now);
        let mut random = [0u8; RANDOM_DIGITS / 2];
        getrandom::fill(&mut random).map_err(std::io::Error::other)?;
        let random = u32::from_be_bytes(random);
        Ok(QueueId(format!("{micros:016x}-{random:08x}")))
    }

    /// Takes `now`, or one more than the last value taken when the clock has not moved on
    /// (or went back).
    fn claim(&self, now: u64) -> u64 {
        let mut last = self.last_micros.load(Ordering::Relaxed);
        loop {
            let next = now.max(last.saturating_add(1));
            match self.last_micros.compare_exchange_weak(
                last,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return next,
                Err(actual) => last = actual,
            }
        }
    }
}

/// Whether `id` has exactly the shape this module makes (so it is safe as a file name stem).
pub(crate) fn is_valid_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    bytes.len() == TIME_DIGITS + 1 + RANDOM_DIGITS
        && bytes.iter().enumerate().all(|(index, byte)| {
            if index == TIME_DIGITS {
                *byte == b'-'
            } else {
                byte.is_ascii_digit() || (b'a'..=b'f').contains(byte)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_valid_and_strictly_increasing() {
        let generator = IdGenerator::default();
        let ids: Vec<QueueId> = (0..1000).map(|_| generator.next_id().unwrap()).collect();
        for id in &ids {
            assert!(is_valid_id(&id.0), "{id:?}");
        }
        for pair in ids.windows(2) {
            assert!(pair[0] < pair[1], "{pair:?}");
        }
    }

    #[test]
    fn a_clock_going_back_does_not_break_the_order() {
        let generator = IdGenerator::default();
        assert_eq!(generator.claim(100), 100);
        assert_eq!(generator.claim(50), 101);
        assert_eq!(generator.claim(101), 102);
        assert_eq!(generator.claim(500), 500);
    }

    #[test]
    fn only_the_generated_shape_is_valid() {
        let cases = [
            ("0005f1c2a3b4c5d6-0a1b2c3d", true),
            ("0005f1c2a3b4c5d6-0A1B2C3D", false),
            ("../../etc/passwd", false),
            ("0005f1c2a3b4c5d6-0a1b2c3", false),
            ("0005f1c2a3b4c5d6_0a1b2c3d", false),
            ("0005f1c2a3b4c5d6-0a1b2c3d/", false),
            ("", false),
            ("0005f1c2a3b4c5d-60a1b2c3d", false),
        ];
        for (id, valid) in cases {
            assert_eq!(is_valid_id(id), valid, "{id}");
        }
    }
}
