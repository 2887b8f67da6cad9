//! The local part of a mailbox: a dot-string or a quoted string (RFC 5321 §4.1.2, RFC 6531).

use std::borrow::Cow;
use std::fmt;

use super::AddressError;
use super::chars::{is_atext, is_qtext, is_quotable};

/// The local part of a mailbox, kept as written: a dot-string (`alice.smith`) or a quoted
/// string (`"alice smith"`, with `\"` and `\\` escapes).
///
/// Two local parts are equal when they are written the same way; `"alice"` and `alice` differ.
///
/// ```
/// use smtp_proto::address::LocalPart;
///
/// let local = LocalPart::parse(r#""alice \"the\" smith""#).unwrap();
/// assert!(local.is_quoted());
/// assert_eq!(local.unquoted(), r#"alice "the" smith"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LocalPart<'a> {
    text: Cow<'a, str>,
    quoted: bool,
}

impl<'a> LocalPart<'a> {
    /// Parses a whole local part (no length limit; [`super::Mailbox`] parsing applies
    /// [`super::AddressLimits`]).
    pub fn parse(text: &'a str) -> Result<Self, AddressError> {
        match Self::parse_prefix(text)? {
            (local, "") => Ok(local),
            _ => Err(AddressError::Malformed),
        }
    }

    /// Parses the local part at the start of `text` and returns it with the text after it.
    pub(super) fn parse_prefix(text: &'a str) -> Result<(Self, &'a str), AddressError> {
        let (end, quoted) = if text.starts_with('"') {
            (quoted_string_end(text)?, true)
        } else {
            (dot_string_end(text)?, false)
        };
        let (local, rest) = text.split_at(end);
        Ok((Self { text: Cow::Borrowed(local), quoted }, rest))
    }

    /// The local part as written, quotes and backslashes included.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether it is a quoted string.
    pub fn is_quoted(&self) -> bool {
        self.quoted
    }

    /// Whether it is all ASCII (otherwise it needs SMTPUTF8).
    pub fn is_ascii(&self) -> bool {
        self.text.is_ascii()
    }

    /// The local part's value: a dot-string as written, a quoted string without its quotes and
    /// with its escapes resolved. Borrows unless there was an escape to resolve.
    pub fn unquoted(&self) -> Cow<'a, str> {
        match &self.text {
            Cow::Borrowed(text) if self.quoted => unquote(text),
            Cow::Borrowed(text) => Cow::Borrowed(text),
            Cow::Owned(text) if self.quoted => Cow::Owned(unquote(text).into_owned()),
            Cow::Owned(text) => Cow::Owned(text.clone()),
        }
    }

    /// Whether this is an unquoted `Postmaster`, in any letter case (RFC 5321 §4.1.1.3).
    pub fn is_postmaster(&self) -> bool {
        !self.quoted && self.text.eq_ignore_ascii_case("postmaster")
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> LocalPart<'static> {
        LocalPart { text: Cow::Owned(self.text.into_owned()), quoted: self.quoted }
    }

    /// The local part `Postmaster`, unquoted.
    pub(super) fn postmaster() -> LocalPart<'static> {
        LocalPart { text: Cow::Borrowed("Postmaster"), quoted: false }
    }
}

impl fmt::Display for LocalPart<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The end of the dot-string at the start of `text`: atoms of `atext` separated by single dots,
/// no dot first or last.
fn dot_string_end(text: &str) -> Result<usize, AddressError> {
    let end = text.find(|c: char| c != '.' && !is_atext(c)).unwrap_or(text.len());
    let dot_string = text.get(..end).unwrap_or_default();
    let well_formed = !dot_string.is_empty()
        && !dot_string.starts_with('.')
        && !dot_string.ends_with('.')
        && !dot_string.contains("..");
    if well_formed { Ok(end) } else { Err(AddressError::Malformed) }
}

/// The end (after the closing quote) of the quoted string at the start of `text`.
fn quoted_string_end(text: &str) -> Result<usize, AddressError> {
    let mut chars = text.char_indices().skip(1);
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return Ok(index + 1),
            '\\' => match chars.next() {
                Some((_, escaped)) if is_quotable(escaped) => {}
                _ => return Err(AddressError::Malformed),
            },
            c if is_qtext(c) => {}
            _ => return Err(AddressError::Malformed),
        }
    }
    Err(AddressError::Malformed)
}

