//! The parsed PROXY header: who the real client is, as the proxy saw it.

use std::net::SocketAddr;

use super::tlv::{SslInfo, Tlv};

/// Which PROXY protocol version the header used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProxyVersion {
    /// The human-readable line, `PROXY TCP4 ... \r\n`.
    V1,
    /// The binary header starting with `\r\n\r\n\0\r\nQUIT\n`.
    V2,
}

/// The v2 command. A v1 header is always [`ProxyCommand::Proxy`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProxyCommand {
    /// The proxy opened the connection itself (a health check): use the real connection's
    /// addresses and ignore the ones in the header.
    Local,
    /// The connection is relayed for a client; the header's addresses are the client's.
    Proxy,
}

/// The address family of the relayed connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AddressFamily {
    /// Unknown (v1 `UNKNOWN`, v2 AF_UNSPEC): no addresses.
    Unspec,
    /// IPv4 (v1 `TCP4`).
    Inet,
    /// IPv6 (v1 `TCP6`).
    Inet6,
    /// Unix domain sockets (v2 only).
    Unix,
}

/// The transport protocol of the relayed connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportProtocol {
    /// Unknown (v1 `UNKNOWN`, v2 UNSPEC).
    Unspec,
    /// A stream (TCP; every v1 `TCP4`/`TCP6` header).
    Stream,
    /// Datagrams (UDP; v2 only).
    Dgram,
}

/// A Unix socket path from a v2 header: the 108-byte field with its trailing NUL padding
/// removed. It is kept as bytes (the spec does not promise UTF-8); an abstract-namespace
/// address keeps its leading NUL.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnixPath(Vec<u8>);

impl UnixPath {
    /// Takes the raw 108-byte field and drops the trailing NULs.
    pub(crate) fn from_field(field: &[u8]) -> Self {
        let end = field.iter().rposition(|&b| b != 0).map_or(0, |last| last + 1);
        Self(field.get(..end).unwrap_or_default().to_vec())
    }

    /// The path bytes, without padding.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// One endpoint of the relayed connection.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ProxyAddress {
    /// An IPv4 or IPv6 address with its port.
    Ip(SocketAddr),
    /// A Unix socket path.
    Unix(UnixPath),
}

impl ProxyAddress {
    /// The socket address, for the IP families.
    pub fn ip(&self) -> Option<SocketAddr> {
        match self {
            Self::Ip(addr) => Some(*addr),
            Self::Unix(_) => None,
        }
    }
}

/// A complete, valid PROXY header (v1 or v2).
///
/// CRC32C TLVs are kept but **not validated** (as in aiosmtpd): a proxy that wants integrity
/// should be reached over a trusted network, which the PROXY protocol assumes anyway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyHeader {
    pub(crate) version: ProxyVersion,
    pub(crate) command: ProxyCommand,
    pub(crate) family: AddressFamily,
    pub(crate) protocol: TransportProtocol,
    pub(crate) source: Option<ProxyAddress>,
    pub(crate) destination: Option<ProxyAddress>,
    pub(crate) tlvs: Vec<Tlv>,
    pub(crate) rest: Vec<u8>,
}

impl ProxyHeader {
    /// v1 or v2.
    pub fn version(&self) -> ProxyVersion {
        self.version
    }

    /// LOCAL or PROXY (always PROXY for v1).
    pub fn command(&self) -> ProxyCommand {
        self.command
    }

    /// The address family the header declared.
    pub fn family(&self) -> AddressFamily {
        self.family
    }

    /// The transport protocol the header declared.
    pub fn protocol(&self) -> TransportProtocol {
        self.protocol
    }

    /// The source address as written in the header (the client), if it carried one.
    pub fn source(&self) -> Option<&ProxyAddress> {
        self.source.as_ref()
    }

    /// The destination address as written in the header (the proxy's listener), if any.
    pub fn destination(&self) -> Option<&ProxyAddress> {
        self.destination.as_ref()
    }

    /// The client address the session should use: the header's source for a PROXY command,
    /// `None` for LOCAL or when the header has no address (v1 `UNKNOWN`, v2 UNSPEC) — then the
    /// real connection's peer address is the one to use.
    pub fn client_address(&self) -> Option<&ProxyAddress> {
        match self.command {
            ProxyCommand::Local => None,
            ProxyCommand::Proxy => self.source.as_ref(),
        }
    }

    /// The v2 TLVs in the order they came (empty for v1).
    pub fn tlvs(&self) -> &[Tlv] {
        &self.tlvs
    }

    /// For v1 `UNKNOWN`: the bytes after `UNKNOWN` up to the CRLF, exactly as sent (so usually
    /// starting with a space). Empty otherwise.
    pub fn rest(&self) -> &[u8] {
        &self.rest
    }

    /// The first ALPN TLV's value (e.g. `h2`).
    pub fn alpn(&self) -> Option<&[u8]> {
        self.tlvs.iter().find_map(|tlv| match tlv {
            Tlv::Alpn(value) => Some(value.as_slice()),
            _ => None,
        })
    }

    /// The first AUTHORITY TLV's value (the SNI host name the client sent).
    pub fn authority(&self) -> Option<&[u8]> {
        self.tlvs.iter().find_map(|tlv| match tlv {
            Tlv::Authority(value) => Some(value.as_slice()),
            _ => None,
        })
    }

    /// The first UNIQUE_ID TLV's value.
    pub fn unique_id(&self) -> Option<&[u8]> {
        self.tlvs.iter().find_map(|tlv| match tlv {
            Tlv::UniqueId(value) => Some(value.as_slice()),
            _ => None,
        })
    }

    /// The first SSL TLV (the client's TLS session as the proxy saw it).
    pub fn ssl(&self) -> Option<&SslInfo> {
        self.tlvs.iter().find_map(|tlv| match tlv {
            Tlv::Ssl(info) => Some(info),
            _ => None,
        })
    }
}
