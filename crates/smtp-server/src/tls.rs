//! TLS settings for STARTTLS and implicit-TLS listeners: a certificate chain and key from PEM
//! files ([`load_pem_files`]), a generated self-signed certificate for tests and development
//! ([`self_signed`]), and the one place both turn into a [`rustls::ServerConfig`]
//! ([`server_config`]).
//!
//! Every configuration uses rustls' *ring* crypto provider explicitly (never a process-wide
//! default), offers TLS 1.2 and TLS 1.3 with rustls' safe default cipher suites, and asks no
//! client certificate.
//!
//! ```
//! let generated = smtp_server::tls::self_signed("mx.example").unwrap();
//! let config = smtp_server::ServerConfig {
//!     tls: Some(generated.config),
//!     ..smtp_server::ServerConfig::default()
//! };
//! assert!(config.tls.is_some());
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Which of the two PEM files an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PemFile {
    /// The certificate chain file.
    Certificate,
    /// The private key file.
    PrivateKey,
}

impl fmt::Display for PemFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Certificate => "certificate",
            Self::PrivateKey => "private key",
        })
    }
}

/// Why a TLS configuration could not be built. Each message names the file concerned and says
/// what was expected, for the operator's log.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM file could not be read (missing, unreadable).
    #[error("cannot read the TLS {kind} file {}: {source}", path.display())]
    Read {
        /// Which file.
        kind: PemFile,
        /// The path as given.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// A PEM file is not valid PEM (a section without its end line, bad base64, ...).
    #[error("the TLS {kind} file {} is not valid PEM: {source}", path.display())]
    Pem {
        /// Which file.
        kind: PemFile,
        /// The path as given.
        path: PathBuf,
        /// What the PEM reader found wrong.
        source: pem::Error,
    },
    /// The certificate file holds no `CERTIFICATE` section.
    #[error("no certificate (a PEM \"CERTIFICATE\" section) in {}", path.display())]
    NoCertificate {
        /// The certificate file.
        path: PathBuf,
    },
    /// The key file holds no private key in a supported encoding.
    #[error(
        "no private key (PEM \"PRIVATE KEY\", \"RSA PRIVATE KEY\" or \"EC PRIVATE KEY\") in {}",
        path.display()
    )]
    NoPrivateKey {
        /// The key file.
        path: PathBuf,
    },
    /// The private key does not belong to the first certificate of the chain.
    #[error("the private key does not match the certificate: {0}")]
    KeyMismatch(rustls::Error),
    /// rustls refused the chain or key for another reason (e.g. an unsupported key type).
    #[error("rustls refused the certificate or key: {0}")]
    Rustls(rustls::Error),
    /// The self-signed certificate could not be generated (e.g. a host name that is not a
    /// valid DNS name).
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
}

/// A generated self-signed certificate: the ready configuration and both PEM texts (for a
/// client to trust the certificate, or to write the files for [`load_pem_files`]).
///
/// `Debug` shows the certificate but never the private key.
#[derive(Clone)]
pub struct SelfSigned {
    /// The server configuration using the certificate.
    pub config: Arc<rustls::ServerConfig>,
    /// The certificate, PEM-encoded (`-----BEGIN CERTIFICATE-----`).
    pub cert_pem: String,
    /// The private key, PEM-encoded PKCS#8 (`-----BEGIN PRIVATE KEY-----`). A secret.
    pub key_pem: String,
}

impl fmt::Debug for SelfSigned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SelfSigned")
            .field("config", &self.config)
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

/// Builds the server configuration from a certificate chain (end-entity certificate first)
/// and its private key.
///
/// Uses [`provider`] (and its order of cipher suites), TLS 1.2 and 1.3, no client
/// authentication, and stateless session tickets, one per TLS 1.3 handshake. rustls checks that the key belongs to the end-entity
/// certificate: a mismatch is [`TlsError::KeyMismatch`].
pub fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(provider()))
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Rustls)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|error| match error {
            rustls::Error::InconsistentKeys(_) => TlsError::KeyMismatch(error),
            other => TlsError::Rustls(other),
        })?;
    config.ignore_client_order = true;
    // Stateless tickets (encrypted with a key rotated every 6 hours) scale with the number of
    // clients, unlike a server-side cache; one per handshake is what a mail client resumes
    // with (rustls's default of two is meant for browsers opening parallel connections).
    config.ticketer = backend::Ticketer::new().map_err(TlsError::Rustls)?;
    config.send_tls13_tickets = 1;
    Ok(Arc::new(config))
}

