//! One connection: the session state machine between the socket and the handler.
//!
//! On this branch, a small stand-in for the real session (branch `core`): the greeting, NOOP,
//! QUIT, `421 4.3.2` on shutdown while idle, and the implicit-TLS handshake — just enough for
//! the listener and TLS tests. The real session replaces this file at merge.

use std::sync::Arc;

use smtp_proto::reply::Reply;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::session::PeerAddr;
use crate::shared::Shared;

/// How a connection starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    /// Plain text (STARTTLS may follow).
    Plain,
    /// A TLS handshake first (implicit TLS).
    ImplicitTls,
}

/// The longest line the stand-in buffers before giving up on the connection.
const STAND_IN_LINE_LIMIT: usize = 4096;

/// Serves one connection to its end.
pub(crate) async fn serve<S>(stream: S, peer: PeerAddr, shared: Arc<Shared>, transport: Transport)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // The stand-in has no use for the handler and AUTH; the real session does.
    let _ = (&shared.handler, &shared.info, &shared.mechanisms);
    let id = shared.next_connection_id();
    tracing::trace!(id, %peer, ?transport, "stand-in session");
    match transport {
        Transport::Plain => converse(stream, &shared).await,
        Transport::ImplicitTls => {
            let Some(acceptor) = shared.tls.clone() else { return };
            let handshake = tokio::time::timeout(shared.config.timeout, acceptor.accept(stream));
            if let Ok(Ok(tls)) = handshake.await {
                converse(tls, &shared).await;
            }
        }
    }
}

/// Greeting, then NOOP and QUIT until the client leaves or the server shuts down.
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, shared: &Shared) {
    if shared.is_shutting_down() {
        let _ = stream.write_all(&Reply::shutting_down().to_bytes()).await;
        return;
    }
    let greeting = Reply::greeting(&shared.config.hostname, &shared.config.ident);
    if stream.write_all(&greeting.to_bytes()).await.is_err() {
        return;
    }
    let mut shutdown = shared.shutdown.clone();
    let mut pending = Vec::new();
    let mut chunk = [0_u8; 1024];
    loop {
        while let Some(end) = pending.iter().position(|&byte| byte == b'\n') {
            let line: Vec<u8> = pending.drain(..=end).collect();
            let (reply, close) = answer(&line);
            if stream.write_all(&reply.to_bytes()).await.is_err() || close {
                return;
            }
        }
        if pending.len() > STAND_IN_LINE_LIMIT {
            return;
        }
        // Idle (no partial line): a shutdown ends the session; mid-line it does not.
        let read = if pending.is_empty() {
            tokio::select! {
                biased;
                () = shutdown_started(&mut shutdown) => {
                    let _ = stream.write_all(&Reply::shutting_down().to_bytes()).await;
                    return;
                }
                read = stream.read(&mut chunk) => read,
            }
        } else {
            stream.read(&mut chunk).await
        };
        match read {
            Ok(0) | Err(_) => return,
            Ok(count) => pending.extend_from_slice(chunk.get(..count).unwrap_or_default()),
        }
    }
}

/// Resolves when a graceful shutdown starts; never, when it cannot start any more.
async fn shutdown_started(shutdown: &mut tokio::sync::watch::Receiver<bool>) {
    if shutdown.wait_for(|&down| down).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// The stand-in's answer to one line, and whether to close after it.
fn answer(line: &[u8]) -> (Reply, bool) {
    let text = String::from_utf8_lossy(line);
    let verb = text.trim_end_matches(['\r', '\n']).to_ascii_uppercase();
    match verb.as_str() {
        "NOOP" => (Reply::ok(), false),
        "QUIT" => (Reply::bye(), true),
        _ => (Reply::unknown_command(&verb), false),
    }
}
