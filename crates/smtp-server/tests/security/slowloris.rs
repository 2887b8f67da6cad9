//! Slowloris and silent clients, on the paused virtual clock: the idle timeout is refreshed
//! by every read (so one byte per second never trips it), the total session limit ends such a
//! client with `421 4.4.2`, and a client that sends nothing is told `421 4.4.2` after exactly
//! the idle timeout. The first two tests were moved here from `tests/limits.rs`.

use std::time::Duration;

use smtp_server::ServerConfig;
use tokio::time::Instant;

use crate::common::{self, Recorder, TestClient, config};

#[tokio::test(start_paused = true)]
async fn slowloris_idle_timeout_sends_421_and_closes() {
    let config = ServerConfig { timeout: Duration::from_secs(2), ..config() };
    let mut c = TestClient::start(config, Recorder::default()).await;
    c.expect(220).await;
    c.ehlo().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    c.cmd("NOOP", 250).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    c.cmd("NOOP", 250).await;
    c.expect_text("421 4.4.2 Error: timeout exceeded").await;
    c.expect_close().await;
}

#[tokio::test(start_paused = true)]
async fn slowloris_idle_timeout_during_data_and_session_limit() {
    let config = ServerConfig { timeout: Duration::from_secs(2), ..config() };
    let recorder = Recorder::default();
    let mut c = TestClient::start(config, recorder.clone()).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd("MAIL FROM:<a@example.com>", 250).await;
    c.cmd("RCPT TO:<b@example.com>", 250).await;
    c.cmd("DATA", 354).await;
    c.send_raw(b"partial\r\n").await;
    c.expect(421).await;
    c.expect_close().await;
    assert!(recorder.messages().is_empty());

    let config = ServerConfig { session_timeout: Duration::from_secs(5), ..common::config() };
    let mut c = TestClient::start(config, Recorder::default()).await;
    c.expect(220).await;
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        c.cmd("NOOP", 250).await;
    }
    c.expect_text("421 4.4.2 Error: timeout exceeded").await;
    c.expect_close().await;
}

/// A client that sends nothing after the greeting gets `421 4.4.2` once the idle timeout has
/// passed, not before, and is closed.
#[tokio::test(start_paused = true)]
async fn slowloris_silent_client_gets_421_after_the_idle_timeout() {
    let timeout = Duration::from_secs(7);
    let config = ServerConfig { timeout, ..config() };
    let mut c = TestClient::start(config, Recorder::default()).await;
    c.expect(220).await;
    let started = Instant::now();
    c.expect_text("421 4.4.2 Error: timeout exceeded").await;
    let waited = started.elapsed();
    assert!(waited >= timeout && waited < timeout + Duration::from_millis(5), "waited {waited:?}");
    c.expect_close().await;
}

/// One byte per (virtual) second, well inside a 2 s idle timeout: every NOOP is answered
/// until the 60 s session limit, which ends the session with `421 4.4.2`.
#[tokio::test(start_paused = true)]
async fn slowloris_one_byte_per_second_is_ended_by_the_session_limit() {
    let session_timeout = Duration::from_secs(60);
    let config = ServerConfig { timeout: Duration::from_secs(2), session_timeout, ..config() };
    let mut c = TestClient::start(config, Recorder::default()).await;
    let started = Instant::now();
    c.expect(220).await;
    let mut answered = 0;
    'session: loop {
        for byte in b"NOOP\r\n" {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if c.try_send_raw(&[*byte]).await.is_err() {
                // Closed mid-line: the 421 is what was sent last.
                c.expect_text("421 4.4.2 Error: timeout exceeded").await;
                break 'session;
            }
        }
        // Each reply comes at once; the sender only ever waits on its own sleeps.
        let reply = tokio::time::timeout(Duration::from_millis(500), c.read_reply()).await;
        match reply {
            Ok(Some(reply)) if reply == "250 2.0.0 OK\r\n" => answered += 1,
            Ok(Some(reply)) => {
                assert_eq!(reply, "421 4.4.2 Error: timeout exceeded\r\n");
                break 'session;
            }
            Ok(None) => panic!("closed without a 421 after {answered} NOOPs"),
            // The limit fell mid-line: the 421 is already on its way.
            Err(_) => {
                c.expect_text("421 4.4.2 Error: timeout exceeded").await;
                break 'session;
            }
        }
        assert!(started.elapsed() < session_timeout * 2, "the session limit never came");
    }
    let lasted = started.elapsed();
    assert!(lasted >= session_timeout, "ended after {lasted:?}, before the session limit");
    // 60 s at 6 s per NOOP: about ten answered, each only after 3× the idle timeout.
    assert!(answered >= 8, "only {answered} NOOPs answered");
    c.expect_close().await;
}
