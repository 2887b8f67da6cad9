//! Criterion benchmarks for whole SASL exchanges through [`AuthExchange`] with a
//! [`MemoryAuthenticator`], driven the way the server drives them (base64 lines in, replies
//! out) on a current-thread tokio runtime, in exchanges per second:
//!
//! - `plain`: `AUTH PLAIN <initial response>`, one step;
//! - `login`: `AUTH LOGIN`, user name, password;
//! - `scram_sha256_full`: SCRAM-SHA-256 where the client derives its keys each time (PBKDF2 with
//!   the server's 4096 iterations dominates);
//! - `scram_sha256_prederived`: the same exchange with the client's keys derived once, so the
//!   figure is the protocol and the server's own work.

use std::hint::black_box;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use smtp_auth::scram::derive_credentials;
use smtp_auth::{
    AuthContext, AuthExchange, ExchangeStep, MechanismRegistry, MemoryAuthenticator, ScramSha256,
    ServerInfo,
};
use tokio::runtime::Runtime;

const LOGIN: &str = "alice";
const PASSWORD: &str = "wonderland";
const CLIENT_NONCE: &str = "rOprNGfwEbeRWgbNEkqO";
const OK: &str = "235 2.7.0 Authentication successful";

/// Everything an exchange needs, built once.
struct Bench {
    registry: MechanismRegistry,
    users: MemoryAuthenticator,
    server: ServerInfo,
}

impl Bench {
    fn new() -> Self {
        let mut registry = MechanismRegistry::with_builtins();
        let registered = registry.register(Arc::new(ScramSha256::new()));
        assert!(registered.is_ok(), "SCRAM-SHA-256 is a valid mechanism name");
        let users = MemoryAuthenticator::new().with_user(LOGIN, PASSWORD);
        Self { registry, users, server: ServerInfo::new("mx.example.org") }
    }

    fn context(&self) -> AuthContext<'_, (), ()> {
        AuthContext {
            server: &self.server,
            session: &(),
            envelope: &(),
            authenticator: &self.users,
        }
    }

    /// Runs one exchange: `AUTH <mechanism> [initial]`, then each client line as `answer`
    /// produces it from the last challenge's text. Returns the final reply's text.
    async fn exchange(
        &self,
        mechanism: &str,
        initial: Option<&str>,
        mut answer: impl FnMut(&str) -> String,
    ) -> String {
        let ctx = self.context();
        let Ok(mut exchange) = AuthExchange::start(&self.registry, mechanism, initial) else {
            return String::from("refused at start");
        };
        let mut step = exchange.next(&ctx, None).await;
        loop {
            match step {
                ExchangeStep::Challenge(reply) => {
                    let line = answer(reply.text());
                    step = exchange.next(&ctx, Some(line.as_bytes())).await;
                }
                ExchangeStep::Done { reply, .. } => return reply.to_string(),
            }
        }
    }
}

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let Ok(mut mac) = <HmacSha256 as Mac>::new_from_slice(key) else {
        unreachable!("HMAC takes keys of any length")
    };
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// The client's SCRAM keys for one salt and iteration count (RFC 5802 §3).
struct ClientKeys {
    client_key: [u8; 32],
    stored_key: [u8; 32],
    server_key: [u8; 32],
}

impl ClientKeys {
    fn derive(password: &[u8], salt: &[u8], iterations: u32) -> Self {
        let mut salted = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut salted);
        let client_key = hmac(&salted, &[b"Client Key"]);
        let stored_key = Sha256::digest(client_key).into();
        let server_key = hmac(&salted, &[b"Server Key"]);
        Self { client_key, stored_key, server_key }
    }
}

/// The salt and iteration count in a server-first-message `r=..,s=..,i=..`.
fn salt_and_iterations(server_first: &str) -> Option<(Vec<u8>, u32)> {
    let mut salt = None;
    let mut iterations = None;
    for attribute in server_first.split(',') {
        match attribute.split_at_checked(2) {
            Some(("s=", value)) => salt = STANDARD.decode(value).ok(),
            Some(("i=", value)) => iterations = value.parse().ok(),
            _ => {}
        }
    }
    salt.zip(iterations)
}

/// A SCRAM-SHA-256 client; `keys` cached (pre-derived) or derived from each server-first.
struct ScramClient {
    cached: Option<Arc<ClientKeys>>,
    client_first_bare: String,
    server_signature: Option<[u8; 32]>,
}

impl ScramClient {
    fn new(cached: Option<Arc<ClientKeys>>) -> Self {
        Self {
            cached,
            client_first_bare: format!("n={LOGIN},r={CLIENT_NONCE}"),
            server_signature: None,
        }
    }

    fn initial_response(&self) -> String {
        STANDARD.encode(format!("n,,{}", self.client_first_bare))
    }

