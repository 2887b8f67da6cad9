use proptest::prelude::*;

use super::*;

/// What feeding some pieces produced.
#[derive(Debug, PartialEq, Eq)]
struct Run {
    /// The bytes handed to the sink.
    body: Vec<u8>,
    /// Where the end-of-data line ended in the whole input, if it was found.
    end: Option<usize>,
    outcome: Option<Result<MessageStats, DataError>>,
}

fn feed(limits: DataLimits, pieces: &[&[u8]]) -> Run {
    let mut decoder = DataDecoder::new(limits);
    let mut body = Vec::new();
    let mut before = 0;
    let mut end = None;
    for piece in pieces {
        match decoder.decode(piece, |bytes| body.extend_from_slice(bytes)) {
            DecodeStatus::NeedMore => before += piece.len(),
            DecodeStatus::Finished { consumed } => {
                end = Some(before + consumed);
                break;
            }
        }
    }
    Run { body, end, outcome: decoder.finish() }
}

fn split_at_points<'a>(input: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for &point in points {
        let point = point.clamp(start, input.len());
        pieces.push(&input[start..point]);
        start = point;
    }
    pieces.push(&input[start..]);
    pieces
}

/// Decodes `input` whole, byte by byte, and split at every point (and at every pair of points
/// when `pairs`), asserting that every way gives `expected`. When the message is refused the
/// body handed out is not compared (it is discarded), only the end and the error.
fn assert_every_split(limits: DataLimits, input: &[u8], expected: &Run, pairs: bool) {
    let check = |pieces: &[&[u8]], how: &str| {
        let run = feed(limits, pieces);
        let accepted = matches!(expected.outcome, Some(Ok(_)));
        assert_eq!(run.end, expected.end, "end, {how}, input {}", input.escape_ascii());
        assert_eq!(run.outcome, expected.outcome, "outcome, {how}, {}", input.escape_ascii());
        if accepted {
            assert_eq!(
                run.body.escape_ascii().to_string(),
                expected.body.escape_ascii().to_string(),
                "body, {how}"
            );
        }
    };
    check(&[input], "whole");
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    check(&bytes, "byte by byte");
    for first in 0..=input.len() {
        check(&split_at_points(input, &[first]), &format!("split at {first}"));
        if pairs {
            for second in first..=input.len() {
                let how = format!("split at {first} and {second}");
                check(&split_at_points(input, &[first, second]), &how);
            }
        }
    }
}

fn accepted(body: &[u8], wire_size: usize, bare: u64) -> Run {
    let stats = MessageStats {
        size: body.len() as u64,
        wire_size: wire_size as u64,
        bare_line_endings: bare,
    };
    Run { body: body.to_vec(), end: Some(wire_size), outcome: Some(Ok(stats)) }
}

fn refused(wire_size: usize, error: DataError) -> Run {
    Run { body: Vec::new(), end: Some(wire_size), outcome: Some(Err(error)) }
}

const KEEP: DataLimits = DataLimits::unlimited();
const NORMALIZE: DataLimits =
    DataLimits::unlimited().with_bare_line_endings(BareLineEndingPolicy::Normalize);
const REJECT: DataLimits =
    DataLimits::unlimited().with_bare_line_endings(BareLineEndingPolicy::Reject);

