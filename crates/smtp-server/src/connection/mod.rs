//! One connection: the session state machine between the socket and the handler.
//!
//! [`serve`] reads an optional PROXY header, performs the implicit-TLS handshake when the
//! listener asks for one, greets, and runs the command loop ([`state::Connection::run`]). When
//! the client issues STARTTLS, the loop hands the stream back; the handshake runs here and the
//! loop starts again on the TLS stream with a brand-new session and envelope, while the
//! connection's budgets (unknown commands, call limits, AUTH failures) carry over.
//!
//! One file per idea: [`io`] (buffers, deadlines), [`state`] (the loop), [`dispatch`] (the order
//! of checks), one file per command group, [`hook`] (calling the handler safely), [`proxy`],
//! [`prefixed`], [`tls_info`], [`write_behind`].

mod auth;
mod auth_io;
mod bdat;
mod closing;
mod counters;
mod data;
mod delivery;
mod dispatch;
mod greeting;
mod hook;
mod io;
mod mail_rcpt;
mod prefixed;
mod proxy;
mod simple;
mod starttls;
mod state;
mod tls_info;
mod write_behind;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use smtp_proto::proxy::ProxyAddress;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use tracing::Instrument;

use self::counters::Counters;
use self::hook::guarded_bool;
use self::io::Io;
use self::prefixed::Prefixed;
use self::state::{Connection, Ending};
use self::tls_info::tls_info;
use self::write_behind::{Next, WriteBehind, finish_handshake};
use crate::session::{PeerAddr, Session};
use crate::shared::Shared;

/// How a connection starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    /// Plain text (STARTTLS may follow).
    Plain,
    /// A TLS handshake first (implicit TLS).
    ImplicitTls,
}

/// Serves one connection to its end.
pub(crate) async fn serve<S>(stream: S, peer: PeerAddr, shared: Arc<Shared>, transport: Transport)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let id = shared.next_connection_id();
    let span = tracing::info_span!("connection", id, peer = %peer);
    serve_in_span(stream, peer, id, shared, transport).instrument(span).await;
}

async fn serve_in_span<S>(
    mut stream: S,
    peer: PeerAddr,
    id: u64,
    shared: Arc<Shared>,
    transport: Transport,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    tracing::debug!(?transport, "connection opened");
    let deadline = Instant::now() + shared.config.session_timeout;
    // Boxed: a session is moved through several futures, each of which would keep a copy.
    let mut session = Box::new(Session::new(id, peer));
    let mut prefix = BytesMut::new();
    if let Some(limit) = shared.config.proxy_protocol_timeout {
        match Box::pin(accept_proxy_header(&mut stream, limit, &mut session, &shared)).await {
            Some(rest) => prefix = rest,
            None => return,
        }
    }
    if shared.is_shutting_down() {
        tracing::info!("shutting down; connection refused");
        let mut io = new_io(stream, BytesMut::new(), &shared, deadline);
        io.push(&smtp_proto::reply::Reply::shutting_down());
        io.close().await;
        return;
    }
    match transport {
        Transport::Plain => serve_plain(stream, prefix, session, shared, deadline).await,
        Transport::ImplicitTls => {
            Box::pin(serve_implicit_tls(stream, prefix, session, shared, deadline)).await;
        }
    }
    tracing::debug!("connection closed");
}

/// An implicit-TLS connection: the handshake, then the session. Boxed by the caller, so its
/// TLS state is no part of the future of a plain connection.
async fn serve_implicit_tls<S>(
    stream: S,
    prefix: BytesMut,
    mut session: Box<Session>,
    shared: Arc<Shared>,
    deadline: Instant,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let Some(acceptor) = shared.tls.clone() else {
        tracing::warn!("implicit TLS connection without a TLS configuration; closing");
        return;
    };
    let stream = Prefixed::new(prefix, stream);
    let Some(tls) = handshake(&acceptor, stream, shared.config.timeout, Next::Greeting).await
    else {
        return;
    };
    session.tls = Some(tls_info(&tls, true));
    let io = new_io(tls, BytesMut::new(), &shared, deadline);
    let mut connection = Connection::new(io, shared, session, Counters::default());
    connection.greet();
    run_to_end(connection).await;
}

