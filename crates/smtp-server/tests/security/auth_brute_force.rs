//! AUTH brute force: the per-connection failure budget (the last failure's 535, then
//! `421 4.7.0` and the close), the delay that grows with every failure (checked on the paused
//! virtual clock, not the wall clock), and AUTH where it must not be tried (inside a
//! transaction, before TLS). The first and last tests were moved here from `tests/auth.rs`.

use std::sync::Arc;
use std::time::Duration;

use smtp_server::ServerConfig;
use smtp_server::smtp_auth::MemoryAuthenticator;
use tokio::time::Instant;

use crate::common::{Recorder, TestClient, config};

/// `\0alice\0wonderland` and a wrong password.
const GOOD: &str = "AGFsaWNlAHdvbmRlcmxhbmQ=";
const BAD: &str = "AGFsaWNlAHdyb25n";

fn auth_config() -> ServerConfig {
    ServerConfig {
        auth_require_tls: false,
        authenticator: Some(Arc::new(MemoryAuthenticator::new().with_user("alice", "wonderland"))),
        auth_failure_delay: Duration::ZERO,
        ..config()
    }
}

#[tokio::test(start_paused = true)]
async fn auth_brute_force_third_failure_gets_535_then_421_and_close() {
    let config = ServerConfig { auth_failure_delay: Duration::from_millis(250), ..auth_config() };
    let mut c = TestClient::start(config, Recorder::default()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd_text(&format!("AUTH PLAIN {BAD}"), "535 5.7.8 Authentication credentials invalid").await;
    c.cmd_text("AUTH LOGIN YWxpY2U=", "334 UGFzc3dvcmQA").await;
    c.cmd("d3Jvbmc=", 535).await;
    c.cmd(&format!("AUTH PLAIN {BAD}"), 535).await;
    c.expect_text("421 4.7.0 Too many authentication failures").await;
    c.expect_close().await;
}

/// The n-th failure is answered after n × `auth_failure_delay` of (virtual) time; a success
/// is not delayed. Every failure's reply is 535 until the budget is spent.
#[tokio::test(start_paused = true)]
async fn auth_brute_force_delay_grows_with_every_failure() {
    let delay = Duration::from_millis(250);
    let config = ServerConfig { auth_failure_delay: delay, max_auth_failures: 5, ..auth_config() };
    let mut c = TestClient::start(config, Recorder::default()).await;
    c.expect(220).await;
    c.ehlo().await;
    let mut waited = Vec::new();
    for _ in 1..=4 {
        let started = Instant::now();
        c.cmd(&format!("AUTH PLAIN {BAD}"), 535).await;
        waited.push(started.elapsed());
    }
    let expected: Vec<Duration> = (1..=4).map(|n| delay * n).collect();
    for (n, (waited, expected)) in waited.iter().zip(&expected).enumerate() {
        assert!(
            *waited >= *expected && *waited < *expected + Duration::from_millis(5),
            "failure {}: waited {waited:?}, expected {expected:?}",
            n + 1
        );
    }
    let started = Instant::now();
    c.cmd(&format!("AUTH PLAIN {GOOD}"), 235).await;
    assert!(started.elapsed() < Duration::from_millis(5), "a success is not delayed");
    c.cmd("QUIT", 221).await;
    c.expect_close().await;
}

/// Many connections each get their own budget, and each is cut off at its third failure: no
/// connection can try more than `max_auth_failures` passwords.
#[tokio::test]
async fn auth_brute_force_across_connections_each_cut_off_at_the_budget() {
    for _ in 0..5 {
        let mut c = TestClient::start(auth_config(), Recorder::default()).await;
        c.expect(220).await;
        c.ehlo().await;
        for _ in 0..3 {
            c.cmd_text(
                &format!("AUTH PLAIN {BAD}"),
                "535 5.7.8 Authentication credentials invalid",
            )
            .await;
        }
        c.expect_text("421 4.7.0 Too many authentication failures").await;
        c.expect_close().await;
    }
}

#[tokio::test]
async fn auth_during_a_transaction_gets_503_and_auth_before_tls_538() {
    let mut c = TestClient::start(auth_config(), Recorder::default()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd_text(
        &format!("AUTH PLAIN {GOOD}"),
        "503 5.5.1 Error: AUTH not permitted during a mail transaction",
    )
    .await;
    c.cmd("RCPT TO:<b@example.com>", 250).await;
    c.cmd("RSET", 250).await;
    c.cmd(&format!("AUTH PLAIN {GOOD}"), 235).await;

    // auth_require_tls (the default) without TLS: not offered, 538.
    let config = ServerConfig { auth_require_tls: true, ..auth_config() };
    let mut c = TestClient::start(config, Recorder::default()).await;
    c.expect(220).await;
    assert!(!c.ehlo().await.contains("AUTH"));
    c.cmd_text(
        &format!("AUTH PLAIN {GOOD}"),
        "538 5.7.11 Encryption required for requested authentication mechanism",
    )
    .await;
}
