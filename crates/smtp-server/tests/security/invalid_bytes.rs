//! Invalid UTF-8, NUL bytes and lone CRs in every command: each verb × each hostile byte gets
//! a 5xx reply, never a panic or a close, and the session goes on (NOOP answers 250 after it,
//! and QUIT 221). The table is run in full and every miss is reported together.

use std::sync::Arc;
use std::time::Duration;

use smtp_server::ServerConfig;
use smtp_server::smtp_auth::MemoryAuthenticator;

use crate::common::{Recorder, TestClient, config};

/// The hostile bytes.
const BAD: [&[u8]; 4] = [b"\0", b"\xff", b"\xc3\x28", b"\r"];

/// Where the hostile byte goes: `before` + byte + `after`; `in_transaction` opens MAIL first.
struct Case {
    before: &'static str,
    after: &'static str,
    in_transaction: bool,
}

const fn case(before: &'static str, after: &'static str, in_transaction: bool) -> Case {
    Case { before, after, in_transaction }
}

/// Every verb the server knows, the byte inside its argument (or right after the verb when it
/// takes none, with more text after it: CRs at the very end of a line are part of the line
/// end, as in aiosmtpd), plus an unknown verb.
const CASES: [Case; 16] = [
    case("HELO client", ".example", false),
    case("EHLO client", ".example", false),
    case("MAIL FROM:<a", "@example.com>", false),
    case("RCPT TO:<b", "@example.com>", true),
    case("DATA", " x", true),
    case("BDAT", " 5", true),
    case("RSET", " x", false),
    case("NOOP", " x", false),
    case("NOOP x", "y", false),
    case("QUIT", " x", false),
    case("VRFY <a", "@example.com>", false),
    case("EXPN list", " x", false),
    case("HELP MAIL", " x", false),
    case("AUTH PLAIN AGFsaWNl", "AHdvbmRlcmxhbmQ=", false),
    case("STARTTLS", " x", false),
    case("XFOO", " x", false),
];

fn auth_config() -> ServerConfig {
    ServerConfig {
        auth_require_tls: false,
        authenticator: Some(Arc::new(MemoryAuthenticator::new().with_user("alice", "wonderland"))),
        auth_failure_delay: Duration::ZERO,
        ..config()
    }
}

/// Runs one case; `Err` describes what went wrong.
async fn run(case: &Case, bad: &[u8]) -> Result<(), String> {
    let recorder = Recorder::default();
    let mut c = TestClient::start(auth_config(), recorder.clone()).await;
    c.expect(220).await;
    c.ehlo().await;
    if case.in_transaction {
        c.cmd("MAIL FROM:<a@example.com>", 250).await;
        c.cmd("RCPT TO:<b@example.com>", 250).await;
    }
    let mut line = case.before.as_bytes().to_vec();
    line.extend_from_slice(bad);
    line.extend_from_slice(case.after.as_bytes());
    line.extend_from_slice(b"\r\n");
    c.send_raw(&line).await;
    let reply = c.read_reply().await.ok_or("closed instead of a reply")?;
    if !reply.starts_with('5') {
        return Err(format!("not a 5xx: {reply:?}"));
    }
    c.send("NOOP").await;
    match c.read_reply().await {
        Some(reply) if reply.starts_with("250 ") => {}
        other => return Err(format!("after {reply:?}, NOOP got {other:?}")),
    }
    c.cmd("QUIT", 221).await;
    c.expect_close().await;
    if !recorder.messages().is_empty() {
        return Err("a message was delivered".into());
    }
    Ok(())
}

#[tokio::test]
async fn invalid_utf8_and_nul_bytes_in_every_command_get_5xx_and_the_session_continues() {
    let mut misses = Vec::new();
    let mut ran = 0;
    for case in &CASES {
        for bad in BAD {
            ran += 1;
            if let Err(miss) = run(case, bad).await {
                let line = [case.before.as_bytes(), bad, case.after.as_bytes()].concat();
                misses.push(format!("{:?}: {miss}", String::from_utf8_lossy(&line)));
            }
        }
    }
    assert_eq!(ran, CASES.len() * BAD.len());
    assert!(misses.is_empty(), "{} of {ran} cases failed:\n{}", misses.len(), misses.join("\n"));
}
