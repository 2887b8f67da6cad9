//! DATA and BDAT: framing, smuggling vectors, limits, delivery, clients that leave.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Recorder, TestClient, config};
use smtp_server::ServerConfig;

/// peers.md §5.1: candidate end-of-data sequences that are not `CRLF . CRLF`. Each message
/// embeds one, followed by a whole second transaction; exactly one message (with the smuggled
/// text in it) must arrive, and only one reply.
#[tokio::test]
async fn smuggling_vectors_stay_inside_one_message() {
    let vectors: [&[u8]; 9] = [
        b"\n.\n",
        b"\n.\r\n",
        b"\r\n.\n",
        b"\r.\r\n",
        b"\r\n.\r",
        b"\n.\r",
        b"\r\n.\r\r\n",
        b"\r\n. \r\n",
        b"\r\n..\r\n",
    ];
    let smuggled: &[u8] =
        b"MAIL FROM:<evil@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\nevil\r\n";
    for vector in vectors {
        for split in [false, true] {
            let recorder = Recorder::default();
            let mut c = TestClient::start(config(), recorder.clone()).await;
            c.expect(220).await;
            c.ehlo().await;
            c.cmd("MAIL FROM:<a@example.com>", 250).await;
            c.cmd("RCPT TO:<b@example.com>", 250).await;
            c.cmd("DATA", 354).await;
            let mut body = b"Subject: s\r\n\r\nhello".to_vec();
            body.extend_from_slice(vector);
            body.extend_from_slice(smuggled);
            if split {
                for byte in &body {
                    c.send_raw(&[*byte]).await;
                }
            } else {
                c.send_raw(&body).await;
            }
            c.send_raw(b"\r\n.\r\nQUIT\r\n").await;
            c.expect(250).await;
            c.expect(221).await;
            c.expect_close().await;
            let contents = recorder.contents();
            assert_eq!(contents.len(), 1, "vector {vector:?}");
            let text = &contents[0];
            assert!(
                text.windows(smuggled.len()).any(|w| w == smuggled),
                "smuggled text missing for {vector:?}: {:?}",
                String::from_utf8_lossy(text)
            );
        }
    }
}

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
async fn size_limits_on_mail_and_on_the_message() {
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
async fn client_disconnecting_mid_data_delivers_nothing() {
    let recorder = Recorder::default();
    let mut c = TestClient::start(config(), recorder.clone()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd("RCPT TO:<b@example.com>", 250).await;
    c.cmd("DATA", 354).await;
    c.send_raw(b"Subject: cut\r\n\r\nhalf a message\r\n.").await;
    let server = c.server_task.take().unwrap();
    drop(c);
    tokio::time::timeout(common::WAIT, server).await.unwrap().unwrap();
    assert!(recorder.messages().is_empty());
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
