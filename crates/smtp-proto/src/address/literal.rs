//! Address literals: `[192.0.2.1]`, `[IPv6:2001:db8::1]`, `[tag:content]` (RFC 5321 §4.1.3).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::AddressError;
use super::chars::is_dcontent;

/// An address literal, the domain of `alice@[192.0.2.1]`.
///
/// The IP addresses are parsed with the standard library's parsers; the IPv6 form must carry the
/// `IPv6:` tag (any letter case).
///
/// ```
/// use smtp_proto::address::AddressLiteral;
/// use std::net::Ipv6Addr;
///
/// let literal = AddressLiteral::parse("[ipv6:2001:db8::1]").unwrap();
/// assert_eq!(literal, AddressLiteral::Ipv6("2001:db8::1".parse::<Ipv6Addr>().unwrap()));
/// assert_eq!(literal.to_string(), "[IPv6:2001:db8::1]");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AddressLiteral {
    /// `[192.0.2.1]`.
    Ipv4(Ipv4Addr),
    /// `[IPv6:2001:db8::1]`.
    Ipv6(Ipv6Addr),
    /// `General-address-literal`: `[tag:content]` with any other standardized tag.
    General {
        /// The tag before the colon (`Ldh-str` starting with a letter).
        tag: String,
        /// The content after the colon (`1*dcontent`).
        content: String,
    },
}

impl AddressLiteral {
    /// Parses an address literal, brackets included.
    pub fn parse(text: &str) -> Result<Self, AddressError> {
        let inner = text
            .strip_prefix('[')
            .and_then(|inner| inner.strip_suffix(']'))
            .ok_or(AddressError::Malformed)?;
        match inner.split_once(':') {
            None => inner.parse().map(Self::Ipv4).map_err(|_| AddressError::Malformed),
            Some((tag, address)) if tag.eq_ignore_ascii_case("IPv6") => {
                address.parse().map(Self::Ipv6).map_err(|_| AddressError::Malformed)
            }
            Some((tag, content)) => general(tag, content),
        }
    }
}

/// A `General-address-literal` with a tag other than `IPv6`. The tag must start with a letter
/// (every registered tag does), so that an untagged IPv6 address such as `[2001:db8::1]` is
/// refused rather than read as the tag `2001`.
fn general(tag: &str, content: &str) -> Result<AddressLiteral, AddressError> {
    let tag_ok = tag.starts_with(|c: char| c.is_ascii_alphabetic())
        && tag.ends_with(|c: char| c.is_ascii_alphanumeric())
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    let content_ok = !content.is_empty() && content.chars().all(is_dcontent);
    if tag_ok && content_ok {
        Ok(AddressLiteral::General { tag: tag.to_owned(), content: content.to_owned() })
    } else {
        Err(AddressError::Malformed)
    }
}

impl fmt::Display for AddressLiteral {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Ipv4(address) => write!(f, "[{address}]"),
            Self::Ipv6(address) => write!(f, "[IPv6:{address}]"),
            Self::General { tag, content } => write!(f, "[{tag}:{content}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(text: &str) -> AddressLiteral {
        AddressLiteral::Ipv4(text.parse().unwrap())
    }

    fn v6(text: &str) -> AddressLiteral {
        AddressLiteral::Ipv6(text.parse().unwrap())
    }

    fn general(tag: &str, content: &str) -> AddressLiteral {
        AddressLiteral::General { tag: tag.into(), content: content.into() }
    }

    #[test]
    fn valid_literals() {
        let table = [
            ("[192.0.2.1]", v4("192.0.2.1"), "[192.0.2.1]"),
            ("[127.0.0.1]", v4("127.0.0.1"), "[127.0.0.1]"),
            ("[0.0.0.0]", v4("0.0.0.0"), "[0.0.0.0]"),
            ("[255.255.255.255]", v4("255.255.255.255"), "[255.255.255.255]"),
            ("[IPv6:2001:db8::1]", v6("2001:db8::1"), "[IPv6:2001:db8::1]"),
            ("[ipv6:2001:DB8::1]", v6("2001:db8::1"), "[IPv6:2001:db8::1]"),
            ("[IPV6:::1]", v6("::1"), "[IPv6:::1]"),
            ("[IPv6:::ffff:192.0.2.1]", v6("::ffff:192.0.2.1"), "[IPv6:::ffff:192.0.2.1]"),
            ("[IPv6:1:2:3:4:5:6:7:8]", v6("1:2:3:4:5:6:7:8"), "[IPv6:1:2:3:4:5:6:7:8]"),
            ("[x-tag:some-content]", general("x-tag", "some-content"), "[x-tag:some-content]"),
            ("[a:b:c]", general("a", "b:c"), "[a:b:c]"),
            ("[X9:!~]", general("X9", "!~"), "[X9:!~]"),
        ];
        for (text, expected, display) in table {
            let literal = AddressLiteral::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(literal, expected, "{text}");
            assert_eq!(literal.to_string(), display, "{text}");
        }
    }

    #[test]
    fn invalid_literals() {
        let table = [
            "",
            "[]",
            "192.0.2.1",
            "[192.0.2.1",
            "192.0.2.1]",
            "[192.0.2]",
            "[192.0.2.256]",
            "[192.0.2.01]",
            "[ 192.0.2.1]",
            "[192.0.2.1.5]",
            "[2001:db8::1]",
            "[IPv6:2001:db8::g]",
            "[IPv6::1]",
            "[IPv6:]",
            "[IPv6:192.0.2.1]",
            "[IPv6:fe80::1%eth0]",
            "[:content]",
            "[-tag:content]",
            "[9tag:content]",
            "[tag-:content]",
            "[ta_g:content]",
            "[tag:]",
            "[tag:with space]",
            "[tag:a[b]",
            "[tag:a\\b]",
            "[tag:jörg]",
            "[tag:nul\0]",
            "[[192.0.2.1]]",
        ];
        for text in table {
            assert_eq!(AddressLiteral::parse(text), Err(AddressError::Malformed), "{text:?}");
        }
    }
}
