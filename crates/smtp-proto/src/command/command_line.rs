//! The first level: a line split into verb and argument, before any session check.

use super::{Command, ParseContext, UnknownVerb, Verb, is_arg_space};
use crate::reply::Reply;

/// A command line split at its first space: the verb and the whitespace-stripped argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandLine<'a> {
    /// The verb, or the unknown verb as sent.
    pub verb: Result<Verb, UnknownVerb<'a>>,
    /// The argument, `None` when absent or blank.
    pub arg: Option<&'a str>,
}

impl<'a> CommandLine<'a> {
    /// Splits `line` (trailing CR/LF are stripped if still present), as aiosmtpd does:
    /// an empty line or a non-ASCII verb is `500 Error: bad syntax`; a non-ASCII argument while
    /// SMTPUTF8 is not offered, or an argument that is not UTF-8, is `500 Error: strict ASCII
    /// mode`. An argument holding a NUL or a CR (one not at the end of the line) is
    /// `500 Error: bad syntax` (a deliberate difference: aiosmtpd passes them on, and a HELO
    /// name or an address with them would end up inside header fields such as `Received:`).
    /// A line of spaces gives the unknown verb `""`.
    pub fn parse(line: &'a [u8], ctx: &ParseContext) -> Result<Self, Reply> {
        let line = strip_line_end(line);
        if line.is_empty() {
            return Err(Reply::bad_syntax());
        }
        let (verb, arg) = match memchr::memchr(b' ', line) {
            Some(space) => {
                (line.get(..space).unwrap_or_default(), line.get(space + 1..).unwrap_or_default())
            }
            None => (line, &b""[..]),
        };
        let verb = match Verb::parse(verb) {
            Some(verb) => Ok(verb),
            None if verb.is_ascii() => {
                Err(UnknownVerb(std::str::from_utf8(verb).map_err(|_| Reply::bad_syntax())?))
            }
            None => return Err(Reply::bad_syntax()),
        };
        let arg = strip_spaces(arg);
        if arg.is_empty() {
            return Ok(Self { verb, arg: None });
        }
        if has_forbidden_control(arg) {
            return Err(Reply::bad_syntax());
        }
        if !ctx.smtputf8 && !arg.is_ascii() {
            return Err(Reply::strict_ascii());
        }
        let arg = std::str::from_utf8(arg).map_err(|_| Reply::strict_ascii())?;
        Ok(Self { verb, arg: Some(arg) })
    }

    /// The longest line this command may have (see [`ParseContext::max_line_len`]); the
    /// server answers [`Reply::command_too_long`] when the framed line is longer.
    pub fn max_line_len(&self, ctx: &ParseContext) -> usize {
        ctx.max_line_len(self.verb.ok())
    }

    /// The second level: parses the argument for the verb (after the server's state checks).
    /// An unknown verb is `500 Error: command "<VERB>" not recognized`.
    pub fn command(&self, ctx: &ParseContext) -> Result<Command<'a>, Reply> {
        match self.verb {
            Ok(verb) => super::args::parse(verb, self.arg, ctx),
            Err(unknown) => Err(Reply::unknown_command(&unknown.to_uppercase())),
        }
    }
}

fn strip_line_end(line: &[u8]) -> &[u8] {
    let keep = line.iter().rposition(|&b| b != b'\r' && b != b'\n').map_or(0, |pos| pos + 1);
    line.get(..keep).unwrap_or_default()
}

/// Whether `arg` holds a byte no command argument may carry: NUL, or a CR that is not part of
/// the line end.
fn has_forbidden_control(arg: &[u8]) -> bool {
    memchr::memchr2(b'\0', b'\r', arg).is_some()
}

