//! Why a PROXY header was refused.
//!
//! The `Display` texts are aiosmtpd's (`aiosmtpd/proxy_protocol.py`), so operators who grep
//! their logs for them keep finding them. What the server does with any of these is the same:
//! close the connection without a reply (aiosmtpd-behaviour.md §9.4).

use std::fmt;

/// A PROXY header that cannot be accepted.
///
/// The variants follow aiosmtpd's error strings one to one, plus three that the sans-I/O design
/// needs: [`ProxyError::UnrecognizedSignature`] (aiosmtpd's "PROXY unrecognized signature", for
/// input that is neither v1 nor v2), [`ProxyError::V2MalformedTlv`] (aiosmtpd ignores a broken
/// TLV list; we refuse the header) and [`ProxyError::ConnectionLost`] (aiosmtpd's
/// "PROXY exception: ...", reported by [`ProxyHeaderReader::connection_closed`]).
///
/// [`ProxyHeaderReader::connection_closed`]: super::ProxyHeaderReader::connection_closed
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum ProxyError {
    /// The first bytes are neither `PROXY` nor the start of the v2 signature.
    #[error("PROXY unrecognized signature")]
    UnrecognizedSignature,
    /// No LF within the first 107 bytes.
    #[error("PROXYv1 header too long")]
    V1TooLong,
    /// The line does not end in CRLF, or it has no protocol field at all.
    #[error("PROXYv1 malformed")]
    V1Malformed,
    /// Something other than a space follows `PROXY`.
    #[error("PROXYv1 wrong signature")]
    V1WrongSignature,
    /// The protocol field is neither `UNKNOWN` nor ends in `4` or `6`.
    #[error("PROXYv1 unrecognized family")]
    V1UnrecognizedFamily,
    /// The protocol field ends in `4` or `6` but is not `TCP4` or `TCP6`.
    #[error("PROXYv1 unrecognized protocol")]
    V1UnrecognizedProtocol,
    /// An address is missing, holds characters outside `0-9a-fA-F.:`, or is not an IP address.
    #[error("PROXYv1 address malformed")]
    V1AddressMalformed,
    /// `TCP4` with an address that is not IPv4.
    #[error("PROXYv1 address not IPv4")]
    V1AddressNotIpv4,
    /// `TCP6` with an address that is not IPv6.
    #[error("PROXYv1 address not IPv6")]
    V1AddressNotIpv6,
    /// A port is missing, not decimal, or has a leading zero.
    #[error("PROXYv1 port malformed")]
    V1PortMalformed,
    /// The source port is above 65535.
    #[error("PROXYv1 src port out of bounds")]
    V1SourcePortOutOfBounds,
    /// The destination port is above 65535.
    #[error("PROXYv1 dst port out of bounds")]
    V1DestinationPortOutOfBounds,
    /// More fields after the destination port (a trailing space counts as an empty field).
    #[error("PROXYv1 unrecognized extraneous data")]
    V1ExtraneousData,
    /// The 12-byte v2 signature does not match.
    #[error("PROXYv2 wrong signature")]
    V2WrongSignature,
    /// The version nibble is not 2.
    #[error("PROXYv2 illegal version")]
    V2IllegalVersion,
    /// The command nibble is neither LOCAL (0) nor PROXY (1).
    #[error("PROXYv2 unsupported command")]
    V2UnsupportedCommand,
    /// The family nibble is not UNSPEC, INET, INET6 or UNIX.
    #[error("PROXYv2 unsupported family")]
    V2UnsupportedFamily,
    /// The protocol nibble is not UNSPEC, STREAM or DGRAM.
    #[error("PROXYv2 unsupported protocol")]
    V2UnsupportedProtocol,
    /// The declared length is shorter than the family's address block.
    #[error("PROXYv2 truncated address")]
    V2TruncatedAddress,
    /// A TLV (or an SSL sub-TLV) runs past the end of the header.
    #[error("PROXYv2 malformed TLV")]
    V2MalformedTlv,
    /// The peer closed the connection before the header was complete.
    #[error("PROXY exception: Connection lost while waiting for {0}")]
    ConnectionLost(WaitingFor),
}

/// The part of the header a reader was waiting for (for [`ProxyError::ConnectionLost`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitingFor {
    /// The first five bytes, which say which version follows.
    Signature,
    /// The rest of a v1 line, up to its LF.
    V1Line,
    /// The rest of the v2 signature and its four fixed bytes (version, family, length).
    V2Header,
    /// The v2 addresses and TLVs (the declared length).
    V2Tail,
}

impl fmt::Display for WaitingFor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Signature => "signature",
            Self::V1Line => "PROXYv1 line",
            Self::V2Header => "header",
            Self::V2Tail => "tail part",
        })
    }
}
