//! Delivery to our own server: the bytes that arrive, parameters, reuse, the tower stack.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod client_support;

use std::time::Duration;

use client_support::*;
use smtp_relay::client::{ClientConfig, PoolConfig, SmtpTransport};
use smtp_relay::transport::{DeliveryError, MessageBody, TlsPolicy};
use tower::{Service, ServiceBuilder, ServiceExt};

#[tokio::test]
async fn the_bytes_that_arrive_are_the_normalised_body() {
    let (_server, recorder, addr) = start_server(server_config()).await;
    let client = transport(Vec::new());
    let table: [(&[u8], &[u8]); 8] = [
        (b"Subject: a\r\n\r\nline\r\n.\r\nafter\r\n", b"Subject: a\r\n\r\nline\r\n.\r\nafter\r\n"),
        (b".\r\n", b".\r\n"),
        (b".starts with a dot\r\n..two\r\n", b".starts with a dot\r\n..two\r\n"),
        (b"bare\nLF\n.\nend\n", b"bare\r\nLF\r\n.\r\nend\r\n"),
        (b"bare\rCR\r.\rend", b"bare\r\nCR\r\n.\r\nend\r\n"),
        (b"no final line end", b"no final line end\r\n"),
        (b"mixed\r\r\n\n.\r\n.", b"mixed\r\n\r\n\r\n.\r\n.\r\n"),
        (b"", b""),
    ];
    for (body, want) in table {
        let report = client
            .deliver(request(addr, TlsPolicy::Off, &["bob@example.net"], body))
            .await
            .unwrap();
        assert_eq!(codes(&report), [250], "{body:?}");
        let arrived = recorder.messages().pop().unwrap().content;
        assert_eq!(arrived, want, "sent {:?}", String::from_utf8_lossy(body));
    }
}