/// Reads the PROXY header and asks the handler; `None` closes the connection (no reply).
async fn accept_proxy_header<S>(
    stream: &mut S,
    limit: Duration,
    session: &mut Session,
    shared: &Shared,
) -> Option<BytesMut>
where
    S: AsyncRead + Unpin,
{
    let (header, rest) = match proxy::read_header(stream, limit).await {
        Ok(found) => found,
        Err(error) => {
            tracing::info!(%error, "closing without a reply");
            return None;
        }
    };
    if let Some(client) = header.client_address().and_then(ProxyAddress::ip) {
        session.client = PeerAddr::Tcp(client);
    }
    session.proxy_data = Some(header.clone());
    let accepted =
        guarded_bool("proxy", shared.handler.proxy(&shared.info, session, &header)).await;
    if !accepted {
        tracing::info!("PROXY header refused by the handler; closing without a reply");
        return None;
    }
    tracing::debug!(client = %session.client, "PROXY header accepted");
    Some(rest)
}

/// A plain connection, and its continuation over TLS after STARTTLS.
async fn serve_plain<S>(
    stream: S,
    prefix: BytesMut,
    session: Box<Session>,
    shared: Arc<Shared>,
    deadline: Instant,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let io = new_io(stream, prefix, &shared, deadline);
    let mut connection = Connection::new(io, Arc::clone(&shared), session, Counters::default());
    connection.greet();
    if connection.run().await == Ending::Closed {
        return;
    }
    connection.reset_transaction().await;
    Box::pin(continue_over_tls(connection, shared)).await;
}

/// After STARTTLS: the handshake and a new session over TLS. Boxed by the caller, so the TLS
/// state is no part of a plain connection's future until a client asks for it.
async fn continue_over_tls<S>(connection: Connection<S>, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let Connection { io, session: old, counters, .. } = connection;
    let deadline = io.deadline();
    let Some(acceptor) = shared.tls.clone() else {
        return;
    };
    let stream = io.into_stream();
    let Some(tls) = handshake(&acceptor, stream, shared.config.timeout, Next::Command).await else {
        return;
    };
    let mut session = Box::new(Session::new(old.id, old.peer));
    session.client = old.client;
    session.proxy_data = old.proxy_data;
    session.tls = Some(tls_info(&tls, false));
    tracing::debug!(tls = ?session.tls, "STARTTLS handshake done");
    let io = new_io(tls, BytesMut::new(), &shared, deadline);
    let mut connection = Connection::new(io, Arc::clone(&shared), session, counters);
    let hook = shared.handler.starttls(&shared.info, &mut connection.session);
    connection.starttls_refused = !guarded_bool("starttls", hook).await;
    run_to_end(connection).await;
}

/// Runs a session that is already under TLS (a further STARTTLS is refused, so the loop can
/// only end in a close).
async fn run_to_end<S>(mut connection: Connection<S>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    if connection.run().await == Ending::StartTls {
        connection.io.close().await;
    }
}

fn new_io<S>(stream: S, input: BytesMut, shared: &Shared, deadline: Instant) -> Io<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    Io::new(stream, input, shared.config.timeout, deadline, shared.shutdown.clone())
}

/// The server side of a TLS handshake, bounded by the idle timeout; `None` on failure. What
/// the handshake writes last is held back as [`write_behind`] describes, and released by
/// [`finish_handshake`] according to what the server does `next`.
async fn handshake<S>(
    acceptor: &TlsAcceptor,
    stream: S,
    limit: Duration,
    next: Next,
) -> Option<TlsStream<WriteBehind<S>>>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let accept = acceptor.accept(WriteBehind::new(stream)).into_fallible();
    match tokio::time::timeout(limit, accept).await {
        Ok(Ok(mut tls)) => {
            let finished = tokio::time::timeout(limit, finish_handshake(&mut tls, next)).await;
            if !matches!(finished, Ok(Ok(()))) {
                tracing::info!("TLS handshake failed: its last flight could not be sent");
                return None;
            }
            Some(tls)
        }
        Ok(Err((error, mut stream))) => {
            tracing::info!(%error, "TLS handshake failed; closing");
            // The alert that tells the client why, best effort.
            let _ = tokio::time::timeout(limit, stream.send_held()).await;
            None
        }
        Err(_) => {
            tracing::info!("TLS handshake timed out; closing");
            None
        }
    }
}
