//! Parsing replies that come back from a server (the relay's client side).
//!
//! [`ReplyParser`] is fed whatever bytes have arrived and hands back one complete [`Reply`] at a
//! time with the number of bytes it consumed, so replies pipelined into one read come out one
//! by one. Lines of a multi-line reply are consumed (and held) as they complete; a partial line
//! is left in the caller's buffer.
//!
//! - Lines end in CRLF; a bare LF is tolerated on input.
//! - Every line starts with the same three-digit code (RFC 5321 §4.2.1), followed by `-` on all
//!   lines but the last, and by a space or nothing on the last.
//! - Limits ([`ReplyLimits`]) bound what a hostile server can make us hold: the length of a line
//!   and the number of lines.
//! - The enhanced status code (RFC 2034) is recognised only when **every** line starts with the
//!   same canonical `class.subject.detail` token (followed by a space or the end of the line)
//!   whose class is the reply code's first digit. Otherwise the lines are kept verbatim and
//!   [`Reply::enhanced`] is `None`. So nothing is lost or invented: formatting the parsed reply
//!   gives back the server's lines (with CRLF line ends).
//! - Text that is not UTF-8 is decoded lossily (U+FFFD).
//!
//! ```
//! use smtp_proto::reply::parse::ReplyParser;
//!
//! let mut parser = ReplyParser::new();
//! let input = b"250-mx.example\r\n250 SIZE 1000\r\n221 2.0.0 Bye\r\n";
//! let first = parser.parse(input).unwrap();
//! assert_eq!(first.reply.unwrap().lines().collect::<Vec<_>>(), ["mx.example", "SIZE 1000"]);
//! let second = parser.parse(&input[first.consumed..]).unwrap();
//! assert_eq!(second.reply.unwrap().to_string(), "221 2.0.0 Bye");
//! ```

use std::str::FromStr;

use super::{EnhancedStatus, Reply, ReplyCode};

/// Bounds on what the parser accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyLimits {
    /// The longest line, in octets, including its line ending. RFC 5321 §4.5.3.1.5 says 512;
    /// the default is 4096 because real servers exceed 512 in long EHLO or error texts.
    pub max_line_len: usize,
    /// The most lines one reply may have. The default is 128.
    pub max_lines: usize,
}

impl Default for ReplyLimits {
    fn default() -> Self {
        Self { max_line_len: 4096, max_lines: 128 }
    }
}

/// Why bytes from a server are not a reply. After any of these the stream cannot be trusted
/// to be in step any more: the client should close the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReplyParseError {
    /// A line has no line ending within the limit.
    #[error("reply line longer than {limit} octets")]
    LineTooLong {
        /// The limit that was hit.
        limit: usize,
    },
    /// A reply has more lines than the limit.
    #[error("reply has more than {limit} lines")]
    TooManyLines {
        /// The limit that was hit.
        limit: usize,
    },
    /// A line does not start with a valid three-digit code (first digit 2–5, second 0–5).
    #[error("reply line does not start with a valid reply code")]
    InvalidCode,
    /// The code is followed by something other than a space, a hyphen or the line end.
    #[error("reply code not followed by a space or a hyphen")]
    MissingSeparator,
    /// A line of a multi-line reply has another code than the first line.
    #[error("reply line has code {found}, the reply started with {expected}")]
    CodeMismatch {
        /// The first line's code.
        expected: ReplyCode,
        /// This line's code.
        found: ReplyCode,
    },
    /// [`Reply::parse_text`]: the text ends before a last line (`250 ...`).
    #[error("reply text ends in the middle of a multi-line reply")]
    Incomplete,
    /// [`Reply::parse_text`]: more text after the last line.
    #[error("text after the last line of the reply")]
    TrailingData,
}

/// What one call of [`ReplyParser::parse`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    /// Bytes of the input used (complete lines only); drop them from the buffer.
    pub consumed: usize,
    /// The reply, when its last line was among them.
    pub reply: Option<Reply>,
}

