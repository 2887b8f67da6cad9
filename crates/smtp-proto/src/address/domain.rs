//! The domain of a mailbox: a domain name or an address literal (RFC 5321 §4.1.2, RFC 6531).

use std::borrow::Cow;
use std::fmt;

use super::chars::{is_label_char, is_label_edge};
use super::{AddressError, AddressLiteral};

/// The longest domain label, in octets (RFC 1035 §2.3.4).
const MAX_LABEL: usize = 63;

/// The longest domain name, in octets (RFC 5321 §4.5.3.1.2).
const MAX_DOMAIN: usize = 255;

/// A domain, kept as written: a domain name of dot-separated labels (letters, digits and
/// hyphens, or RFC 6531 U-labels when non-ASCII; no hyphen first or last; 1–63 octets each; no
/// trailing dot), or an [`AddressLiteral`] in brackets.
///
/// Two domains are equal when they are written the same way (letter case included).
///
/// ```
/// use smtp_proto::address::Domain;
///
/// assert_eq!(Domain::parse("mail.example.com").unwrap().as_str(), "mail.example.com");
/// assert!(Domain::parse("[192.0.2.1]").unwrap().literal().is_some());
/// assert!(Domain::parse("-bad.example").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Domain<'a> {
    text: Cow<'a, str>,
    literal: Option<AddressLiteral>,
}

impl<'a> Domain<'a> {
    /// Parses a domain name or an address literal of at most 255 octets.
    pub fn parse(text: &'a str) -> Result<Self, AddressError> {
        Self::parse_limited(text, MAX_DOMAIN)
    }

    /// Parses a domain of at most `max_len` octets; longer is [`AddressError::TooLong`].
    pub(super) fn parse_limited(text: &'a str, max_len: usize) -> Result<Self, AddressError> {
        let literal = if text.starts_with('[') {
            Some(AddressLiteral::parse(text)?)
        } else {
            check_domain_name(text)?;
            None
        };
        if text.len() > max_len {
            return Err(AddressError::TooLong);
        }
        Ok(Self { text: Cow::Borrowed(text), literal })
    }

    /// The domain as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The address literal, when the domain is one.
    pub fn literal(&self) -> Option<&AddressLiteral> {
        self.literal.as_ref()
    }

    /// Whether the domain is an address literal rather than a name.
    pub fn is_literal(&self) -> bool {
        self.literal.is_some()
    }

    /// Whether it is all ASCII (otherwise it holds U-labels and needs SMTPUTF8).
    pub fn is_ascii(&self) -> bool {
        self.text.is_ascii()
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Domain<'static> {
        Domain { text: Cow::Owned(self.text.into_owned()), literal: self.literal }
    }
}

impl fmt::Display for Domain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Checks a domain name: one or more labels separated by single dots.
fn check_domain_name(text: &str) -> Result<(), AddressError> {
    if text.split('.').all(is_label) { Ok(()) } else { Err(AddressError::Malformed) }
}

/// A label of 1–63 octets of letters, digits and hyphens (or U-label characters), not starting
/// or ending with a hyphen.
fn is_label(label: &str) -> bool {
    (1..=MAX_LABEL).contains(&label.len())
        && label.starts_with(is_label_edge)
        && label.ends_with(is_label_edge)
        && label.chars().all(is_label_char)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_domains() {
        let long_label = "a".repeat(63);
        let long_name =
            format!("{}.{}.{}.{}", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(63));
        let table = [
            "example.com",
            "mail",
            "a",
            "a-b.c-d.example",
            "xn--bcher-kva.example",
            "EXAMPLE.COM",
            "127.0.0.1",
            "123.example",
            "bücher.example",
            "例え.テスト",
            long_label.as_str(),
            long_name.as_str(),
            "[192.0.2.1]",
            "[IPv6:2001:db8::1]",
            "[x-tag:content]",
        ];
        for text in table {
            let domain = Domain::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(domain.as_str(), text);
            assert_eq!(domain.to_string(), text);
            assert_eq!(domain.is_literal(), text.starts_with('['), "{text}");
            assert_eq!(domain.is_ascii(), text.is_ascii(), "{text}");
            assert_eq!(domain.clone().into_owned(), domain);
        }
        assert_eq!(long_name.len(), 255);
    }

    #[test]
    fn invalid_domains() {
        let long_label = "a".repeat(64);
        let table = [
            ("", AddressError::Malformed),
            (".", AddressError::Malformed),
            ("example.com.", AddressError::Malformed),
            (".example.com", AddressError::Malformed),
            ("example..com", AddressError::Malformed),
            ("-bad.example", AddressError::Malformed),
            ("bad-.example", AddressError::Malformed),
            ("ex_ample.com", AddressError::Malformed),
            ("exa mple.com", AddressError::Malformed),
            ("example.com ", AddressError::Malformed),
            ("b@example.com", AddressError::Malformed),
            ("@example.com", AddressError::Malformed),
            ("exa\0mple.com", AddressError::Malformed),
            ("exa\u{85}mple.com", AddressError::Malformed),
            ("exa\u{a0}mple.com", AddressError::Malformed),
            ("evil\u{3002}example.com", AddressError::Malformed),
            ("evil\u{FF0E}example.com", AddressError::Malformed),
            ("[192.0.2.1", AddressError::Malformed),
            ("[2001:db8::1]", AddressError::Malformed),
            ("[192.0.2.1].example", AddressError::Malformed),
            (long_label.as_str(), AddressError::Malformed),
        ];
        for (text, error) in table {
            assert_eq!(Domain::parse(text), Err(error), "{text:?}");
        }
    }

    #[test]
    fn length_limits() {
        let too_long = format!(
            "{}.{}.{}.{}.e",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(62)
        );
        assert_eq!(too_long.len(), 256);
        assert_eq!(Domain::parse(&too_long), Err(AddressError::TooLong));
        assert_eq!(
            Domain::parse_limited("example.com", 11).map(|d| d.to_string()),
            Ok("example.com".into())
        );
        assert_eq!(Domain::parse_limited("example.com", 10), Err(AddressError::TooLong));
        assert_eq!(Domain::parse_limited("[192.0.2.1]", 10), Err(AddressError::TooLong));
        // A broken domain is Malformed even when it is also too long.
        assert_eq!(Domain::parse_limited("bad-", 1), Err(AddressError::Malformed));
    }
}
