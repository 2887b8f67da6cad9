//! The `Proxy` handler in front of our own server: per-command answers are the upstream's,
//! the message arrives with `X-Peer`, and an unreachable upstream is a 451 (never a 250).
#![allow(clippy::unwrap_used)]

mod relay_support;

use std::net::SocketAddr;
use std::time::Duration;

use relay_support::{Dialogue, free_port, start_upstream};
use smtp_relay::Proxy;
use smtp_relay::client::{ClientConfig, SmtpTransport, Timeouts};
use smtp_relay::smtp_server::server::Listen;
use smtp_relay::smtp_server::{Server, ServerConfig, ServerHandle};
use smtp_relay::transport::{Destination, TlsPolicy};

async fn start_proxy(upstream: SocketAddr) -> (ServerHandle, SocketAddr) {
    let mut client = ClientConfig::new("proxy.test");
    client.timeouts = Timeouts::uniform(Duration::from_secs(10));
    let destination = Destination {
        host: upstream.ip().to_string(),
        port: upstream.port(),
        tls_name: "localhost".into(),
        tls: TlsPolicy::Opportunistic,
    };
    let proxy = Proxy::new(SmtpTransport::new(client).unwrap(), destination, None);
    let config = ServerConfig { hostname: "proxy.test".into(), ..ServerConfig::default() };
    let handle = Server::new(config, proxy)
        .start([Listen::Tcp(SocketAddr::from(([127, 0, 0, 1], 0)))])
        .await
        .unwrap();
    let addr = handle.local_addr().unwrap();
    (handle, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_hears_the_upstreams_answers_and_the_message_arrives_with_x_peer() {
    let (_upstream_handle, upstream, upstream_addr) = start_upstream().await;
    upstream.refuse("soft@example.net", 451, u32::MAX);
    upstream.refuse("hard@example.net", 550, u32::MAX);
    let (_proxy, addr) = start_proxy(upstream_addr).await;

    let mut client = Dialogue::connect(addr).await;
    client.cmd("EHLO client.test").await;
    for round in 0..2 {
        let conversation = [
            ("MAIL FROM:<alice@example.com>", "250 2.1.0"),
            ("RCPT TO:<bob@example.net>", "250 2.1.5"),
            ("RCPT TO:<soft@example.net>", "451 4.1.1 not now or never"),
            ("RCPT TO:<hard@example.net>", "550 5.1.1 not now or never"),
            ("DATA", "354"),
        ];
        for (command, expected) in conversation {
            let reply = client.cmd(command).await;
            assert!(reply.starts_with(expected), "round {round}, {command}: {reply}");
        }
        let reply = client.cmd("Subject: proxied\r\n\r\n..dot\r\n.").await;
        assert!(reply.starts_with("250"), "{reply}");
        let arrived = upstream.wait_for("the proxied message", |m| m.len() > round).await;
        assert_eq!(arrived[round].mail_from, "alice@example.com");
        assert_eq!(arrived[round].rcpt_tos, vec!["bob@example.net".to_owned()]);
        assert_eq!(
            arrived[round].content,
            b"Subject: proxied\r\nX-Peer: 127.0.0.1\r\n\r\n.dot\r\n".to_vec()
        );
    }
    // RSET and QUIT are ours.
    assert!(client.cmd("RSET").await.starts_with("250"));
    assert!(client.cmd("QUIT").await.starts_with("221"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_upstream_is_a_451_not_a_250() {
    let (_proxy, addr) = start_proxy(free_port()).await;
    let mut client = Dialogue::connect(addr).await;
    client.cmd("EHLO client.test").await;
    let reply = client.cmd("MAIL FROM:<alice@example.com>").await;
    assert_eq!(reply, "451 4.4.1 Upstream server unavailable, try again later");
    let reply = client.cmd("RCPT TO:<bob@example.net>").await;
    assert!(reply.starts_with("503"), "no transaction was opened: {reply}");
}
