//! TLS: implicit-TLS listeners with a generated certificate (every name it covers, TLS 1.2 and
//! 1.3, refused without trust, closed when over the connection limit), PEM files from disk and
//! each way they can be wrong, and `SelfSigned` keeping its key out of `Debug`.
//!
//! Every read has a deadline; nothing asserts on timing.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is a test failure

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use smtp_server::tls::{self, PemFile, SelfSigned, TlsError};
use smtp_server::{Handler, Listen, Server, ServerConfig, ServerHandle};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

const DEADLINE: Duration = Duration::from_secs(10);

struct Nothing;
impl Handler for Nothing {}

fn localhost() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// A fresh, empty directory of its own under the system's temporary directory.
fn temp_dir(tag: &str) -> PathBuf {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let dir = std::env::temp_dir().join(format!("smtp-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts a server with one implicit-TLS listener using `tls`.
async fn start_smtps(
    tls: Arc<rustls::ServerConfig>,
    max_connections: usize,
) -> (ServerHandle, SocketAddr) {
    let config = ServerConfig {
        hostname: "mx.test".into(),
        ident: "tls-test".into(),
        tls: Some(tls),
        max_connections,
        ..ServerConfig::default()
    };
    let handle =
        Server::new(config, Nothing).start([Listen::ImplicitTls(localhost())]).await.unwrap();
    let addr = handle.local_addr().unwrap();
    (handle, addr)
}

/// A client that trusts only `cert_pem`, speaking the given protocol versions.
fn connector(
    cert_pem: Option<&str>,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(pem) = cert_pem {
        roots.add(CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// Connects and handshakes, within the deadline.
async fn handshake(
    connector: &TlsConnector,
    addr: SocketAddr,
    name: &str,
) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from(name.to_owned()).unwrap();
    tokio::time::timeout(DEADLINE, connector.connect(name, tcp)).await.expect("handshake ends")
}

/// The next line, `None` at EOF or a reset.
async fn line<S: AsyncRead + AsyncWrite + Unpin>(stream: &mut BufReader<S>) -> Option<String> {
    let mut line = String::new();
    match tokio::time::timeout(DEADLINE, stream.read_line(&mut line)).await.expect("in time") {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end().to_owned()),
    }
}

#[tokio::test]
async fn implicit_tls_greets_under_every_certificate_name_and_protocol_version() {
    let generated = tls::self_signed("mx.test").unwrap();
    let (handle, addr) = start_smtps(Arc::clone(&generated.config), 100).await;
    let cases = [
        ("mx.test", &rustls::version::TLS13, rustls::ProtocolVersion::TLSv1_3),
        ("localhost", &rustls::version::TLS12, rustls::ProtocolVersion::TLSv1_2),
        ("127.0.0.1", &rustls::version::TLS13, rustls::ProtocolVersion::TLSv1_3),
        ("::1", &rustls::version::TLS12, rustls::ProtocolVersion::TLSv1_2),
    ];
    for (name, version, negotiated) in cases {
        let connector = connector(Some(&generated.cert_pem), &[version]);
        let stream = handshake(&connector, addr, name).await.unwrap();
        assert_eq!(stream.get_ref().1.protocol_version(), Some(negotiated), "{name}");
        let mut stream = BufReader::new(stream);
        assert_eq!(line(&mut stream).await.as_deref(), Some("220 mx.test tls-test"), "{name}");
        stream.get_mut().write_all(b"NOOP\r\nQUIT\r\n").await.unwrap();
        assert_eq!(line(&mut stream).await.as_deref(), Some("250 2.0.0 OK"));
        assert_eq!(line(&mut stream).await.as_deref(), Some("221 2.0.0 Bye"));
    }
    tokio::time::timeout(DEADLINE, handle.shutdown()).await.unwrap();
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_certificate_fails_the_handshake() {
    let generated = tls::self_signed("mx.test").unwrap();
    let other = tls::self_signed("mx.test").unwrap();
    let (handle, addr) = start_smtps(generated.config, 100).await;
    for trusted in [None, Some(other.cert_pem.as_str())] {
        let connector = connector(trusted, rustls::ALL_VERSIONS);
        assert!(handshake(&connector, addr, "mx.test").await.is_err());
    }
    tokio::time::timeout(DEADLINE, handle.shutdown()).await.unwrap();
}

#[tokio::test]
async fn an_implicit_tls_connection_over_the_limit_is_closed() {
    let generated = tls::self_signed("mx.test").unwrap();
    let (handle, addr) = start_smtps(generated.config, 1).await;
    let connector = connector(Some(&generated.cert_pem), rustls::ALL_VERSIONS);
    let mut first = BufReader::new(handshake(&connector, addr, "mx.test").await.unwrap());
    assert!(line(&mut first).await.unwrap().starts_with("220 "));

    // No handshake for the second: it is closed, so either the handshake or the first read
    // fails.
    if let Ok(second) = handshake(&connector, addr, "mx.test").await {
        assert_eq!(line(&mut BufReader::new(second)).await, None);
    }
    first.get_mut().write_all(b"NOOP\r\n").await.unwrap();
    assert_eq!(line(&mut first).await.as_deref(), Some("250 2.0.0 OK"));
    tokio::time::timeout(DEADLINE, handle.shutdown()).await.unwrap();
}

#[tokio::test]
async fn pem_files_written_from_a_generated_certificate_serve_tls() {
    let generated = tls::self_signed("mx.test").unwrap();
    let dir = temp_dir("pem");
    let (cert, key, both) = (dir.join("cert.pem"), dir.join("key.pem"), dir.join("both.pem"));
    std::fs::write(&cert, &generated.cert_pem).unwrap();
    std::fs::write(&key, &generated.key_pem).unwrap();
    std::fs::write(&both, format!("{}{}", generated.key_pem, generated.cert_pem)).unwrap();

    assert!(tls::load_pem_files(&both, &both).is_ok(), "one file with both");
    let config = tls::load_pem_files(&cert, &key).unwrap();
    let (handle, addr) = start_smtps(config, 100).await;
    let connector = connector(Some(&generated.cert_pem), rustls::ALL_VERSIONS);
    let mut stream = BufReader::new(handshake(&connector, addr, "localhost").await.unwrap());
    assert_eq!(line(&mut stream).await.as_deref(), Some("220 mx.test tls-test"));
    tokio::time::timeout(DEADLINE, handle.shutdown()).await.unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

/// What a `load_pem_files` error must be.
#[derive(Debug)]
enum Expected {
    Unreadable(PemFile),
    NoCertificate,
    NoPrivateKey,
    BadPem(PemFile),
    KeyMismatch,
}

fn matches(error: &TlsError, expected: &Expected) -> bool {
    match (error, expected) {
        (TlsError::Read { kind, .. }, Expected::Unreadable(want)) => kind == want,
        (TlsError::NoCertificate { .. }, Expected::NoCertificate) => true,
        (TlsError::NoPrivateKey { .. }, Expected::NoPrivateKey) => true,
        (TlsError::Pem { kind, .. }, Expected::BadPem(want)) => kind == want,
        (TlsError::KeyMismatch(_), Expected::KeyMismatch) => true,
        _ => false,
    }
}

#[test]
fn each_broken_pem_file_gets_its_own_error_naming_the_file() {
    let generated = tls::self_signed("mx.test").unwrap();
    let stranger = tls::self_signed("mx.test").unwrap();
    let dir = temp_dir("pem-errors");
    let write = |name: &str, text: &str| -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let cert = write("cert.pem", &generated.cert_pem);
    let key = write("key.pem", &generated.key_pem);
    let empty = write("empty.pem", "");
    let other_key = write("other-key.pem", &stranger.key_pem);
    let truncated = write("truncated.pem", &generated.cert_pem[..generated.cert_pem.len() / 2]);
    let missing = dir.join("missing.pem");

    let cases: [(&Path, &Path, Expected, &Path); 8] = [
        (&missing, &key, Expected::Unreadable(PemFile::Certificate), &missing),
        (&cert, &missing, Expected::Unreadable(PemFile::PrivateKey), &missing),
        (&empty, &key, Expected::NoCertificate, &empty),
        (&key, &key, Expected::NoCertificate, &key),
        (&cert, &empty, Expected::NoPrivateKey, &empty),
        (&cert, &cert, Expected::NoPrivateKey, &cert),
        (&truncated, &key, Expected::BadPem(PemFile::Certificate), &truncated),
        (&cert, &other_key, Expected::KeyMismatch, &other_key),
    ];
    for (cert_path, key_path, expected, named) in cases {
        let error = tls::load_pem_files(cert_path, key_path).unwrap_err();
        assert!(matches(&error, &expected), "{expected:?}: got {error:?}");
        let message = error.to_string();
        if !matches!(expected, Expected::KeyMismatch) {
            let name = named.display().to_string();
            assert!(message.contains(&name), "{expected:?}: {message:?} names {name}");
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn self_signed_debug_hides_the_key() {
    let generated: SelfSigned = tls::self_signed("mx.test").unwrap();
    let shown = format!("{generated:?}");
    let key_body: String =
        generated.key_pem.lines().filter(|line| !line.starts_with("-----")).collect();
    assert!(generated.key_pem.contains("PRIVATE KEY"));
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
    for line in generated.key_pem.lines().filter(|line| !line.starts_with("-----")) {
        assert!(!shown.contains(line), "a line of the key shows: {line}");
    }
    assert!(!key_body.is_empty());
    assert!(shown.contains("<redacted>"));
    assert!(shown.contains("BEGIN CERTIFICATE"), "the certificate is public");
}
