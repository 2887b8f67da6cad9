//! Greeting, HELO/EHLO, the order of checks, simple commands, pipelining. (The budget of
//! unknown commands is in `tests/security.rs`.)
#![allow(clippy::unwrap_used)]

mod common;

use common::{Recorder, TestClient, config};

#[tokio::test]
async fn greeting_helo_ehlo_and_quit() {
    let mut c = TestClient::start(config(), Recorder::default()).await;
    c.expect_text("220 mx.test smtpd test").await;
    c.cmd_text("HELO", "501 5.5.4 Syntax: HELO hostname").await;
    c.cmd_text("EHLO", "501 5.5.4 Syntax: EHLO hostname").await;
    c.cmd_text("HELO client.example", "250 mx.test").await;
    let ehlo = c.ehlo().await;
    assert_eq!(
        ehlo,
        "250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250-PIPELINING\r\n\
         250-ENHANCEDSTATUSCODES\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250 HELP\r\n"
    );
    c.cmd_text("QUIT now", "501 5.5.4 Syntax: QUIT").await;
    c.cmd_text("QUIT", "221 2.0.0 Bye").await;
    c.expect_close().await;
}

/// aiosmtpd's replies, step by step (§13), with our enhanced codes.
#[tokio::test]
async fn order_of_checks_and_simple_commands() {
    let steps: &[(&str, &str)] = &[
        ("MAIL FROM:<a@example.com>", "503 5.5.1 Error: send HELO first"),
        ("DATA", "503 5.5.1 Error: send HELO first"),
        ("AUTH PLAIN", "503 5.5.1 Error: send EHLO first"),
        (
            "VRFY <a@example.com>",
            "252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery",
        ),
        ("VRFY @@", "502 5.5.4 Could not VRFY @@"),
        ("VRFY", "501 5.5.4 Syntax: VRFY <address>"),
        ("EXPN list", "502 5.5.1 EXPN not implemented"),
        (
            "HELP",
            "250 2.0.0 Supported commands: AUTH BDAT DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET VRFY",
        ),
        (
            "HELP FOO",
            "501 5.5.4 Supported commands: AUTH BDAT DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET VRFY",
        ),
        (
            "HELP STARTTLS",
            "501 5.5.4 Supported commands: AUTH BDAT DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET VRFY",
        ),
        ("STARTTLS", "454 4.7.0 TLS not available"),
        ("", "500 5.5.2 Error: bad syntax"),
        ("NOOP grüße", "500 5.5.2 Error: strict ASCII mode"),
        ("RSET x", "501 5.5.4 Syntax: RSET"),
        ("RSET", "250 2.0.0 OK"),
        ("NOOP hello there", "250 2.0.0 OK"),
        ("HELO client.example", "250 mx.test"),
        ("AUTH PLAIN", "500 5.5.1 Error: command 'AUTH' not recognized"),
        ("RCPT TO:<a@example.com>", "503 5.5.1 Error: need MAIL command"),
        ("DATA", "503 5.5.1 Error: need RCPT command"),
        ("MAIL FROM:<a@example.com> SIZE=100", "501 5.5.4 Syntax: MAIL FROM: <address>"),
        ("MAIL FROM:<a@example.com>", "250 2.1.0 OK"),
        ("MAIL FROM:<b@example.com>", "503 5.5.1 Error: nested MAIL command"),
        ("RCPT TO:<b@example.com>", "250 2.1.5 OK"),
        ("DATA x", "501 5.5.4 Syntax: DATA"),
        ("EHLO client.example", ""),
        ("DATA", "503 5.5.1 Error: need RCPT command"),
        ("MAIL FROM:", "501 5.5.4 Syntax: MAIL FROM: <address> [SP <mail-parameters>]"),
        ("MAIL FROM:<@example.com>", "553 5.1.3 Error: malformed address"),
        (
            "MAIL FROM:<a@example.com> SIZE=33554433",
            "552 5.3.4 Error: message size exceeds fixed maximum message size",
        ),
        (
            "MAIL FROM:<a@example.com> FOO=BAR",
            "555 5.5.4 MAIL FROM parameters not recognized or not implemented",
        ),
        ("help rcpt", "250 2.0.0 Syntax: RCPT TO: <address> [SP <mail-parameters>]"),
        ("MAIL FROM:<>", "250 2.1.0 OK"),
        (
            "RCPT TO:<b@example.com> NOTIFY=NEVER",
            "555 5.5.4 RCPT TO parameters not recognized or not implemented",
        ),
        ("RCPT <b@example.com>", "501 5.5.4 Syntax: RCPT TO: <address> [SP <mail-parameters>]"),
        ("   ", "500 5.5.2 Error: command \"\" not recognized"),
    ];
    let mut c = TestClient::start(config(), Recorder::default()).await;
    c.expect(220).await;
    for (command, reply) in steps {
        if reply.is_empty() {
            c.cmd(command, 250).await;
        } else {
            c.cmd_text(command, reply).await;
        }
    }
    c.send_raw(b"N\xc3\x96OP\r\n").await;
    c.expect_text("500 5.5.2 Error: bad syntax").await;
    c.send_raw(b"NOOP\n").await;
    c.expect_text("250 2.0.0 OK").await;
    c.send_raw(b"NOOP\rNOOP\r\n").await;
    c.expect(500).await;
    c.cmd("QUIT", 221).await;
    c.expect_close().await;
}