/// The content of a well-formed quoted string, without its quotes and escapes.
fn unquote(quoted: &str) -> Cow<'_, str> {
    let inner =
        quoted.strip_prefix('"').and_then(|inner| inner.strip_suffix('"')).unwrap_or(quoted);
    if !inner.contains('\\') {
        return Cow::Borrowed(inner);
    }
    let mut value = String::with_capacity(inner.len());
    let mut escaped = false;
    for c in inner.chars() {
        if c == '\\' && !escaped {
            escaped = true;
        } else {
            value.push(c);
            escaped = false;
        }
    }
    Cow::Owned(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_local_parts() {
        // (written, quoted, unquoted value)
        let table = [
            ("alice", false, "alice"),
            ("alice.smith", false, "alice.smith"),
            ("a", false, "a"),
            ("_", false, "_"),
            ("anne+promo", false, "anne+promo"),
            ("mailhost!anne", false, "mailhost!anne"),
            ("anne%example.org", false, "anne%example.org"),
            ("customer/department=shipping", false, "customer/department=shipping"),
            ("$A12345", false, "$A12345"),
            ("!def!xyz%abc", false, "!def!xyz%abc"),
            ("{x}|'`~^?*&#", false, "{x}|'`~^?*&#"),
            ("jörg", false, "jörg"),
            ("ñandú.日本", false, "ñandú.日本"),
            (r#""""#, true, ""),
            (r#"" ""#, true, " "),
            (r#""alice smith""#, true, "alice smith"),
            (r#""anne..arthur""#, true, "anne..arthur"),
            (r#""Abc@def""#, true, "Abc@def"),
            (r#""a>b<c""#, true, "a>b<c"),
            (r#""say \"hi\"""#, true, r#"say "hi""#),
            (r#""back\\slash""#, true, r"back\slash"),
            (r#""\a\b""#, true, "ab"),
            (r#""jörg smith""#, true, "jörg smith"),
        ];
        for (written, quoted, value) in table {
            let local = LocalPart::parse(written).unwrap_or_else(|e| panic!("{written}: {e}"));
            assert_eq!(local.as_str(), written);
            assert_eq!(local.to_string(), written);
            assert_eq!(local.is_quoted(), quoted, "{written}");
            assert_eq!(local.unquoted(), value, "{written}");
            let borrowed = matches!(local.unquoted(), Cow::Borrowed(_));
            assert_eq!(borrowed, !written.contains('\\'), "{written}");
            let owned = local.clone().into_owned();
            assert_eq!(owned, local);
            assert_eq!(owned.unquoted(), value, "{written}");
        }
    }

    #[test]
    fn invalid_local_parts() {
        let table = [
            "",
            ".alice",
            "alice.",
            "alice..smith",
            "alice smith",
            "alice\tsmith",
            "ali\0ce",
            "alice\u{85}",
            "alice\u{a0}smith",
            "anne(comment)",
            r"Fred\ Bloggs",
            "much.\"more\\ unusual\"",
            "\"unterminated",
            "\"bad\\\u{1}escape\"",
            "\"tab\tinside\"",
            "\"trailing backslash\\\"",
            "\"nul\0\"",
            "\"a\"b",
            "a\"b\"",
            "@",
        ];
        for written in table {
            assert_eq!(LocalPart::parse(written), Err(AddressError::Malformed), "{written:?}");
        }
    }

    #[test]
    fn prefix_stops_at_the_at_sign() {
        let (local, rest) = LocalPart::parse_prefix(r#""a@b"@example.com"#).unwrap();
        assert_eq!((local.as_str(), rest), (r#""a@b""#, "@example.com"));
        let (local, rest) = LocalPart::parse_prefix("alice@@x").unwrap();
        assert_eq!((local.as_str(), rest), ("alice", "@@x"));
    }

    #[test]
    fn postmaster() {
        for (written, expected) in [
            ("Postmaster", true),
            ("POSTMASTER", true),
            ("postmaster", true),
            ("\"Postmaster\"", false),
            ("postmaster2", false),
        ] {
            assert_eq!(LocalPart::parse(written).unwrap().is_postmaster(), expected, "{written}");
        }
        assert!(LocalPart::postmaster().is_postmaster());
    }
}