    /// The client's line for the challenge `challenge` (base64 text of a `334`).
    fn answer(&mut self, challenge: &str) -> String {
        let decoded = STANDARD.decode(challenge).unwrap_or_default();
        let server_message = String::from_utf8_lossy(&decoded);
        if let Some(expected) = self.server_signature.take() {
            let verified = server_message
                .strip_prefix("v=")
                .and_then(|value| STANDARD.decode(value).ok())
                .is_some_and(|signature| signature == expected);
            assert!(verified, "the server's signature checks out");
            return String::new();
        }
        let Some((salt, iterations)) = salt_and_iterations(&server_message) else {
            return String::from("*");
        };
        let keys = match &self.cached {
            Some(keys) => Arc::clone(keys),
            None => Arc::new(ClientKeys::derive(PASSWORD.as_bytes(), &salt, iterations)),
        };
        let nonce = server_message.split(',').next().unwrap_or_default();
        let without_proof = format!("c=biws,{nonce}");
        let auth_message = format!("{},{server_message},{without_proof}", self.client_first_bare);
        let signature = hmac(&keys.stored_key, &[auth_message.as_bytes()]);
        let proof: Vec<u8> =
            keys.client_key.iter().zip(signature).map(|(key, sig)| key ^ sig).collect();
        self.server_signature = Some(hmac(&keys.server_key, &[auth_message.as_bytes()]));
        STANDARD.encode(format!("{without_proof},p={}", STANDARD.encode(proof)))
    }
}

async fn plain(bench: &Bench) -> String {
    let initial = STANDARD.encode(format!("\0{LOGIN}\0{PASSWORD}"));
    bench.exchange("PLAIN", Some(&initial), |_| String::from("*")).await
}

async fn login(bench: &Bench) -> String {
    bench
        .exchange("LOGIN", None, |prompt| match STANDARD.decode(prompt).as_deref() {
            Ok(b"User Name\0") => STANDARD.encode(LOGIN),
            Ok(b"Password\0") => STANDARD.encode(PASSWORD),
            _ => String::from("*"),
        })
        .await
}

async fn scram(bench: &Bench, cached: Option<Arc<ClientKeys>>) -> String {
    let mut client = ScramClient::new(cached);
    let initial = client.initial_response();
    bench.exchange("SCRAM-SHA-256", Some(&initial), |challenge| client.answer(challenge)).await
}

/// The client's keys for the user's stored salt, derived once, checked against the crate's
/// [`derive_credentials`].
fn prederived(bench: &Bench, runtime: &Runtime) -> Arc<ClientKeys> {
    let client = ScramClient::new(None);
    let initial = client.initial_response();
    let ctx = bench.context();
    let server_first = runtime.block_on(async {
        let Ok(mut exchange) =
            AuthExchange::start(&bench.registry, "SCRAM-SHA-256", Some(&initial))
        else {
            return String::new();
        };
        let step = exchange.next(&ctx, None).await;
        let decoded = STANDARD.decode(step.reply().text()).unwrap_or_default();
        String::from_utf8_lossy(&decoded).into_owned()
    });
    let Some((salt, iterations)) = salt_and_iterations(&server_first) else {
        panic!("no salt in the server-first-message {server_first:?}");
    };
    let keys = ClientKeys::derive(PASSWORD.as_bytes(), &salt, iterations);
    let stored = derive_credentials(PASSWORD.as_bytes(), &salt, iterations);
    assert_eq!(stored.stored_key.expose(), keys.stored_key.as_slice());
    assert_eq!(stored.server_key.expose(), keys.server_key.as_slice());
    Arc::new(keys)
}

fn sasl(c: &mut Criterion) {
    let runtime = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(runtime) => runtime,
        Err(error) => panic!("no tokio runtime: {error}"),
    };
    let bench = Bench::new();
    let keys = prederived(&bench, &runtime);
    for reply in [
        runtime.block_on(plain(&bench)),
        runtime.block_on(login(&bench)),
        runtime.block_on(scram(&bench, None)),
        runtime.block_on(scram(&bench, Some(Arc::clone(&keys)))),
    ] {
        assert_eq!(reply, OK);
    }
    let mut group = c.benchmark_group("sasl");
    group.throughput(Throughput::Elements(1));
    group.bench_function("plain", |b| b.iter(|| runtime.block_on(plain(black_box(&bench)))));
    group.bench_function("login", |b| b.iter(|| runtime.block_on(login(black_box(&bench)))));
    group.bench_function("scram_sha256_prederived", |b| {
        b.iter(|| runtime.block_on(scram(black_box(&bench), Some(Arc::clone(&keys)))))
    });
    group.sample_size(10);
    group.bench_function("scram_sha256_full", |b| {
        b.iter(|| runtime.block_on(scram(black_box(&bench), None)))
    });
    group.finish();
}

criterion_group!(benches, sasl);
criterion_main!(benches);