#[tokio::test]
async fn repeated_ehlo_resets_the_envelope_and_rset_keeps_the_greeting() {
    let mut c = TestClient::start(config(), Recorder::default()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd("RCPT TO:<b@example.com>", 250).await;
    c.ehlo().await;
    c.cmd("DATA", 503).await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd("RSET", 250).await;
    c.cmd("RCPT TO:<b@example.com>", 503).await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd("QUIT", 221).await;
}

/// RFC 2920: a whole pipelined transaction gets its replies in order, in one write.
#[tokio::test]
async fn pipelined_groups_are_answered_together() {
    let recorder = Recorder::default();
    let mut c = TestClient::start(config(), recorder.clone()).await;
    c.expect(220).await;
    c.send_raw(
        b"EHLO client.example\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n\
          RCPT TO:<c@example.com>\r\nDATA\r\n",
    )
    .await;
    let replies = c.replies_in_one_read().await;
    let codes: Vec<&str> = replies.iter().map(|r| &r[..3]).collect();
    assert_eq!(codes, ["250", "250", "250", "250", "354"]);
    c.send_raw(
        b"Subject: first\r\n\r\none\r\n.\r\nRSET\r\nMAIL FROM:<d@example.com>\r\n\
          RCPT TO:<e@example.com>\r\nDATA\r\n",
    )
    .await;
    let codes: Vec<String> =
        c.replies_in_one_read().await.iter().map(|r| r[..3].to_owned()).collect();
    assert_eq!(codes, ["250", "250", "250", "250", "354"]);
    c.send_raw(b"Subject: second\r\n\r\ntwo\r\n.\r\nQUIT\r\n").await;
    let codes: Vec<String> =
        c.replies_in_one_read().await.iter().map(|r| r[..3].to_owned()).collect();
    assert_eq!(codes, ["250", "221"]);
    c.expect_close().await;
    let messages = recorder.messages();
    assert_eq!(
        recorder.contents(),
        [b"Subject: first\r\n\r\none\r\n".to_vec(), b"Subject: second\r\n\r\ntwo\r\n".to_vec()]
    );
    assert_eq!(messages[0].rcpt_tos, ["<b@example.com>", "<c@example.com>"]);
    assert_eq!(messages[1].mail_from, "<d@example.com>");
}

#[tokio::test]
async fn a_command_split_across_writes() {
    let mut c = TestClient::start(config(), Recorder::default()).await;
    c.expect(220).await;
    c.send_raw(b"NO").await;
    tokio::task::yield_now().await;
    c.send_raw(b"OP\r").await;
    tokio::task::yield_now().await;
    c.send_raw(b"\n").await;
    c.expect(250).await;
}
