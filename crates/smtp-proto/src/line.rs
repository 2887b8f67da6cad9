//! Command-line framing with a length limit.
//!
//! A [`LineReader`] is fed whatever bytes the connection has buffered (several pipelined lines,
//! or half of one) and hands back one [`LineEvent`] at a time together with how many bytes it
//! consumed, so the caller can keep a single read buffer and drain it:
//!
//! ```
//! use smtp_proto::line::{LineEvent, LineReader};
//!
//! let mut reader = LineReader::new(512);
//! let mut buffer = b"NOOP\r\nQUIT\r\nMA".to_vec();
//! let mut lines = Vec::new();
//! loop {
//!     let framed = reader.next_line(&buffer);
//!     match framed.event {
//!         Some(LineEvent::Line(line)) => lines.push(line.to_vec()),
//!         Some(LineEvent::TooLong) => lines.push(b"<too long>".to_vec()),
//!         None => {
//!             buffer.drain(..framed.consumed);
//!             break;
//!         }
//!     }
//!     buffer.drain(..framed.consumed);
//! }
//! assert_eq!(lines, [b"NOOP".to_vec(), b"QUIT".to_vec()]);
//! assert_eq!(buffer, b"MA"); // the partial line stays for the next read
//! ```
//!
//! Rules (aiosmtpd's, §2 of the behaviour notes): a line ends at LF; every trailing CR and LF
//! is stripped; the limit counts the bytes left after stripping. An over-long line is reported
//! once, as [`LineEvent::TooLong`], and the rest of it, up to its LF, is consumed and thrown
//! away without ever being buffered, however many reads it spans. To bound memory against a
//! line made of one byte and a flood of CRs, a line is also too long when it has more than
//! `limit +` [`CR_ALLOWANCE`] bytes before its LF.

use memchr::memchr;

/// Extra CR bytes a line may carry before its LF beyond the limit (they are stripped, so they
/// do not count against the limit, but they may not grow without bound).
pub const CR_ALLOWANCE: usize = 8;

/// The default limit for command lines (RFC 5321 §4.5.3.1.4; aiosmtpd's `command_size_limit`).
pub const DEFAULT_COMMAND_LINE_LIMIT: usize = 512;

/// The limit for SASL response lines and AUTH commands with an initial response (RFC 4954 §4).
pub const SASL_LINE_LIMIT: usize = 12_288;

/// What the reader found at the front of the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineEvent<'a> {
    /// A complete line, trailing CR and LF bytes stripped, borrowed from the input.
    Line(&'a [u8]),
    /// A line longer than the limit. Reported once; its remainder is skipped.
    TooLong,
}

/// The result of one [`LineReader::next_line`] call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Framed<'a> {
    /// Bytes of the input that are done with and may be drained from the caller's buffer
    /// (after the event's line, which borrows from them, has been used).
    pub consumed: usize,
    /// The event, or `None` when more input is needed.
    pub event: Option<LineEvent<'a>>,
}

impl<'a> Framed<'a> {
    fn need_more(consumed: usize) -> Self {
        Self { consumed, event: None }
    }

    fn event(consumed: usize, event: LineEvent<'a>) -> Self {
        Self { consumed, event: Some(event) }
    }
}

/// Whether the reader is in the middle of throwing away an over-long line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// At the start of a line, or inside a line that still fits.
    Reading,
    /// Inside an over-long line already reported; skip to its LF.
    Skipping,
}

/// Splits a byte stream into command lines with a length limit (see the module docs).
#[derive(Clone, Debug)]
pub struct LineReader {
    limit: usize,
    mode: Mode,
}

impl Default for LineReader {
    /// A reader with the 512-byte command-line limit.
    fn default() -> Self {
        Self::new(DEFAULT_COMMAND_LINE_LIMIT)
    }
}

impl LineReader {
    /// A reader allowing lines of at most `limit` bytes (after stripping CR/LF).
    pub fn new(limit: usize) -> Self {
        Self { limit, mode: Mode::Reading }
    }

    /// The current limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Changes the limit for the following lines (e.g. to [`SASL_LINE_LIMIT`] while an AUTH
    /// exchange reads responses). A line being skipped stays skipped.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// Whether the reader is throwing away the rest of an over-long line.
    pub fn is_skipping(&self) -> bool {
        self.mode == Mode::Skipping
    }

