//! Over-long lines as a memory attack: command lines, SASL response lines and DATA lines of
//! 1 MB in one write and 100 MB streamed in 1 MiB chunks. Each gets one refusal, the session
//! still answers afterwards, and while 100 MB stream the resident set grows by less than
//! [`memory::BOUND`]. The command-line tests were moved here from `tests/limits.rs`.

use std::sync::Arc;
use std::time::Duration;

use smtp_server::ServerConfig;
use smtp_server::smtp_auth::MemoryAuthenticator;
use tokio::io::DuplexStream;

use crate::common::{Recorder, TestClient, config};
use crate::memory::{self, RssWatch};

const CHUNK: usize = 1 << 20;

/// Sends `megabytes` MiB of `byte` without a line end, sampling the resident set.
async fn stream_line(c: &mut TestClient<DuplexStream>, byte: u8, megabytes: usize) -> RssWatch {
    let chunk = vec![byte; CHUNK];
    let mut watch = RssWatch::start();
    for _ in 0..megabytes {
        c.send_raw(&chunk).await;
        watch.sample();
    }
    watch
}

fn auth_config() -> ServerConfig {
    ServerConfig {
        auth_require_tls: false,
        authenticator: Some(Arc::new(MemoryAuthenticator::new().with_user("alice", "wonderland"))),
        auth_failure_delay: Duration::ZERO,
        ..config()
    }
}

#[tokio::test]
async fn long_command_line_of_one_megabyte_gets_one_reply() {
    let mut c = TestClient::start(config(), Recorder::default()).await;
    c.expect(220).await;
    let mut line = vec![b'x'; 1_000_000];
    line.extend_from_slice(b"\r\nNOOP\r\n");
    c.send_raw(&line).await;
    c.expect_text("500 5.5.2 Command line too long").await;
    c.expect_text("250 2.0.0 OK").await;
}

/// 100 MB without a line end, fed in chunks: one reply, the connection still works, and the
/// server reads it through a bounded buffer.
#[tokio::test]
async fn long_command_line_of_a_hundred_megabytes_streamed_in_memory_bounds() {
    let _heavy = memory::exclusive().await;
    let mut c = TestClient::start(config(), Recorder::default()).await;
    c.expect(220).await;
    let mut watch = stream_line(&mut c, b'y', 100).await;
    c.send_raw(b"\r\nNOOP\r\n").await;
    c.expect(500).await;
    c.expect(250).await;
    watch.assert_bounded("a 100 MB command line");
}

#[tokio::test]
async fn long_sasl_line_of_one_megabyte_ends_the_exchange() {
    let mut c = TestClient::start(auth_config(), Recorder::default()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd_text("AUTH PLAIN", "334 ").await;
    let mut line = vec![b'A'; 1_000_000];
    line.extend_from_slice(b"\r\nNOOP\r\n");
    c.send_raw(&line).await;
    c.expect_text("500 5.5.6 Authentication Exchange line is too long").await;
    c.expect_text("250 2.0.0 OK").await;
    // The same in the AUTH command line itself (an initial response).
    let mut line = b"AUTH PLAIN ".to_vec();
    line.extend_from_slice(&[b'A'; 1_000_000]);
    line.extend_from_slice(b"\r\nNOOP\r\n");
    c.send_raw(&line).await;
    let refusal = c.read_reply().await.unwrap();
    assert!(refusal.starts_with("500 5.5."), "{refusal}");
    c.expect_text("250 2.0.0 OK").await;
    c.cmd("AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", 235).await;
}

#[tokio::test]
async fn long_sasl_line_of_a_hundred_megabytes_streamed_in_memory_bounds() {
    let _heavy = memory::exclusive().await;
    let mut c = TestClient::start(auth_config(), Recorder::default()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd_text("AUTH LOGIN", "334 VXNlciBOYW1lAA==").await;
    let mut watch = stream_line(&mut c, b'A', 100).await;
    c.send_raw(b"\r\nNOOP\r\n").await;
    c.expect_text("500 5.5.6 Authentication Exchange line is too long").await;
    c.expect_text("250 2.0.0 OK").await;
    watch.assert_bounded("a 100 MB SASL line");
}

/// A DATA line over `data_line_limit` (no size limit, so only the line limit can protect
/// the server): one `500 5.5.2` after the final dot, nothing delivered.
#[tokio::test]
async fn long_data_line_of_one_megabyte_is_refused_after_the_dot() {
    let recorder = Recorder::default();
    let config = ServerConfig { data_size_limit: None, ..config() };
    let mut c = TestClient::start(config, recorder.clone()).await;
    c.expect(220).await;
    c.ehlo().await;
    let mut body = vec![b'z'; 1_000_000];
    body.extend_from_slice(b"\r\n");
    let reply = c.send_message("a@example.com", &["b@example.com"], &body).await;
    assert_eq!(reply, "500 5.5.2 Line too long (see RFC5321 4.5.3.1.6)\r\n");
    c.cmd("NOOP", 250).await;
    assert!(recorder.messages().is_empty());
}

#[tokio::test]
async fn long_data_line_of_a_hundred_megabytes_streamed_in_memory_bounds() {
    let _heavy = memory::exclusive().await;
    let recorder = Recorder::default();
    let config = ServerConfig { data_size_limit: None, ..config() };
    let mut c = TestClient::start(config, recorder.clone()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd("RCPT TO:<b@example.com>", 250).await;
    c.cmd("DATA", 354).await;
    let mut watch = stream_line(&mut c, b'z', 100).await;
    c.send_raw(b"\r\n.\r\n").await;
    c.expect_text("500 5.5.2 Line too long (see RFC5321 4.5.3.1.6)").await;
    c.cmd("NOOP", 250).await;
    watch.assert_bounded("a 100 MB DATA line");
    assert!(recorder.messages().is_empty());
}
