//! PROXY protocol v1 and v2 headers (HAProxy `proxy-protocol.txt`, checked as aiosmtpd 1.4.6
//! does).
//!
//! A proxy in front of the server (HAProxy, nginx, a cloud load balancer) sends one header
//! before any SMTP bytes, saying who the real client is. The server reads it before the
//! greeting; anything wrong with it closes the connection without a reply.
//!
//! - [`parse_header`] looks at a buffer: `Ok(None)` means "need more bytes",
//!   `Ok(Some((header, consumed)))` gives the header and how many bytes it took; the bytes after
//!   it are the SMTP session's and are left alone.
//! - [`ProxyHeaderReader`] is the same fed in pieces: it copies only bytes that belong to the
//!   header (at most 107 for v1, 16 + the declared length for v2), so the caller's leftover is
//!   the start of the SMTP stream.
//!
//! The version is decided from the first bytes: `PROXY` is v1, `\r\n\r\n\0` is v2, anything else
//! is refused at once, even before five bytes have arrived when the prefix can no longer match.
//! CRC32C TLVs are not validated (as in aiosmtpd).
//!
//! ```
//! use smtp_proto::proxy::{parse_header, ProxyAddress};
//!
//! let input = b"PROXY TCP4 192.0.2.1 198.51.100.2 12345 25\r\nEHLO client\r\n";
//! let (header, consumed) = parse_header(input).unwrap().unwrap();
//! assert_eq!(&input[consumed..], b"EHLO client\r\n");
//! let client = header.client_address().and_then(ProxyAddress::ip).unwrap();
//! assert_eq!(client.to_string(), "192.0.2.1:12345");
//! ```

mod error;
mod header;
mod reader;
mod tlv;
mod v1;
mod v2;

pub use error::{ProxyError, WaitingFor};
pub use header::{
    AddressFamily, ProxyAddress, ProxyCommand, ProxyHeader, ProxyVersion, TransportProtocol,
    UnixPath,
};
pub use reader::{Fed, ProxyHeaderReader};
pub use tlv::{SslClient, SslInfo, Tlv};
pub use v1::MAX_V1_LEN;
pub use v2::MAX_V2_LEN;

/// How many bytes decide the version: `PROXY` or `\r\n\r\n\0`.
const DETECT_LEN: usize = 5;

/// Parses a PROXY header at the start of `input`.
///
/// `Ok(None)`: the bytes so far can still become a valid header; call again with more.
/// `Ok(Some((header, consumed)))`: the header took `input[..consumed]`. `Err`: close the
/// connection (the error is for the log).
pub fn parse_header(input: &[u8]) -> Result<Option<(ProxyHeader, usize)>, ProxyError> {
    match detect(input)? {
        None => Ok(None),
        Some(ProxyVersion::V1) => v1::parse(input),
        Some(ProxyVersion::V2) => v2::parse(input),
    }
}

