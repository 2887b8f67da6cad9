//! The `session` target: a whole [`Server::serve_connection`] over [`tokio::io::duplex`], the
//! payload written as client input in fuzzed pieces, with a recording handler. STARTTLS is
//! unavailable (no TLS configuration); AUTH is offered without TLS so that it is reachable.
//! Time is paused on a current-thread runtime, so timeouts and AUTH failure delays pass at once.
//!
//! The option byte picks the bare line-ending policy (bits 0..2), a small size limit (bit 2),
//! a small DATA line limit (bit 3), `auth_required` (bit 4) and SMTPUTF8 (bit 5).
//!
//! Invariants: no panic; the serve future completes once the client has closed its side;
//! every message delivered is what the [reference decoder](crate::reference) extracts after a
//! `DATA` line of the input, in input order (a message that matches none is allowed only when
//! the input holds a `BDAT`, whose chunks are taken verbatim).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use smtp_auth::{MemoryAuthenticator, ServerInfo};
use smtp_proto::data::{BareLineEndingPolicy, DataLimits};
use smtp_proto::reply::Reply;
use smtp_server::handler::{Handler, HookResult};
use smtp_server::{Envelope, PeerAddr, Server, ServerConfig, Session};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::knobs::Knobs;
use crate::reference;

/// Records the content of every message it is given.
#[derive(Clone, Default)]
struct Recorder {
    contents: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Recorder {
    fn take(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut *self.contents.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[async_trait]
impl Handler for Recorder {
    async fn data(
        &self,
        _server: &ServerInfo,
        _session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        let content = envelope.content.as_ref().map(|c| c.to_vec()).unwrap_or_default();
        self.contents.lock().unwrap_or_else(PoisonError::into_inner).push(content);
        Ok(Reply::ok())
    }
}

/// The server settings the option byte selects.
fn config(knobs: &Knobs<'_>) -> ServerConfig {
    let policy = match knobs.choice(0, 4) {
        1 => BareLineEndingPolicy::Normalize,
        2 => BareLineEndingPolicy::Reject,
        _ => BareLineEndingPolicy::Keep,
    };
    ServerConfig {
        hostname: "mx.fuzz".into(),
        ident: "fuzz".into(),
        data_size_limit: Some(if knobs.flag(2) { 64 } else { 1 << 20 }),
        data_line_limit: Some(if knobs.flag(3) { 20 } else { DataLimits::AIOSMTPD_MAX_LINE_LEN }),
        bare_line_endings: policy,
        enable_smtputf8: knobs.flag(5),
        timeout: Duration::from_secs(5),
        session_timeout: Duration::from_secs(600),
        auth_required: knobs.flag(4),
        auth_require_tls: false,
        authenticator: Some(Arc::new(MemoryAuthenticator::new().with_user("alice", "wonderland"))),
        ..ServerConfig::default()
    }
}

/// Runs `future` on this thread's current-thread runtime with paused time.
fn block_on_paused<F: Future>(future: F) -> F::Output {
    thread_local! {
        static RUNTIME: Option<tokio::runtime::Runtime> = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .ok();
    }
    RUNTIME.with(|runtime| match runtime {
        Some(runtime) => runtime.block_on(future),
        None => panic!("no tokio runtime"),
    })
}

/// Runs one input.
pub fn run(input: &[u8]) {
    let knobs = Knobs::new(input);
    let config = config(&knobs);
    let limits = DataLimits {
        max_size: config.size_limit(),
        max_line_len: config.data_line_limit,
        bare_line_endings: config.bare_line_endings,
    };
    let recorder = Recorder::default();
    let server = Server::new(config, recorder.clone());
    let (client, server_end) = tokio::io::duplex(64 * 1024);
    let peer = PeerAddr::Memory("fuzz".into());
    let finished = block_on_paused(async {
        let (mut from_server, mut to_server) = tokio::io::split(client);
        let write = async {
            for piece in knobs.pieces() {
                if to_server.write_all(piece).await.is_err() {
                    break;
                }
            }
            let _ = to_server.shutdown().await;
        };
        let read = async {
            let mut replies = Vec::new();
            let _ = from_server.read_to_end(&mut replies).await;
            replies
        };
        let serve = server.serve_connection(server_end, peer);
        let all = async { tokio::join!(serve, write, read) };
        tokio::time::timeout(Duration::from_secs(7200), all).await
    });
    assert!(finished.is_ok(), "the session did not end after the client closed");
    check_deliveries(knobs.payload, limits, &recorder.take());
}

/// Every delivered message must be the reference decoding after some `DATA` line, in order.
fn check_deliveries(payload: &[u8], limits: DataLimits, delivered: &[Vec<u8>]) {
    let starts = reference::data_starts(payload);
    let has_bdat = payload.windows(4).any(|w| w.eq_ignore_ascii_case(b"BDAT"));
    let mut next = 0;
    for content in delivered {
        let found = starts.iter().enumerate().skip(next).find(|&(_, &start)| {
            let rest = payload.get(start..).unwrap_or_default();
            reference::decode(rest, limits).is_some_and(|decoded| decoded.content == *content)
        });
        match found {
            Some((index, _)) => next = index + 1,
            None => assert!(has_bdat, "delivered {content:?}, which no DATA of the input gives"),
        }
    }
}
