//! Reading SMTP replies out of a byte buffer: the code of a complete (possibly multi-line)
//! reply and how many bytes it took, or "need more". Pure; the I/O is in [`crate::conn`].

/// A three-digit SMTP reply code as the server sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code(pub u16);

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The longest reply accepted (all lines together); a server sending more is broken.
pub const MAX_REPLY_LEN: usize = 64 * 1024;

/// What the buffer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole reply: its code and the bytes it took (through the last line's LF).
    Reply(Code, usize),
    /// The reply is not complete yet.
    Incomplete,
}

/// A reply line that is no SMTP reply.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed reply line: {0:?}")]
pub struct MalformedReply(pub String);

/// Finds the first complete reply at the start of `buf`. Every line must start with three
/// digits followed by `-` (more lines follow), a space, or the line end; the code of the last
/// line is the reply's code. A lone LF ends a line as CRLF does.
pub fn parse_reply(buf: &[u8]) -> Result<Parsed, MalformedReply> {
    let mut start = 0;
    while let Some(offset) = buf.get(start..).and_then(|rest| rest.iter().position(|&b| b == b'\n'))
    {
        let end = start + offset + 1;
        let line = buf.get(start..end).unwrap_or_default();
        let (code, more) = parse_line(line)?;
        if !more {
            return Ok(Parsed::Reply(code, end));
        }
        start = end;
    }
    Ok(Parsed::Incomplete)
}

/// The code of one line and whether more lines follow.
fn parse_line(line: &[u8]) -> Result<(Code, bool), MalformedReply> {
    let bad = || MalformedReply(String::from_utf8_lossy(line).trim_end().to_owned());
    let digits = line.get(..3).ok_or_else(bad)?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    let code = digits.iter().fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'));
    match line.get(3) {
        Some(b'-') => Ok((Code(code), true)),
        Some(b' ' | b'\r' | b'\n') => Ok((Code(code), false)),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_found_whole_or_reported_incomplete() {
        let cases: &[(&[u8], Result<Parsed, ()>)] = &[
            (b"220 ready\r\n", Ok(Parsed::Reply(Code(220), 11))),
            (b"250\r\n", Ok(Parsed::Reply(Code(250), 5))),
            (b"250 ok\n", Ok(Parsed::Reply(Code(250), 7))),
            (b"250-a\r\n250-b\r\n250 c\r\n354 go\r\n", Ok(Parsed::Reply(Code(250), 21))),
            (b"250-a\r\n250-b\r\n", Ok(Parsed::Incomplete)),
            (b"250 partial", Ok(Parsed::Incomplete)),
            (b"", Ok(Parsed::Incomplete)),
            (b"hello\r\n", Err(())),
            (b"25\r\n", Err(())),
            (b"250x\r\n", Err(())),
            (b"250-a\r\nxyz b\r\n", Err(())),
        ];
        for (input, expected) in cases {
            let got = parse_reply(input).map_err(|_| ());
            assert_eq!(&got, expected, "input {:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn the_last_line_gives_the_code() {
        assert_eq!(parse_reply(b"250-x\r\n550 no\r\n"), Ok(Parsed::Reply(Code(550), 15)));
    }
}
