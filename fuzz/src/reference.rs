//! A deliberately simple reference DATA decoder (RFC 5321 §4.1.1.4 and §4.5.2), written from
//! the RFC rather than from the real decoder, to compare against it.
//!
//! The data is cut into lines at CRLF only. A line that is exactly `.` ends the data; a line
//! starting with `.` loses that dot; every other byte, bare CR and bare LF included, is data.

use smtp_proto::data::{BareLineEndingPolicy, DataError, DataLimits};

/// What the reference makes of the bytes after `354`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The message (unstuffed, normalised under [`BareLineEndingPolicy::Normalize`]).
    pub content: Vec<u8>,
    /// Bytes up to and including the end-of-data line.
    pub consumed: usize,
    /// Bare CRs and LFs inside the lines.
    pub bare_line_endings: u64,
    /// Every limit the message breaks (the real decoder reports the first in stream order).
    pub violations: Vec<DataError>,
}

/// Decodes `input` from the start of the data; `None` when there is no end-of-data line.
pub fn decode(input: &[u8], limits: DataLimits) -> Option<Decoded> {
    let mut content = Vec::new();
    let mut bare_line_endings = 0;
    let mut violations = Vec::new();
    let mut pos = 0;
    loop {
        let rest = input.get(pos..)?;
        let crlf = rest.windows(2).position(|pair| pair == b"\r\n")?;
        let line = rest.get(..crlf)?;
        if line == b"." {
            let consumed = pos + crlf + 2;
            check_size(&content, limits, &mut violations);
            return Some(Decoded { content, consumed, bare_line_endings, violations });
        }
        if limits.max_line_len.is_some_and(|max| crlf + 2 > max) {
            violations.push(DataError::LineTooLong);
        }
        let text = line.strip_prefix(b".").unwrap_or(line);
        for &byte in text {
            let bare = byte == b'\r' || byte == b'\n';
            if bare {
                bare_line_endings += 1;
            }
            match limits.bare_line_endings {
                BareLineEndingPolicy::Normalize if bare => content.extend_from_slice(b"\r\n"),
                BareLineEndingPolicy::Reject if bare => {
                    violations.push(DataError::BareLineEnding);
                    content.push(byte);
                }
                _ => content.push(byte),
            }
        }
        content.extend_from_slice(b"\r\n");
        pos += crlf + 2;
    }
}

fn check_size(content: &[u8], limits: DataLimits, violations: &mut Vec<DataError>) {
    if limits.max_size.is_some_and(|max| content.len() as u64 > max) {
        violations.push(DataError::TooMuchData);
    }
}

/// Where DATA's bytes may start in a client's input: after every line that reads `DATA`
/// (any case, trailing spaces, CRs and LFs ignored). Lines end at LF, as the server frames
/// them.
pub fn data_starts(input: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut line_start = 0;
    for (index, &byte) in input.iter().enumerate() {
        if byte != b'\n' {
            continue;
        }
        let line = input.get(line_start..index).unwrap_or_default();
        let trimmed = line.trim_ascii_end();
        if trimmed.eq_ignore_ascii_case(b"DATA") {
            starts.push(index + 1);
        }
        line_start = index + 1;
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_decodes_the_rfc_examples() {
        let keep = DataLimits::unlimited();
        let normalize = keep.with_bare_line_endings(BareLineEndingPolicy::Normalize);
        let reject = keep.with_bare_line_endings(BareLineEndingPolicy::Reject);
        let cases: [(&[u8], DataLimits, Option<(&[u8], usize)>, usize); 7] = [
            (b".\r\n", keep, Some((b"", 3)), 0),
            (b"a\r\n..b\r\n.\r\nQUIT\r\n", keep, Some((b"a\r\n.b\r\n", 11)), 0),
            (b"a\n.\nb\r\n.\r\n", keep, Some((b"a\n.\nb\r\n", 10)), 0),
            (b"a\n.\r\n", keep, None, 0),
            (b"a\rb\r\n.\r\n", normalize, Some((b"a\r\nb\r\n", 8)), 0),
            (b"a\rb\r\n.\r\n", reject, Some((b"a\rb\r\n", 8)), 1),
            (
                b"12345\r\n.\r\n",
                keep.with_max_size(6).with_max_line_len(6),
                Some((b"12345\r\n", 10)),
                2,
            ),
        ];
        for (input, limits, expected, violations) in cases {
            let decoded = decode(input, limits);
            let got = decoded.as_ref().map(|d| (d.content.as_slice(), d.consumed));
            assert_eq!(got, expected, "{input:?}");
            assert_eq!(decoded.map_or(0, |d| d.violations.len()), violations, "{input:?}");
        }
    }

    #[test]
    fn data_starts_follow_data_lines_only() {
        let input = b"EHLO x\r\nDATA\r\nbody\r\ndata \r\nxDATA\r\n";
        assert_eq!(data_starts(input), [14, 27]);
    }
}
