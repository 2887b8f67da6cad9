//! Clients that leave in the middle of something: mid-DATA, mid-AUTH, mid-BDAT chunk and
//! mid-PROXY header. Nothing is delivered and the serve future completes (no task is left
//! behind: the spawned serve task's `JoinHandle` finishes within a bounded time). The DATA and
//! AUTH tests were moved here from `tests/data.rs` and `tests/auth.rs`.

use std::sync::Arc;
use std::time::Duration;

use smtp_server::ServerConfig;
use smtp_server::smtp_auth::MemoryAuthenticator;
use tokio::io::DuplexStream;

use crate::common::{self, Recorder, TestClient, config};

/// Drops the client side; the server task must end in time.
async fn leave(mut c: TestClient<DuplexStream>) {
    let server = c.server_task.take().unwrap();
    drop(c);
    tokio::time::timeout(common::WAIT, server).await.unwrap().unwrap();
}

#[tokio::test]
async fn disconnect_mid_data_delivers_nothing() {
    let recorder = Recorder::default();
    let mut c = TestClient::start(config(), recorder.clone()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd("RCPT TO:<b@example.com>", 250).await;
    c.cmd("DATA", 354).await;
    c.send_raw(b"Subject: cut\r\n\r\nhalf a message\r\n.").await;
    leave(c).await;
    assert!(recorder.messages().is_empty());
}

#[tokio::test]
async fn disconnect_mid_auth_ends_the_session() {
    let config = ServerConfig {
        auth_require_tls: false,
        authenticator: Some(Arc::new(MemoryAuthenticator::new().with_user("alice", "wonderland"))),
        auth_failure_delay: Duration::ZERO,
        ..config()
    };
    let recorder = Recorder::default();
    let mut c = TestClient::start(config, recorder.clone()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd("AUTH LOGIN", 334).await;
    c.send_raw(b"YWxp").await;
    leave(c).await;
    assert!(recorder.messages().is_empty());
}

/// A BDAT chunk announced longer than what arrives: the partial chunk (and the chunks before
/// it) are never delivered.
#[tokio::test]
async fn disconnect_mid_bdat_chunk_delivers_nothing() {
    let recorder = Recorder::default();
    let mut c = TestClient::start(config(), recorder.clone()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd("RCPT TO:<b@example.com>", 250).await;
    c.send_raw(b"BDAT 5\r\nfirst").await;
    c.expect_text("250 2.0.0 5 octets received").await;
    c.send_raw(b"BDAT 100 LAST\r\nonly part of the last chunk").await;
    leave(c).await;
    assert!(recorder.messages().is_empty());
}

/// Half a PROXY header, then gone: no greeting, no session, the task ends.
#[tokio::test]
async fn disconnect_mid_proxy_header_ends_the_task() {
    for partial in [&b"PROXY TCP4 192.0.2.1 198.51"[..], b"\r\n\r\n\0\r\nQUIT\n\x21\x11"] {
        let config =
            ServerConfig { proxy_protocol_timeout: Some(Duration::from_secs(30)), ..config() };
        let recorder = Recorder::default();
        let mut c = TestClient::start(config, recorder.clone()).await;
        c.send_raw(partial).await;
        leave(c).await;
        assert!(recorder.messages().is_empty());
    }
}
