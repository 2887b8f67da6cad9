//! PROXY protocol v2: the binary header (HAProxy spec §2.2).
//!
//! ```text
//! 12 bytes  signature \r\n\r\n\0\r\nQUIT\n
//!  1 byte   version (high nibble, must be 2) | command (low nibble: LOCAL 0, PROXY 1)
//!  1 byte   family (high nibble) | protocol (low nibble)
//!  2 bytes  length of what follows, big-endian
//!  ...      address block (INET 12, INET6 36, UNIX 216 bytes), then TLVs
//! ```
//!
//! Every check that the first 16 bytes allow is made as soon as they arrive, so a bad header is
//! refused before its body is waited for; the declared length is never exceeded.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::error::ProxyError;
use super::header::{
    AddressFamily, ProxyAddress, ProxyCommand, ProxyHeader, ProxyVersion, TransportProtocol,
    UnixPath,
};
use super::tlv::parse_tlvs;

/// The 12-byte v2 signature.
pub(crate) const SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";

/// Signature plus the four fixed bytes.
pub(crate) const FIXED_LEN: usize = 16;

/// The largest v2 header: the fixed part plus the largest 16-bit length.
pub const MAX_V2_LEN: usize = FIXED_LEN + u16::MAX as usize;

const UNIX_PATH_LEN: usize = 108;

/// What the first 16 bytes say.
struct Fixed {
    command: ProxyCommand,
    family: AddressFamily,
    protocol: TransportProtocol,
    total_len: usize,
}

/// Parses a v2 header from `input`, whose first bytes match the v2 signature so far.
pub(crate) fn parse(input: &[u8]) -> Result<Option<(ProxyHeader, usize)>, ProxyError> {
    let Some(fixed) = parse_fixed(input)? else { return Ok(None) };
    let Some(tail) = input.get(FIXED_LEN..fixed.total_len) else { return Ok(None) };
    let (source, destination, tlv_bytes) = split_addresses(&fixed, tail)?;
    let header = ProxyHeader {
        version: ProxyVersion::V2,
        command: fixed.command,
        family: fixed.family,
        protocol: fixed.protocol,
        source,
        destination,
        tlvs: parse_tlvs(tlv_bytes)?,
        rest: Vec::new(),
    };
    Ok(Some((header, fixed.total_len)))
}

/// The bytes still needed before [`parse`] can answer, once at least `input` is there: the
/// rest of the fixed part, then the rest of the declared length. Never more than the header.
pub(crate) fn bytes_wanted(input: &[u8]) -> usize {
    match input.get(FIXED_LEN - 2..FIXED_LEN) {
        Some(&[high, low]) => {
            (FIXED_LEN + usize::from(u16::from_be_bytes([high, low]))).saturating_sub(input.len())
        }
        _ => FIXED_LEN.saturating_sub(input.len()),
    }
}

/// Checks the signature and the four fixed bytes, as far as they have arrived.
fn parse_fixed(input: &[u8]) -> Result<Option<Fixed>, ProxyError> {
    if input.iter().zip(SIGNATURE).any(|(got, want)| got != want) {
        return Err(ProxyError::V2WrongSignature);
    }
    let Some(&version_command) = input.get(SIGNATURE.len()) else { return Ok(None) };
    let command = command_of(version_command)?;
    let Some(&family_protocol) = input.get(SIGNATURE.len() + 1) else { return Ok(None) };
    let (family, protocol) = family_protocol_of(family_protocol)?;
    let Some(&[high, low]) = input.get(FIXED_LEN - 2..FIXED_LEN) else { return Ok(None) };
    let declared = usize::from(u16::from_be_bytes([high, low]));
    if declared < address_block_len(family, protocol) {
        return Err(ProxyError::V2TruncatedAddress);
    }
    Ok(Some(Fixed { command, family, protocol, total_len: FIXED_LEN + declared }))
}

fn command_of(byte: u8) -> Result<ProxyCommand, ProxyError> {
    if byte >> 4 != 2 {
        return Err(ProxyError::V2IllegalVersion);
    }
    match byte & 0x0F {
        0 => Ok(ProxyCommand::Local),
        1 => Ok(ProxyCommand::Proxy),
        _ => Err(ProxyError::V2UnsupportedCommand),
    }
}

fn family_protocol_of(byte: u8) -> Result<(AddressFamily, TransportProtocol), ProxyError> {
    let family = match byte >> 4 {
        0 => AddressFamily::Unspec,
        1 => AddressFamily::Inet,
        2 => AddressFamily::Inet6,
        3 => AddressFamily::Unix,
        _ => return Err(ProxyError::V2UnsupportedFamily),
    };
    let protocol = match byte & 0x0F {
        0 => TransportProtocol::Unspec,
        1 => TransportProtocol::Stream,
        2 => TransportProtocol::Dgram,
        _ => return Err(ProxyError::V2UnsupportedProtocol),
    };
    Ok((family, protocol))
}