/// The incremental reply parser. It holds the lines of a multi-line reply between calls.
#[derive(Clone, Debug, Default)]
pub struct ReplyParser {
    limits: ReplyLimits,
    pending: Option<Pending>,
}

#[derive(Clone, Debug)]
struct Pending {
    code: ReplyCode,
    lines: Vec<String>,
}

/// One line, split: its code, whether it is the last, its text.
struct Line<'a> {
    code: ReplyCode,
    last: bool,
    text: &'a [u8],
}

impl ReplyParser {
    /// A parser with the default [`ReplyLimits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// A parser with the given limits.
    pub fn with_limits(limits: ReplyLimits) -> Self {
        Self { limits, pending: None }
    }

    /// Whether some lines of a multi-line reply have been consumed and the rest is awaited.
    pub fn is_mid_reply(&self) -> bool {
        self.pending.is_some()
    }

    /// Consumes complete lines from `input` until one reply is complete or the input runs out.
    /// On an error the parser forgets the lines it held.
    pub fn parse(&mut self, input: &[u8]) -> Result<Parsed, ReplyParseError> {
        let result = self.parse_lines(input);
        if result.is_err() {
            self.pending = None;
        }
        result
    }

    fn parse_lines(&mut self, input: &[u8]) -> Result<Parsed, ReplyParseError> {
        let mut consumed = 0;
        while let Some(rest) = input.get(consumed..) {
            let Some(line_len) = self.line_len(rest)? else { break };
            let raw = rest.get(..line_len).unwrap_or_default();
            consumed += line_len;
            if let Some(reply) = self.accept(split_line(raw)?)? {
                return Ok(Parsed { consumed, reply: Some(reply) });
            }
        }
        Ok(Parsed { consumed, reply: None })
    }

    /// The length of the first line including its LF, `None` when it is not complete yet.
    fn line_len(&self, input: &[u8]) -> Result<Option<usize>, ReplyParseError> {
        let limit = self.limits.max_line_len;
        let window = input.get(..limit).unwrap_or(input);
        match memchr::memchr(b'\n', window) {
            Some(lf) => Ok(Some(lf + 1)),
            None if !input.is_empty() && input.len() >= limit => {
                Err(ReplyParseError::LineTooLong { limit })
            }
            None => Ok(None),
        }
    }

    fn accept(&mut self, line: Line<'_>) -> Result<Option<Reply>, ReplyParseError> {
        // A CR inside the text becomes a space here, as `Reply` would make it anyway, so that
        // the enhanced status is recognised on the text the reply keeps (otherwise a CR after
        // the token hides it, and formatting the reply reveals it: the round trip changes).
        let text = String::from_utf8_lossy(line.text).replace('\r', " ");
        let pending =
            self.pending.get_or_insert_with(|| Pending { code: line.code, lines: Vec::new() });
        if pending.code != line.code {
            return Err(ReplyParseError::CodeMismatch { expected: pending.code, found: line.code });
        }
        if pending.lines.len() >= self.limits.max_lines {
            return Err(ReplyParseError::TooManyLines { limit: self.limits.max_lines });
        }
        pending.lines.push(text);
        if !line.last {
            return Ok(None);
        }
        Ok(self.pending.take().map(Pending::into_reply))
    }
}

/// Splits one line (with its line ending) into code, separator and text.
fn split_line(raw: &[u8]) -> Result<Line<'_>, ReplyParseError> {
    let line = raw.strip_suffix(b"\n").unwrap_or(raw);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let Some((digits, after)) = line.split_first_chunk::<3>() else {
        return Err(ReplyParseError::InvalidCode);
    };
    let code = parse_code(digits).ok_or(ReplyParseError::InvalidCode)?;
    let (last, text) = match after.split_first() {
        None => (true, after),
        Some((b' ', text)) => (true, text),
        Some((b'-', text)) => (false, text),
        Some(_) => return Err(ReplyParseError::MissingSeparator),
    };
    Ok(Line { code, last, text })
}

