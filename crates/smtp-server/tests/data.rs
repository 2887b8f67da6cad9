//! DATA and BDAT: framing, limits, delivery. (Smuggling, oversize messages and clients that
//! leave are in the security suite, `tests/security.rs`.)
#![allow(clippy::unwrap_used)]

mod common;

use common::{Recorder, TestClient, config};
use smtp_server::ServerConfig;

#[tokio::test]
async fn dot_unstuffing_and_content() {
    let recorder = Recorder::default();
    let mut c = TestClient::start(config(), recorder.clone()).await;
    c.expect(220).await;
    c.ehlo().await;
    let reply = c
        .send_message(
            "a@example.com",
            &["b@example.com"],
            b"Subject: t\r\n\r\n..dot line\r\n.x\r\nbare\nlf\r\n",
        )
        .await;
    assert_eq!(reply, "250 2.0.0 OK\r\n");
    c.cmd("RCPT TO:<b@example.com>", 503).await;
    let reply = c.send_message("a@example.com", &["b@example.com"], b"").await;
    assert_eq!(&reply[..3], "250");
    c.cmd("QUIT", 221).await;
    assert_eq!(
        recorder.contents(),
        [b"Subject: t\r\n\r\n.dot line\r\nx\r\nbare\nlf\r\n".to_vec(), Vec::new()]
    );
}

#[tokio::test]
async fn data_line_limit_is_deferred_to_the_final_dot() {
    let recorder = Recorder::default();
    let config = ServerConfig { data_line_limit: Some(1001), data_size_limit: None, ..config() };
    let mut c = TestClient::start(config, recorder.clone()).await;
    c.expect(220).await;
    c.ehlo().await;
    let mut ok = vec![b'a'; 999];
    ok.extend_from_slice(b"\r\n");
    assert_eq!(&c.send_message("a@example.com", &["b@example.com"], &ok).await[..3], "250");
    let mut long = vec![b'a'; 1000];
    long.extend_from_slice(b"\r\nmore\r\n");
    let reply = c.send_message("a@example.com", &["b@example.com"], &long).await;
    assert_eq!(reply, "500 5.5.2 Line too long (see RFC5321 4.5.3.1.6)\r\n");
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    assert_eq!(recorder.contents(), [ok]);
}

#[tokio::test]
async fn bdat_chunks_last_and_limits() {
    let recorder = Recorder::default();
    let mut c =
        TestClient::start(ServerConfig { data_size_limit: Some(10), ..config() }, recorder.clone())
            .await;
    c.expect(220).await;
    c.ehlo().await;
    // Before MAIL: refused, but the chunk is consumed (not read as commands).
    c.send_raw(b"BDAT 6\r\nNOOP\r\n").await;
    c.expect_text("503 5.5.1 Error: need MAIL command").await;
    c.cmd("MAIL FROM:<a@example.com> BODY=BINARYMIME", 250).await;
    c.cmd("RCPT TO:<b@example.com>", 250).await;
    c.send_raw(b"BDAT 4\r\n\x00\xff\n\r").await;
    c.expect_text("250 2.0.0 4 octets received").await;
    c.cmd("DATA", 503).await;
    c.send_raw(b"BDAT 0 LAST\r\n").await;
    c.expect_text("250 2.0.0 OK").await;
    // Over the limit: the chunk that passes it is refused, the rest of the message is read
    // and thrown away, LAST gets the refusal, nothing is delivered.
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd("RCPT TO:<b@example.com>", 250).await;
    c.send_raw(b"BDAT 8\r\n12345678").await;
    c.expect(250).await;
    c.send_raw(b"BDAT 8\r\nRSET\r\nXX").await;
    c.expect_text("552 5.3.4 Error: Too much mail data").await;
    c.send_raw(b"BDAT 3 LAST\r\nabc").await;
    c.expect(552).await;
    c.cmd("RCPT TO:<b@example.com>", 503).await;
    // A BDAT whose size cannot be read ends the connection.
    c.send_raw(b"BDAT x LAST\r\n").await;
    c.expect(501).await;
    c.expect_close().await;
    assert_eq!(recorder.contents(), [b"\x00\xff\n\r".to_vec()]);
}

#[tokio::test]
async fn hook_errors_and_panics_get_451_and_the_session_goes_on() {
    use async_trait::async_trait;
    use smtp_server::handler::{Handler, HookResult};
    use smtp_server::smtp_auth::ServerInfo;
    use smtp_server::smtp_proto::address::ForwardPath;
    use smtp_server::smtp_proto::params::RcptParams;
    use smtp_server::{Envelope, Session};

    struct Broken;
    #[async_trait]
    impl Handler for Broken {
        async fn rcpt(
            &self,
            _: &ServerInfo,
            _: &mut Session,
            _: &mut Envelope,
            address: &ForwardPath<'_>,
            params: &RcptParams<'_>,
        ) -> HookResult {
            match address.to_string().as_str() {
                "<boom@example.com>" => Err("database down".into()),
                "<panic@example.com>" => panic!("bug in the handler"),
                _ => smtp_server::handler::defaults::rcpt(params),
            }
        }
        async fn data(&self, _: &ServerInfo, _: &mut Session, _: &mut Envelope) -> HookResult {
            panic!("data hook bug")
        }
    }
    let mut c = TestClient::start(config(), Broken).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd_text("RCPT TO:<boom@example.com>", "451 4.3.0 Error: internal server error").await;
    c.cmd_text("RCPT TO:<panic@example.com>", "451 4.3.0 Error: internal server error").await;
    c.cmd("RCPT TO:<ok@example.com>", 250).await;
    c.cmd("DATA", 354).await;
    c.send_raw(b"x\r\n.\r\n").await;
    c.expect(451).await;
    c.cmd("NOOP", 250).await;
    c.cmd("QUIT", 221).await;
    c.expect_close().await;
}
