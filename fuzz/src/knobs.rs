//! [`Knobs`]: the control bytes at the front of every fuzz input, and the split points derived
//! from them.

/// The control bytes of one input and its payload.
#[derive(Clone, Copy, Debug)]
pub struct Knobs<'a> {
    /// Option bits: each target reads the ones it needs with [`Knobs::flag`] or
    /// [`Knobs::choice`].
    pub options: u8,
    /// Seeds the split points ([`Splits`]).
    pub split_seed: u8,
    /// The bytes under test.
    pub payload: &'a [u8],
}

impl<'a> Knobs<'a> {
    /// Splits `input` into its two control bytes and the payload (missing control bytes are 0).
    pub fn new(input: &'a [u8]) -> Self {
        match input {
            [options, split_seed, payload @ ..] => {
                Self { options: *options, split_seed: *split_seed, payload }
            }
            [options] => Self { options: *options, split_seed: 0, payload: &[] },
            [] => Self { options: 0, split_seed: 0, payload: &[] },
        }
    }

    /// Whether option bit `bit` (0..8) is set.
    pub fn flag(&self, bit: u32) -> bool {
        self.options.checked_shr(bit).is_some_and(|v| v & 1 == 1)
    }

    /// A value in `0..count` taken from the option bits starting at `bit`.
    pub fn choice(&self, bit: u32, count: u8) -> u8 {
        let value = self.options.checked_shr(bit).unwrap_or(0);
        value.checked_rem(count).unwrap_or(0)
    }

    /// The payload cut into pieces at pseudo-random points derived from `split_seed`.
    pub fn pieces(&self) -> Splits<'a> {
        Splits::new(self.payload, self.split_seed)
    }
}

/// An iterator over pieces of a byte string, cut at points from a small xorshift generator.
/// Seed 0 gives the whole string as one piece; other seeds give pieces of 1 to 64 bytes, with a
/// bias towards very short ones (where state machines are most often wrong).
#[derive(Clone, Debug)]
pub struct Splits<'a> {
    rest: &'a [u8],
    state: u32,
}

impl<'a> Splits<'a> {
    /// Pieces of `bytes` for `seed`.
    pub fn new(bytes: &'a [u8], seed: u8) -> Self {
        let state = if seed == 0 { 0 } else { u32::from(seed).wrapping_mul(0x9E37_79B9) | 1 };
        Self { rest: bytes, state }
    }

    /// The next piece length in 1..=64.
    fn next_len(&mut self) -> usize {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.state = x;
        let len = if x & 0x100 == 0 { x % 4 } else { x % 64 };
        usize::try_from(len).unwrap_or(0) + 1
    }
}

impl<'a> Iterator for Splits<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let len = if self.state == 0 { self.rest.len() } else { self.next_len() };
        let (piece, rest) = self.rest.split_at(len.min(self.rest.len()));
        self.rest = rest;
        Some(piece)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_payload_in_order() {
        let payload: Vec<u8> = (0..=255).collect();
        for seed in [0u8, 1, 2, 77, 255] {
            let joined: Vec<u8> = Splits::new(&payload, seed).flatten().copied().collect();
            assert_eq!(joined, payload, "seed {seed}");
            let count = Splits::new(&payload, seed).count();
            assert_eq!(count == 1, seed == 0, "seed {seed} gave {count} pieces");
        }
    }

    #[test]
    fn control_bytes_come_first() {
        let knobs = Knobs::new(b"\x05\x09EHLO");
        assert_eq!((knobs.options, knobs.split_seed, knobs.payload), (5, 9, &b"EHLO"[..]));
        assert!(knobs.flag(0) && !knobs.flag(1) && knobs.flag(2));
        assert_eq!(knobs.choice(0, 3), 2);
        assert!(Knobs::new(b"").payload.is_empty());
    }
}
