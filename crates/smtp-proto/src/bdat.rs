//! The BDAT (RFC 3030 CHUNKING) chunk reader.
//!
//! `BDAT <size> [LAST]` is followed by exactly `size` octets of message, taken verbatim: no
//! dot-unstuffing, no end-of-data detection, no line-ending policy (`LF . CRLF` and friends are
//! plain data here, and BINARYMIME bodies may hold any octet). A [`BdatReader`] consumes exactly
//! those octets across as many reads as it takes and leaves what follows (the next command)
//! alone. A [`BdatMessage`] carries the size limit across the chunks of one message: a chunk
//! that would pass it is still consumed (the client sends it anyway) but not handed out, and
//! every later chunk of that message is discarded too.
//!
//! ```
//! use smtp_proto::bdat::{BdatMessage, ChunkKind, ChunkStatus};
//!
//! let mut message = BdatMessage::new(Some(1000));
//! let mut reader = message.chunk(5, ChunkKind::Last);
//! let mut body = Vec::new();
//! let status = reader.read(b"hel", |bytes| body.extend_from_slice(bytes));
//! assert_eq!(status, ChunkStatus::NeedMore);
//! let status = reader.read(b"lo\r\nQUIT\r\n", |bytes| body.extend_from_slice(bytes));
//! assert_eq!(status, ChunkStatus::Complete { consumed: 2 });
//! assert_eq!(body, b"hello");
//! assert_eq!(message.finish().map(|stats| stats.size), Ok(5));
//! ```

use crate::data::{DataError, MessageStats};

/// Whether a chunk is the last one of its message (`BDAT <size> LAST`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChunkKind {
    /// More chunks follow.
    More,
    /// The chunk carries `LAST`.
    Last,
}

impl From<bool> for ChunkKind {
    /// `true` when the command carried `LAST`.
    fn from(last: bool) -> Self {
        if last { Self::Last } else { Self::More }
    }
}

/// What one call to [`BdatReader::read`] achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChunkStatus {
    /// All the input was consumed; the chunk needs more octets.
    NeedMore,
    /// The chunk is complete. `consumed` octets of the input belonged to it; the rest is the
    /// next command.
    Complete {
        /// Octets of the input consumed.
        consumed: usize,
    },
}

/// What happens to the octets of a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    /// Handed to the sink.
    Keep,
    /// Consumed and dropped: the message is refused.
    Discard(DataError),
}

/// Reads the octets of one BDAT chunk.
#[derive(Clone, Debug)]
pub struct BdatReader {
    remaining: u64,
    kind: ChunkKind,
    fate: Fate,
}

impl BdatReader {
    /// A reader that hands out all `chunk_size` octets (no size limit; see [`BdatMessage`]).
    pub fn new(chunk_size: u64, kind: ChunkKind) -> Self {
        Self { remaining: chunk_size, kind, fate: Fate::Keep }
    }

    /// A reader that consumes `chunk_size` octets and drops them, for a refused message.
    pub fn discarding(chunk_size: u64, kind: ChunkKind, error: DataError) -> Self {
        Self { remaining: chunk_size, kind, fate: Fate::Discard(error) }
    }

    /// Consumes octets of the chunk from `input`, handing them verbatim to `sink` (unless the
    /// chunk is being discarded). A chunk of size 0 is complete at once.
    pub fn read(&mut self, input: &[u8], mut sink: impl FnMut(&[u8])) -> ChunkStatus {
        let take =
            usize::try_from(self.remaining).map_or(input.len(), |left| left.min(input.len()));
        let taken = input.get(..take).unwrap_or_default();
        if self.fate == Fate::Keep && !taken.is_empty() {
            sink(taken);
        }
        self.remaining -= take as u64;
        if self.remaining == 0 {
            ChunkStatus::Complete { consumed: take }
        } else {
            ChunkStatus::NeedMore
        }
    }

    /// Octets of the chunk still to come.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// Whether this is the last chunk of the message.
    pub fn kind(&self) -> ChunkKind {
        self.kind
    }

    /// `Ok` when the chunk's octets are kept; otherwise the reply to send once it is complete
    /// (the message is refused; RFC 3030 §3: the client learns it from this chunk's reply).
    pub fn verdict(&self) -> Result<(), DataError> {
        match self.fate {
            Fate::Keep => Ok(()),
            Fate::Discard(error) => Err(error),
        }
    }
}

/// The running total of one message sent with BDAT, checked against the size limit.
#[derive(Clone, Debug)]
pub struct BdatMessage {
    max_size: Option<u64>,
    size: u64,
    refusal: Option<DataError>,
}

impl BdatMessage {
    /// A new message; `max_size` in octets, `None` for unlimited.
    pub fn new(max_size: Option<u64>) -> Self {
        Self { max_size, size: 0, refusal: None }
    }

    /// Accounts for the next `BDAT <chunk_size>` and returns the reader for its octets: one that
    /// discards them if the message is refused, or would pass the size limit with them.
    pub fn chunk(&mut self, chunk_size: u64, kind: ChunkKind) -> BdatReader {
        self.size = self.size.saturating_add(chunk_size);
        if self.max_size.is_some_and(|max| self.size > max) {
            self.refusal = Some(DataError::TooMuchData);
        }
        match self.refusal {
            Some(error) => BdatReader::discarding(chunk_size, kind, error),
            None => BdatReader::new(chunk_size, kind),
        }
    }