/// The address block's size. As in aiosmtpd, addresses are read only when both the family and
/// the protocol are specified; otherwise everything after the fixed part is TLVs.
fn address_block_len(family: AddressFamily, protocol: TransportProtocol) -> usize {
    if protocol == TransportProtocol::Unspec {
        return 0;
    }
    match family {
        AddressFamily::Unspec => 0,
        AddressFamily::Inet => 12,
        AddressFamily::Inet6 => 36,
        AddressFamily::Unix => 2 * UNIX_PATH_LEN,
    }
}

type Addresses<'a> = (Option<ProxyAddress>, Option<ProxyAddress>, &'a [u8]);

fn split_addresses<'a>(fixed: &Fixed, tail: &'a [u8]) -> Result<Addresses<'a>, ProxyError> {
    let block_len = address_block_len(fixed.family, fixed.protocol);
    let (block, tlvs) = tail.split_at_checked(block_len).ok_or(ProxyError::V2TruncatedAddress)?;
    let addresses = match fixed.family {
        _ if block_len == 0 => None,
        AddressFamily::Inet => ip_pair::<4>(block, |octets| Ipv4Addr::from(octets).into()),
        AddressFamily::Inet6 => ip_pair::<16>(block, |octets| Ipv6Addr::from(octets).into()),
        AddressFamily::Unix => Some(unix_pair(block)),
        AddressFamily::Unspec => None,
    };
    let (source, destination) = addresses.unzip();
    Ok((source, destination, tlvs))
}

/// Source address, destination address, source port, destination port.
fn ip_pair<const N: usize>(
    block: &[u8],
    make: impl Fn([u8; N]) -> IpAddr,
) -> Option<(ProxyAddress, ProxyAddress)> {
    let (source, rest) = block.split_first_chunk::<N>()?;
    let (destination, rest) = rest.split_first_chunk::<N>()?;
    let (source_port, rest) = rest.split_first_chunk::<2>()?;
    let (destination_port, _) = rest.split_first_chunk::<2>()?;
    let endpoint = |octets: &[u8; N], port: &[u8; 2]| {
        ProxyAddress::Ip(SocketAddr::new(make(*octets), u16::from_be_bytes(*port)))
    };
    Some((endpoint(source, source_port), endpoint(destination, destination_port)))
}

