//! The dot-stuffing encoder for outgoing messages (the relay's client side of DATA).
//!
//! It never sends what our own [`DataDecoder`](crate::data::DataDecoder) would not take as the
//! same message:
//!
//! * a bare CR or a bare LF becomes CRLF (a CR at the end of one chunk and an LF at the start of
//!   the next are one CRLF);
//! * every line that starts with `.` gets one more, the very first line of the body included
//!   (a body starting `.` CRLF must not end DATA);
//! * a non-empty body that does not end with a line end gets a CRLF; the empty body stays empty;
//! * `.` CRLF is appended.
//!
//! ```
//! use smtp_proto::stuffing::{DotStuffer, dot_stuff};
//!
//! assert_eq!(dot_stuff(b".\r\nMAIL FROM:<x>\nend"), b"..\r\nMAIL FROM:<x>\r\nend\r\n.\r\n");
//!
//! let mut out = Vec::new();
//! let mut stuffer = DotStuffer::new();
//! stuffer.encode(b"a\r", &mut out);
//! stuffer.encode(b"\n.b", &mut out);
//! stuffer.finish(&mut out);
//! assert_eq!(out, b"a\r\n..b\r\n.\r\n");
//! ```

use memchr::memchr2;

/// Where the encoder is in the body.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Position {
    /// At the start of a line: the start of the body, or after a line end that was written.
    #[default]
    LineStart,
    /// At the start of a line that a CR ended (CRLF already written): an LF now is its LF.
    AfterCr,
    /// Inside a line.
    InLine,
}

/// An incremental dot-stuffing encoder: feed the body in chunks with
/// [`encode`](DotStuffer::encode), then write the end of data with
/// [`finish`](DotStuffer::finish).
#[derive(Clone, Debug, Default)]
pub struct DotStuffer {
    position: Position,
}

impl DotStuffer {
    /// An encoder at the start of a body.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends the DATA bytes for the next `chunk` of the body to `out`.
    pub fn encode(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let mut pos = 0;
        while let Some(&byte) = chunk.get(pos) {
            match self.position {
                Position::AfterCr if byte == b'\n' => {
                    pos += 1;
                    self.position = Position::LineStart;
                }
                Position::LineStart | Position::AfterCr => {
                    if byte == b'.' {
                        out.push(b'.');
                    }
                    self.position = Position::InLine;
                }
                Position::InLine => {
                    let rest = chunk.get(pos..).unwrap_or_default();
                    match memchr2(b'\r', b'\n', rest) {
                        None => {
                            out.extend_from_slice(rest);
                            pos = chunk.len();
                        }
                        Some(found) => {
                            out.extend_from_slice(rest.get(..found).unwrap_or_default());
                            out.extend_from_slice(b"\r\n");
                            self.position = if rest.get(found) == Some(&b'\r') {
                                Position::AfterCr
                            } else {
                                Position::LineStart
                            };
                            pos += found + 1;
                        }
                    }
                }
            }
        }
    }