fn parse_code(digits: &[u8; 3]) -> Option<ReplyCode> {
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits.iter().fold(0u16, |value, digit| value * 10 + u16::from(digit - b'0'));
    ReplyCode::new(value)
}

impl Pending {
    fn into_reply(self) -> Reply {
        let Pending { code, mut lines } = self;
        let enhanced = common_status(code, &lines);
        if let Some((_, token_len)) = enhanced {
            for line in &mut lines {
                let cut = (token_len + 1).min(line.len());
                line.replace_range(..cut, "");
            }
        }
        Reply::multiline(code, enhanced.map(|(status, _)| status), lines)
    }
}

/// The enhanced status every line starts with (and its token length), if they all do.
fn common_status(code: ReplyCode, lines: &[String]) -> Option<(EnhancedStatus, usize)> {
    let mut found = None;
    for line in lines {
        let this = leading_status(code, line)?;
        if found.is_some_and(|first| first != this) {
            return None;
        }
        found = Some(this);
    }
    found
}

/// A canonical `x.y.z` token at the start of `text`, ended by a space or the end, whose class
/// matches the reply code's.
fn leading_status(code: ReplyCode, text: &str) -> Option<(EnhancedStatus, usize)> {
    let token = text.split(' ').next()?;
    let status = EnhancedStatus::parse(token)?;
    let canonical = status.class() == code.class() && status.to_string() == token;
    canonical.then_some((status, token.len()))
}

/// Parses one reply from the start of `input`: `Ok(None)` when it is not complete yet,
/// otherwise the reply and the bytes it took. Stateless (re-reads the held lines each time);
/// [`ReplyParser`] avoids that for long multi-line replies.
pub fn parse_reply(input: &[u8]) -> Result<Option<(Reply, usize)>, ReplyParseError> {
    let parsed = ReplyParser::new().parse(input)?;
    Ok(parsed.reply.map(|reply| (reply, parsed.consumed)))
}

impl Reply {
    /// Parses a complete reply written as text, e.g. what a handler hook returns: `"250 OK"`
    /// or `"250-first\r\n250 last"`. Lines may end in CRLF or LF; the final line ending is
    /// optional. The default [`ReplyLimits`] apply.
    pub fn parse_text(text: &str) -> Result<Reply, ReplyParseError> {
        let mut bytes = text.as_bytes().to_vec();
        if !bytes.ends_with(b"\n") {
            bytes.extend_from_slice(b"\r\n");
        }
        let parsed = ReplyParser::new().parse(&bytes)?;
        match parsed.reply {
            None => Err(ReplyParseError::Incomplete),
            Some(_) if parsed.consumed != bytes.len() => Err(ReplyParseError::TrailingData),
            Some(reply) => Ok(reply),
        }
    }
}

/// Same as [`Reply::parse_text`].
impl FromStr for Reply {
    type Err = ReplyParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse_text(text)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn lines(reply: &Reply) -> Vec<&str> {
        reply.lines().collect()
    }