fn unix_pair(block: &[u8]) -> (ProxyAddress, ProxyAddress) {
    let (source, destination) = block.split_at(block.len().min(UNIX_PATH_LEN));
    (
        ProxyAddress::Unix(UnixPath::from_field(source)),
        ProxyAddress::Unix(UnixPath::from_field(destination)),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::proxy::tlv::Tlv;

    /// Builds a v2 header byte by byte.
    pub(crate) fn build(version_command: u8, family_protocol: u8, body: &[u8]) -> Vec<u8> {
        let mut bytes = SIGNATURE.to_vec();
        bytes.push(version_command);
        bytes.push(family_protocol);
        bytes.extend_from_slice(&(body.len() as u16).to_be_bytes());
        bytes.extend_from_slice(body);
        bytes
    }

    fn parse_all(bytes: &[u8]) -> ProxyHeader {
        let (header, consumed) = parse(bytes).unwrap().unwrap();
        assert_eq!(consumed, bytes.len());
        header
    }

    #[test]
    fn inet_proxy_with_tlvs() {
        let mut body = vec![192, 0, 2, 1, 198, 51, 100, 2, 0x10, 0x92, 0, 25];
        body.extend_from_slice(&[0x01, 0, 2, b'h', b'2', 0x02, 0, 6]);
        body.extend_from_slice(b"mx.com");
        body.extend_from_slice(&[0x03, 0, 4, 0xDE, 0xAD, 0xBE, 0xEF]);
        let header = parse_all(&build(0x21, 0x11, &body));
        assert_eq!(header.version(), ProxyVersion::V2);
        assert_eq!(header.command(), ProxyCommand::Proxy);
        assert_eq!(
            (header.family(), header.protocol()),
            (AddressFamily::Inet, TransportProtocol::Stream)
        );
        let source = header.client_address().and_then(ProxyAddress::ip);
        assert_eq!(source, Some("192.0.2.1:4242".parse().unwrap()));
        let destination = header.destination().and_then(ProxyAddress::ip);
        assert_eq!(destination, Some("198.51.100.2:25".parse().unwrap()));
        assert_eq!(header.alpn(), Some(&b"h2"[..]));
        assert_eq!(header.authority(), Some(&b"mx.com"[..]));
        // CRC32C is carried, not checked: this value is certainly wrong.
        assert_eq!(header.tlvs()[2], Tlv::Crc32c(vec![0xDE, 0xAD, 0xBE, 0xEF]));
    }

    #[test]
    fn inet6_dgram_and_unix() {
        let mut body = Ipv6Addr::LOCALHOST.octets().to_vec();
        body.extend_from_slice(&"2001:db8::25".parse::<Ipv6Addr>().unwrap().octets());
        body.extend_from_slice(&[0xFF, 0xFF, 0, 0]);
        let header = parse_all(&build(0x21, 0x22, &body));
        assert_eq!(header.protocol(), TransportProtocol::Dgram);
        assert_eq!(
            header.source().and_then(ProxyAddress::ip),
            Some("[::1]:65535".parse().unwrap())
        );
        assert_eq!(
            header.destination().and_then(ProxyAddress::ip),
            Some("[2001:db8::25]:0".parse().unwrap())
        );

        let mut body = vec![0u8; 216];
        body[..9].copy_from_slice(b"/tmp/a.sk");
        body[108..111].copy_from_slice(b"\0ab");
        body.extend_from_slice(&[0x30, 0, 3, b'n', b's', b'1']);
        let header = parse_all(&build(0x21, 0x31, &body));
        assert_eq!(header.family(), AddressFamily::Unix);
        let Some(ProxyAddress::Unix(source)) = header.source() else { panic!("not unix") };
        assert_eq!(source.as_bytes(), b"/tmp/a.sk");
        let Some(ProxyAddress::Unix(destination)) = header.destination() else {
            panic!("not unix")
        };
        assert_eq!(destination.as_bytes(), b"\0ab");
        assert_eq!(header.source().and_then(ProxyAddress::ip), None);
        assert_eq!(header.tlvs(), &[Tlv::Netns(b"ns1".to_vec())]);
    }

    #[test]
    fn local_and_unspec() {
        // LOCAL with addresses: parsed, but the session must use the real peer address.
        let body = [10, 0, 0, 1, 10, 0, 0, 2, 0, 1, 0, 2];
        let header = parse_all(&build(0x20, 0x11, &body));
        assert_eq!(header.command(), ProxyCommand::Local);
        assert!(header.source().is_some());
        assert_eq!(header.client_address(), None);

        // UNSPEC: no addresses, the body is TLVs.
        let header = parse_all(&build(0x20, 0x00, &[0x04, 0, 1, 0]));
        assert_eq!(header.family(), AddressFamily::Unspec);
        assert_eq!(header.source(), None);
        assert_eq!(header.tlvs(), &[Tlv::Noop(vec![0])]);

        // INET with UNSPEC protocol: addresses are not read (aiosmtpd's rule).
        let header = parse_all(&build(0x21, 0x10, &[]));
        assert_eq!((header.family(), header.source()), (AddressFamily::Inet, None));
    }

    #[test]
    fn every_v2_error() {
        use ProxyError::*;
        let ok_body = [0u8; 12];
        let mut bad_signature = build(0x21, 0x11, &ok_body);
        bad_signature[8] = b'q';
        let cases: Vec<(Vec<u8>, ProxyError)> = vec![
            (bad_signature, V2WrongSignature),
            (build(0x11, 0x11, &ok_body), V2IllegalVersion),
            (build(0x31, 0x11, &ok_body), V2IllegalVersion),
            (build(0x22, 0x11, &ok_body), V2UnsupportedCommand),
            (build(0x2F, 0x11, &ok_body), V2UnsupportedCommand),
            (build(0x21, 0x41, &ok_body), V2UnsupportedFamily),
            (build(0x21, 0x13, &ok_body), V2UnsupportedProtocol),
            (build(0x21, 0x11, &ok_body[..11]), V2TruncatedAddress),
            (build(0x21, 0x21, &ok_body), V2TruncatedAddress),
            (build(0x21, 0x31, &[0; 215]), V2TruncatedAddress),
            (build(0x21, 0x11, &[0; 14]), V2MalformedTlv),
        ];
        for (bytes, error) in cases {
            assert_eq!(parse(&bytes).map(|_| ()), Err(error), "{bytes:?}");
        }
    }

    #[test]
    fn errors_come_as_soon_as_the_fixed_bytes_show_them() {
        let bytes = build(0x31, 0x11, &[0; 12]);
        assert_eq!(parse(&bytes[..12]).map(|_| ()), Ok(()));
        assert_eq!(parse(&bytes[..13]).map(|_| ()), Err(ProxyError::V2IllegalVersion));
        let bytes = build(0x21, 0x21, &[0; 12]);
        assert_eq!(parse(&bytes[..16]).map(|_| ()), Err(ProxyError::V2TruncatedAddress));
        assert_eq!(parse(&b"\r\n\r\n\0\r\nX"[..]).map(|_| ()), Err(ProxyError::V2WrongSignature));
    }

    #[test]
    fn bytes_wanted_never_reaches_past_the_header() {
        let bytes = build(0x21, 0x11, &[0; 20]);
        assert_eq!(bytes_wanted(&bytes[..3]), 13);
        assert_eq!(bytes_wanted(&bytes[..16]), 20);
        assert_eq!(bytes_wanted(&bytes[..30]), 6);
        assert_eq!(bytes_wanted(&bytes), 0);
        let mut longest = build(0x20, 0x00, &[]);
        longest[14..16].copy_from_slice(&[0xFF, 0xFF]);
        assert_eq!(bytes_wanted(&longest), u16::MAX as usize);
        assert_eq!(MAX_V2_LEN, 65551);
    }
}
