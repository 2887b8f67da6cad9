//! AUTH: PLAIN and LOGIN with a real authenticator, the refusals in aiosmtpd's order, custom
//! AUTH hooks. (Brute force and AUTH in the wrong place are in `tests/security.rs`.)
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use common::{Recorder, TestClient, config};
use smtp_server::handler::{AuthHookOutcome, AuthIo, Handler, HookResult};
use smtp_server::smtp_auth::{MemoryAuthenticator, ServerInfo};
use smtp_server::smtp_proto::reply::{EnhancedStatus, Reply, ReplyCode};
use smtp_server::{Envelope, ServerConfig, Session};

/// `\0alice\0wonderland`.
const GOOD: &str = "AGFsaWNlAHdvbmRlcmxhbmQ=";

fn auth_config() -> ServerConfig {
    ServerConfig {
        auth_require_tls: false,
        authenticator: Some(Arc::new(MemoryAuthenticator::new().with_user("alice", "wonderland"))),
        auth_failure_delay: Duration::ZERO,
        ..config()
    }
}

#[tokio::test]
async fn refusals_in_order_then_plain_success() {
    let recorder = Recorder::default();
    let config = ServerConfig { max_auth_failures: 4, ..auth_config() };
    let mut c = TestClient::start(config, recorder.clone()).await;
    c.expect(220).await;
    let ehlo = c.ehlo().await;
    assert!(ehlo.contains("250-AUTH LOGIN PLAIN\r\n"), "{ehlo}");
    let steps: &[(&str, &str)] = &[
        ("AUTH", "501 5.5.4 Not enough value"),
        ("AUTH PLAIN a b", "501 5.5.4 Too many values"),
        ("AUTH CRAM-MD5", "504 5.5.4 Unrecognized authentication type"),
        ("AUTH PLAIN not-b64", "501 5.5.2 Can't decode base64"),
        ("AUTH PLAIN =", "501 5.5.2 Can't split auth value"),
        ("AUTH PLAIN AG9ubHlsb2dpbg==", "501 5.5.2 Can't split auth value"),
    ];
    for (command, reply) in steps {
        c.cmd_text(command, reply).await;
    }
    // The malformed responses were three failures of the four allowed here.
    c.cmd_text(&format!("auth plain {GOOD}"), "235 2.7.0 Authentication successful").await;
    c.cmd_text("AUTH LOGIN", "503 5.5.1 Already authenticated").await;
    c.cmd("RSET", 250).await;
    c.ehlo().await;
    c.cmd("AUTH PLAIN", 503).await;
    let reply = c.send_message("a@example.com", &["b@example.com"], b"x\r\n").await;
    assert_eq!(&reply[..3], "250");
    let delivered = recorder.messages();
    assert!(delivered[0].authenticated);
    assert_eq!(delivered[0].login.as_deref(), Some("alice"));
}

#[tokio::test]
async fn login_with_challenges_and_abort() {
    let mut c = TestClient::start(auth_config(), Recorder::default()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd_text("AUTH LOGIN", "334 VXNlciBOYW1lAA==").await;
    c.cmd_text("*", "501 5.7.0 Auth aborted").await;
    c.cmd_text("AUTH LOGIN YWxpY2U=", "334 UGFzc3dvcmQA").await;
    c.cmd_text("d29uZGVybGFuZA==", "235 2.7.0 Authentication successful").await;
}

#[tokio::test]
async fn plain_without_initial_response_and_long_responses() {
    let mut c = TestClient::start(auth_config(), Recorder::default()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd_text("AUTH PLAIN", "334 ").await;
    // A response over the SASL limit ends the exchange with 500 5.5.6; the session goes on.
    c.cmd_text(&"A".repeat(12_289), "500 5.5.6 Authentication Exchange line is too long").await;
    c.cmd("NOOP", 250).await;
    // An initial response of 1,023 characters is checked (RFC 4954 allows 12,288).
    c.cmd(&format!("AUTH PLAIN AGFsaWNlAHh4{}", "eHh4".repeat(250)), 535).await;
    c.cmd(&format!("AUTH PLAIN {GOOD}"), 235).await;
}

#[tokio::test]
async fn without_an_authenticator_every_attempt_fails() {
    let config = ServerConfig { authenticator: None, ..auth_config() };
    let mut c = TestClient::start(config, Recorder::default()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd(&format!("AUTH PLAIN {GOOD}"), 535).await;
}

#[tokio::test]
async fn auth_required_blocks_until_authenticated() {
    let config = ServerConfig { auth_required: true, ..auth_config() };
    let mut c = TestClient::start(config, Recorder::default()).await;
    c.expect(220).await;
    c.cmd_text("HELP", "530 5.7.0 Authentication required").await;
    c.cmd("VRFY <a@example.com>", 530).await;
    c.cmd("NOOP", 250).await;
    c.cmd("EXPN x", 502).await;
    c.ehlo().await;
    c.cmd("MAIL FROM:<a@example.com>", 530).await;
    c.cmd("RCPT TO:<a@example.com>", 530).await;
    c.cmd("DATA", 530).await;
    c.cmd(&format!("AUTH PLAIN {GOOD}"), 235).await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
}

/// A handler with its own AUTH flow through `AuthIo` (aiosmtpd's `challenge_auth`/`push`).
struct CustomAuth;

#[async_trait]
impl Handler for CustomAuth {
    async fn auth(
        &self,
        _server: &ServerInfo,
        session: &mut Session,
        _envelope: &mut Envelope,
        io: &mut dyn AuthIo,
        mechanism: &str,
        _initial_response: Option<&str>,
    ) -> HookResult<AuthHookOutcome> {
        if mechanism != "LOGIN" {
            return Ok(AuthHookOutcome::UseMechanism);
        }
        let Some(answer) = io.challenge_auth(b"hello").await? else {
            return Ok(AuthHookOutcome::Handled(None));
        };
        if answer == b"open sesame" {
            session.authenticated = true;
            io.push(&Reply::new(ReplyCode::of(235), EnhancedStatus::of(2, 7, 0), "Welcome custom"))
                .await?;
            return Ok(AuthHookOutcome::Handled(None));
        }
        Ok(AuthHookOutcome::Handled(Some(Reply::auth_invalid())))
    }
}

#[tokio::test]
async fn custom_auth_hook_uses_push_and_challenge_auth() {
    let config = ServerConfig { authenticator: None, ..auth_config() };
    let mut c = TestClient::start(config, CustomAuth).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd_text("AUTH LOGIN", "334 aGVsbG8=").await;
    c.cmd_text("*", "501 5.7.0 Auth aborted").await;
    c.cmd_text("AUTH LOGIN", "334 aGVsbG8=").await;
    c.cmd_text("ab@%", "501 5.5.2 Can't decode base64").await;
    c.cmd_text("AUTH LOGIN", "334 aGVsbG8=").await;
    c.cmd_text("YmFk", "535 5.7.8 Authentication credentials invalid").await;
    // Other mechanisms go through the registry (no authenticator: 535).
    c.cmd(&format!("AUTH PLAIN {GOOD}"), 535).await;
    c.cmd_text("AUTH LOGIN", "334 aGVsbG8=").await;
    c.cmd_text("b3BlbiBzZXNhbWU=", "235 2.7.0 Welcome custom").await;
    c.cmd("AUTH LOGIN", 503).await;
}
