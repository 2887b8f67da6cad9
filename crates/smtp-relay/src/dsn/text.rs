//! Making untrusted text safe for a message: one line, folded, at most 998 octets a line.

/// The longest line RFC 5322 allows, without CRLF.
pub(crate) const MAX_LINE: usize = 998;

/// Where lines are folded when possible.
const FOLD_AT: usize = 78;

/// `text` on one line: CR, LF and other control characters become spaces, runs of spaces
/// collapse, the ends are trimmed. Multi-line replies become one line.
pub(crate) fn one_line(text: &str) -> String {
    let replaced: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    replaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits `text` (one line) into lines of at most [`FOLD_AT`] octets where it has spaces,
/// and never more than [`MAX_LINE`] minus `indent`; the first line leaves room for `first`
/// octets already written (a field name). Words longer than a line are cut at character
/// boundaries.
pub(crate) fn wrap(text: &str, first: usize, indent: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = first;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let mut word = word;
        loop {
            let room = MAX_LINE.saturating_sub(used.max(indent));
            let needed = word.len() + usize::from(!line.is_empty());
            if used + needed <= FOLD_AT || (line.is_empty() && word.len() <= room) {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
                used += needed;
                break;
            }
            if line.is_empty() {
                // A word longer than a whole line: cut it.
                let cut = floor_char_boundary(word, room.max(1));
                let (head, tail) = word.split_at(cut);
                lines.push(head.to_owned());
                word = tail;
            } else {
                lines.push(std::mem::take(&mut line));
            }
            used = indent;
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    if index == 0 {
        // The first character is longer than the room: take it whole.
        index = text.chars().next().map_or(text.len(), char::len_utf8);
    }
    index
}

/// A header field `Name: value` with the value made one line and folded (continuation lines
/// start with a space), each line ended with CRLF.
pub(crate) fn push_field(out: &mut Vec<u8>, name: &str, value: &str) {
    let lines = wrap(&one_line(value), name.len() + 2, 1);
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    for (n, line) in lines.iter().enumerate() {
        if n > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// A body paragraph: `text` made one line and wrapped, continuation lines indented by
/// `indent` spaces.
pub(crate) fn push_paragraph(out: &mut Vec<u8>, text: &str, indent: usize) {
    for (n, line) in wrap(&one_line(text), 0, indent).iter().enumerate() {
        if n > 0 {
            out.extend(std::iter::repeat_n(b' ', indent));
        }
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// The header block at the start of a message: up to the first empty line (excluded), at
/// most `limit` octets (a line cut by the limit is dropped), lines ended with CRLF, bare CR
/// and NUL removed, lines longer than [`MAX_LINE`] cut.
pub(crate) fn header_block(message: &[u8], limit: usize) -> Vec<u8> {
    let window = message.get(..limit.min(message.len())).unwrap_or(message);
    let whole = window.len() == message.len();
    let mut lines: Vec<&[u8]> = window.split(|&b| b == b'\n').collect();
    // The piece after the last LF is empty when the window ends with LF, and a line cut by
    // the limit when the window is not the whole message: not a complete line either way.
    if window.ends_with(b"\n") || !whole {
        lines.pop();
    }
    let mut out = Vec::with_capacity(window.len() + 64);
    for line in lines {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let clean: Vec<u8> = line.iter().copied().filter(|&b| b != b'\r' && b != 0).collect();
        out.extend_from_slice(clean.get(..MAX_LINE).unwrap_or(&clean));
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_removes_line_breaks_and_controls() {
        let cases = [
            ("550-5.1.1 first\r\n550 5.1.1 second\r\n", "550-5.1.1 first 550 5.1.1 second"),
            ("a\rb\nc\0d\te", "a b c d e"),
            ("  spaced   out ", "spaced out"),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(one_line(input), expected);
        }
    }

    #[test]
    fn fields_fold_at_spaces_and_never_exceed_998_octets() {
        let long_word = "x".repeat(2500);
        let words = "word ".repeat(100);
        let accented = "é".repeat(700);
        for value in [long_word.as_str(), words.as_str(), accented.as_str(), "short", ""] {
            let mut out = Vec::new();
            push_field(&mut out, "Diagnostic-Code", value);
            let text = String::from_utf8(out).unwrap();
            assert!(text.starts_with("Diagnostic-Code: "));
            assert!(text.ends_with("\r\n"));
            let lines: Vec<&str> = text.split_terminator("\r\n").collect();
            for (n, line) in lines.iter().enumerate() {
                assert!(line.len() <= MAX_LINE, "line {n} has {} octets", line.len());
                assert!(!line.contains(['\r', '\n']));
                assert!(n == 0 || line.starts_with(' '), "continuations are folded");
            }
            // Unfolding gives the words back (a cut word gains a space at the cut).
            let unfolded = text.replace("\r\n ", " ");
            let got: String =
                unfolded.trim_end().trim_start_matches("Diagnostic-Code:").split(' ').collect();
            assert_eq!(got, value.replace(' ', ""));
        }
        let mut out = Vec::new();
        push_field(&mut out, "Subject", &"word ".repeat(30));
        let text = String::from_utf8(out).unwrap();
        assert!(text.split_terminator("\r\n").all(|l| l.len() <= 78), "{text}");
    }

    #[test]
    fn header_blocks_stop_at_the_empty_line_and_the_limit() {
        let cases: [(&[u8], usize, &[u8]); 8] = [
            (b"A: 1\r\nB: 2\r\n\r\nbody\r\n", 1000, b"A: 1\r\nB: 2\r\n"),
            (b"A: 1\nB: 2\n\nbody\n", 1000, b"A: 1\r\nB: 2\r\n"),
            (b"A: 1\r\n folded\r\n\r\n", 1000, b"A: 1\r\n folded\r\n"),
            (b"A: x\ry\0z\r\n\r\n", 1000, b"A: xyz\r\n"),
            // No empty line: everything is headers, the last line kept when complete.
            (b"A: 1\r\nB: 2", 1000, b"A: 1\r\nB: 2\r\n"),
            // The limit cuts line B: it is dropped.
            (b"A: 1\r\nB: 22222\r\n\r\n", 10, b"A: 1\r\n"),
            (b"", 1000, b""),
            (b"\r\nbody", 1000, b""),
        ];
        for (message, limit, expected) in cases {
            assert_eq!(
                header_block(message, limit),
                expected,
                "{:?}",
                String::from_utf8_lossy(message)
            );
        }
        let long = [b"X: ".as_slice(), &[b'y'; 3000], b"\r\n\r\n"].concat();
        let block = header_block(&long, 65_536);
        assert_eq!(block.len(), MAX_LINE + 2);
    }
}
