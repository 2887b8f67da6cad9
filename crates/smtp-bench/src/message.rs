//! The message every session sends: headers and ASCII lines up to the requested size, already
//! ending in `CRLF . CRLF`, with no line starting with a dot (nothing to stuff).

/// The envelope and transaction commands, written as one block.
pub const TRANSACTION: &[u8] =
    b"MAIL FROM:<bench@example.org>\r\nRCPT TO:<sink@example.net>\r\nDATA\r\n";
/// The three commands of [`TRANSACTION`] one by one, for sessions without pipelining.
pub const MAIL: &[u8] = b"MAIL FROM:<bench@example.org>\r\n";
/// See [`MAIL`].
pub const RCPT: &[u8] = b"RCPT TO:<sink@example.net>\r\n";
/// See [`MAIL`].
pub const DATA: &[u8] = b"DATA\r\n";

const HEADERS: &[u8] = b"From: bench@example.org\r\nTo: sink@example.net\r\nSubject: benchmark\r\nMessage-ID: <bench@example.org>\r\n\r\n";
const LINE: &[u8] = b"The quick brown fox jumps over the lazy dog; benchmark text 0123456789 ABCD";

/// A message of about `size` octets (never less than the headers and one line) followed by
/// the end-of-data marker.
pub fn body(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + LINE.len() + 8);
    out.extend_from_slice(HEADERS);
    loop {
        let room = size.saturating_sub(out.len() + 2);
        let take = room.min(LINE.len()).max(1);
        out.extend_from_slice(LINE.get(..take).unwrap_or(LINE));
        out.extend_from_slice(b"\r\n");
        if out.len() >= size {
            break;
        }
    }
    out.extend_from_slice(b".\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_the_size_asked_and_end_in_the_marker() {
        for size in [0, 1, 200, 1024, 1_048_576] {
            let body = body(size);
            let content = body.strip_suffix(b".\r\n").unwrap();
            assert!(content.ends_with(b"\r\n"));
            assert!(content.len() >= size && content.len() <= size.max(HEADERS.len()) + 3);
            assert!(!content.windows(3).any(|w| w == b"\n.\r" || w == b"\n.."), "no dot lines");
            assert!(content.split(|&b| b == b'\n').all(|line| line.len() <= 80));
            assert!(!content.windows(2).any(|w| w[1] == b'\n' && w[0] != b'\r'), "only CRLF");
        }
        assert_eq!(TRANSACTION, [MAIL, RCPT, DATA].concat());
    }
}
