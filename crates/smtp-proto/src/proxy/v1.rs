//! PROXY protocol v1: one text line, `PROXY TCP4 <src> <dst> <sport> <dport>\r\n`.
//!
//! The acceptance rules and the order of the checks are aiosmtpd's, with three places where we
//! are stricter: the protocol must be exactly `TCP4` or `TCP6` (aiosmtpd accepts anything that
//! starts with `TCP` and ends in the digit), a port must be all digits (aiosmtpd's `int()` also
//! takes trailing whitespace such as a tab), and a line with no protocol field is
//! "malformed" (aiosmtpd fails with an internal exception).

use std::net::{IpAddr, SocketAddr};

use super::error::ProxyError;
use super::header::TransportProtocol;
use super::header::{AddressFamily, ProxyAddress, ProxyCommand, ProxyHeader, ProxyVersion};

/// The longest v1 header, `PROXY` and CRLF included (HAProxy spec §2.1).
pub const MAX_V1_LEN: usize = 107;

/// The v1 signature.
pub(crate) const SIGNATURE: &[u8; 5] = b"PROXY";

/// Parses a v1 header from `input`, which starts with `PROXY`.
pub(crate) fn parse(input: &[u8]) -> Result<Option<(ProxyHeader, usize)>, ProxyError> {
    let window = input.get(..MAX_V1_LEN).unwrap_or(input);
    let Some(lf) = memchr::memchr(b'\n', window) else {
        return if input.len() >= MAX_V1_LEN { Err(ProxyError::V1TooLong) } else { Ok(None) };
    };
    let line = window.get(..=lf).unwrap_or_default();
    let after_signature = line.get(SIGNATURE.len()..).unwrap_or_default();
    let body = after_signature.strip_suffix(b"\r\n").ok_or(ProxyError::V1Malformed)?;
    parse_body(body).map(|header| Some((header, lf + 1)))
}

/// Parses what follows `PROXY` on the line, without the CRLF.
fn parse_body(body: &[u8]) -> Result<ProxyHeader, ProxyError> {
    let mut fields = body.split(|&b| b == b' ');
    if fields.next().is_some_and(|first| !first.is_empty()) {
        return Err(ProxyError::V1WrongSignature);
    }
    let protocol = fields.next().ok_or(ProxyError::V1Malformed)?;
    if protocol == b"UNKNOWN" {
        let rest = body.get(" UNKNOWN".len()..).unwrap_or_default();
        return Ok(unknown(rest));
    }
    let family = family_of(protocol)?;
    let source_ip = address(fields.next())?;
    let destination_ip = address(fields.next())?;
    check_family(family, source_ip, destination_ip)?;
    let source_port = port(fields.next())?;
    let destination_port = port(fields.next())?;
    let source_port =
        u16::try_from(source_port).map_err(|_| ProxyError::V1SourcePortOutOfBounds)?;
    let destination_port =
        u16::try_from(destination_port).map_err(|_| ProxyError::V1DestinationPortOutOfBounds)?;
    if fields.next().is_some() {
        return Err(ProxyError::V1ExtraneousData);
    }
    Ok(ProxyHeader {
        version: ProxyVersion::V1,
        command: ProxyCommand::Proxy,
        family,
        protocol: TransportProtocol::Stream,
        source: Some(ProxyAddress::Ip(SocketAddr::new(source_ip, source_port))),
        destination: Some(ProxyAddress::Ip(SocketAddr::new(destination_ip, destination_port))),
        tlvs: Vec::new(),
        rest: Vec::new(),
    })
}

fn unknown(rest: &[u8]) -> ProxyHeader {
    ProxyHeader {
        version: ProxyVersion::V1,
        command: ProxyCommand::Proxy,
        family: AddressFamily::Unspec,
        protocol: TransportProtocol::Unspec,
        source: None,
        destination: None,
        tlvs: Vec::new(),
        rest: rest.to_vec(),
    }
}

