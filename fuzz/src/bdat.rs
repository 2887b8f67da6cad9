//! The `bdat` target: [`BdatMessage`] and [`BdatReader`] with fuzzed chunk sizes, size limit and
//! split points.
//!
//! The payload is a series of chunks: one size byte (`0xFF` is `u64::MAX`, otherwise the byte
//! shifted right by one, with the low bit meaning `LAST`) followed by the chunk's octets,
//! fed in pieces. Invariants: no panic; a chunk consumes exactly its size, never a byte of
//! what follows; a kept chunk hands out exactly its octets, a discarded one nothing;
//! `remaining` counts down exactly; the message size is the sum of the announced sizes
//! (saturating), and it is refused exactly when that passes the limit.

use smtp_proto::bdat::{BdatMessage, ChunkKind, ChunkStatus};
use smtp_proto::data::DataError;

use crate::knobs::{Knobs, Splits};

/// Runs one input.
pub fn run(input: &[u8]) {
    let knobs = Knobs::new(input);
    let max_size = knobs.flag(0).then(|| u64::from(knobs.options >> 1) * 3);
    let mut message = BdatMessage::new(max_size);
    let mut announced: u64 = 0;
    let mut pos = 0;
    let mut round: u8 = 0;
    while let Some((&size_byte, after)) = knobs.payload.get(pos..).and_then(<[u8]>::split_first) {
        pos += 1;
        let (size, kind) = match size_byte {
            0xFF => (u64::MAX, ChunkKind::More),
            byte => (u64::from(byte >> 1), ChunkKind::from(byte & 1 == 1)),
        };
        announced = announced.saturating_add(size);
        let mut reader = message.chunk(size, kind);
        assert_eq!((reader.remaining(), reader.kind()), (size, kind));
        let refused = max_size.is_some_and(|max| announced > max);
        assert_eq!(reader.verdict().is_err(), refused, "announced {announced} of {max_size:?}");
        assert_eq!(message.size(), announced);
        let mut sunk = Vec::new();
        let mut taken = 0;
        let mut complete = size == 0;
        if complete {
            let status = reader.read(after, |bytes| sunk.extend_from_slice(bytes));
            assert_eq!(status, ChunkStatus::Complete { consumed: 0 });
        }
        round = round.wrapping_add(1);
        for piece in Splits::new(after, knobs.split_seed.wrapping_add(round)) {
            if complete {
                break;
            }
            let before = reader.remaining();
            let status = reader.read(piece, |bytes| sunk.extend_from_slice(bytes));
            match status {
                ChunkStatus::NeedMore => {
                    assert!((piece.len() as u64) < before, "NeedMore after the whole chunk");
                    assert_eq!(reader.remaining(), before - piece.len() as u64);
                    taken += piece.len();
                }
                ChunkStatus::Complete { consumed } => {
                    assert_eq!(consumed as u64, before, "consumed other than the remainder");
                    assert_eq!(reader.remaining(), 0);
                    taken += consumed;
                    complete = true;
                }
            }
        }
        pos += taken;
        let chunk_bytes = after.get(..taken).unwrap_or_default();
        if refused {
            assert!(sunk.is_empty(), "a discarded chunk reached the sink");
        } else {
            assert_eq!(sunk, chunk_bytes);
        }
        if !complete {
            break;
        }
    }
    match message.finish() {
        Ok(stats) => assert!(max_size.is_none_or(|max| stats.size <= max)),
        Err(error) => {
            assert_eq!(error, DataError::TooMuchData);
            assert!(max_size.is_some_and(|max| announced > max));
        }
    }
}