/// The crypto provider (aws-lc-rs, or ring when only the `ring` feature is on) with its
/// cipher suites in the server's order of preference: AES-128-GCM, then AES-256-GCM, then
/// ChaCha20-Poly1305 (Mozilla's recommended order), for TLS 1.3 and TLS 1.2 alike.
///
/// The configuration applies this order rather than the client's (most clients, OpenSSL's
/// and rustls's among them, list AES-256-GCM first): AES-128-GCM is TLS 1.3's
/// mandatory-to-implement suite, and its SHA-256 key schedule runs on the SHA instructions of
/// current CPUs where SHA-384 has none, which makes every handshake cheaper. A
/// configuration built by hand can choose differently.
pub fn provider() -> rustls::crypto::CryptoProvider {
    let mut provider = backend::default_provider();
    provider.cipher_suites.sort_by_key(|suite| suite_rank(suite.suite()));
    provider
}

#[cfg(feature = "aws-lc-rs")]
use rustls::crypto::aws_lc_rs as backend;
#[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
use rustls::crypto::ring as backend;
#[cfg(not(any(feature = "aws-lc-rs", feature = "ring")))]
compile_error!("smtp-server needs a TLS crypto provider: enable the `aws-lc-rs` or `ring` feature");

/// Where a cipher suite stands in [`provider`]'s order (lower first); unknown suites last, in
/// the provider's own order (the sort is stable).
fn suite_rank(suite: rustls::CipherSuite) -> u8 {
    use rustls::CipherSuite as Suite;
    match suite {
        Suite::TLS13_AES_128_GCM_SHA256 => 0,
        Suite::TLS13_AES_256_GCM_SHA384 => 1,
        Suite::TLS13_CHACHA20_POLY1305_SHA256 => 2,
        Suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => 3,
        Suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => 4,
        Suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => 5,
        Suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => 6,
        Suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => 7,
        Suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => 8,
        _ => 9,
    }
}

/// Reads a certificate chain and a private key from PEM files and builds the configuration.
///
/// `cert` holds one or more `CERTIFICATE` sections, end-entity certificate first (other
/// sections are ignored); `key` holds a private key as PKCS#8 (`PRIVATE KEY`), PKCS#1
/// (`RSA PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`); the first one found is used. Both may be
/// the same file. The files are read synchronously: call this at start-up.
pub fn load_pem_files(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let chain = read_chain(cert)?;
    let key = read_key(key)?;
    server_config(chain, key)
}

/// Generates a self-signed certificate for `hostname` (also valid for `localhost`, 127.0.0.1
/// and ::1) with a fresh ECDSA P-256 key, and the configuration that serves it.
///
/// Meant for tests and development: no client trusts it unless told to.
pub fn self_signed(hostname: &str) -> Result<SelfSigned, TlsError> {
    let generated = rcgen::generate_simple_self_signed(subject_alt_names(hostname))?;
    let key_der = PrivatePkcs8KeyDer::from(generated.signing_key.serialize_der());
    let config = server_config(vec![generated.cert.der().clone()], key_der.into())?;
    Ok(SelfSigned {
        config,
        cert_pem: generated.cert.pem(),
        key_pem: generated.signing_key.serialize_pem(),
    })
}

/// The names a self-signed certificate covers: `hostname`, `localhost`, 127.0.0.1, ::1
/// (without duplicates; IP literals become IP-address names).
fn subject_alt_names(hostname: &str) -> Vec<String> {
    let mut names = vec![hostname.to_owned()];
    for extra in ["localhost", "127.0.0.1", "::1"] {
        if !names.iter().any(|name| name.eq_ignore_ascii_case(extra)) {
            names.push(extra.to_owned());
        }
    }
    names
}

/// Reads a whole file, naming it in the error.
fn read_file(kind: PemFile, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read { kind, path: path.to_owned(), source })
}

/// The certificates of a PEM file, in order; at least one.
fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read_file(PemFile::Certificate, path)?;
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| pem_error(PemFile::Certificate, path, source))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate { path: path.to_owned() });
    }
    Ok(chain)
}