#[tokio::test]
async fn a_body_file_is_streamed_whole() {
    let (_server, recorder, addr) = start_server(server_config()).await;
    let dir = std::env::temp_dir().join(format!("rclient-body-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("body.eml");
    // Larger than one 64 KiB chunk, with dots and bare LFs across chunk boundaries.
    let mut body = b"Subject: big\n\n".to_vec();
    for i in 0..5000 {
        body.extend_from_slice(format!(".line {i} with a leading dot\n").as_bytes());
    }
    std::fs::write(&path, &body).unwrap();
    let mut req = request(addr, TlsPolicy::Off, &["bob@example.net"], b"");
    req.body = MessageBody::File(path.clone());
    req.size = body.len() as u64;
    let report = transport(Vec::new()).deliver(req).await.unwrap();
    assert_eq!(codes(&report), [250]);
    let want: Vec<u8> = String::from_utf8(body).unwrap().replace('\n', "\r\n").into_bytes();
    assert_eq!(recorder.messages()[0].content, want);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_missing_body_file_fails_before_mail() {
    let (_server, recorder, addr) = start_server(server_config()).await;
    let mut req = request(addr, TlsPolicy::Off, &["bob@example.net"], b"");
    req.body = MessageBody::File("/nonexistent/rclient/body.eml".into());
    let error = transport(Vec::new()).deliver(req).await.unwrap_err();
    assert!(matches!(error, DeliveryError::Body(_)), "{error:?}");
    assert!(error.is_transient());
    assert!(recorder.messages().is_empty());
}

#[tokio::test]
async fn envelope_and_parameters_arrive() {
    let config = server_config();
    let (_server, recorder, addr) = start_server(config).await;
    let mut req = request(
        addr,
        TlsPolicy::Off,
        &["bob@example.net", "carol@example.org"],
        b"8bit \xc3\xa9\r\n",
    );
    req.eight_bit = true;
    let report = transport(Vec::new()).deliver(req).await.unwrap();
    assert_eq!(codes(&report), [250, 250]);
    assert_eq!(report.server, "127.0.0.1");
    let got = recorder.messages().pop().unwrap();
    assert_eq!(got.mail_from, "<alice@example.com>");
    assert_eq!(got.rcpt_tos, ["<bob@example.net>", "<carol@example.org>"]);
    assert_eq!(got.mail_options, ["SIZE=9", "BODY=8BITMIME"]);
    assert!(!got.tls);
}

#[tokio::test]
async fn the_null_sender_is_sent_as_empty_brackets() {
    let (_server, recorder, addr) = start_server(server_config()).await;
    let mut req = request(addr, TlsPolicy::Off, &["bob@example.net"], b"bounce\r\n");
    req.mail_from.clear();
    transport(Vec::new()).deliver(req).await.unwrap();
    assert_eq!(recorder.messages()[0].mail_from, "<>");
}

#[tokio::test]
async fn smtputf8_needed_but_not_offered_is_a_permanent_refusal() {
    let (_server, recorder, addr) = start_server(server_config()).await;
    let mut req = request(addr, TlsPolicy::Off, &["bob@example.net"], b"x\r\n");
    req.smtputf8 = true;
    let error = transport(Vec::new()).deliver(req).await.unwrap_err();
    let DeliveryError::Refused(reply) = &error else { panic!("{error:?}") };
    assert_eq!(
        reply.to_string(),
        "553 5.6.7 The destination does not support SMTPUTF8, which this message needs"
    );
    assert!(!error.is_transient());
    assert!(recorder.messages().is_empty());

    // Offered: the parameter goes out.
    let config = smtp_relay::smtp_server::ServerConfig { enable_smtputf8: true, ..server_config() };
    let (_server, recorder, addr) = start_server(config).await;
    let mut req = request(addr, TlsPolicy::Off, &["bøb@example.net"], b"x\r\n");
    req.smtputf8 = true;
    transport(Vec::new()).deliver(req).await.unwrap();
    let got = recorder.messages().pop().unwrap();
    assert_eq!(got.rcpt_tos, ["<bøb@example.net>"]);
    assert!(got.mail_options.contains(&"SMTPUTF8".to_owned()), "{:?}", got.mail_options);
}

#[tokio::test]
async fn two_requests_to_one_destination_share_one_connection() {
    let (_server, recorder, addr) = start_server(server_config()).await;
    let client = transport(Vec::new());
    for body in [&b"first\r\n"[..], b"second\r\n"] {
        let report = client
            .clone()
            .deliver(request(addr, TlsPolicy::Off, &["bob@example.net"], body))
            .await
            .unwrap();
        assert_eq!(codes(&report), [250]);
        assert_eq!(client.idle_connections(), 1);
    }
    let sessions: Vec<u64> = recorder.messages().iter().map(|m| m.session).collect();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0], sessions[1], "one TCP connection for both");

    // Without reuse, each delivery has its own session.
    let mut config = ClientConfig::new("relay.test");
    config.pool = PoolConfig::disabled();
    let client = SmtpTransport::new(config).unwrap();
    for _ in 0..2 {
        client
            .deliver(request(addr, TlsPolicy::Off, &["bob@example.net"], b"x\r\n"))
            .await
            .unwrap();
        assert_eq!(client.idle_connections(), 0);
    }
    let sessions: Vec<u64> = recorder.messages().iter().map(|m| m.session).collect();
    assert_ne!(sessions[2], sessions[3]);
}

#[tokio::test]
async fn a_tower_stack_wraps_the_transport() {
    let (_server, recorder, addr) = start_server(server_config()).await;
    let mut stack = ServiceBuilder::new()
        .concurrency_limit(2)
        .timeout(Duration::from_secs(30))
        .service(transport(Vec::new()));
    let req = request(addr, TlsPolicy::Off, &["bob@example.net"], b"through tower\r\n");
    let report = stack.ready().await.unwrap().call(req).await.unwrap();
    assert_eq!(codes(&report), [250]);
    assert_eq!(recorder.messages()[0].content, b"through tower\r\n");

    // Errors come out boxed; the DeliveryError is inside.
    let dead = request("127.0.0.1:1".parse().unwrap(), TlsPolicy::Off, &["b@example.net"], b"x");
    let error = stack.ready().await.unwrap().call(dead).await.unwrap_err();
    let error = error.downcast::<DeliveryError>().unwrap();
    assert!(matches!(*error, DeliveryError::Connect { .. }), "{error:?}");
}
