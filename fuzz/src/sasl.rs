//! The `sasl` target: the server side of every mechanism (PLAIN, LOGIN, CRAM-MD5,
//! SCRAM-SHA-256, XOAUTH2, OAUTHBEARER) driven through [`AuthExchange`] with fuzzed lines, a
//! [`MemoryAuthenticator`] and a current-thread tokio runtime.
//!
//! The option byte picks the mechanism (bits 0..3), whether the first payload line is the
//! initial response (bit 3) and whether the name is sent in lower case (bit 4); the payload's
//! lines (split at LF, the LF kept) answer the challenges. Invariants: no panic; challenges are
//! `334`, the final reply is `235` exactly on success and a well-formed 4xx/5xx otherwise;
//! the exchange ends within one step per line; a success is always for the one user, `alice`.

use std::sync::{Arc, OnceLock};

use smtp_auth::scram::ServerNonce;
use smtp_auth::{
    AuthContext, AuthExchange, CramMd5, ExchangeStep, MechanismRegistry, MemoryAuthenticator,
    OAuthBearer, ScramSha256, ServerInfo, XOAuth2,
};

use crate::command::check_reply;
use crate::knobs::Knobs;

/// The mechanisms, in the order the option byte numbers them.
pub const MECHANISMS: [&str; 6] =
    ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER"];

/// The one user, `alice`, whose password (and bearer token) is `wonderland`.
pub const USER: &str = "alice";

/// A fixed SCRAM server nonce, so that inputs replay the same.
struct FixedNonce;

impl ServerNonce for FixedNonce {
    fn generate(&self) -> Option<String> {
        Some("fyko+d2lbbFgONRv9qkxdawL".to_owned())
    }
}

/// What every input shares: the registry and the authenticator (SCRAM keys take PBKDF2 to
/// derive, so they are made once).
struct Fixture {
    registry: MechanismRegistry,
    authenticator: MemoryAuthenticator,
    server: ServerInfo,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut registry = MechanismRegistry::with_builtins();
        let extra: [Arc<dyn smtp_auth::Mechanism>; 4] = [
            Arc::new(CramMd5::new()),
            Arc::new(ScramSha256::with_nonce_source(FixedNonce)),
            Arc::new(XOAuth2::new()),
            Arc::new(OAuthBearer::new()),
        ];
        for mechanism in extra {
            assert!(registry.register(mechanism).is_ok(), "built-in names are valid");
        }
        Fixture {
            registry,
            authenticator: MemoryAuthenticator::new().with_user(USER, "wonderland"),
            server: ServerInfo::new("mx.fuzz"),
        }
    })
}

/// Runs `future` on a current-thread runtime (one per thread, reused).
pub fn block_on<F: Future>(future: F) -> F::Output {
    thread_local! {
        static RUNTIME: Option<tokio::runtime::Runtime> =
            tokio::runtime::Builder::new_current_thread().enable_time().build().ok();
    }
    RUNTIME.with(|runtime| match runtime {
        Some(runtime) => runtime.block_on(future),
        None => panic!("no tokio runtime"),
    })
}

/// Runs one input.
pub fn run(input: &[u8]) {
    let knobs = Knobs::new(input);
    let index = usize::from(knobs.choice(0, 8)) % MECHANISMS.len();
    let name = MECHANISMS.get(index).copied().unwrap_or("PLAIN");
    let name = if knobs.flag(4) { name.to_ascii_lowercase() } else { name.to_owned() };
    let mut lines = knobs.payload.split_inclusive(|&b| b == b'\n');
    let initial = if knobs.flag(3) { lines.next() } else { None };
    let initial = initial.map(|line| String::from_utf8_lossy(line).trim_ascii().to_owned());
    let fixture = fixture();
    let ctx = AuthContext {
        server: &fixture.server,
        session: &(),
        envelope: &(),
        authenticator: &fixture.authenticator,
    };
    block_on(async {
        let started = AuthExchange::start(&fixture.registry, &name, initial.as_deref());
        let mut exchange = match started {
            Ok(exchange) => exchange,
            Err(reply) => panic!("{name} is registered but refused: {reply}"),
        };
        let mut step = exchange.next(&ctx, None).await;
        let mut answered = 0;
        loop {
            check_reply(step.reply());
            match &step {
                ExchangeStep::Challenge(reply) => {
                    assert_eq!(reply.code().get(), 334);
                    assert!(!exchange.is_finished());
                    let Some(line) = lines.next() else { break };
                    answered += 1;
                    step = exchange.next(&ctx, Some(line)).await;
                }
                ExchangeStep::Done { reply, result } => {
                    assert!(exchange.is_finished());
                    assert_eq!(reply.code().get() == 235, result.success, "{reply}");
                    if result.success {
                        assert_eq!(result.login(), Some(USER));
                    } else {
                        assert!(matches!(reply.code().get() / 100, 4 | 5), "{reply}");
                    }
                    break;
                }
            }
        }
        assert!(exchange.steps() <= answered + 1, "more mechanism steps than responses");
    });
}
