//! Credentials in logs: every `tracing` event and span of real sessions is captured at TRACE
//! level while clients authenticate with every mechanism the server offers (PLAIN with an
//! initial response and the 334 flow, LOGIN, CRAM-MD5, SCRAM-SHA-256, XOAUTH2 and OAUTHBEARER
//! through `extra_mechanisms`), succeed, fail, and hide responses behind odd spacing; then the
//! log is searched for the password, the tokens, every base64 blob the clients sent, the
//! decoded PLAIN message, the CRAM-MD5 digests and the SCRAM proofs. The log must also show the
//! connection spans and the commands, so an empty capture cannot pass. Moved here from
//! `tests/log_hygiene.rs` and extended to SCRAM-SHA-256, XOAUTH2 and OAUTHBEARER.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use smtp_server::ServerConfig;
use smtp_server::smtp_auth::{
    CramMd5, MemoryAuthenticator, OAuthBearer, ScramSha256, XOAuth2, cram_md5,
};
use tokio::io::DuplexStream;
use tokio_rustls::rustls::SupportedCipherSuite;
use tokio_rustls::rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256;
use tokio_rustls::rustls::crypto::tls13::OkmBlock;
use tracing_subscriber::fmt::format::FmtSpan;

use crate::common::{self, TestClient, config};

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
    /// `AUTH <mechanism> <initial response>` with alice's bearer token, expect this code.
    Bearer(BearerKind, &'static str, u16),
    /// `AUTH SCRAM-SHA-256 <client-first>` for alice, expect 334.
    ScramFirst,
    /// Answer the server-first message in the last 334 reply with this password's proof,
    /// expect this reply code.
    ScramFinal(&'static str, u16),
}

/// The two OAuth 2.0 bearer token mechanisms.
#[derive(Clone, Copy, Debug)]
enum BearerKind {
    XOAuth2,
    OAuthBearer,
}

impl BearerKind {
    /// The `AUTH` line with the initial response for alice and `token`.
    fn line(self, token: &str) -> String {
        let (name, message) = match self {
            Self::XOAuth2 => ("XOAUTH2", format!("user=alice\x01auth=Bearer {token}\x01\x01")),
            Self::OAuthBearer => {
                ("OAUTHBEARER", format!("n,a=alice,\x01auth=Bearer {token}\x01\x01"))
            }
        };
        format!("AUTH {name} {}", STANDARD.encode(message))
    }
}

/// The lines each connection sends after EHLO.
fn exchanges() -> Vec<(&'static str, Vec<Step>)> {
    use Step::{Bearer, CramMd5, Line, ScramFinal, ScramFirst};
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
        ("SCRAM-SHA-256", vec![ScramFirst, ScramFinal(PASSWORD, 334), Line("", 235)]),
        ("SCRAM-SHA-256, wrong password", vec![ScramFirst, ScramFinal(WRONG_PASSWORD, 535)]),
        ("XOAUTH2", vec![Bearer(BearerKind::XOAuth2, PASSWORD, 235)]),
        (
            "XOAUTH2, wrong token",
            vec![Bearer(BearerKind::XOAuth2, WRONG_PASSWORD, 334), Line("", 535)],
        ),
        ("OAUTHBEARER", vec![Bearer(BearerKind::OAuthBearer, PASSWORD, 235)]),
        (
            "OAUTHBEARER, wrong token",
            vec![Bearer(BearerKind::OAuthBearer, WRONG_PASSWORD, 334), Line("AQ==", 535)],
        ),
    ]
}

