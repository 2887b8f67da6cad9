//! PROXY v2 TLVs (type, 16-bit big-endian length, value), HAProxy spec §2.2.

use super::error::ProxyError;

/// `PP2_TYPE_SSL`: the one TLV whose value has structure (client flags, verify result,
/// sub-TLVs).
const TYPE_SSL: u8 = 0x20;

/// One TLV from a v2 header. The known types are named; values are kept as sent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Tlv {
    /// `PP2_TYPE_ALPN` (0x01): the negotiated application protocol.
    Alpn(Vec<u8>),
    /// `PP2_TYPE_AUTHORITY` (0x02): the host name the client sent (TLS SNI), UTF-8 by spec.
    Authority(Vec<u8>),
    /// `PP2_TYPE_CRC32C` (0x03): a checksum of the header. Kept, **never validated**.
    Crc32c(Vec<u8>),
    /// `PP2_TYPE_NOOP` (0x04): padding.
    Noop(Vec<u8>),
    /// `PP2_TYPE_UNIQUE_ID` (0x05): an opaque connection identifier.
    UniqueId(Vec<u8>),
    /// `PP2_TYPE_SSL` (0x20): the client's TLS session.
    Ssl(SslInfo),
    /// `PP2_SUBTYPE_SSL_VERSION` (0x21), e.g. `TLSv1.3`.
    SslVersion(Vec<u8>),
    /// `PP2_SUBTYPE_SSL_CN` (0x22): the client certificate's Common Name.
    SslCn(Vec<u8>),
    /// `PP2_SUBTYPE_SSL_CIPHER` (0x23).
    SslCipher(Vec<u8>),
    /// `PP2_SUBTYPE_SSL_SIG_ALG` (0x24): the certificate's signature algorithm.
    SslSigAlg(Vec<u8>),
    /// `PP2_SUBTYPE_SSL_KEY_ALG` (0x25): the certificate's key algorithm.
    SslKeyAlg(Vec<u8>),
    /// `PP2_TYPE_NETNS` (0x30): the network namespace name.
    Netns(Vec<u8>),
    /// Any other type, with its value.
    Other(u8, Vec<u8>),
}

impl Tlv {
    /// The numeric type.
    pub fn type_code(&self) -> u8 {
        match self {
            Self::Alpn(_) => 0x01,
            Self::Authority(_) => 0x02,
            Self::Crc32c(_) => 0x03,
            Self::Noop(_) => 0x04,
            Self::UniqueId(_) => 0x05,
            Self::Ssl(_) => TYPE_SSL,
            Self::SslVersion(_) => 0x21,
            Self::SslCn(_) => 0x22,
            Self::SslCipher(_) => 0x23,
            Self::SslSigAlg(_) => 0x24,
            Self::SslKeyAlg(_) => 0x25,
            Self::Netns(_) => 0x30,
            Self::Other(kind, _) => *kind,
        }
    }

    fn simple(kind: u8, value: &[u8]) -> Self {
        let value = value.to_vec();
        match kind {
            0x01 => Self::Alpn(value),
            0x02 => Self::Authority(value),
            0x03 => Self::Crc32c(value),
            0x04 => Self::Noop(value),
            0x05 => Self::UniqueId(value),
            0x21 => Self::SslVersion(value),
            0x22 => Self::SslCn(value),
            0x23 => Self::SslCipher(value),
            0x24 => Self::SslSigAlg(value),
            0x25 => Self::SslKeyAlg(value),
            0x30 => Self::Netns(value),
            other => Self::Other(other, value),
        }
    }
}

/// The `client` bit field of the SSL TLV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SslClient(u8);

impl SslClient {
    /// `PP2_CLIENT_SSL`: the client connected over TLS.
    pub fn ssl(self) -> bool {
        self.0 & 0x01 != 0
    }

    /// `PP2_CLIENT_CERT_CONN`: the client presented a certificate on this connection.
    pub fn cert_conn(self) -> bool {
        self.0 & 0x02 != 0
    }

    /// `PP2_CLIENT_CERT_SESS`: the client presented a certificate at least once in this TLS
    /// session.
    pub fn cert_sess(self) -> bool {
        self.0 & 0x04 != 0
    }

    /// The raw bits.
    pub fn bits(self) -> u8 {
        self.0
    }
}

/// The SSL TLV: how the client reached the proxy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SslInfo {
    client: SslClient,
    verify: u32,
    sub_tlvs: Vec<Tlv>,
}

impl SslInfo {
    /// The client flags.
    pub fn client(&self) -> SslClient {
        self.client
    }

    /// The certificate verification result: 0 means the client certificate was verified.
    pub fn verify(&self) -> u32 {
        self.verify
    }

    /// Whether a client certificate was presented and verified.
    pub fn verified(&self) -> bool {
        self.verify == 0 && (self.client.cert_conn() || self.client.cert_sess())
    }

    /// The sub-TLVs (SSL_VERSION, SSL_CN, ...).
    pub fn sub_tlvs(&self) -> &[Tlv] {
        &self.sub_tlvs
    }

    /// The SSL_VERSION sub-TLV.
    pub fn version(&self) -> Option<&[u8]> {
        self.sub_tlvs.iter().find_map(|tlv| match tlv {
            Tlv::SslVersion(value) => Some(value.as_slice()),
            _ => None,
        })
    }

