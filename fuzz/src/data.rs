//! The `data` target: [`DataDecoder`] with fuzzed limits, policy and split points, compared with
//! the [reference decoder](crate::reference).
//!
//! Invariants: no panic; the end of data is found exactly where the reference finds it (only at
//! CRLF `.` CRLF, or `.` CRLF at the very start), and never when the reference finds none;
//! after the end nothing more is consumed; the sink gets a prefix of the reference content and
//! never more than `max_size` bytes; an accepted message is the reference content with the
//! reference figures; a refused one breaks a limit the reference also sees broken.

use smtp_proto::data::{BareLineEndingPolicy, DataDecoder, DataLimits, DecodeStatus};

use crate::knobs::Knobs;
use crate::reference;

/// Limits and policy chosen by the option byte.
pub fn limits(knobs: &Knobs<'_>) -> DataLimits {
    let policy = match knobs.choice(0, 4) {
        1 => BareLineEndingPolicy::Normalize,
        2 => BareLineEndingPolicy::Reject,
        _ => BareLineEndingPolicy::Keep,
    };
    let scale = knobs.options >> 4;
    let mut limits = DataLimits::unlimited().with_bare_line_endings(policy);
    if knobs.flag(2) {
        limits = limits.with_max_size(u64::from(scale) * 13);
    }
    if knobs.flag(3) {
        limits = limits.with_max_line_len(3 + usize::from(scale) * 5);
    }
    limits
}

/// Runs one input.
pub fn run(input: &[u8]) {
    let knobs = Knobs::new(input);
    let limits = limits(&knobs);
    let expected = reference::decode(knobs.payload, limits);
    let mut decoder = DataDecoder::new(limits);
    let mut sunk = Vec::new();
    let mut offset = 0;
    let mut end = None;
    for piece in knobs.pieces() {
        let status = decoder.decode(piece, |bytes| sunk.extend_from_slice(bytes));
        match (status, end) {
            (DecodeStatus::NeedMore, None) => offset += piece.len(),
            (DecodeStatus::Finished { consumed }, None) => {
                assert!(consumed <= piece.len(), "consumed {consumed} of {}", piece.len());
                end = Some(offset + consumed);
            }
            (DecodeStatus::Finished { consumed: 0 }, Some(_)) => {}
            (status, Some(_)) => panic!("decoding went on after the end: {status:?}"),
        }
        if let Some(max) = limits.max_size {
            assert!(sunk.len() as u64 <= max, "sink got {} bytes over max {max}", sunk.len());
        }
    }
    assert_eq!(end, expected.as_ref().map(|e| e.consumed), "end of data differs");
    assert_eq!(decoder.is_finished(), end.is_some());
    let Some(expected) = expected else {
        assert!(decoder.finish().is_none());
        // What was handed out so far must be the start of the message however it ends.
        let mut ended = knobs.payload.to_vec();
        ended.extend_from_slice(b"\r\n.\r\n");
        let completed = reference::decode(&ended, limits).map(|d| d.content).unwrap_or_default();
        assert!(completed.starts_with(&sunk), "sink is not a prefix of the reference");
        return;
    };
    assert!(expected.content.starts_with(&sunk), "sink is not a prefix of the reference");
    match decoder.finish() {
        Some(Ok(stats)) => {
            assert!(expected.violations.is_empty(), "accepted despite {:?}", expected.violations);
            assert_eq!(sunk, expected.content);
            assert_eq!(stats.size, expected.content.len() as u64);
            assert_eq!(stats.wire_size, expected.consumed as u64);
            assert_eq!(stats.bare_line_endings, expected.bare_line_endings);
        }
        Some(Err(error)) => {
            assert!(expected.violations.contains(&error), "{error:?} not in {expected:?}");
        }
        None => panic!("finished decoder has no outcome"),
    }
}
