//! The relay in-process, end to end on 127.0.0.1: submissions with Python's smtplib (PLAIN
//! and LOGIN over STARTTLS) and a line-level client, delivery to our own server as upstream,
//! retries when the upstream is down or answers 451, and a DSN for a 550. The security rules
//! (no open relay, AUTH only under TLS, sender ownership, brute force) are in
//! `tests/security_relay.rs`.
//!
//! `python3` is required: when it cannot be started the smtplib test fails, it does not skip.
#![allow(clippy::unwrap_used)]

mod relay_support;

use std::io::Write as _;
use std::process::{Command, Stdio};

use relay_support::{
    ALICE, Dialogue, LIMIT, PASSWORD, TempDir, Upstream, free_port, relay_addr, relay_cert_path,
    relay_config, start_relay, start_upstream, start_upstream_at,
};

/// A message with a leading dot on a line (stuffing both ways) and 8-bit text.
const MESSAGE: &[u8] = b"From: alice@example.com\r\nTo: bob@example.net\r\nSubject: relay test\r\n\r\nHello Bob,\r\n.a line that starts with a dot\r\ncaf\xc3\xa9\r\n";

/// The queue id in `250 2.0.0 OK queued as <id>`.
fn queue_id(reply: &str) -> String {
    reply.rsplit(' ').next().unwrap().to_owned()
}

/// Checks `content` is the Received header for `id`, then exactly `message`.
fn assert_received_then(content: &[u8], helo: &str, id: &str, message: &[u8]) {
    let text = String::from_utf8_lossy(content);
    let expected_start = format!(
        "Received: from {helo} ([127.0.0.1])\r\n\tby relay.test with ESMTPSA id {id};\r\n\t"
    );
    assert!(text.starts_with(&expected_start), "{text}");
    let header_end = text.find("+0000\r\n").unwrap() + "+0000\r\n".len();
    assert_eq!(&content[header_end..], message, "the body arrives unchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtplib_plain_and_login_submissions_arrive_unchanged_with_a_received_header() {
    let (_upstream_handle, upstream, upstream_addr) = start_upstream().await;
    let dir = TempDir::new("smtplib");
    let relay = start_relay(relay_config(dir.path(), &[("example.net", upstream_addr)])).await;
    let port = relay_addr(&relay).port();
    let cafile = relay_cert_path(&relay);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/relay_smtplib.py");

    for (round, mechanism) in ["PLAIN", "LOGIN"].into_iter().enumerate() {
        let mut child = Command::new("python3")
            .arg(script)
            .args(["--port", &port.to_string(), "--cafile", cafile.to_str().unwrap()])
            .args(["--mechanism", mechanism, "--user", ALICE, "--sender", ALICE])
            .args(["--to", "bob@example.net"])
            .env("RELAY_PASSWORD", PASSWORD)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("python3 is required for this test but could not start: {e}")
            });
        child.stdin.take().unwrap().write_all(MESSAGE).unwrap();
        let output =
            tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{mechanism}: {stdout} {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(report["auth_before_tls"], false, "AUTH is not offered before STARTTLS");
        assert_eq!(report["auth"], 235);
        assert_eq!(report["mail"], 250);
        assert_eq!(report["rcpt"], serde_json::json!([250]));
        assert_eq!(report["data"][0], 250);
        let reply = report["data"][1].as_str().unwrap();
        assert!(reply.starts_with("2.0.0 OK queued as "), "{reply}");

        let arrived = upstream.wait_for("the smtplib message", |m| m.len() > round).await;
        let message = &arrived[round];
        assert_eq!(message.mail_from, ALICE);
        assert_eq!(message.rcpt_tos, vec!["bob@example.net".to_owned()]);
        assert_received_then(&message.content, "smtplib.test", &queue_id(reply), MESSAGE);
    }
    relay.shutdown().await;
}

