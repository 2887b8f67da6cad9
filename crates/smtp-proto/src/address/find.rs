//! Finding the path in a MAIL or RCPT argument: bracketed up to the matching `>`, or (like
//! Postfix) unbracketed up to the first space, quoted strings skipped whole.

use super::AddressError;

/// Where the path is in a MAIL or RCPT argument.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Found<'a> {
    /// The path without its angle brackets.
    pub(super) path: &'a str,
    /// Whether it was in angle brackets.
    pub(super) bracketed: bool,
    /// The text after it, leading spaces trimmed.
    pub(super) rest: &'a str,
}

/// Finds the path at the start of `text`: up to the matching `>`, or without brackets up to the
/// first space; in both cases a quoted string is skipped whole.
pub(super) fn find_path(text: &str) -> Result<Found<'_>, AddressError> {
    let text = text.trim_start_matches(' ');
    if text.is_empty() {
        return Err(AddressError::Empty);
    }
    if let Some(inner) = text.strip_prefix('<') {
        let end = scan(inner, Stop::CloseBracket).ok_or(AddressError::Syntax)??;
        let (path, after) = split_around(inner, end);
        if !(after.is_empty() || after.starts_with(' ')) {
            return Err(AddressError::Syntax);
        }
        Ok(Found { path, bracketed: true, rest: after.trim_start_matches(' ') })
    } else {
        let end = scan(text, Stop::Space).unwrap_or(Ok(text.len()))?;
        let (path, after) = text.split_at(end);
        let rest = after.trim_start_matches(' ');
        if rest.starts_with('<') {
            // `Anne <anne@example.com>`: a display name, not a path.
            return Err(AddressError::Syntax);
        }
        Ok(Found { path, bracketed: false, rest })
    }
}

/// What ends a path in [`scan`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// The closing `>` of a bracketed path.
    CloseBracket,
    /// The space after an unbracketed path.
    Space,
}

/// The index of the byte ending the path (outside quoted strings), `None` when the text ends
/// first, or `Some(Err(Syntax))` at a stray angle bracket. One pass over the bytes: the
/// delimiters are ASCII, so UTF-8 continuation bytes never match them.
fn scan(text: &str, stop: Stop) -> Option<Result<usize, AddressError>> {
    let mut quoted = false;
    let mut escaped = false;
    for (index, byte) in text.bytes().enumerate() {
        if quoted {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match (byte, stop) {
            (b'"', _) => quoted = true,
            (b'>', Stop::CloseBracket) | (b' ', Stop::Space) => return Some(Ok(index)),
            (b'<' | b'>', _) => return Some(Err(AddressError::Syntax)),
            _ => {}
        }
    }
    None
}

/// The text before the byte at `index` and the text after it (`index` is an ASCII delimiter).
pub(super) fn split_around(text: &str, index: usize) -> (&str, &str) {
    let (before, from) = text.split_at(index);
    (before, from.get(1..).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_path_and_the_rest() {
        use AddressError::{Empty, Syntax};
        // (argument, Ok((path, bracketed, rest)) or the error)
        let table = [
            ("<a@b>", Ok(("a@b", true, ""))),
            ("  <a@b>  X=1 Y=2", Ok(("a@b", true, "X=1 Y=2"))),
            ("<>", Ok(("", true, ""))),
            ("a@b X=1", Ok(("a@b", false, "X=1"))),
            ("<\"a> <b\"@c> X", Ok(("\"a> <b\"@c", true, "X"))),
            ("\"a b\"@c X", Ok(("\"a b\"@c", false, "X"))),
            ("<\"a\\\">\"@c>", Ok(("\"a\\\">\"@c", true, ""))),
            ("\"a\\\" b\"@c d", Ok(("\"a\\\" b\"@c", false, "d"))),
            ("a\\ b", Ok(("a\\", false, "b"))),
            ("\"open", Ok(("\"open", false, ""))),
            ("", Err(Empty)),
            ("  ", Err(Empty)),
            ("<a@b", Err(Syntax)),
            ("<\"a@b>", Err(Syntax)),
            ("<a<b>", Err(Syntax)),
            ("<a@b>c", Err(Syntax)),
            ("a>b", Err(Syntax)),
            ("a<b", Err(Syntax)),
            ("Anne <a@b>", Err(Syntax)),
        ];
        for (text, expected) in table {
            let found = find_path(text).map(|f| (f.path, f.bracketed, f.rest));
            assert_eq!(found, expected, "{text:?}");
        }
    }
}