/// `TCP4` or `TCP6`. The last character decides the family first (as aiosmtpd does), so
/// `UDP4` is an unrecognized protocol while `TCP5` is an unrecognized family.
fn family_of(protocol: &[u8]) -> Result<AddressFamily, ProxyError> {
    let family = match protocol.last() {
        Some(b'4') => AddressFamily::Inet,
        Some(b'6') => AddressFamily::Inet6,
        _ => return Err(ProxyError::V1UnrecognizedFamily),
    };
    if protocol.len() == 4 && protocol.starts_with(b"TCP") {
        Ok(family)
    } else {
        Err(ProxyError::V1UnrecognizedProtocol)
    }
}

fn address(field: Option<&[u8]>) -> Result<IpAddr, ProxyError> {
    let field = field.ok_or(ProxyError::V1AddressMalformed)?;
    let allowed = |b: &u8| b.is_ascii_hexdigit() || *b == b'.' || *b == b':';
    if field.is_empty() || !field.iter().all(allowed) {
        return Err(ProxyError::V1AddressMalformed);
    }
    std::str::from_utf8(field)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or(ProxyError::V1AddressMalformed)
}

fn check_family(
    family: AddressFamily,
    source: IpAddr,
    destination: IpAddr,
) -> Result<(), ProxyError> {
    match family {
        AddressFamily::Inet if !(source.is_ipv4() && destination.is_ipv4()) => {
            Err(ProxyError::V1AddressNotIpv4)
        }
        AddressFamily::Inet6 if !(source.is_ipv6() && destination.is_ipv6()) => {
            Err(ProxyError::V1AddressNotIpv6)
        }
        _ => Ok(()),
    }
}