/// Submits `message` from alice to `recipients`; returns the final reply.
async fn submit(relay: &smtp_relay::RelayHandle, recipients: &[&str], message: &str) -> String {
    let mut client =
        Dialogue::authenticated(relay_addr(relay), &relay_cert_path(relay), ALICE, PASSWORD).await;
    assert!(client.cmd(&format!("MAIL FROM:<{ALICE}>")).await.starts_with("250"));
    for recipient in recipients {
        let reply = client.cmd(&format!("RCPT TO:<{recipient}>")).await;
        assert!(reply.starts_with("250"), "{recipient}: {reply}");
    }
    assert!(client.cmd("DATA").await.starts_with("354"));
    client.send(&format!("{message}\r\n.")).await;
    let reply = client.reply().await;
    client.cmd("QUIT").await;
    reply
}

/// Waits until the relay's queue is empty.
async fn wait_until_queue_empty(relay: &smtp_relay::RelayHandle) {
    let started = tokio::time::Instant::now();
    loop {
        let queued = relay.scheduler().list().await.unwrap();
        if queued.is_empty() {
            return;
        }
        assert!(started.elapsed() < LIMIT, "the queue did not empty: {queued:#?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_for_a_down_upstream_is_queued_retried_and_delivered_when_it_comes_up() {
    let upstream_addr = free_port();
    let dir = TempDir::new("down");
    let relay = start_relay(relay_config(dir.path(), &[("example.net", upstream_addr)])).await;

    let reply = submit(&relay, &["bob@example.net"], "Subject: waits\r\n\r\nqueued").await;
    assert!(reply.starts_with("250 2.0.0 OK queued as "), "{reply}");
    // At least one failed attempt is recorded before the upstream exists.
    let started = tokio::time::Instant::now();
    loop {
        let queued = relay.scheduler().list().await.unwrap();
        if queued.first().is_some_and(|q| q.attempts >= 1 && q.pending == 1) {
            assert!(
                queued[0].last_error.as_deref().unwrap_or("").contains("connect"),
                "{queued:?}"
            );
            break;
        }
        assert!(started.elapsed() < LIMIT, "no failed attempt recorded: {queued:?}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    let upstream = Upstream::default();
    let _handle = start_upstream_at(upstream_addr, upstream.clone()).await;
    let arrived = upstream.wait_for("the retried message", |m| !m.is_empty()).await;
    assert_eq!(arrived[0].rcpt_tos, vec!["bob@example.net".to_owned()]);
    assert!(arrived[0].content.ends_with(b"Subject: waits\r\n\r\nqueued\r\n"));
    wait_until_queue_empty(&relay).await;
    relay.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_451_recipient_is_retried_and_a_550_recipient_gets_a_dsn_at_the_sender() {
    let (_handle, upstream, upstream_addr) = start_upstream().await;
    upstream.refuse("soft@example.net", 451, 1);
    upstream.refuse("hard@example.net", 550, u32::MAX);
    let dir = TempDir::new("refusals");
    let routes = [("example.net", upstream_addr), ("example.com", upstream_addr)];
    let relay = start_relay(relay_config(dir.path(), &routes)).await;

    let message = "Subject: two fates\r\nMessage-ID: <fates@example.com>\r\n\r\nhi";
    let reply = submit(&relay, &["soft@example.net", "hard@example.net"], message).await;
    assert!(reply.starts_with("250"), "{reply}");

    let arrived = upstream
        .wait_for("the retried delivery and the DSN", |m| {
            m.iter().any(|a| a.rcpt_tos == ["soft@example.net"])
                && m.iter().any(|a| a.mail_from.is_empty())
        })
        .await;
    assert!(
        !arrived.iter().any(|a| a.rcpt_tos.iter().any(|r| r == "hard@example.net")),
        "the refused recipient never gets the message"
    );
    let dsn = arrived.iter().find(|a| a.mail_from.is_empty()).unwrap();
    assert_eq!(dsn.rcpt_tos, vec![ALICE.to_owned()], "the DSN goes to the sender");
    let text = String::from_utf8_lossy(&dsn.content);
    for needle in [
        "multipart/report",
        "Final-Recipient: rfc822; hard@example.net",
        "Status: 5.1.1",
        "550",
        "Message-ID: <fates@example.com>",
    ] {
        assert!(text.contains(needle), "{needle} missing from the DSN:\n{text}");
    }
    assert!(!text.contains("soft@example.net\r\nAction"), "only the failed recipient is reported");
    wait_until_queue_empty(&relay).await;
    relay.shutdown().await;
}
