//! Limits: command line lengths. (Huge lines, recipients, call limits and timeouts, being
//! defences against attacks, are in the security suite, `tests/security.rs`.)
#![allow(clippy::unwrap_used)]

mod common;

use common::{Recorder, TestClient, config};

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
