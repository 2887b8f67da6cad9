//! LMTP (one reply per recipient) and the PROXY protocol.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{Recorder, TestClient, config};
use smtp_server::ServerConfig;

#[tokio::test]
async fn lmtp_lhlo_and_one_reply_per_recipient() {
    let recorder = Recorder::default();
    let mut c = TestClient::start(ServerConfig { lmtp: true, ..config() }, recorder.clone()).await;
    c.expect(220).await;
    c.cmd_text("HELO c", "500 5.5.1 Error: command 'HELO' not recognized").await;
    c.cmd_text("EHLO c", "500 5.5.1 Error: command 'EHLO' not recognized").await;
    c.cmd_text(
        "HELP",
        "250 2.0.0 Supported commands: AUTH BDAT DATA HELP LHLO MAIL NOOP QUIT RCPT RSET VRFY",
    )
    .await;
    let lhlo = c.cmd("LHLO client.example", 250).await;
    assert!(lhlo.contains("PIPELINING") && lhlo.contains("ENHANCEDSTATUSCODES"), "{lhlo}");
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    for rcpt in ["b", "c", "d"] {
        c.cmd(&format!("RCPT TO:<{rcpt}@example.com>"), 250).await;
    }
    c.cmd("DATA", 354).await;
    c.send_raw(b"Subject: three\r\n\r\nhi\r\n.\r\n").await;
    for _ in 0..3 {
        c.expect_text("250 2.0.0 OK").await;
    }
    c.cmd("VRFY x@example.com", 252).await;
    c.cmd("QUIT", 221).await;
    assert_eq!(recorder.contents(), [b"Subject: three\r\n\r\nhi\r\n".to_vec()]);

    // In SMTP mode LHLO is an unknown command.
    let mut c = TestClient::start(config(), Recorder::default()).await;
    c.expect(220).await;
    c.cmd_text("LHLO c", "500 5.5.2 Error: command \"LHLO\" not recognized").await;
}

#[tokio::test]
async fn proxy_header_sets_the_client_address() {
    let recorder = Recorder::default();
    let config = ServerConfig { proxy_protocol_timeout: Some(Duration::from_secs(3)), ..config() };
    let mut c = TestClient::start(config.clone(), recorder.clone()).await;
    c.send_raw(b"PROXY TCP4 192.0.2.1 198.51.100.2 12345 25\r\nEHLO c\r\n").await;
    c.expect(220).await;
    c.expect(250).await;
    let reply = c.send_message("a@example.com", &["b@example.com"], b"x\r\n").await;
    assert_eq!(&reply[..3], "250");
    assert_eq!(recorder.messages()[0].client, "192.0.2.1:12345");

    // Not a PROXY header: closed without a greeting.
    let mut c = TestClient::start(config, Recorder::default()).await;
    c.send_raw(b"EHLO c\r\n").await;
    c.expect_close().await;
}

#[tokio::test(start_paused = true)]
async fn proxy_header_that_never_comes() {
    let config = ServerConfig { proxy_protocol_timeout: Some(Duration::from_secs(3)), ..config() };
    let mut c = TestClient::start(config, Recorder::default()).await;
    c.expect_close().await;
}
