//! STARTTLS and implicit TLS with a real rustls client: require_starttls, the STARTTLS hook,
//! AUTH over implicit TLS. (Injection and the state reset are in `tests/security.rs`.)
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
