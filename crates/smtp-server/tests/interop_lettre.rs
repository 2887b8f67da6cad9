//! lettre's async SMTP transport (tokio, rustls) against a real server on 127.0.0.1: STARTTLS
//! and implicit TLS, each with PLAIN and with XOAUTH2, and a refused unauthenticated send. Each delivery is checked
//! against the exact bytes lettre formatted (plus the CRLF lettre always puts before the final
//! dot), the envelope, and the login the session recorded.
#![allow(clippy::unwrap_used)]

mod interop_support;

use interop_support::{LIMIT, LOGIN, PASSWORD, Recording, Running, auth_tls_config, certificate};
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use smtp_server::ServerConfig;
use smtp_server::tls::SelfSigned;

/// How lettre should protect the connection.
#[derive(Clone, Copy, Debug)]
enum Protection {
    /// `Tls::Required`: STARTTLS or fail.
    StartTls,
    /// `Tls::Wrapper`: implicit TLS.
    Implicit,
}

/// A transport to `port` that trusts exactly `certificate`, with alice's login through
/// `mechanism` (her password doubles as her OAuth token on the test server), or without one.
fn transport(
    port: u16,
    certificate: &SelfSigned,
    protection: Protection,
    mechanism: Option<Mechanism>,
) -> AsyncSmtpTransport<Tokio1Executor> {
    let root = Certificate::from_pem(certificate.cert_pem.as_bytes()).unwrap();
    let parameters =
        TlsParameters::builder("localhost".to_owned()).add_root_certificate(root).build().unwrap();
    let tls = match protection {
        Protection::StartTls => Tls::Required(parameters),
        Protection::Implicit => Tls::Wrapper(parameters),
    };
    let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .tls(tls)
        .timeout(Some(LIMIT));
    let builder = match mechanism {
        Some(mechanism) => builder
            .credentials(Credentials::new(LOGIN.to_owned(), PASSWORD.to_owned()))
            .authentication(vec![mechanism]),
        None => builder,
    };
    builder.build()
}

/// A message whose body has a line starting with a dot and a line that is only a dot.
fn message(subject: &str) -> Message {
    Message::builder()
        .from("Alice <alice@example.com>".parse().unwrap())
        .to("Bob <bob@example.com>".parse().unwrap())
        .to("carol@example.com".parse().unwrap())
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(String::from("Hello from lettre.\r\n.a leading dot\r\n.\r\nbye\r\n"))
        .unwrap()
}

/// What lettre puts on the wire between DATA and the final dot, unstuffed: the formatted
/// message and, always, one more CRLF.
fn expected_content(message: &Message) -> Vec<u8> {
    let mut content = message.formatted();
    content.extend_from_slice(b"\r\n");
    content
}

#[tokio::test]
async fn starttls_and_implicit_tls_with_plain_and_xoauth2() {
    let cases = [
        (Protection::StartTls, Mechanism::Plain),
        (Protection::Implicit, Mechanism::Plain),
        (Protection::StartTls, Mechanism::Xoauth2),
        (Protection::Implicit, Mechanism::Xoauth2),
    ];
    for (protection, mechanism) in cases {
        let certificate = certificate();
        let recording = Recording::default();
        let implicit = matches!(protection, Protection::Implicit);
        let mut config = ServerConfig { auth_required: true, ..auth_tls_config(&certificate) };
        config.extra_mechanisms.push(std::sync::Arc::new(smtp_server::smtp_auth::XOAuth2::new()));
        let server = Running::start(config, recording.clone(), implicit).await;
        let mail = message(&format!("lettre over {protection:?} with {mechanism:?}"));
        let expected = expected_content(&mail);
        let client = transport(server.addr.port(), &certificate, protection, Some(mechanism));
        let response = tokio::time::timeout(LIMIT, client.send(mail)).await.unwrap().unwrap();
        assert_eq!(u16::from(response.code()), 250, "{protection:?} {mechanism:?}");
        server.stop().await;

        let arrived = recording.only();
        assert_eq!(arrived.content, expected, "{protection:?}");
        let text = String::from_utf8(arrived.content).unwrap();
        assert!(
            text.ends_with("\r\n\r\nHello from lettre.\r\n.a leading dot\r\n.\r\nbye\r\n\r\n"),
            "{protection:?}: {text:?}"
        );
        assert_eq!(arrived.mail_from, "<alice@example.com>");
        assert_eq!(arrived.rcpt_tos, ["<bob@example.com>", "<carol@example.com>"]);
        assert!(arrived.authenticated, "{protection:?}");
        assert_eq!(arrived.login.as_deref(), Some(LOGIN), "{protection:?}");
        assert_eq!(arrived.implicit_tls, Some(implicit), "{protection:?}");
    }
}

#[tokio::test]
async fn sending_without_credentials_to_an_auth_required_server_fails_with_530() {
    let certificate = certificate();
    let recording = Recording::default();
    let config = ServerConfig { auth_required: true, ..auth_tls_config(&certificate) };
    let server = Running::start(config, recording.clone(), false).await;
    let client = transport(server.addr.port(), &certificate, Protection::StartTls, None);
    let outcome = tokio::time::timeout(LIMIT, client.send(message("no login"))).await.unwrap();
    server.stop().await;

    let error = outcome.unwrap_err();
    assert!(error.is_permanent(), "{error:?}");
    assert_eq!(error.status().map(u16::from), Some(530), "{error:?}");
    assert_eq!(recording.arrived(), Vec::new());
}
