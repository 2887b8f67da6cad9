//! STARTTLS command injection (CVE-2011-0411) and the state STARTTLS must throw away (the
//! HELO name, an authentication, an envelope). Moved here from `tests/tls.rs`.

use std::sync::Arc;
use std::time::Duration;

use smtp_server::ServerConfig;
use smtp_server::smtp_auth::MemoryAuthenticator;

use crate::common::{Recorder, TestClient, config, tls_pair};

/// `\0alice\0wonderland`.
const GOOD: &str = "AGFsaWNlAHdvbmRlcmxhbmQ=";

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

/// Commands pipelined behind STARTTLS in the same write are never executed after the
/// handshake.
#[tokio::test]
async fn starttls_command_injection_in_the_same_write_is_discarded() {
    let (config, client) = tls_config();
    let recorder = Recorder::default();
    let mut c = TestClient::start(config, recorder.clone()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.send_raw(b"STARTTLS\r\nEHLO evil\r\nMAIL FROM:<a@b>\r\n").await;
    c.expect(220).await;
    let mut c = c.tls(client).await.unwrap();
    // Had the EHLO been executed, this would be accepted; had MAIL, it would be 503 nested.
    c.cmd_text("MAIL FROM:<a@example.com>", "503 5.5.1 Error: send HELO first").await;
    c.cmd("NOOP", 250).await;
    c.cmd("QUIT", 221).await;
    c.expect_close().await;
    assert!(recorder.messages().is_empty());
}

/// Split: part of the injected line arrives with STARTTLS, the rest after the 220; the rest is
/// not a ClientHello, so the handshake fails and nothing is answered in plain text.
#[tokio::test]
async fn starttls_command_injection_in_a_split_write_gets_no_plaintext_reply() {
    let (config, _client) = tls_config();
    let mut c = TestClient::start(config, Recorder::default()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.send_raw(b"STARTTLS\r\nMAIL FR").await;
    c.expect(220).await;
    c.send_raw(b"OM:<a@b>\r\n").await;
    let rest = c.drain_to_close().await;
    assert!(!rest.first().is_some_and(u8::is_ascii_digit), "an SMTP reply: {rest:?}");
}

/// After STARTTLS: no HELO name, no envelope; a second STARTTLS is refused with 5xx and the
/// session goes on to deliver.
#[tokio::test]
async fn starttls_state_reset_and_second_starttls_refused() {
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
    c.cmd(&format!("AUTH PLAIN {GOOD}"), 235).await;
    let reply = c.send_message("a@example.com", &["b@example.com"], b"secret\r\n").await;
    assert_eq!(&reply[..3], "250");
    c.cmd("QUIT", 221).await;
    c.expect_close().await;
    assert_eq!(recorder.contents(), [b"secret\r\n".to_vec()]);
}

/// An authentication made in plain text (`auth_require_tls` off) does not survive STARTTLS:
/// afterwards MAIL needs AUTH again, and AUTH is not "already authenticated".
#[tokio::test]
async fn starttls_state_reset_forgets_the_authentication() {
    let (config, client) = tls_config();
    let config = ServerConfig { auth_require_tls: false, auth_required: true, ..config };
    let mut c = TestClient::start(config, Recorder::default()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd(&format!("AUTH PLAIN {GOOD}"), 235).await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd("STARTTLS", 220).await;
    let mut c = c.tls(client).await.unwrap();
    c.ehlo().await;
    c.cmd_text("MAIL FROM:<a@example.com>", "530 5.7.0 Authentication required").await;
    c.cmd(&format!("AUTH PLAIN {GOOD}"), 235).await;
    // The envelope from before STARTTLS is gone: a new MAIL is not a nested one.
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd("QUIT", 221).await;
    c.expect_close().await;
}
