//! [`TlsInfo`] from a finished rustls handshake.

use tokio_rustls::server::TlsStream;

use crate::session::TlsInfo;

/// What the handshake negotiated.
pub(super) fn tls_info<S>(stream: &TlsStream<S>, implicit: bool) -> TlsInfo {
    let (_, connection) = stream.get_ref();
    TlsInfo {
        implicit,
        protocol: connection.protocol_version().map(|version| format!("{version:?}")),
        cipher_suite: connection
            .negotiated_cipher_suite()
            .map(|suite| format!("{:?}", suite.suite())),
        server_name: connection.server_name().map(str::to_owned),
        alpn: connection.alpn_protocol().map(<[u8]>::to_vec),
    }
}