    #[test]
    fn replies_from_text() {
        let cases: &[(&str, u16, Option<&str>, &[&str])] = &[
            ("250 OK", 250, None, &["OK"]),
            ("250 OK\r\n", 250, None, &["OK"]),
            ("220 mx.test ESMTP ready\n", 220, None, &["mx.test ESMTP ready"]),
            ("250", 250, None, &[""]),
            ("354 ", 354, None, &[""]),
            ("550 5.7.1 Relay denied", 550, Some("5.7.1"), &["Relay denied"]),
            ("250 2.0.0", 250, Some("2.0.0"), &[""]),
            ("250-mx\r\n250-SIZE 10\r\n250 HELP", 250, None, &["mx", "SIZE 10", "HELP"]),
            ("250-mx\n250 HELP\n", 250, None, &["mx", "HELP"]),
            ("250-2.1.0 a\r\n250 2.1.0 b", 250, Some("2.1.0"), &["a", "b"]),
            ("250-2.1.0 a\r\n250 b", 250, None, &["2.1.0 a", "b"]),
            ("250-2.1.0 a\r\n250 2.1.5 b", 250, None, &["2.1.0 a", "2.1.5 b"]),
            ("550 2.0.0 wrong class", 550, None, &["2.0.0 wrong class"]),
            ("550 5.01.0 not canonical", 550, None, &["5.01.0 not canonical"]),
            ("550 5.1.0x glued", 550, None, &["5.1.0x glued"]),
            ("550 5.1.0  two spaces", 550, Some("5.1.0"), &[" two spaces"]),
            ("250-\r\n250 x", 250, None, &["", "x"]),
            ("250 a\rb", 250, None, &["a b"]),
        ];
        for (text, code, enhanced, expected) in cases {
            let reply = Reply::parse_text(text).unwrap();
            assert_eq!(reply.code().get(), *code, "{text:?}");
            assert_eq!(reply.enhanced().map(|s| s.to_string()).as_deref(), *enhanced, "{text:?}");
            assert_eq!(lines(&reply), *expected, "{text:?}");
        }
        assert_eq!("221 2.0.0 Bye".parse::<Reply>(), Ok(Reply::bye()));
        let invalid = Reply::parse_text("250 \u{0}\u{ff}").unwrap();
        assert_eq!(invalid.text(), "\u{0}\u{ff}");
    }

    #[test]
    fn malformed_replies() {
        use ReplyParseError::*;
        let cases: &[(&str, ReplyParseError)] = &[
            ("", InvalidCode),
            ("\r\n", InvalidCode),
            ("25", InvalidCode),
            ("abc OK", InvalidCode),
            ("2x0 OK", InvalidCode),
            ("199 OK", InvalidCode),
            ("600 OK", InvalidCode),
            ("260 OK", InvalidCode),
            ("250OK", MissingSeparator),
            ("250_OK", MissingSeparator),
            (
                "250-a\r\n251 b",
                CodeMismatch { expected: ReplyCode::of(250), found: ReplyCode::of(251) },
            ),
            ("250-a", Incomplete),
            ("250-a\r\n", Incomplete),
            ("250 a\r\n250 b", TrailingData),
            ("250 a\r\n\r\n", TrailingData),
        ];
        for (text, error) in cases {
            assert_eq!(Reply::parse_text(text), Err(*error), "{text:?}");
        }
        let long = format!("250 {}", "x".repeat(5000));
        assert_eq!(Reply::parse_text(&long), Err(LineTooLong { limit: 4096 }));
    }

    #[test]
    fn limits_bound_what_is_held() {
        let limits = ReplyLimits { max_line_len: 10, max_lines: 3 };
        // A line of exactly 10 octets with its CRLF fits; 10 octets without an LF cannot.
        let mut parser = ReplyParser::with_limits(limits);
        assert_eq!(parser.parse(b"250 abcd\r\n").unwrap().consumed, 10);
        let too_long = parser.parse(b"250 abcde\r\n");
        assert_eq!(too_long, Err(ReplyParseError::LineTooLong { limit: 10 }));
        assert_eq!(parser.parse(b"250 abcde"), Ok(Parsed { consumed: 0, reply: None }));
        assert_eq!(parser.parse(b"250 abcdef"), Err(ReplyParseError::LineTooLong { limit: 10 }));

        let mut parser = ReplyParser::with_limits(limits);
        assert_eq!(parser.parse(b"250-a\r\n250-b\r\n250-c\r\n").unwrap().consumed, 21);
        assert!(parser.is_mid_reply());
        assert_eq!(parser.parse(b"250 d\r\n"), Err(ReplyParseError::TooManyLines { limit: 3 }));
        assert!(!parser.is_mid_reply());
        assert!(parser.parse(b"250 new\r\n").unwrap().reply.is_some());
    }