    /// Frames the next line at the front of `input` (see the module docs).
    ///
    /// A partial line that still fits is never consumed: `consumed` is 0 and the caller keeps
    /// the bytes. A partial line that is already too long is reported as
    /// [`LineEvent::TooLong`] and consumed whole; later calls consume input up to its LF.
    pub fn next_line<'a>(&mut self, input: &'a [u8]) -> Framed<'a> {
        let mut start = 0;
        if self.mode == Mode::Skipping {
            match memchr(b'\n', input) {
                Some(lf) => {
                    self.mode = Mode::Reading;
                    start = lf + 1;
                }
                None => return Framed::need_more(input.len()),
            }
        }
        let rest = input.get(start..).unwrap_or_default();
        match memchr(b'\n', rest) {
            Some(lf) => {
                let raw = rest.get(..lf).unwrap_or_default();
                let consumed = start + lf + 1;
                if self.exceeds(raw) {
                    Framed::event(consumed, LineEvent::TooLong)
                } else {
                    Framed::event(consumed, LineEvent::Line(strip_line_end(raw)))
                }
            }
            None if self.exceeds(rest) => {
                self.mode = Mode::Skipping;
                Framed::event(input.len(), LineEvent::TooLong)
            }
            None => Framed::need_more(start),
        }
    }

    /// Whether `raw` (bytes of one line before its LF, possibly not all of them yet) is too
    /// long. Monotone: once true for a prefix it is true for every extension, so the verdict
    /// does not depend on how the input was split into reads.
    fn exceeds(&self, raw: &[u8]) -> bool {
        raw.len() > self.limit.saturating_add(CR_ALLOWANCE)
            || strip_line_end(raw).len() > self.limit
    }
}

