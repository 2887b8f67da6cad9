//! The `reply` target: [`ReplyParser`] fed in fuzzed pieces, [`Reply::parse_text`], and the
//! round trip of every parsed reply through [`Reply::write_to`] and back.
//!
//! Invariants: no panic; feeding in pieces gives the same replies and the same error as feeding
//! the payload whole; every parsed reply formats well and parses back to itself, from its wire
//! form and from its text form.

use smtp_proto::reply::Reply;
use smtp_proto::reply::parse::{ReplyLimits, ReplyParseError, ReplyParser};

use crate::command::check_reply;
use crate::knobs::Knobs;

/// What a stream of bytes parses to: replies, then possibly an error.
type Outcome = (Vec<Reply>, Option<ReplyParseError>);

/// Parses `pieces` as a client does: one buffer, drained as replies come out.
fn parse_stream<'a>(limits: ReplyLimits, pieces: impl Iterator<Item = &'a [u8]>) -> Outcome {
    let mut parser = ReplyParser::with_limits(limits);
    let mut buffer = Vec::new();
    let mut replies = Vec::new();
    for piece in pieces {
        buffer.extend_from_slice(piece);
        loop {
            match parser.parse(&buffer) {
                Ok(parsed) => {
                    assert!(parsed.consumed <= buffer.len(), "consumed past the buffer");
                    buffer.drain(..parsed.consumed);
                    match parsed.reply {
                        Some(reply) => replies.push(reply),
                        None => break,
                    }
                }
                Err(error) => return (replies, Some(error)),
            }
        }
    }
    (replies, None)
}

/// Checks that `reply` survives formatting and parsing.
fn round_trip(reply: &Reply) {
    check_reply(reply);
    let mut wire = Vec::new();
    reply.write_to(&mut wire);
    let (again, error) = parse_stream(ReplyLimits::default(), std::iter::once(wire.as_slice()));
    if error.is_none() {
        assert_eq!(again.as_slice(), std::slice::from_ref(reply), "wire round trip: {wire:?}");
    }
    let text = reply.to_string();
    if wire.len() < ReplyLimits::default().max_line_len {
        assert_eq!(Reply::parse_text(&text).as_ref(), Ok(reply), "text round trip: {text:?}");
    }
}

/// Runs one input.
pub fn run(input: &[u8]) {
    let knobs = Knobs::new(input);
    let limits = if knobs.flag(0) {
        ReplyLimits { max_line_len: usize::from(knobs.options >> 2) + 1, max_lines: 3 }
    } else {
        ReplyLimits::default()
    };
    let whole = parse_stream(limits, std::iter::once(knobs.payload));
    let pieces = parse_stream(limits, knobs.pieces());
    assert_eq!(whole, pieces, "parsing depends on the split points");
    for reply in &whole.0 {
        round_trip(reply);
    }
    if let Ok(reply) = Reply::parse_text(&String::from_utf8_lossy(knobs.payload)) {
        round_trip(&reply);
    }
}
