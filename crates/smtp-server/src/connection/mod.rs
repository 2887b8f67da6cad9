//! One connection: the session state machine between the socket and the handler.

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};

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

/// Serves one connection to its end.
pub(crate) async fn serve<S>(stream: S, peer: PeerAddr, shared: Arc<Shared>, transport: Transport)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let _ = (stream, peer, shared, transport);
}
