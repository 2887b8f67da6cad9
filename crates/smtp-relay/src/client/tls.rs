//! The client's TLS configuration: the bundled web PKI roots (`webpki-roots`) plus
//! [`ClientConfig::extra_roots`](super::ClientConfig::extra_roots), the ring provider, TLS 1.2
//! and 1.3, certificates always verified.

use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::stream::Stream;
use crate::transport::DeliveryError;

/// Why the client's TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// An extra root certificate is not a usable trust anchor.
    #[error("extra root certificate {index} is not usable: {source}")]
    BadRoot {
        /// Its position in `extra_roots`.
        index: usize,
        /// What rustls said.
        source: rustls::Error,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// Builds the connector used for STARTTLS and implicit TLS.
pub fn connector(extra_roots: &[CertificateDer<'static>]) -> Result<TlsConnector, TlsSetupError> {
    let mut roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    for (index, cert) in extra_roots.iter().enumerate() {
        roots.add(cert.clone()).map_err(|source| TlsSetupError::BadRoot { index, source })?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// The name to verify the certificate against: a DNS name or an IP address literal.
pub fn server_name(tls_name: &str) -> Result<ServerName<'static>, DeliveryError> {
    let bare = tls_name.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(bare.to_owned())
        .map_err(|_| DeliveryError::Tls(format!("{tls_name:?} is not a valid TLS server name")))
}

/// Runs the client handshake over `tcp`; any failure (including an unverifiable certificate)
/// is [`DeliveryError::Tls`].
pub async fn handshake(
    connector: &TlsConnector,
    name: ServerName<'static>,
    tcp: TcpStream,
) -> Result<Stream, DeliveryError> {
    match connector.connect(name, tcp).await {
        Ok(stream) => Ok(Stream::Tls(Box::new(stream))),
        Err(error) => Err(DeliveryError::Tls(format!("handshake failed: {error}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_accept_dns_names_and_ip_literals() {
        for (name, ok) in [
            ("mx.example.com", true),
            ("127.0.0.1", true),
            ("[127.0.0.1]", true),
            ("::1", true),
            ("bad name", false),
            ("", false),
        ] {
            assert_eq!(server_name(name).is_ok(), ok, "{name}");
        }
    }

    #[test]
    fn a_garbage_extra_root_is_refused() {
        assert!(connector(&[]).is_ok());
        let garbage = CertificateDer::from(vec![1, 2, 3]);
        assert!(matches!(connector(&[garbage]), Err(TlsSetupError::BadRoot { index: 0, .. })));
    }
}