    /// Octets announced so far (the chunks begun, in full).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Once the `LAST` chunk is complete: the figures of the message, or why it is refused.
    /// (BDAT data is not examined, so `bare_line_endings` is 0 and `wire_size` equals `size`.)
    pub fn finish(&self) -> Result<MessageStats, DataError> {
        match self.refusal {
            Some(error) => Err(error),
            None => {
                Ok(MessageStats { size: self.size, wire_size: self.size, bare_line_endings: 0 })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Feeds `pieces` to `reader`; returns what reached the sink and the total consumed when
    /// the chunk completed.
    fn read_pieces(reader: &mut BdatReader, pieces: &[&[u8]]) -> (Vec<u8>, Option<usize>) {
        let mut out = Vec::new();
        let mut before = 0;
        for piece in pieces {
            match reader.read(piece, |bytes| out.extend_from_slice(bytes)) {
                ChunkStatus::NeedMore => before += piece.len(),
                ChunkStatus::Complete { consumed } => return (out, Some(before + consumed)),
            }
        }
        (out, None)
    }

    /// The smuggling vectors and raw octets inside a chunk are data, split anywhere; the end is
    /// the announced size exactly and the pipelined command stays.
    #[test]
    fn chunks_are_verbatim_and_exact() {
        let chunks: [&[u8]; 5] = [
            b"x\n.\ny\r\n.\r\nMAIL FROM:<m@x>\r\n",
            b"\r\n.\r\r\n\r\n.\r\n..\r\n",
            b"Subject: b\r\n\r\n\x00\xff\n\rbin\r\n",
            b".\r\n",
            b"",
        ];
        for chunk in chunks {
            let mut input = chunk.to_vec();
            input.extend_from_slice(b"BDAT 3 LAST\r\nabc");
            for (first, second) in
                (0..=input.len()).flat_map(|a| (a..=input.len()).map(move |b| (a, b)))
            {
                let pieces = [&input[..first], &input[first..second], &input[second..]];
                let mut reader = BdatReader::new(chunk.len() as u64, ChunkKind::More);
                let (out, end) = read_pieces(&mut reader, &pieces);
                assert_eq!(out, chunk);
                assert_eq!(end, Some(chunk.len()));
                assert_eq!(reader.remaining(), 0);
                assert_eq!(reader.verdict(), Ok(()));
            }
        }
    }

    #[test]
    fn empty_chunk_completes_without_input() {
        let mut reader = BdatReader::new(0, ChunkKind::Last);
        let mut called = false;
        assert_eq!(reader.read(b"", |_| called = true), ChunkStatus::Complete { consumed: 0 });
        assert_eq!(
            reader.read(b"QUIT\r\n", |_| called = true),
            ChunkStatus::Complete { consumed: 0 }
        );
        assert!(!called);
        assert_eq!(reader.kind(), ChunkKind::Last);
        assert_eq!(ChunkKind::from(true), ChunkKind::Last);
        assert_eq!(ChunkKind::from(false), ChunkKind::More);
    }

    /// The limit counts across chunks; an oversize chunk is consumed but dropped, and so is
    /// every later chunk of the message.
    #[test]
    fn size_limit_across_chunks() {
        // (chunk sizes, limit, which chunks are kept, outcome)
        type Case = (&'static [u64], Option<u64>, &'static [bool], Result<u64, DataError>);
        let table: [Case; 5] = [
            (&[6, 4], Some(10), &[true, true], Ok(10)),
            (&[6, 5], Some(10), &[true, false], Err(DataError::TooMuchData)),
            (&[6, 5, 0, 1], Some(10), &[true, false, false, false], Err(DataError::TooMuchData)),
            (&[11], Some(10), &[false], Err(DataError::TooMuchData)),
            (&[u64::MAX, u64::MAX], None, &[true, true], Ok(u64::MAX)),
        ];
        for (sizes, limit, kept, outcome) in table {
            let mut message = BdatMessage::new(limit);
            for (index, (&size, &keep)) in sizes.iter().zip(kept).enumerate() {
                let kind = ChunkKind::from(index + 1 == sizes.len());
                let mut reader = message.chunk(size, kind);
                assert_eq!(reader.verdict().is_ok(), keep, "chunk {index} of {sizes:?}");
                if size > 64 {
                    continue;
                }
                let input = vec![b'z'; size as usize + 4];
                let (out, end) = read_pieces(&mut reader, &[&input]);
                assert_eq!(end, Some(size as usize));
                assert_eq!(out.len(), if keep { size as usize } else { 0 });
            }
            assert_eq!(message.finish().map(|stats| stats.size), outcome);
        }
    }

    proptest! {
        /// Any chunk size, any input, any split: the same octets, consumed to the same place.
        #[test]
        fn any_split_reads_the_same(
            input in proptest::collection::vec(any::<u8>(), 0..200),
            size in 0u64..220,
            mut points in proptest::collection::vec(0usize..200, 0..5),
        ) {
            points.sort_unstable();
            let mut pieces = Vec::new();
            let mut start = 0;
            for point in points {
                let point = point.clamp(start, input.len());
                pieces.push(&input[start..point]);
                start = point;
            }
            pieces.push(&input[start..]);
            let mut reader = BdatReader::new(size, ChunkKind::More);
            let (out, end) = read_pieces(&mut reader, &pieces);
            let expected_len = (size as usize).min(input.len());
            prop_assert_eq!(&out[..], &input[..expected_len]);
            prop_assert_eq!(end, (size as usize <= input.len()).then_some(size as usize));
            prop_assert_eq!(reader.remaining(), size - expected_len as u64);
        }
    }
}
