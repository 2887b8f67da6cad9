//! No credential reaches the log: every `tracing` event and span of real sessions is captured
//! at TRACE level while clients authenticate with PLAIN (initial response and 334 flow),
//! LOGIN, CRAM-MD5, fail, and hide responses behind odd spacing; then the log is searched for
//! the password, every base64 blob the clients sent, and the decoded PLAIN message. The log
//! must also show the connection spans and the commands, so an empty capture cannot pass.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{TestClient, config};
use smtp_server::ServerConfig;
use smtp_server::smtp_auth::{CramMd5, MemoryAuthenticator, cram_md5};
use tokio::io::DuplexStream;
use tracing_subscriber::fmt::format::FmtSpan;

const PASSWORD: &str = "wonderland";
const WRONG_PASSWORD: &str = "not-the-password";

/// One step of a client's side of an exchange.
#[derive(Clone, Copy, Debug)]
enum Step {
    /// Send this line, expect this reply code.
    Line(&'static str, u16),
    /// Answer the CRAM-MD5 challenge in the last 334 reply for alice with this password,
    /// expect this reply code.
    CramMd5(&'static str, u16),
}

/// The lines each connection sends after EHLO.
fn exchanges() -> Vec<(&'static str, Vec<Step>)> {
    use Step::{CramMd5, Line};
    vec![
        ("PLAIN, initial response", vec![Line("AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", 235)]),
        ("PLAIN, 334 flow", vec![Line("AUTH PLAIN", 334), Line("AGFsaWNlAHdvbmRlcmxhbmQ=", 235)]),
        (
            "LOGIN, both challenges",
            vec![Line("AUTH LOGIN", 334), Line("YWxpY2U=", 334), Line("d29uZGVybGFuZA==", 235)],
        ),
        (
            "LOGIN, user name as initial response",
            vec![Line("auth login YWxpY2U=", 334), Line("d29uZGVybGFuZA==", 235)],
        ),
        (
            "failures, then success behind a tab",
            vec![
                // \0alice\0not-the-password
                Line("AUTH PLAIN AGFsaWNlAG5vdC10aGUtcGFzc3dvcmQ=", 535),
                Line("AUTH LOGIN", 334),
                Line("YWxpY2U=", 334),
                Line("bm90LXRoZS1wYXNzd29yZA==", 535),
                Line("AUTH PLAIN\tAGFsaWNlAHdvbmRlcmxhbmQ=", 235),
            ],
        ),
        ("CRAM-MD5", vec![Line("AUTH CRAM-MD5", 334), CramMd5(PASSWORD, 235)]),
        (
            "CRAM-MD5, wrong password",
            vec![Line("AUTH CRAM-MD5", 334), CramMd5(WRONG_PASSWORD, 535)],
        ),
    ]
}

fn server_config() -> ServerConfig {
    ServerConfig {
        auth_require_tls: false,
        authenticator: Some(Arc::new(MemoryAuthenticator::new().with_user("alice", PASSWORD))),
        extra_mechanisms: vec![Arc::new(CramMd5::new())],
        auth_failure_delay: Duration::ZERO,
        max_auth_failures: 10,
        ..config()
    }
}

/// The CRAM-MD5 response to the challenge in `reply` (`334 <base64>`).
fn cram_md5_response(reply: &str, password: &str) -> String {
    let challenge = STANDARD.decode(reply.trim_end().trim_start_matches("334 ")).unwrap();
    let digest = cram_md5::to_hex(&cram_md5::digest(password.as_bytes(), &challenge));
    STANDARD.encode(format!("alice {digest}"))
}

/// Runs one connection's exchange; returns every SASL secret it sent (lines and the texts
/// they encode).
async fn run(client: &mut TestClient<DuplexStream>, steps: &[Step]) -> Vec<String> {
    let mut secrets = Vec::new();
    let mut last_reply = String::new();
    for step in steps {
        let (line, code) = match *step {
            Step::Line(line, code) => (line.to_owned(), code),
            Step::CramMd5(password, code) => {
                let response = cram_md5_response(&last_reply, password);
                let hex = String::from_utf8(STANDARD.decode(&response).unwrap()).unwrap();
                secrets.push(hex.trim_start_matches("alice ").to_owned());
                (response, code)
            }
        };
        last_reply = client.cmd(&line, code).await;
        let blob = line.rsplit([' ', '\t']).next().unwrap_or_default();
        if !blob.eq_ignore_ascii_case("LOGIN")
            && !blob.eq_ignore_ascii_case("PLAIN")
            && !blob.eq_ignore_ascii_case("CRAM-MD5")
        {
            secrets.push(blob.to_owned());
            // The blob without its padding, as a truncated or re-encoded form would show it.
            secrets.push(blob.trim_end_matches('=').to_owned());
        }
    }
    secrets
}

/// A `MakeWriter` target: everything the subscriber writes, in one buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// A current-thread runtime: the spawned session tasks run on this thread, under the
// subscriber installed with `set_default` below.
#[tokio::test(flavor = "current_thread")]
async fn credentials_never_reach_the_log() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let decoded = ["\0alice\0wonderland", "\\0alice\\0wonderland", "\\u{0}alice\\u{0}wonderland"];
    let mut secrets: Vec<(&str, String)> = [PASSWORD, WRONG_PASSWORD]
        .into_iter()
        .chain(decoded)
        .map(|secret| ("every exchange", secret.to_owned()))
        .collect();
    for (name, steps) in exchanges() {
        let mut client = TestClient::start(server_config(), common::Recorder::default()).await;
        client.expect(220).await;
        client.ehlo().await;
        secrets.extend(run(&mut client, &steps).await.into_iter().map(|secret| (name, secret)));
        client.cmd("QUIT", 221).await;
        client.finished().await;
    }

    let log = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    for expected in [
        "connection{id=",
        "command=EHLO client.example",
        "command=AUTH PLAIN ********",
        "command=AUTH CRAM-MD5",
        "authenticated",
        "AUTH failed",
        "TRACE",
    ] {
        assert!(
            log.contains(expected),
            "the log lacks {expected:?}; the capture is broken:\n{log}"
        );
    }
    for (name, secret) in &secrets {
        assert!(secret.len() >= 6, "{name}: a secret too short to search for: {secret:?}");
        assert!(!log.contains(secret.as_str()), "{name}: {secret:?} leaked into the log:\n{log}");
    }
}
