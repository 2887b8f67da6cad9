//! The `command` target: [`LineReader`] framing in fuzzed pieces, then [`CommandLine`] and
//! [`Command::parse`] under a [`ParseContext`] chosen by the option byte.
//!
//! Invariants: no panic; framing the payload in pieces gives the same lines as framing it whole;
//! a framed line holds no LF and fits the reader's limit; at most the limit plus the CR allowance is ever buffered; the two-level
//! parse ([`CommandLine::parse`] then [`CommandLine::command`]) agrees with [`Command::parse`];
//! every reply is well formed (one CRLF per line, no bare CR or LF).

use smtp_proto::address::AddressLimits;
use smtp_proto::command::{Command, CommandLine, ParseContext};
use smtp_proto::line::{CR_ALLOWANCE, LineEvent, LineReader};
use smtp_proto::reply::Reply;

use crate::knobs::Knobs;

/// The parse context the option byte selects.
pub fn context(knobs: &Knobs<'_>) -> ParseContext {
    ParseContext {
        extended: knobs.flag(0),
        smtputf8: knobs.flag(1),
        utf8_transaction: knobs.flag(2),
        size_offered: knobs.flag(3),
        address_limits: if knobs.flag(4) {
            AddressLimits::RFC5321
        } else {
            AddressLimits::UNLIMITED
        },
    }
}

/// One framed event, owned.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Framed {
    Line(Vec<u8>),
    TooLong,
}

/// Frames `pieces` as a server does: one buffer, drained as lines come out.
fn frame<'a>(limit: usize, pieces: impl Iterator<Item = &'a [u8]>) -> Vec<Framed> {
    let mut reader = LineReader::new(limit);
    let mut buffer = Vec::new();
    let mut events = Vec::new();
    for piece in pieces {
        buffer.extend_from_slice(piece);
        loop {
            let framed = reader.next_line(&buffer);
            assert!(framed.consumed <= buffer.len(), "consumed past the buffer");
            let event = match framed.event {
                Some(LineEvent::Line(line)) => Some(Framed::Line(line.to_vec())),
                Some(LineEvent::TooLong) => Some(Framed::TooLong),
                None => None,
            };
            buffer.drain(..framed.consumed);
            match event {
                Some(event) => events.push(event),
                None => break,
            }
        }
        assert!(buffer.len() <= limit + CR_ALLOWANCE + 1, "buffered {} bytes", buffer.len());
    }
    events
}

/// Checks that `reply` formats as `line_count` CRLF-terminated lines.
pub fn check_reply(reply: &Reply) {
    let bytes = reply.to_bytes();
    let crlfs = bytes.windows(2).filter(|pair| pair == b"\r\n").count();
    let crs = bytes.iter().filter(|&&b| b == b'\r').count();
    let lfs = bytes.iter().filter(|&&b| b == b'\n').count();
    assert_eq!((crlfs, crs, lfs), (reply.line_count(), crlfs, crlfs), "{bytes:?}");
}

/// Runs one input.
pub fn run(input: &[u8]) {
    let knobs = Knobs::new(input);
    let ctx = context(&knobs);
    // A small limit (bit 5) exercises over-long lines; otherwise the server's framing limit.
    let limit = if knobs.flag(5) { 16 } else { ctx.reader_limit() };
    let whole = frame(limit, std::iter::once(knobs.payload));
    let pieces = frame(limit, knobs.pieces());
    assert_eq!(whole, pieces, "framing depends on the split points");
    for event in &whole {
        let Framed::Line(line) = event else { continue };
        assert!(!line.contains(&b'\n'));
        assert!(line.len() <= limit, "line of {} bytes", line.len());
        parse_line(line, &ctx);
    }
}

fn parse_line(line: &[u8], ctx: &ParseContext) {
    let direct = Command::parse(line, ctx);
    let staged = CommandLine::parse(line, ctx).and_then(|parsed| {
        let _ = parsed.max_line_len(ctx);
        parsed.command(ctx)
    });
    match (&direct, &staged) {
        (Ok(a), Ok(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}")),
        (Err(a), Err(b)) => {
            assert_eq!(a, b);
            check_reply(a);
        }
        _ => panic!("parse levels disagree: {direct:?} vs {staged:?}"),
    }
    if let Ok(command) = direct {
        let _ = command.verb();
    }
}
