//! Resource limits as defences: oversize messages (`SIZE=` at MAIL and the data itself, with
//! a memory bound while 100 MB stream), too many recipients, too many unknown commands, and
//! the per-verb call limit. The older tests were moved here from `tests/data.rs`,
//! `tests/limits.rs` and `tests/session.rs`.

use smtp_server::{CallLimits, ServerConfig};

use crate::common::{Recorder, TestClient, config};
use crate::memory::{self, RssWatch};

#[tokio::test]
async fn oversize_message_gets_552_at_mail_and_after_the_dot() {
    let recorder = Recorder::default();
    let mut c = TestClient::start(
        ServerConfig { data_size_limit: Some(100), ..config() },
        recorder.clone(),
    )
    .await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd_text(
        "MAIL FROM:<a@example.com> SIZE=101",
        "552 5.3.4 Error: message size exceeds fixed maximum message size",
    )
    .await;
    c.cmd("MAIL FROM:<a@example.com> SIZE=100", 250).await;
    c.cmd("RCPT TO:<b@example.com>", 250).await;
    c.cmd("DATA", 354).await;
    c.send_raw(&[b'x'; 150]).await;
    c.send_raw(b"\r\n.\r\n").await;
    c.expect_text("552 5.3.4 Error: Too much mail data").await;
    // The envelope is gone.
    c.cmd("RCPT TO:<b@example.com>", 503).await;
    // Exactly the limit after unstuffing: 98 octets + CRLF, 49 of them stuffing-doubled dots.
    let mut body = Vec::new();
    body.extend_from_slice(&[b'.'; 1]);
    body.extend_from_slice(&[b'y'; 97]);
    body.extend_from_slice(b"\r\n");
    let mut stuffed = b".".to_vec();
    stuffed.extend_from_slice(&body);
    let reply = c.send_message("a@example.com", &["b@example.com"], &stuffed).await;
    assert_eq!(&reply[..3], "250", "{reply}");
    c.cmd("QUIT", 221).await;
    assert_eq!(recorder.contents(), [body]);
}

/// 100 MB of well-formed lines against a 1 MB limit: `552` after the dot, nothing delivered,
/// the resident set bounded, and the session goes on.
#[tokio::test]
async fn oversize_message_streamed_is_not_delivered_and_memory_bounded() {
    let _heavy = memory::exclusive().await;
    let recorder = Recorder::default();
    let config = ServerConfig { data_size_limit: Some(1 << 20), ..config() };
    let mut c = TestClient::start(config, recorder.clone()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd("RCPT TO:<b@example.com>", 250).await;
    c.cmd("DATA", 354).await;
    let mut line = vec![b'o'; 998];
    line.extend_from_slice(b"\r\n");
    let chunk = line.repeat(1024);
    let mut watch = RssWatch::start();
    for _ in 0..100 {
        c.send_raw(&chunk).await;
        watch.sample();
    }
    c.send_raw(b".\r\n").await;
    c.expect_text("552 5.3.4 Error: Too much mail data").await;
    c.cmd("NOOP", 250).await;
    watch.assert_bounded("a 100 MB message over a 1 MB limit");
    assert!(recorder.messages().is_empty());
}

#[tokio::test]
async fn too_many_recipients_get_452() {
    let recorder = Recorder::default();
    let mut c =
        TestClient::start(ServerConfig { max_recipients: 2, ..config() }, recorder.clone()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd("RCPT TO:<b@example.com>", 250).await;
    c.cmd("RCPT TO:<c@example.com>", 250).await;
    c.cmd_text("RCPT TO:<d@example.com>", "452 4.5.3 Error: too many recipients").await;
    // Refused again, and the message goes to the two accepted recipients only.
    c.cmd("RCPT TO:<e@example.com>", 452).await;
    c.cmd("DATA", 354).await;
    c.send_raw(b"x\r\n.\r\n").await;
    c.expect(250).await;
    let delivered = recorder.messages();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].rcpt_tos, ["<b@example.com>", "<c@example.com>"]);
}

#[tokio::test]
async fn too_many_unknown_commands_get_502_and_close() {
    let mut c = TestClient::start(config(), Recorder::default()).await;
    c.expect(220).await;
    for n in 1..=4 {
        c.cmd_text(
            &format!("bogus{n}"),
            &format!("500 5.5.2 Error: command \"BOGUS{n}\" not recognized"),
        )
        .await;
        // Empty lines and known commands do not count.
        c.cmd("", 500).await;
        c.cmd("NOOP", 250).await;
    }
    c.cmd_text("BOGUS5", "502 5.5.1 Too many unrecognized commands, goodbye.").await;
    c.expect_close().await;
}

#[tokio::test]
async fn command_call_limit_gets_421_and_close() {
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
