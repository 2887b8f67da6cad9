//! [`Server`]: a configured server that serves connections (from its own listeners or handed to
//! it), and [`ServerHandle`] (aiosmtpd's `Controller`) for embedding and tests.

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;

use crate::config::ServerConfig;
use crate::connection::{self, Transport};
use crate::handler::Handler;
use crate::session::PeerAddr;
use crate::shared::Shared;

/// A configured SMTP server.
#[derive(Clone)]
pub struct Server {
    shared: Arc<Shared>,
    shutdown: Arc<watch::Sender<bool>>,
}

impl Server {
    /// A server with `config` whose hooks are `handler`.
    pub fn new(config: ServerConfig, handler: impl Handler) -> Self {
        Self::with_shared_handler(config, Arc::new(handler))
    }

    /// The same, with a handler already behind an `Arc`.
    pub fn with_shared_handler(config: ServerConfig, handler: Arc<dyn Handler>) -> Self {
        let (sender, receiver) = watch::channel(false);
        Self {
            shared: Arc::new(Shared::new(config, handler, receiver)),
            shutdown: Arc::new(sender),
        }
    }

    /// The settings.
    pub fn config(&self) -> &ServerConfig {
        &self.shared.config
    }

    /// Serves one connection on `stream` (TCP, TLS, Unix socket or an in-memory duplex pipe) to
    /// its end: greeting, commands, QUIT or a close. `peer` is the other end's address.
    pub async fn serve_connection<S>(&self, stream: S, peer: PeerAddr)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        connection::serve(stream, peer, Arc::clone(&self.shared), Transport::Plain).await;
    }

    /// Serves one connection that starts with a TLS handshake (implicit TLS, "SMTPS"). Without
    /// a TLS configuration the connection is closed at once.
    pub async fn serve_tls_connection<S>(&self, stream: S, peer: PeerAddr)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        connection::serve(stream, peer, Arc::clone(&self.shared), Transport::ImplicitTls).await;
    }
}