/// Strips the whitespace Python's `bytes.strip()` strips.
fn strip_spaces(bytes: &[u8]) -> &[u8] {
    let is_space = |b: &u8| is_arg_space(char::from(*b));
    let start = bytes.iter().position(|b| !is_space(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !is_space(b)).map_or(start, |pos| pos + 1);
    bytes.get(start..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(
        line: &[u8],
        smtputf8: bool,
    ) -> Result<(Result<Verb, String>, Option<String>), String> {
        let ctx = ParseContext { smtputf8, ..ParseContext::default() };
        CommandLine::parse(line, &ctx)
            .map(|parsed| (parsed.verb.map_err(|u| u.0.to_owned()), parsed.arg.map(str::to_owned)))
            .map_err(|reply| reply.to_string())
    }

    #[test]
    fn first_level_table() {
        let bad = Err("500 5.5.2 Error: bad syntax".to_owned());
        let ascii = Err("500 5.5.2 Error: strict ASCII mode".to_owned());
        let known = |verb, arg: Option<&str>| Ok((Ok(verb), arg.map(str::to_owned)));
        let unknown =
            |verb: &str, arg: Option<&str>| Ok((Err(verb.to_owned()), arg.map(str::to_owned)));
        let cases: Vec<(&[u8], bool, Result<_, String>)> = vec![
            (b"", false, bad.clone()),
            (b"\r\n", false, bad.clone()),
            (b"NOOP", false, known(Verb::Noop, None)),
            (b"noop\r\n", false, known(Verb::Noop, None)),
            (b"NOOP ", false, known(Verb::Noop, None)),
            (b"NOOP  \t hello there \x0b", false, known(Verb::Noop, Some("hello there"))),
            (b"HELO a b", false, known(Verb::Helo, Some("a b"))),
            (b"   ", false, unknown("", None)),
            (b" NOOP", false, unknown("", Some("NOOP"))),
            (b"NOOP\rNOOP", false, unknown("NOOP\rNOOP", None)),
            (b"XYZZY arg", false, unknown("XYZZY", Some("arg"))),
            (b"\0\0 \0", false, bad.clone()),
            (b"\0\0 x", false, unknown("\0\0", Some("x"))),
            (b"HELO client\0.example", false, bad.clone()),
            (b"HELO client\r.example", false, bad.clone()),
            (b"NOOP x\0y", true, bad.clone()),
            (b"MAIL FROM:<a\r@example.com>", false, bad.clone()),
            (b"NOOP x\r\r\n", false, known(Verb::Noop, Some("x"))),
            (b"N\xc3\x96OP", false, bad.clone()),
            (b"\x80FAIL x", true, bad.clone()),
            (b"NOOP gr\xc3\xbc\xc3\x9fe", false, ascii.clone()),
            (b"EHLO h\xc3\xa9", false, ascii.clone()),
            (b"NOOP gr\xc3\xbc\xc3\x9fe", true, known(Verb::Noop, Some("grüße"))),
            (b"NOOP \xff\xfe", true, ascii.clone()),
            (b"NOOP \xc3", true, ascii.clone()),
        ];
        for (line, smtputf8, expected) in cases {
            assert_eq!(split(line, smtputf8), expected, "line {:?}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn line_length_helper_uses_the_verb() {
        let ctx = ParseContext { extended: true, size_offered: true, ..ParseContext::default() };
        let mail = CommandLine::parse(b"MAIL FROM:<a@b>", &ctx).unwrap();
        let rcpt = CommandLine::parse(b"RCPT TO:<a@b>", &ctx).unwrap();
        let unknown = CommandLine::parse(b"MAILX", &ctx).unwrap();
        assert_eq!(
            (mail.max_line_len(&ctx), rcpt.max_line_len(&ctx), unknown.max_line_len(&ctx)),
            (538, 512, 512)
        );
    }

    #[test]
    fn unknown_verb_reply_is_upper_cased() {
        let line = CommandLine::parse(b"xyzzy 1", &ParseContext::default()).unwrap();
        let reply = line.command(&ParseContext::default()).unwrap_err();
        assert_eq!(reply.to_string(), "500 5.5.2 Error: command \"XYZZY\" not recognized");
    }
}