    /// The SSL_CN sub-TLV.
    pub fn common_name(&self) -> Option<&[u8]> {
        self.sub_tlvs.iter().find_map(|tlv| match tlv {
            Tlv::SslCn(value) => Some(value.as_slice()),
            _ => None,
        })
    }
}

/// Whether an SSL TLV may be decoded at this level. Sub-TLVs of SSL are not searched for a
/// nested SSL (the spec defines none), which also bounds the recursion.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Top,
    InsideSsl,
}

/// Parses a TLV list that must fill `bytes` exactly.
pub(crate) fn parse_tlvs(bytes: &[u8]) -> Result<Vec<Tlv>, ProxyError> {
    parse_level(bytes, Level::Top)
}

fn parse_level(mut bytes: &[u8], level: Level) -> Result<Vec<Tlv>, ProxyError> {
    let mut tlvs = Vec::new();
    while let Some((&kind, after_kind)) = bytes.split_first() {
        let Some((len_bytes, after_len)) = after_kind.split_first_chunk::<2>() else {
            return Err(ProxyError::V2MalformedTlv);
        };
        let len = usize::from(u16::from_be_bytes(*len_bytes));
        let Some((value, after_value)) = after_len.split_at_checked(len) else {
            return Err(ProxyError::V2MalformedTlv);
        };
        tlvs.push(if kind == TYPE_SSL && level == Level::Top {
            Tlv::Ssl(parse_ssl(value)?)
        } else {
            Tlv::simple(kind, value)
        });
        bytes = after_value;
    }
    Ok(tlvs)
}

fn parse_ssl(value: &[u8]) -> Result<SslInfo, ProxyError> {
    let Some((&client, after_client)) = value.split_first() else {
        return Err(ProxyError::V2MalformedTlv);
    };
    let Some((verify, sub)) = after_client.split_first_chunk::<4>() else {
        return Err(ProxyError::V2MalformedTlv);
    };
    Ok(SslInfo {
        client: SslClient(client),
        verify: u32::from_be_bytes(*verify),
        sub_tlvs: parse_level(sub, Level::InsideSsl)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_types_round_their_codes() {
        let mut bytes = Vec::new();
        let kinds = [0x01u8, 0x02, 0x03, 0x04, 0x05, 0x21, 0x22, 0x23, 0x24, 0x25, 0x30, 0xE0];
        for kind in kinds {
            bytes.extend_from_slice(&[kind, 0, 2, kind, b'x']);
        }
        let tlvs = parse_tlvs(&bytes).unwrap();
        assert_eq!(tlvs.len(), kinds.len());
        for (tlv, kind) in tlvs.iter().zip(kinds) {
            assert_eq!(tlv.type_code(), kind);
        }
        assert_eq!(tlvs[0], Tlv::Alpn(vec![0x01, b'x']));
        assert_eq!(tlvs[11], Tlv::Other(0xE0, vec![0xE0, b'x']));
    }

    #[test]
    fn ssl_with_sub_tlvs() {
        let sub = [0x21, 0, 7, b'T', b'L', b'S', b'v', b'1', b'.', b'3', 0x22, 0, 1, b'c'];
        let mut value = vec![0x07, 0, 0, 0, 0];
        value.extend_from_slice(&sub);
        let mut bytes = vec![0x20, 0, value.len() as u8];
        bytes.extend_from_slice(&value);
        let tlvs = parse_tlvs(&bytes).unwrap();
        let Tlv::Ssl(info) = &tlvs[0] else { panic!("not SSL: {tlvs:?}") };
        assert!(info.client().ssl() && info.client().cert_conn() && info.client().cert_sess());
        assert_eq!(info.client().bits(), 7);
        assert_eq!(info.verify(), 0);
        assert!(info.verified());
        assert_eq!(info.version(), Some(&b"TLSv1.3"[..]));
        assert_eq!(info.common_name(), Some(&b"c"[..]));
    }

    #[test]
    fn nested_ssl_is_kept_raw() {
        let inner = [0x20, 0, 1, 0xAA];
        let mut bytes = vec![0x20, 0, 9, 0x01, 0, 0, 0, 1];
        bytes.extend_from_slice(&inner);
        let tlvs = parse_tlvs(&bytes).unwrap();
        let Tlv::Ssl(info) = &tlvs[0] else { panic!("not SSL") };
        assert_eq!(info.sub_tlvs(), &[Tlv::Other(0x20, vec![0xAA])]);
        assert!(!info.verified());
        assert_eq!(info.verify(), 1);
    }

    #[test]
    fn truncated_lists_are_errors() {
        let cases: &[&[u8]] = &[
            &[0x01],
            &[0x01, 0],
            &[0x01, 0, 2, b'a'],
            &[0x04, 0, 0, 0x01, 0, 5, 1, 2, 3, 4],
            &[0x20, 0, 3, 1, 0, 0],
            &[0x20, 0, 0],
            &[0x20, 0, 7, 1, 0, 0, 0, 0, 0x21, 0],
        ];
        for bytes in cases {
            assert_eq!(parse_tlvs(bytes), Err(ProxyError::V2MalformedTlv), "{bytes:?}");
        }
        assert_eq!(parse_tlvs(&[]), Ok(Vec::new()));
        assert_eq!(parse_tlvs(&[0x04, 0, 0]), Ok(vec![Tlv::Noop(Vec::new())]));
    }
}