/// Each smuggling vector between `x` and `y`, and the message it gives when kept and when
/// normalised; with the reject policy the message is refused. In every policy the data goes on
/// to the real end, and the pipelined `QUIT` is not consumed.
#[test]
fn smuggling_vectors_never_end_the_data() {
    type Vector = (&'static [u8], &'static [u8], &'static [u8], u64);
    let table: [Vector; 7] = [
        (b"\n.\n", b"x\n.\ny\r\n", b"x\r\n.\r\ny\r\n", 2),
        (b"\n.\r\n", b"x\n.\r\ny\r\n", b"x\r\n.\r\ny\r\n", 1),
        (b"\r\n.\n", b"x\r\n\ny\r\n", b"x\r\n\r\ny\r\n", 1),
        (b"\r.\r\n", b"x\r.\r\ny\r\n", b"x\r\n.\r\ny\r\n", 1),
        (b"\r\n.\r\r\n", b"x\r\n\r\r\ny\r\n", b"x\r\n\r\n\r\ny\r\n", 1),
        (b"\r\n.\r", b"x\r\n\ry\r\n", b"x\r\n\r\ny\r\n", 1),
        (b"\n..\r\n", b"x\n..\r\ny\r\n", b"x\r\n..\r\ny\r\n", 1),
    ];
    for (vector, kept, normalized, bare) in table {
        let mut input = b"x".to_vec();
        input.extend_from_slice(vector);
        input.extend_from_slice(b"y\r\n.\r\n");
        let end = input.len();
        input.extend_from_slice(b"QUIT\r\n");

        assert_every_split(KEEP, &input, &accepted(kept, end, bare), true);
        assert_every_split(NORMALIZE, &input, &accepted(normalized, end, bare), true);
        assert_every_split(REJECT, &input, &refused(end, DataError::BareLineEnding), true);
    }
}

/// The smuggling vectors right at the start of the body (the CRLF of `DATA` precedes them).
#[test]
fn smuggling_vectors_at_the_start_of_the_body() {
    let table: [(&[u8], &[u8], &[u8]); 4] = [
        (b".\nMAIL\r\n.\r\n", b"\nMAIL\r\n", b"\r\nMAIL\r\n"),
        (b".\rMAIL\r\n.\r\n", b"\rMAIL\r\n", b"\r\nMAIL\r\n"),
        (b".\r\r\n.\r\n", b"\r\r\n", b"\r\n\r\n"),
        (b"\n.\r\n.\r\n", b"\n.\r\n", b"\r\n.\r\n"),
    ];
    for (input, kept, normalized) in table {
        let end = input.len();
        let mut input = input.to_vec();
        input.extend_from_slice(b"RSET\r\n");
        assert_every_split(KEEP, &input, &accepted(kept, end, 1), true);
        assert_every_split(NORMALIZE, &input, &accepted(normalized, end, 1), true);
        assert_every_split(REJECT, &input, &refused(end, DataError::BareLineEnding), true);
    }
}

/// Dot-unstuffing and the end of data, as aiosmtpd does them (behaviour §4, data.cases).
#[test]
fn unstuffing_and_end_of_data() {
    let table: [(&[u8], &[u8]); 12] = [
        (b"Test\r\n..\r\nmail\r\n.\r\n", b"Test\r\n.\r\nmail\r\n"),
        (b".\r\n", b""),
        (b"\r\n.\r\n", b"\r\n"),
        (b"a\r\n.\r\n", b"a\r\n"),
        (b"..\r\n.\r\n", b".\r\n"),
        (b"..\r\nafter\r\n.\r\n", b".\r\nafter\r\n"),
        (
            b"..leading dot\r\n...two leading dots\r\na.b in the middle.\r\n.\r\n",
            b".leading dot\r\n..two leading dots\r\na.b in the middle.\r\n",
        ),
        (b".x\r\n.\r\n", b"x\r\n"),
        (b". \r\n .\r\nreal end follows\r\n.\r\n", b" \r\n .\r\nreal end follows\r\n"),
        (b".\nmore\r\n.\r\n", b"\nmore\r\n"),
        (b"caf\xc3\xa9 \xff\xfe\x00 raw\r\n.\r\n", b"caf\xc3\xa9 \xff\xfe\x00 raw\r\n"),
        (b"a.\r\n..\r\n.\r\n", b"a.\r\n.\r\n"),
    ];
    for (input, body) in table {
        let bare = u64::from(input.starts_with(b".\n"));
        let end = input.len();
        let mut input = input.to_vec();
        input.extend_from_slice(b"MAIL FROM:<a@b>\r\n");
        assert_every_split(KEEP, &input, &accepted(body, end, bare), true);
    }
}

fn line(prefix: &str, count: usize, fill: char) -> String {
    format!("{prefix}{}\r\n", fill.to_string().repeat(count))
}

/// Size and line-length limits, how they count, and which refusal wins.
#[test]
fn limits_count_and_the_first_refusal_wins() {
    use DataError::{BareLineEnding, LineTooLong, TooMuchData};
    let lines = DataLimits::unlimited().with_max_line_len(DataLimits::AIOSMTPD_MAX_LINE_LEN);
    let size_100 = DataLimits::unlimited().with_max_size(100);
    let size_1024 = DataLimits::unlimited().with_max_size(1024);
    let stuffed_block = line("..", 97, 'c').repeat(10);
    let header = "Subject: s\r\n\r\n";
    let table: Vec<(DataLimits, String, Result<u64, DataError>)> = vec![
        // aiosmtpd: 999 + CRLF accepted, 1000 + CRLF refused, the stuffing dot counts.
        (lines, line("", 999, 'a'), Ok(1001)),
        (lines, line("", 1000, 'a'), Err(LineTooLong)),
        (lines, line(".", 999, 'a'), Err(LineTooLong)),
        (lines, line("..", 997, 'a'), Ok(1000)),
        (lines, line("..", 998, 'a'), Err(LineTooLong)),
        (lines, line("", 5000, 'a') + "more\r\n", Err(LineTooLong)),
        // A bare LF does not end a line: both halves count.
        (lines, "a\n".repeat(499) + "a\r\n", Ok(1001)),
        (lines, "a\n".repeat(499) + "ab\r\n", Err(LineTooLong)),
        // Size: the unstuffed octets, limit included.
        (size_100, line("", 98, 'b'), Ok(100)),
        (size_100, line("", 99, 'b'), Err(TooMuchData)),
        (size_100, line("", 148, 'b'), Err(TooMuchData)),
        (size_100, line("..", 97, 'c'), Ok(100)),
        (size_100, line("", 40, 'b') + &line(".", 56, 'b'), Ok(100)),
        (size_1024, format!("{header}{stuffed_block}12345678\r\n"), Ok(1024)),
        (size_1024, format!("{header}{stuffed_block}123456789\r\n"), Err(TooMuchData)),
        (size_1024, line("", 900, 'c').repeat(2), Err(TooMuchData)),
        // First refusal in stream order, whatever the split.
        (
            DataLimits::unlimited().with_max_size(10).with_max_line_len(20),
            line("", 12, 'a') + &line("", 30, 'b'),
            Err(TooMuchData),
        ),
        (
            DataLimits::unlimited().with_max_size(100).with_max_line_len(5),
            line("", 8, 'a') + &line("", 300, 'b'),
            Err(LineTooLong),
        ),
        // Both trip on the 11th octet: the line length wins the tie.
        (
            DataLimits::unlimited().with_max_size(10).with_max_line_len(10),
            line("", 11, 'a'),
            Err(LineTooLong),
        ),
        (REJECT.with_max_size(4), "a\nbcdefgh\r\n".into(), Err(BareLineEnding)),
        (REJECT.with_max_size(4), "abcd\r\n\nx\r\n".into(), Err(TooMuchData)),
        // Normalising adds octets, and they count.
        (NORMALIZE.with_max_size(5), "a\n\r\n".into(), Ok(5)),
        (NORMALIZE.with_max_size(4), "a\n\r\n".into(), Err(TooMuchData)),
        (NORMALIZE.with_max_size(4), "ab\rc\r\n".into(), Err(TooMuchData)),
    ];
    for (limits, message, expected) in table {
        let mut input = message.into_bytes();
        input.extend_from_slice(b".\r\n");
        let end = input.len();
        input.extend_from_slice(b"QUIT\r\n");
        let run = feed(limits, &[&input]);
        let expected_run = match expected {
            Ok(size) => {
                assert_eq!(run.body.len() as u64, size);
                let bare = run.outcome.and_then(Result::ok).map_or(0, |s| s.bare_line_endings);
                Run {
                    body: run.body,
                    end: Some(end),
                    outcome: Some(Ok(MessageStats {
                        size,
                        wire_size: end as u64,
                        bare_line_endings: bare,
                    })),
                }
            }
            Err(error) => refused(end, error),
        };
        assert_every_split(limits, &input, &expected_run, false);
    }
}

#[test]
fn nothing_reaches_the_sink_after_a_refusal() {
    let limits = DataLimits::unlimited().with_max_size(5);
    let input = b"abc\r\ndefgh\r\n.\r\n";
    assert_eq!(feed(limits, &[input]).body, b"");
    let run = feed(limits, &[&input[..3], &input[3..]]);
    assert_eq!(run.body, b"abc");
    assert_eq!(run.outcome, Some(Err(DataError::TooMuchData)));
    let run = feed(REJECT, &[b"ok\r\n", b"bare\nmore\r\n", b"and more\r\n.\r\n"]);
    assert_eq!(run.body, b"ok\r\n");
}

#[test]
fn nothing_is_consumed_after_the_end() {
    let mut decoder = DataDecoder::new(KEEP);
    let mut body = Vec::new();
    assert_eq!(decoder.finish(), None);
    assert!(!decoder.is_finished());
    assert_eq!(decoder.decode(b"", |b| body.extend_from_slice(b)), DecodeStatus::NeedMore);
    assert_eq!(decoder.decode(b"a\r\n.", |b| body.extend_from_slice(b)), DecodeStatus::NeedMore);
    assert_eq!(decoder.finish(), None);
    let status = decoder.decode(b"\r\nb\r\n", |b| body.extend_from_slice(b));
    assert_eq!(status, DecodeStatus::Finished { consumed: 2 });
    assert!(decoder.is_finished());
    let status = decoder.decode(b"b\r\n.\r\n", |b| body.extend_from_slice(b));
    assert_eq!(status, DecodeStatus::Finished { consumed: 0 });
    assert_eq!(body, b"a\r\n");
    assert_eq!(decoder.limits(), KEEP);
    let stats = MessageStats { size: 3, wire_size: 6, bare_line_endings: 0 };
    assert_eq!(decoder.finish(), Some(Ok(stats)));
}

/// An independent, line-based model: split the stream at CRLF only (aiosmtpd's
/// `readuntil(b"\r\n")`), stop at the line `.` CRLF, drop one leading dot, and treat every CR or
/// LF left inside a line as bare. Returns the end, the message and the bare count.
fn model(input: &[u8], policy: BareLineEndingPolicy) -> Option<(usize, Vec<u8>, u64)> {
    let mut pos = 0;
    let mut body = Vec::new();
    let mut bare = 0;
    loop {
        let line_len = input[pos..].windows(2).position(|w| w == b"\r\n")? + 2;
        let line = &input[pos..pos + line_len];
        pos += line_len;
        if line == b".\r\n" {
            return Some((pos, body, bare));
        }
        let line = line.strip_prefix(b".").unwrap_or(line);
        for &byte in &line[..line.len() - 2] {
            let is_bare = byte == b'\r' || byte == b'\n';
            bare += u64::from(is_bare);
            if is_bare && policy == BareLineEndingPolicy::Normalize {
                body.extend_from_slice(b"\r\n");
            } else {
                body.push(byte);
            }
        }
        body.extend_from_slice(b"\r\n");
    }
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![Just(b'a'), Just(b'.'), Just(b'\r'), Just(b'\n'), Just(b' ')];
    proptest::collection::vec(byte, 0..120)
}

fn policy() -> impl Strategy<Value = BareLineEndingPolicy> {
    prop_oneof![
        Just(BareLineEndingPolicy::Keep),
        Just(BareLineEndingPolicy::Normalize),
        Just(BareLineEndingPolicy::Reject),
    ]
}

fn limits() -> impl Strategy<Value = DataLimits> {
    (proptest::option::of(0u64..80), proptest::option::of(0usize..24), policy()).prop_map(
        |(max_size, max_line_len, bare_line_endings)| DataLimits {
            max_size,
            max_line_len,
            bare_line_endings,
        },
    )
}

proptest! {
    /// Any split of the input gives the same end, outcome and (when accepted) message; the sink
    /// never gets more than the size limit.
    #[test]
    fn any_split_gives_the_same_result(
        input in stream(),
        limits in limits(),
        mut points in proptest::collection::vec(0usize..130, 0..6),
    ) {
        points.sort_unstable();
        let whole = feed(limits, &[&input]);
        let split = feed(limits, &split_at_points(&input, &points));
        prop_assert_eq!(&split.end, &whole.end);
        prop_assert_eq!(&split.outcome, &whole.outcome);
        if let Some(Ok(_)) = whole.outcome {
            prop_assert_eq!(&split.body, &whole.body);
        }
        if let Some(max) = limits.max_size {
            prop_assert!(split.body.len() as u64 <= max);
            prop_assert!(whole.body.len() as u64 <= max);
        }
    }

    /// Without limits the decoder agrees with the line-based model in every policy.
    #[test]
    fn agrees_with_the_line_model(input in stream(), policy in policy()) {
        let mut input = input;
        input.extend_from_slice(b"\r\n.\r\nNEXT");
        let run = feed(DataLimits::unlimited().with_bare_line_endings(policy), &[&input]);
        let (end, body, bare) = model(&input, policy).expect("the stream has an end");
        prop_assert_eq!(run.end, Some(end));
        if policy == BareLineEndingPolicy::Reject && bare > 0 {
            prop_assert_eq!(run.outcome, Some(Err(DataError::BareLineEnding)));
        } else {
            let stats = MessageStats {
                size: body.len() as u64,
                wire_size: end as u64,
                bare_line_endings: bare,
            };
            prop_assert_eq!(run.outcome, Some(Ok(stats)));
            prop_assert_eq!(run.body, body);
        }
    }
}