    /// Ends the body: a CRLF if the last line has none, then `.` CRLF.
    pub fn finish(self, out: &mut Vec<u8>) {
        if self.position == Position::InLine {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
    }
}

/// The DATA bytes for a whole body, end-of-data line included.
pub fn dot_stuff(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + body.len() / 32 + 5);
    let mut stuffer = DotStuffer::new();
    stuffer.encode(body, &mut out);
    stuffer.finish(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::data::{DataDecoder, DataLimits, DecodeStatus};

    fn encode_pieces(pieces: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut stuffer = DotStuffer::new();
        for piece in pieces {
            stuffer.encode(piece, &mut out);
        }
        stuffer.finish(&mut out);
        out
    }

    #[test]
    fn stuffs_normalises_and_terminates() {
        let table: [(&[u8], &[u8]); 14] = [
            (b"", b".\r\n"),
            (b"a", b"a\r\n.\r\n"),
            (b"x\r\n", b"x\r\n.\r\n"),
            (b"\r\n", b"\r\n.\r\n"),
            (b".", b"..\r\n.\r\n"),
            (b".\r\n", b"..\r\n.\r\n"),
            (b".\r\nMAIL FROM:<x>\r\n", b"..\r\nMAIL FROM:<x>\r\n.\r\n"),
            (b"a\nb", b"a\r\nb\r\n.\r\n"),
            (b"a\rb", b"a\r\nb\r\n.\r\n"),
            (b"a\r\r\nb", b"a\r\n\r\nb\r\n.\r\n"),
            (b"a\n\rb", b"a\r\n\r\nb\r\n.\r\n"),
            (b"\n.\n", b"\r\n..\r\n.\r\n"),
            (b"first\r\n.\rMAIL\r\n", b"first\r\n..\r\nMAIL\r\n.\r\n"),
            (b"a.b\r\n..c\r\n", b"a.b\r\n...c\r\n.\r\n"),
        ];
        for (body, wire) in table {
            assert_eq!(dot_stuff(body).escape_ascii().to_string(), wire.escape_ascii().to_string());
            for split in 0..=body.len() {
                let (head, tail) = body.split_at(split);
                assert_eq!(encode_pieces(&[head, tail]), wire, "split at {split}");
            }
            let bytes: Vec<&[u8]> = body.chunks(1).collect();
            assert_eq!(encode_pieces(&bytes), wire);
        }
    }

    /// The reference normalisation: every CRLF, bare CR and bare LF becomes CRLF, and a
    /// non-empty body ends with CRLF.
    fn normalise(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < body.len() {
            match body[i] {
                b'\r' => {
                    out.extend_from_slice(b"\r\n");
                    if body.get(i + 1) == Some(&b'\n') {
                        i += 1;
                    }
                }
                b'\n' => out.extend_from_slice(b"\r\n"),
                other => out.push(other),
            }
            i += 1;
        }
        if !out.is_empty() && !out.ends_with(b"\r\n") {
            out.extend_from_slice(b"\r\n");
        }
        out
    }

    /// Decodes `wire` followed by a pipelined command; returns the message and where it ended.
    fn decode(wire: &[u8]) -> (Vec<u8>, Option<usize>) {
        let mut input = wire.to_vec();
        input.extend_from_slice(b"QUIT\r\n");
        let mut decoder = DataDecoder::new(DataLimits::default());
        let mut body = Vec::new();
        match decoder.decode(&input, |bytes| body.extend_from_slice(bytes)) {
            DecodeStatus::Finished { consumed } => (body, Some(consumed)),
            DecodeStatus::NeedMore => (body, None),
        }
    }

    fn pieces<'a>(body: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
        let mut out = Vec::new();
        let mut start = 0;
        for &point in points {
            let point = point.clamp(start, body.len());
            out.push(&body[start..point]);
            start = point;
        }
        out.push(&body[start..]);
        out
    }

    fn body() -> impl Strategy<Value = Vec<u8>> {
        let byte = prop_oneof![
            4 => Just(b'a'),
            2 => Just(b'.'),
            2 => Just(b'\r'),
            2 => Just(b'\n'),
            1 => any::<u8>(),
        ];
        proptest::collection::vec(byte, 0..100)
    }

    fn split_points() -> impl Strategy<Value = Vec<usize>> {
        proptest::collection::vec(0usize..110, 0..6).prop_map(|mut points| {
            points.sort_unstable();
            points
        })
    }

    proptest! {
        /// Any body, any chunking: our decoder gives back the normalised body, the only end of
        /// data is the one at the end, and no bare CR or LF goes out.
        #[test]
        fn decoding_the_encoding_gives_the_normalised_body(
            body in body(),
            points in split_points(),
        ) {
            let wire = encode_pieces(&pieces(&body, &points));
            prop_assert_eq!(&wire, &dot_stuff(&body));
            let (decoded, end) = decode(&wire);
            prop_assert_eq!(end, Some(wire.len()));
            prop_assert_eq!(decoded, normalise(&body));
            for (i, &byte) in wire.iter().enumerate() {
                if byte == b'\r' {
                    prop_assert_eq!(wire.get(i + 1), Some(&b'\n'));
                }
                if byte == b'\n' {
                    prop_assert!(i > 0 && wire[i - 1] == b'\r');
                }
                let at_line_start = i == 0 || wire[..i].ends_with(b"\r\n");
                if at_line_start && wire[i..].starts_with(b".\r\n") {
                    prop_assert_eq!(i + 3, wire.len(), "an end-of-data line inside");
                }
            }
        }

        /// A body that already uses CRLF line ends comes back unchanged.
        #[test]
        fn crlf_bodies_round_trip_exactly(
            lines in proptest::collection::vec(
                proptest::collection::vec(
                    prop_oneof![Just(b'.'), Just(b'a'), Just(b' '), 0x21u8..0x7f],
                    0..12,
                ),
                0..8,
            ),
            points in split_points(),
        ) {
            let body: Vec<u8> = lines.iter().flat_map(|line| [line.as_slice(), b"\r\n"].concat()).collect();
            let wire = encode_pieces(&pieces(&body, &points));
            let (decoded, end) = decode(&wire);
            prop_assert_eq!(end, Some(wire.len()));
            prop_assert_eq!(decoded, body);
        }
    }
}
