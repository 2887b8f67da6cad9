//! Recipient domains as routers see them: normalised names and address literals.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The canonical form of a domain for lookups and map keys: ASCII letters lower-cased, one
/// trailing dot removed (`Example.COM.` -> `example.com`).
pub fn normalize_domain(domain: &str) -> String {
    domain.strip_suffix('.').unwrap_or(domain).to_ascii_lowercase()
}

/// An RFC 5321 §4.1.3 address literal: `[192.0.2.1]` or `[IPv6:2001:db8::1]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressLiteral(pub IpAddr);

impl AddressLiteral {
    /// Parses `domain` when it is bracketed. `None` when it is not a literal at all;
    /// `Some(None)` when it is bracketed but not a valid IPv4 or tagged IPv6 address (general
    /// address literals of other tags are not routable).
    pub fn parse(domain: &str) -> Option<Option<Self>> {
        let inner = domain.strip_prefix('[')?.strip_suffix(']')?;
        Some(Self::parse_inner(inner))
    }

    fn parse_inner(inner: &str) -> Option<Self> {
        match inner.get(..5) {
            Some(tag) if tag.eq_ignore_ascii_case("IPv6:") => {
                let address: Ipv6Addr = inner.get(5..)?.parse().ok()?;
                Some(Self(IpAddr::V6(address)))
            }
            _ => inner.parse::<Ipv4Addr>().ok().map(|address| Self(IpAddr::V4(address))),
        }
    }

    /// The address as a host string to connect to (`192.0.2.1`, `2001:db8::1`).
    pub fn host(self) -> String {
        self.0.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_parse_by_the_rfc_5321_grammar() {
        let v4 = |s: &str| Some(Some(AddressLiteral(IpAddr::V4(s.parse().unwrap()))));
        let v6 = |s: &str| Some(Some(AddressLiteral(IpAddr::V6(s.parse().unwrap()))));
        let cases: [(&str, Option<Option<AddressLiteral>>); 10] = [
            ("example.com", None),
            ("[192.0.2.1]", v4("192.0.2.1")),
            ("[IPv6:2001:db8::1]", v6("2001:db8::1")),
            ("[ipv6:::1]", v6("::1")),
            // IPv6 without the tag, IPv4 with it, junk and other tags are not routable.
            ("[2001:db8::1]", Some(None)),
            ("[IPv6:192.0.2.1]", Some(None)),
            ("[192.0.2.256]", Some(None)),
            ("[x400:foo]", Some(None)),
            ("[]", Some(None)),
            ("[192.0.2.1", None),
        ];
        for (input, expected) in cases {
            assert_eq!(AddressLiteral::parse(input), expected, "{input}");
        }
    }

    #[test]
    fn normalisation_lowercases_and_drops_the_root_dot() {
        for (input, expected) in
            [("Example.COM.", "example.com"), ("a.b", "a.b"), (".", ""), ("ÜBER.de", "Über.de")]
        {
            assert_eq!(normalize_domain(input), expected);
        }
    }
}