/// A decimal port without a leading zero. Its value saturates, so a too-large port is "out of
/// bounds" (checked by the caller) rather than "malformed", as in aiosmtpd.
fn port(field: Option<&[u8]>) -> Result<u32, ProxyError> {
    let field = field.ok_or(ProxyError::V1PortMalformed)?;
    let digits_only = !field.is_empty() && field.iter().all(u8::is_ascii_digit);
    let leading_zero = field.len() > 1 && field.first() == Some(&b'0');
    if !digits_only || leading_zero {
        return Err(ProxyError::V1PortMalformed);
    }
    Ok(field.iter().fold(0u32, |value, digit| {
        value.saturating_mul(10).saturating_add(u32::from(digit - b'0'))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> Result<Option<(ProxyHeader, usize)>, ProxyError> {
        parse(line.as_bytes())
    }

    #[test]
    fn verified_tcp4_example() {
        let input = b"PROXY TCP4 192.0.2.1 198.51.100.2 12345 25\r\nEHLO x\r\n";
        let (header, consumed) = parse(input).unwrap().unwrap();
        assert_eq!(consumed, 44);
        assert_eq!(&input[consumed..], b"EHLO x\r\n");
        assert_eq!(header.version(), ProxyVersion::V1);
        assert_eq!(header.command(), ProxyCommand::Proxy);
        assert_eq!(header.family(), AddressFamily::Inet);
        assert_eq!(header.protocol(), TransportProtocol::Stream);
        let source = header.client_address().and_then(ProxyAddress::ip).unwrap();
        assert_eq!(source, "192.0.2.1:12345".parse().unwrap());
        let destination = header.destination().and_then(ProxyAddress::ip).unwrap();
        assert_eq!(destination, "198.51.100.2:25".parse().unwrap());
        assert!(header.tlvs().is_empty() && header.rest().is_empty());
    }

    /// A line, its (source, destination) when it has addresses, and its `rest`.
    type Accepted<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a [u8]);

    #[test]
    fn accepted_lines() {
        let cases: &[Accepted<'_>] = &[
            (
                "PROXY TCP6 2001:db8::1 ::ffff:1.2.3.4 0 65535\r\n",
                Some(("[2001:db8::1]:0", "[::ffff:1.2.3.4]:65535")),
                b"",
            ),
            (
                "PROXY TCP4 0.0.0.0 255.255.255.255 1 9\r\n",
                Some(("0.0.0.0:1", "255.255.255.255:9")),
                b"",
            ),
            ("PROXY TCP6 ABCD::1 ::1 10 20\r\n", Some(("[abcd::1]:10", "[::1]:20")), b""),
            ("PROXY UNKNOWN\r\n", None, b""),
            ("PROXY UNKNOWN ffff::1 ::1 1 2\r\n", None, b" ffff::1 ::1 1 2"),
            ("PROXY UNKNOWN  x\r\n", None, b"  x"),
        ];
        for (line, addresses, rest) in cases {
            let (header, consumed) = parse_line(line).unwrap().unwrap();
            assert_eq!(consumed, line.len(), "{line}");
            assert_eq!(header.rest(), *rest, "{line}");
            let got = header
                .source()
                .and_then(ProxyAddress::ip)
                .zip(header.destination().and_then(ProxyAddress::ip));
            let expected = addresses.map(|(s, d)| (s.parse().unwrap(), d.parse().unwrap()));
            assert_eq!(got, expected, "{line}");
            if addresses.is_none() {
                assert_eq!(header.family(), AddressFamily::Unspec);
                assert_eq!(header.protocol(), TransportProtocol::Unspec);
                assert_eq!(header.client_address(), None);
            }
        }
    }

    #[test]
    fn every_v1_error() {
        use ProxyError::*;
        let long = format!("PROXY UNKNOWN {}\r\n", "x".repeat(92));
        assert_eq!(long.len(), 108);
        let cases: &[(&str, ProxyError)] = &[
            (&long, V1TooLong),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", V1Malformed),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n", V1PortMalformed),
            ("PROXY\r\n", V1Malformed),
            ("PROXYX TCP4 1.2.3.4 5.6.7.8 1 2\r\n", V1WrongSignature),
            ("PROXY \r\n", V1UnrecognizedFamily),
            ("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", V1UnrecognizedFamily),
            ("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", V1UnrecognizedProtocol),
            ("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", V1UnrecognizedProtocol),
            ("PROXY TCPX4 1.2.3.4 5.6.7.8 1 2\r\n", V1UnrecognizedProtocol),
            ("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", V1UnrecognizedFamily),
            ("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", V1AddressMalformed),
            ("PROXY TCP4 1.2.3.x 5.6.7.8 1 2\r\n", V1AddressMalformed),
            ("PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n", V1AddressMalformed),
            ("PROXY TCP4 1.2.3.4\r\n", V1AddressMalformed),
            ("PROXY TCP4 1.2.3.4 ::1 1 2\r\n", V1AddressNotIpv4),
            ("PROXY TCP6 ::1 1.2.3.4 1 2\r\n", V1AddressNotIpv6),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", V1PortMalformed),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 +2\r\n", V1PortMalformed),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", V1PortMalformed),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", V1SourcePortOutOfBounds),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 99999999999999999999 2\r\n", V1SourcePortOutOfBounds),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n", V1DestinationPortOutOfBounds),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", V1ExtraneousData),
            ("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", V1ExtraneousData),
        ];
        for (line, error) in cases {
            assert_eq!(parse_line(line).map(|_| ()), Err(*error), "{line:?}");
        }
    }

    #[test]
    fn length_limit_is_exactly_107() {
        let fits = format!("PROXY UNKNOWN {}\r\n", "x".repeat(91));
        assert_eq!(fits.len(), MAX_V1_LEN);
        assert!(parse_line(&fits).unwrap().is_some());
        // 107 bytes without an LF can never become a valid header: refused without waiting.
        let no_lf = "PROXY UNKNOWN ".to_string() + &"x".repeat(93);
        assert_eq!(no_lf.len(), MAX_V1_LEN);
        assert_eq!(parse_line(&no_lf[..106]).map(|_| ()), Ok(()));
        assert_eq!(parse_line(&no_lf[..106]).unwrap(), None);
        assert_eq!(parse_line(&no_lf).map(|_| ()), Err(ProxyError::V1TooLong));
    }
}