fn server_config() -> ServerConfig {
    ServerConfig {
        auth_require_tls: false,
        authenticator: Some(Arc::new(MemoryAuthenticator::new().with_user("alice", PASSWORD))),
        extra_mechanisms: vec![
            Arc::new(CramMd5::new()),
            Arc::new(ScramSha256::new()),
            Arc::new(XOAuth2::new()),
            Arc::new(OAuthBearer::new()),
        ],
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
    let scram = ScramClient::new();
    for step in steps {
        let (line, code) = match *step {
            Step::Line(line, code) => (line.to_owned(), code),
            Step::CramMd5(password, code) => {
                let response = cram_md5_response(&last_reply, password);
                let hex = String::from_utf8(STANDARD.decode(&response).unwrap()).unwrap();
                secrets.push(hex.trim_start_matches("alice ").to_owned());
                (response, code)
            }
            Step::Bearer(kind, token, code) => (kind.line(token), code),
            Step::ScramFirst => (format!("AUTH SCRAM-SHA-256 {}", scram.first()), 334),
            Step::ScramFinal(password, code) => {
                let (response, proof) = scram.last(&last_reply, password);
                secrets.push(proof.clone());
                secrets.push(proof.trim_end_matches('=').to_owned());
                (response, code)
            }
        };
        last_reply = client.cmd(&line, code).await;
        let blob = line.rsplit([' ', '\t']).next().unwrap_or_default();
        let mechanism = ["LOGIN", "PLAIN", "CRAM-MD5"].iter().any(|m| blob.eq_ignore_ascii_case(m));
        // The empty and `AQ==` acknowledgements of an error challenge carry nothing secret.
        if !mechanism && blob.len() > 4 {
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
async fn credentials_in_logs_never_appear_for_any_mechanism() {
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
        // The other tests of this binary run on other threads without a subscriber; a call
        // site they registered while this subscriber was being installed may have cached
        // "never". Recomputing the interest before each connection repairs that race.
        tracing::callsite::rebuild_interest_cache();
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
        "command=AUTH SCRAM-SHA-256 ********",
        "command=AUTH XOAUTH2 ********",
        "command=AUTH OAUTHBEARER ********",
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

/// The HMAC-SHA-256 and SHA-256 of rustls's ring provider (this crate's own dependencies),
/// for the client side of SCRAM-SHA-256.
fn tls13_sha256() -> &'static tokio_rustls::rustls::Tls13CipherSuite {
    match TLS13_AES_128_GCM_SHA256 {
        SupportedCipherSuite::Tls13(suite) => suite,
        SupportedCipherSuite::Tls12(_) => unreachable!("a TLS 1.3 suite"),
    }
}

fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    let tag = tls13_sha256().hkdf_provider.hmac_sign(&OkmBlock::new(key), message);
    tag.as_ref().try_into().unwrap()
}

fn sha256(data: &[u8]) -> [u8; 32] {
    tls13_sha256().common.hash_provider.hash(data).as_ref().try_into().unwrap()
}

/// PBKDF2-HMAC-SHA-256 with one output block (RFC 8018 §5.2).
fn pbkdf2(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut block = hmac(password, &[salt, &1u32.to_be_bytes()].concat());
    let mut result = block;
    for _ in 1..iterations {
        block = hmac(password, &block);
        result.iter_mut().zip(block).for_each(|(r, b)| *r ^= b);
    }
    result
}

/// The client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) for alice, without channel binding.
struct ScramClient {
    bare: String,
}

impl ScramClient {
    const NONCE: &str = "rOprNGfwEbeRWgbNEkqO";

    fn new() -> Self {
        Self { bare: format!("n=alice,r={}", Self::NONCE) }
    }

    /// The base64 client-first message.
    fn first(&self) -> String {
        STANDARD.encode(format!("n,,{}", self.bare))
    }

    /// The base64 client-final message for the server-first message in `reply`, and the
    /// base64 proof in it.
    fn last(&self, reply: &str, password: &str) -> (String, String) {
        let server_first = STANDARD.decode(reply.trim_end().trim_start_matches("334 ")).unwrap();
        let server_first = String::from_utf8(server_first).unwrap();
        let field = |name: &str| {
            server_first.split(',').find_map(|f| f.strip_prefix(name)).unwrap().to_owned()
        };
        let nonce = field("r=");
        assert!(nonce.starts_with(Self::NONCE), "{server_first}");
        let salt = STANDARD.decode(field("s=")).unwrap();
        let iterations: u32 = field("i=").parse().unwrap();
        let salted = pbkdf2(password.as_bytes(), &salt, iterations);
        let client_key = hmac(&salted, b"Client Key");
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.bare);
        let signature = hmac(&sha256(&client_key), auth_message.as_bytes());
        let proof: Vec<u8> = client_key.iter().zip(signature).map(|(k, s)| k ^ s).collect();
        let proof = STANDARD.encode(proof);
        (STANDARD.encode(format!("{without_proof},p={proof}")), proof)
    }
}