/// Strips every trailing CR and LF byte.
fn strip_line_end(line: &[u8]) -> &[u8] {
    let keep = line.iter().rposition(|&b| b != b'\r' && b != b'\n').map_or(0, |pos| pos + 1);
    line.get(..keep).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// An owned event, for comparing sequences.
    #[derive(Clone, Debug, PartialEq, Eq)]
    enum Owned {
        Line(Vec<u8>),
        TooLong,
    }

    /// Feeds `chunks` one after another through a caller-side buffer, as the server would,
    /// and returns the events plus the largest buffer ever held.
    fn run(limit: usize, chunks: &[&[u8]]) -> (Vec<Owned>, usize) {
        let mut reader = LineReader::new(limit);
        let mut buffer = Vec::new();
        let mut events = Vec::new();
        let mut peak = 0;
        for chunk in chunks {
            buffer.extend_from_slice(chunk);
            peak = peak.max(buffer.len());
            loop {
                let framed = reader.next_line(&buffer);
                let event = framed.event.map(|event| match event {
                    LineEvent::Line(line) => Owned::Line(line.to_vec()),
                    LineEvent::TooLong => Owned::TooLong,
                });
                buffer.drain(..framed.consumed);
                match event {
                    Some(event) => events.push(event),
                    None => break,
                }
            }
        }
        (events, peak)
    }

    fn line(text: &[u8]) -> Owned {
        Owned::Line(text.to_vec())
    }

    #[test]
    fn framing_table() {
        let long_512 = [b"NOOP ".as_slice(), &[b'x'; 507]].concat();
        let long_513 = [b"NOOP ".as_slice(), &[b'x'; 508]].concat();
        let cases: Vec<(Vec<u8>, Vec<Owned>)> = vec![
            (b"NOOP\r\n".to_vec(), vec![line(b"NOOP")]),
            (b"NOOP\n".to_vec(), vec![line(b"NOOP")]),
            (b"NOOP\r\r\n".to_vec(), vec![line(b"NOOP")]),
            (b"NOOP\rNOOP\r\n".to_vec(), vec![line(b"NOOP\rNOOP")]),
            (b"\r\n\n".to_vec(), vec![line(b""), line(b"")]),
            (b"NOOP".to_vec(), vec![]),
            (b"A\r\nB\nC\r\nD".to_vec(), vec![line(b"A"), line(b"B"), line(b"C")]),
            (b"\x00\xff\r\n".to_vec(), vec![line(b"\x00\xff")]),
            ([long_512.as_slice(), b"\r\n"].concat(), vec![Owned::Line(long_512.clone())]),
            ([long_513.as_slice(), b"\r\nQUIT\r\n"].concat(), vec![Owned::TooLong, line(b"QUIT")]),
            // Trailing CRs do not count against the limit, up to the allowance.
            ([long_512.as_slice(), b"\r\r\r\n"].concat(), vec![Owned::Line(long_512.clone())]),
            ([long_512.as_slice(), &[b'\r'; 9], b"\n"].concat(), vec![Owned::TooLong]),
        ];
        for (input, expected) in cases {
            assert_eq!(
                run(512, &[&input]).0,
                expected,
                "input {:?}",
                String::from_utf8_lossy(&input)
            );
        }
    }

    #[test]
    fn partial_line_is_kept_and_split_command_parses() {
        let mut reader = LineReader::new(512);
        let framed = reader.next_line(b"NO");
        assert_eq!(framed, Framed { consumed: 0, event: None });
        assert_eq!(run(512, &[b"NO", b"OP\r", b"\n"]).0, vec![line(b"NOOP")]);
    }

    #[test]
    fn pipelined_lines_come_one_at_a_time() {
        let input = b"EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n";
        let mut reader = LineReader::new(512);
        let first = reader.next_line(input);
        assert_eq!(first, Framed { consumed: 8, event: Some(LineEvent::Line(b"EHLO a")) });
        let second = reader.next_line(&input[8..]);
        assert_eq!(second.event, Some(LineEvent::Line(b"MAIL FROM:<a@b>")));
        let (events, _) = run(512, &[input]);
        assert_eq!(events.len(), 4);
    }

    #[test]
    fn million_byte_line_in_4k_pieces_is_one_too_long_and_never_buffered() {
        let mut stream = vec![b'x'; 1_000_000];
        stream.extend_from_slice(b"\r\nNOOP\r\n");
        let chunks: Vec<&[u8]> = stream.chunks(4096).collect();
        let (events, peak) = run(512, &chunks);
        assert_eq!(events, vec![Owned::TooLong, line(b"NOOP")]);
        assert!(peak <= 512 + CR_ALLOWANCE + 4096, "buffer grew to {peak}");
    }

    #[test]
    fn cr_flood_without_lf_is_bounded() {
        let mut stream = b"x".to_vec();
        stream.extend(std::iter::repeat_n(b'\r', 100_000));
        stream.extend_from_slice(b"\nQUIT\n");
        let chunks: Vec<&[u8]> = stream.chunks(1000).collect();
        let (events, peak) = run(512, &chunks);
        assert_eq!(events, vec![Owned::TooLong, line(b"QUIT")]);
        assert!(peak < 2000);
    }

    #[test]
    fn limit_can_change_between_lines() {
        let sasl = vec![b'A'; 12_000];
        let mut reader = LineReader::new(512);
        let input = [sasl.as_slice(), b"\r\n"].concat();
        assert_eq!(reader.next_line(&input).event, Some(LineEvent::TooLong));
        reader.set_limit(SASL_LINE_LIMIT);
        assert_eq!(reader.limit(), SASL_LINE_LIMIT);
        assert_eq!(reader.next_line(&input).event, Some(LineEvent::Line(&sasl)));
        assert!(!reader.is_skipping());
    }

    proptest! {
        #[test]
        fn any_split_gives_the_same_events(
            input in proptest::collection::vec(
                prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'a'), Just(0u8), any::<u8>()],
                0..400,
            ),
            cuts in proptest::collection::vec(0usize..400, 0..12),
            limit in 0usize..40,
        ) {
            let whole = run(limit, &[&input]).0;
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(input.len())).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut previous = 0;
            for cut in cuts {
                chunks.push(&input[previous..cut]);
                previous = cut;
            }
            chunks.push(&input[previous..]);
            let (split, peak) = run(limit, &chunks);
            prop_assert_eq!(whole, split);
            let biggest = chunks.iter().map(|c| c.len()).max().unwrap_or(0);
            prop_assert!(peak <= limit + CR_ALLOWANCE + 1 + biggest);
        }

        #[test]
        fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..2000)) {
            let (events, _) = run(64, &[&input]);
            for event in events {
                if let Owned::Line(line) = event {
                    prop_assert!(line.len() <= 64);
                    prop_assert!(!line.contains(&b'\n'));
                }
            }
        }
    }
}