/// The first private key of a PEM file.
fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let bytes = read_file(PemFile::PrivateKey, path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|source| match source {
        pem::Error::NoItemsFound => TlsError::NoPrivateKey { path: path.to_owned() },
        other => pem_error(PemFile::PrivateKey, path, other),
    })
}

/// A [`TlsError::Pem`] for `path`.
fn pem_error(kind: PemFile, path: &Path, source: pem::Error) -> TlsError {
    TlsError::Pem { kind, path: path.to_owned(), source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_alt_names_cover_the_host_and_loopback_once() {
        let cases: [(&str, &[&str]); 3] = [
            ("mx.example", &["mx.example", "localhost", "127.0.0.1", "::1"]),
            ("LOCALHOST", &["LOCALHOST", "127.0.0.1", "::1"]),
            ("127.0.0.1", &["127.0.0.1", "localhost", "::1"]),
        ];
        for (hostname, expected) in cases {
            assert_eq!(subject_alt_names(hostname), expected, "{hostname}");
        }
    }

    #[test]
    fn an_invalid_host_name_is_a_generation_error() {
        let error = self_signed("bücher.example").unwrap_err();
        assert!(matches!(error, TlsError::Generate(_)), "{error:?}");
    }

    #[test]
    fn a_key_of_another_certificate_is_a_mismatch() {
        let one = rcgen::generate_simple_self_signed(vec!["a.example".to_owned()]).unwrap();
        let other = rcgen::generate_simple_self_signed(vec!["b.example".to_owned()]).unwrap();
        let key = PrivatePkcs8KeyDer::from(other.signing_key.serialize_der());
        let error = server_config(vec![one.cert.der().clone()], key.into()).unwrap_err();
        assert!(matches!(error, TlsError::KeyMismatch(_)), "{error:?}");
    }

    /// Drives a handshake between `client` and `server` in memory.
    fn handshake(client: &mut rustls::ClientConnection, server: &mut rustls::ServerConnection) {
        for _ in 0..10 {
            let mut wire = Vec::new();
            while client.wants_write() {
                client.write_tls(&mut wire).unwrap();
            }
            server.read_tls(&mut wire.as_slice()).unwrap();
            server.process_new_packets().unwrap();
            let mut wire = Vec::new();
            while server.wants_write() {
                server.write_tls(&mut wire).unwrap();
            }
            client.read_tls(&mut wire.as_slice()).unwrap();
            client.process_new_packets().unwrap();
            if !client.is_handshaking() && !server.is_handshaking() {
                return;
            }
        }
        panic!("the handshake did not finish");
    }

    #[test]
    fn the_server_picks_aes_128_gcm_and_issues_one_stateless_ticket() {
        let generated = self_signed("mx.example").unwrap();
        let config = &generated.config;
        assert!(config.ignore_client_order);
        assert_eq!(config.send_tls13_tickets, 1);
        assert!(config.ticketer.enabled());

        let cert = CertificateDer::from_pem_slice(generated.cert_pem.as_bytes()).unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert).unwrap();
        // A client with its provider's own order, AES-256-GCM first (as OpenSSL's and rustls's).
        let mut client_provider = backend::default_provider();
        client_provider
            .cipher_suites
            .sort_by_key(|suite| suite.suite() != rustls::CipherSuite::TLS13_AES_256_GCM_SHA384);
        for versions in [&[&rustls::version::TLS13][..], &[&rustls::version::TLS12][..]] {
            let client_config =
                rustls::ClientConfig::builder_with_provider(Arc::new(client_provider.clone()))
                    .with_protocol_versions(versions)
                    .unwrap()
                    .with_root_certificates(roots.clone())
                    .with_no_client_auth();
            let name = rustls::pki_types::ServerName::try_from("mx.example").unwrap();
            let mut client = rustls::ClientConnection::new(Arc::new(client_config), name).unwrap();
            let mut server = rustls::ServerConnection::new(Arc::clone(config)).unwrap();
            handshake(&mut client, &mut server);
            let suite = server.negotiated_cipher_suite().unwrap().suite();
            let expected = if versions[0] == &rustls::version::TLS13 {
                rustls::CipherSuite::TLS13_AES_128_GCM_SHA256
            } else {
                rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
            };
            assert_eq!(suite, expected);
        }
    }
}