    /// Found by the `reply` fuzz target: `451 4.3.0<CR>250 <CR>` parsed without an enhanced
    /// status (the CR hid the token's end), then formatted as `451 4.3.0 250  `, which parses
    /// with one.
    #[test]
    fn a_cr_inside_the_text_is_a_space_before_the_status_is_looked_for() {
        let (reply, consumed) = parse_reply(b"451 4.3.0\r250 \r\r\n").unwrap().unwrap();
        assert_eq!(consumed, 17);
        assert_eq!(reply.enhanced(), EnhancedStatus::parse("4.3.0"));
        assert_eq!(lines(&reply), ["250  "]);
        let again = parse_reply(&reply.to_bytes()).unwrap().unwrap().0;
        assert_eq!(again, reply);
    }

    #[test]
    fn pipelined_replies_come_out_one_by_one() {
        let input = b"250 2.1.0 OK\r\n250-2.1.5 a\r\n250 2.1.5 b\r\n354 go ahead\r\n550 5.7";
        let mut offset = 0;
        let mut found = Vec::new();
        while let Some((reply, consumed)) = parse_reply(&input[offset..]).unwrap() {
            found.push(reply.to_string());
            offset += consumed;
        }
        assert_eq!(found, ["250 2.1.0 OK", "250-2.1.5 a\r\n250 2.1.5 b", "354 go ahead"]);
        assert_eq!(&input[offset..], b"550 5.7");

        let mut parser = ReplyParser::new();
        let held = parser.parse(b"250-a\r\n250-b\r\n250 c").unwrap();
        assert_eq!(held, Parsed { consumed: 14, reply: None });
        let done = parser.parse(b"250 c\r\n").unwrap();
        assert_eq!(done.consumed, 7);
        assert_eq!(done.reply.map(|r| r.to_string()).as_deref(), Some("250-a\r\n250-b\r\n250 c"));
    }

    fn code_strategy() -> impl Strategy<Value = ReplyCode> {
        (2u16..=5, 0u16..=5, 0u16..=9).prop_map(|(a, b, c)| ReplyCode::of(a * 100 + b * 10 + c))
    }

    fn reply_strategy() -> impl Strategy<Value = Reply> {
        let text = "([A-Za-z\u{e9}\u{20ac}][ -~\u{e9}\u{20ac}]{0,40})?";
        (
            code_strategy(),
            proptest::option::of((0u16..1000, 0u16..1000)),
            proptest::collection::vec(text, 1..=5),
        )
            .prop_map(|(code, enhanced, lines)| {
                let enhanced = enhanced.and_then(|(subject, detail)| {
                    EnhancedStatus::new(code.class(), subject, detail)
                });
                Reply::multiline(code, enhanced, lines)
            })
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity_for_any_split(
            replies in proptest::collection::vec(reply_strategy(), 1..=3),
            splits in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
            bare_lf in any::<bool>(),
        ) {
            let mut wire = Vec::new();
            for reply in &replies {
                reply.write_to(&mut wire);
            }
            if bare_lf {
                wire = String::from_utf8(wire).unwrap().replace("\r\n", "\n").into_bytes();
            }
            let mut cuts: Vec<usize> = splits.iter().map(|i| i.index(wire.len() + 1)).collect();
            cuts.push(wire.len());
            cuts.sort_unstable();
            let mut parser = ReplyParser::new();
            let mut buffer = Vec::new();
            let mut parsed = Vec::new();
            let mut start = 0;
            for cut in cuts {
                buffer.extend_from_slice(&wire[start..cut]);
                start = cut;
                loop {
                    let step = parser.parse(&buffer).unwrap();
                    buffer.drain(..step.consumed);
                    match step.reply {
                        Some(reply) => parsed.push(reply),
                        None => break,
                    }
                }
            }
            prop_assert!(buffer.is_empty());
            prop_assert_eq!(parsed, replies);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let mut parser = ReplyParser::with_limits(ReplyLimits { max_line_len: 64, max_lines: 4 });
            let _ = parser.parse(&bytes);
            let _ = parse_reply(&bytes);
        }
    }
}