/// Which version the first bytes announce; `None` while they fit both.
fn detect(input: &[u8]) -> Result<Option<ProxyVersion>, ProxyError> {
    let head = input.get(..DETECT_LEN).unwrap_or(input);
    let v2_head = v2::SIGNATURE.get(..DETECT_LEN).unwrap_or_default();
    let version = if v1::SIGNATURE.starts_with(head) {
        ProxyVersion::V1
    } else if v2_head.starts_with(head) {
        ProxyVersion::V2
    } else {
        return Err(ProxyError::UnrecognizedSignature);
    };
    Ok((head.len() == DETECT_LEN).then_some(version))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn valid_headers() -> Vec<Vec<u8>> {
        let mut ssl = vec![0x20, 0, 13, 0x01, 0, 0, 0, 0, 0x21, 0, 5];
        ssl.extend_from_slice(b"TLSv1");
        let mut inet = vec![192, 0, 2, 1, 198, 51, 100, 2, 0x10, 0x92, 0, 25];
        inet.extend_from_slice(&ssl);
        vec![
            b"PROXY TCP4 192.0.2.1 198.51.100.2 12345 25\r\n".to_vec(),
            b"PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n".to_vec(),
            b"PROXY UNKNOWN\r\n".to_vec(),
            v2::tests::build(0x21, 0x11, &inet),
            v2::tests::build(0x20, 0x00, &[]),
            v2::tests::build(0x21, 0x32, &[b'/'; 216]),
        ]
    }

    type Detected = Result<Option<ProxyVersion>, ProxyError>;

    #[test]
    fn version_is_decided_from_the_first_bytes() {
        let cases: &[(&[u8], Detected)] = &[
            (b"", Ok(None)),
            (b"PROX", Ok(None)),
            (b"PROXY", Ok(Some(ProxyVersion::V1))),
            (b"\r\n\r\n", Ok(None)),
            (b"\r\n\r\n\0", Ok(Some(ProxyVersion::V2))),
            (b"E", Err(ProxyError::UnrecognizedSignature)),
            (b"EHLO c\r\n", Err(ProxyError::UnrecognizedSignature)),
            (b"PRX", Err(ProxyError::UnrecognizedSignature)),
            (b"proxy", Err(ProxyError::UnrecognizedSignature)),
            (b"\r\n\r\n\x01", Err(ProxyError::UnrecognizedSignature)),
            (b"\r\r", Err(ProxyError::UnrecognizedSignature)),
        ];
        for (input, expected) in cases {
            assert_eq!(detect(input), *expected, "{input:?}");
            if let Err(error) = expected {
                assert_eq!(parse_header(input).map(|_| ()), Err(*error));
            }
        }
    }

    #[test]
    fn error_texts_are_aiosmtpds() {
        use ProxyError::*;
        let cases = [
            (UnrecognizedSignature, "PROXY unrecognized signature"),
            (V1TooLong, "PROXYv1 header too long"),
            (V1Malformed, "PROXYv1 malformed"),
            (V1WrongSignature, "PROXYv1 wrong signature"),
            (V1UnrecognizedFamily, "PROXYv1 unrecognized family"),
            (V1UnrecognizedProtocol, "PROXYv1 unrecognized protocol"),
            (V1AddressMalformed, "PROXYv1 address malformed"),
            (V1AddressNotIpv4, "PROXYv1 address not IPv4"),
            (V1AddressNotIpv6, "PROXYv1 address not IPv6"),
            (V1PortMalformed, "PROXYv1 port malformed"),
            (V1SourcePortOutOfBounds, "PROXYv1 src port out of bounds"),
            (V1DestinationPortOutOfBounds, "PROXYv1 dst port out of bounds"),
            (V1ExtraneousData, "PROXYv1 unrecognized extraneous data"),
            (V2WrongSignature, "PROXYv2 wrong signature"),
            (V2IllegalVersion, "PROXYv2 illegal version"),
            (V2UnsupportedCommand, "PROXYv2 unsupported command"),
            (V2UnsupportedFamily, "PROXYv2 unsupported family"),
            (V2UnsupportedProtocol, "PROXYv2 unsupported protocol"),
            (V2TruncatedAddress, "PROXYv2 truncated address"),
            (V2MalformedTlv, "PROXYv2 malformed TLV"),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }

    #[test]
    fn every_truncation_waits_and_the_whole_header_parses() {
        for header in valid_headers() {
            for len in 0..header.len() {
                assert_eq!(parse_header(&header[..len]), Ok(None), "{header:?} cut at {len}");
            }
            let (_, consumed) = parse_header(&header).unwrap().unwrap();
            assert_eq!(consumed, header.len());
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_header(&bytes);
            let _ = ProxyHeaderReader::new().feed(&bytes);
        }

        #[test]
        fn arbitrary_bytes_after_a_signature_never_panic(
            v2 in any::<bool>(),
            bytes in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let mut input = if v2 { v2::SIGNATURE.to_vec() } else { b"PROXY ".to_vec() };
            input.extend_from_slice(&bytes);
            let _ = parse_header(&input);
            let mut reader = ProxyHeaderReader::new();
            for chunk in input.chunks(7) {
                if !matches!(reader.feed(chunk), Ok(Fed::NeedMore)) {
                    break;
                }
            }
        }

        #[test]
        fn any_split_gives_the_same_header(
            index in 0usize..6,
            split in any::<prop::sample::Index>(),
            trailer in proptest::collection::vec(any::<u8>(), 0..20),
        ) {
            let header = &valid_headers()[index];
            let expected = parse_header(header).unwrap().map(|(parsed, _)| parsed);
            let mut input = header.clone();
            input.extend_from_slice(&trailer);
            prop_assert_eq!(parse_header(&input).unwrap().map(|(parsed, _)| parsed), expected.clone());
            let at = split.index(input.len() + 1);
            let mut reader = ProxyHeaderReader::new();
            let (first, second) = input.split_at(at);
            let result = match reader.feed(first).unwrap() {
                Fed::Done { header, consumed } => (header, consumed),
                Fed::NeedMore => match reader.feed(second).unwrap() {
                    Fed::Done { header, consumed } => (header, first.len() + consumed),
                    Fed::NeedMore => panic!("a complete header was not recognised"),
                },
            };
            prop_assert_eq!(Some(result.0), expected);
            prop_assert_eq!(result.1, header.len());
        }
    }
}
