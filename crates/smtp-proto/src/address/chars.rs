//! Character classes of RFC 5321 §4.1.2, RFC 5322 §3.2.3 and RFC 6531 §3.3.

/// `atext` (RFC 5322 §3.2.3) extended with `UTF8-non-ascii` (RFC 6531 §3.3): the characters of
/// an unquoted local-part atom.
pub(super) fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            '!' | '#'
                | '$'
                | '%'
                | '&'
                | '\''
                | '*'
                | '+'
                | '-'
                | '/'
                | '='
                | '?'
                | '^'
                | '_'
                | '`'
                | '{'
                | '|'
                | '}'
                | '~'
        )
        || is_utf8_text(c)
}

/// `qtextSMTP` (RFC 5321 §4.1.2, RFC 6531 §3.3): printable ASCII and space, except `"` and `\`,
/// plus `UTF8-non-ascii`.
pub(super) fn is_qtext(c: char) -> bool {
    matches!(c, ' '..='!' | '#'..='[' | ']'..='~') || is_utf8_text(c)
}

/// The character after a backslash in `quoted-pairSMTP` (RFC 5321 §4.1.2): printable ASCII or
/// space.
pub(super) fn is_quotable(c: char) -> bool {
    matches!(c, ' '..='~')
}

/// A letter, digit or hyphen of an ASCII domain label, or a character of an RFC 6531 U-label.
pub(super) fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || (is_utf8_text(c) && !is_ideographic_dot(c))
}

/// A letter or digit that may start and end a domain label (`Let-dig`, or non-ASCII).
pub(super) fn is_label_edge(c: char) -> bool {
    c != '-' && is_label_char(c)
}

/// `dcontent` (RFC 5321 §4.1.3): printable ASCII except `[`, `\` and `]`.
pub(super) fn is_dcontent(c: char) -> bool {
    matches!(c, '!'..='Z' | '^'..='~')
}

/// A non-ASCII character allowed in an address (`UTF8-non-ascii`), minus the control characters
/// (C1) and the white space (no-break space, ideographic space, line separator, ...), which
/// would let an address look like something it is not.
fn is_utf8_text(c: char) -> bool {
    !c.is_ascii() && !c.is_control() && !c.is_whitespace()
}

/// The characters IDNA (RFC 3490 §3.1) treats as label separators besides `.`; inside a label
/// they would make one domain read as another.
fn is_ideographic_dot(c: char) -> bool {
    matches!(c, '\u{3002}' | '\u{FF0E}' | '\u{FF61}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        // (character, atext, qtext, label char, dcontent)
        let table = [
            ('a', true, true, true, true),
            ('Z', true, true, true, true),
            ('7', true, true, true, true),
            ('-', true, true, true, true),
            ('.', false, true, false, true),
            ('@', false, true, false, true),
            (' ', false, true, false, false),
            ('"', false, false, false, true),
            ('\\', false, false, false, false),
            ('[', false, true, false, false),
            (']', false, true, false, false),
            ('<', false, true, false, true),
            ('~', true, true, false, true),
            ('\0', false, false, false, false),
            ('\t', false, false, false, false),
            ('\u{7f}', false, false, false, false),
            ('\u{85}', false, false, false, false),
            ('\u{a0}', false, false, false, false),
            ('\u{2028}', false, false, false, false),
            ('ö', true, true, true, false),
            ('ñ', true, true, true, false),
            ('日', true, true, true, false),
            ('\u{3002}', true, true, false, false),
            ('\u{FF0E}', true, true, false, false),
        ];
        for (c, atext, qtext, label, dcontent) in table {
            assert_eq!(is_atext(c), atext, "atext {c:?}");
            assert_eq!(is_qtext(c), qtext, "qtext {c:?}");
            assert_eq!(is_label_char(c), label, "label {c:?}");
            assert_eq!(is_dcontent(c), dcontent, "dcontent {c:?}");
        }
        assert!(is_quotable(' ') && is_quotable('"') && is_quotable('\\'));
        assert!(!is_quotable('\t') && !is_quotable('ö') && !is_quotable('\u{7f}'));
        assert!(!is_label_edge('-') && is_label_edge('a') && is_label_edge('ü'));
    }
}
