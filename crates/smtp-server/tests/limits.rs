//! Limits: command line lengths, huge lines, recipients, call limits, timeouts.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Recorder, TestClient, config};
use smtp_server::{CallLimits, ServerConfig};

#[tokio::test]
async fn command_line_lengths() {
    let mut c = TestClient::start(config(), Recorder::default()).await;
    c.expect(220).await;
    c.cmd(&format!("NOOP {}", "x".repeat(507)), 250).await;
    c.cmd_text(&format!("NOOP {}", "x".repeat(508)), "500 5.5.2 Command line too long").await;
    c.ehlo().await;
    // MAIL gets +26 for SIZE after EHLO: 538 passes, 539 does not (and starts nothing).
    let mail = |len: usize| format!("MAIL FROM:<{}@example.com>", "a".repeat(len - 24));
    c.cmd(&mail(539), 500).await;
    c.cmd("RCPT TO:<b@example.com>", 503).await;
    c.cmd(&mail(538), 250).await;
    c.cmd(&format!("RCPT TO:<{}@example.com>", "b".repeat(513 - 22)), 500).await;
    c.cmd("QUIT", 221).await;
}

#[tokio::test]
async fn a_one_megabyte_line_gets_one_reply() {
    let mut c = TestClient::start(config(), Recorder::default()).await;
    c.expect(220).await;
    let mut line = vec![b'x'; 1_000_000];
    line.extend_from_slice(b"\r\nNOOP\r\n");
    c.send_raw(&line).await;
    c.expect_text("500 5.5.2 Command line too long").await;
    c.expect_text("250 2.0.0 OK").await;
}

/// 100 MB without a line end, fed in chunks: one reply, and the connection still works. The
/// server reads it through a bounded buffer (a leak would need 100 MB and be very slow here).
#[tokio::test]
async fn a_hundred_megabyte_line_streamed_in_chunks() {
    let mut c = TestClient::start(config(), Recorder::default()).await;
    c.expect(220).await;
    let chunk = vec![b'y'; 1 << 20];
    for _ in 0..100 {
        c.send_raw(&chunk).await;
    }
    c.send_raw(b"\r\nNOOP\r\n").await;
    c.expect(500).await;
    c.expect(250).await;
}

#[tokio::test]
async fn too_many_recipients() {
    let mut c =
        TestClient::start(ServerConfig { max_recipients: 2, ..config() }, Recorder::default())
            .await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd("RCPT TO:<b@example.com>", 250).await;
    c.cmd("RCPT TO:<c@example.com>", 250).await;
    c.cmd_text("RCPT TO:<d@example.com>", "452 4.5.3 Error: too many recipients").await;
}

#[tokio::test]
async fn call_limit_counts_failed_and_unknown_commands() {
    let mut limits = CallLimits::uniform(5);
    limits.per_verb.insert("NOOP".into(), 2);
    let config = ServerConfig { command_call_limit: Some(limits), ..config() };
    let mut c = TestClient::start(config.clone(), Recorder::default()).await;
    c.expect(220).await;
    c.cmd("NOOP", 250).await;
    c.cmd("NOOP", 250).await;
    c.cmd_text("NOOP", "421 4.7.0 NOOP sent too many times").await;
    c.expect_close().await;

    let mut c = TestClient::start(config, Recorder::default()).await;
    c.expect(220).await;
    for _ in 0..5 {
        c.cmd("MAIL FROM:<a@example.com>", 503).await;
    }
    c.cmd("MAIL FROM:<a@example.com>", 421).await;
    c.expect_close().await;
}

#[tokio::test(start_paused = true)]
async fn idle_timeout_sends_421_and_closes() {
    let config = ServerConfig { timeout: Duration::from_secs(2), ..config() };
    let mut c = TestClient::start(config, Recorder::default()).await;
    c.expect(220).await;
    c.ehlo().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    c.cmd("NOOP", 250).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    c.cmd("NOOP", 250).await;
    c.expect_text("421 4.4.2 Error: timeout exceeded").await;
    c.expect_close().await;
}

#[tokio::test(start_paused = true)]
async fn idle_timeout_applies_during_data_and_session_limit_ends_the_session() {
    let config = ServerConfig { timeout: Duration::from_secs(2), ..config() };
    let recorder = Recorder::default();
    let mut c = TestClient::start(config, recorder.clone()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd("RCPT TO:<b@example.com>", 250).await;
    c.cmd("DATA", 354).await;
    c.send_raw(b"partial\r\n").await;
    c.expect(421).await;
    c.expect_close().await;
    assert!(recorder.messages().is_empty());

    let config = ServerConfig { session_timeout: Duration::from_secs(5), ..common::config() };
    let mut c = TestClient::start(config, Recorder::default()).await;
    c.expect(220).await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        c.cmd("NOOP", 250).await;
    }
    c.expect_text("421 4.4.2 Error: timeout exceeded").await;
    c.expect_close().await;
}
