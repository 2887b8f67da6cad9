//! STARTTLS and implicit TLS with a real rustls client: injection, state reset, a second
//! STARTTLS, require_starttls, the STARTTLS hook, AUTH over implicit TLS.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use common::{Recorder, TestClient, config, tls_pair};
use smtp_server::handler::Handler;
use smtp_server::smtp_auth::{MemoryAuthenticator, ServerInfo};
use smtp_server::{Server, ServerConfig, Session};

fn tls_config() -> (ServerConfig, Arc<tokio_rustls::rustls::ClientConfig>) {
    let (server, client) = tls_pair();
    let config = ServerConfig {
        tls: Some(server),
        authenticator: Some(Arc::new(MemoryAuthenticator::new().with_user("alice", "wonderland"))),
        auth_failure_delay: Duration::ZERO,
        ..config()
    };
    (config, client)
}

#[tokio::test]
async fn starttls_resets_the_state_and_refuses_a_second_starttls() {
    let (config, client) = tls_config();
    let recorder = Recorder::default();
    let mut c = TestClient::start(config, recorder.clone()).await;
    c.expect(220).await;
    let ehlo = c.ehlo().await;
    assert!(ehlo.contains("STARTTLS") && !ehlo.contains("AUTH"), "{ehlo}");
    c.cmd("HELP", 250).await;
    c.cmd_text("STARTTLS now", "501 5.5.4 Syntax: STARTTLS").await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd_text("STARTTLS", "220 2.0.0 Ready to start TLS").await;
    let mut c = c.tls(client).await.unwrap();
    c.cmd_text("MAIL FROM:<a@example.com>", "503 5.5.1 Error: send HELO first").await;
    let ehlo = c.ehlo().await;
    assert!(ehlo.contains("AUTH LOGIN PLAIN") && !ehlo.contains("STARTTLS"), "{ehlo}");
    c.cmd("DATA", 503).await;
    c.cmd_text("STARTTLS", "503 5.5.1 Error: TLS already active").await;
    c.cmd("AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", 235).await;
    let reply = c.send_message("a@example.com", &["b@example.com"], b"secret\r\n").await;
    assert_eq!(&reply[..3], "250");
    c.cmd("QUIT", 221).await;
    c.expect_close().await;
    assert_eq!(recorder.contents(), [b"secret\r\n".to_vec()]);
}

/// CVE-2011-0411: commands pipelined behind STARTTLS are never executed after the handshake.
#[tokio::test]
async fn commands_injected_after_starttls_are_discarded() {
    let (config, client) = tls_config();
    let mut c = TestClient::start(config.clone(), Recorder::default()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.send_raw(b"STARTTLS\r\nEHLO evil\r\nMAIL FROM:<a@b>\r\n").await;
    c.expect(220).await;
    let mut c = c.tls(client.clone()).await.unwrap();
    // Had the EHLO been executed, this would be accepted; had MAIL, it would be 503 nested.
    c.cmd_text("MAIL FROM:<a@example.com>", "503 5.5.1 Error: send HELO first").await;
    c.cmd("NOOP", 250).await;

    // Split: part of the injected line arrives with STARTTLS, the rest after the 220; the
    // rest is not a ClientHello, so the handshake fails and nothing is answered.
    let mut c = TestClient::start(config, Recorder::default()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.send_raw(b"STARTTLS\r\nMAIL FR").await;
    c.expect(220).await;
    c.send_raw(b"OM:<a@b>\r\n").await;
    let rest = c.drain_to_close().await;
    assert!(!rest.first().is_some_and(u8::is_ascii_digit), "an SMTP reply: {rest:?}");
}

#[tokio::test]
async fn require_starttls() {
    let (config, client) = tls_config();
    let config = ServerConfig { require_starttls: true, ..config };
    let mut c = TestClient::start(config, Recorder::default()).await;
    c.expect(220).await;
    c.cmd("NOOP", 250).await;
    for command in [
        "HELO c",
        "HELP",
        "MAIL FROM:<a@example.com>",
        "AUTH PLAIN",
        "FOO",
        "FOO",
        "FOO",
        "FOO",
        "FOO",
    ] {
        c.cmd_text(command, "530 5.7.0 Must issue a STARTTLS command first").await;
    }
    c.ehlo().await;
    c.cmd("STARTTLS", 220).await;
    let mut c = c.tls(client).await.unwrap();
    c.cmd("HELO c", 250).await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
}

struct RefuseTls;

#[async_trait]
impl Handler for RefuseTls {
    async fn starttls(&self, _server: &ServerInfo, _session: &mut Session) -> bool {
        false
    }
}

#[tokio::test]
async fn a_refusing_starttls_hook_leaves_only_quit() {
    let (config, client) = tls_config();
    let mut c = TestClient::start(config, RefuseTls).await;
    c.expect(220).await;
    c.cmd("STARTTLS", 220).await;
    let mut c = c.tls(client).await.unwrap();
    c.cmd_text("EHLO c", "554 5.7.0 Command refused due to lack of security").await;
    c.cmd("NOOP", 554).await;
    c.cmd("QUIT", 221).await;
    c.expect_close().await;
}

#[tokio::test]
async fn implicit_tls_counts_as_tls_for_auth() {
    let (config, client) = tls_config();
    let c = TestClient::connect(Server::new(config, Recorder::default()), true);
    let mut c = c.tls(client).await.unwrap();
    c.expect(220).await;
    let ehlo = c.ehlo().await;
    assert!(ehlo.contains("AUTH LOGIN PLAIN") && !ehlo.contains("STARTTLS"), "{ehlo}");
    c.cmd("STARTTLS", 503).await;
    c.cmd("AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", 235).await;
    c.cmd("QUIT", 221).await;
    c.expect_close().await;
}

#[tokio::test]
async fn implicit_tls_without_configuration_or_with_garbage_closes() {
    let mut c = TestClient::connect(Server::new(config(), Recorder::default()), true);
    c.expect_close().await;
    let (config, _client) = tls_config();
    let mut c = TestClient::connect(Server::new(config, Recorder::default()), true);
    c.send_raw(b"EHLO plaintext\r\n").await;
    c.finished().await;
}
