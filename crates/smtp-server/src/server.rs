//! [`Server`]: a configured server that serves connections (from its own listeners or handed to
//! it), and [`ServerHandle`] (aiosmtpd's `Controller`) for embedding and tests.
//!
//! ```no_run
//! use std::net::SocketAddr;
//! use smtp_server::server::{Listen, Server};
//! use smtp_server::{Handler, ServerConfig};
//!
//! struct Accept;
//! impl Handler for Accept {}
//!
//! # async fn run() -> std::io::Result<()> {
//! let server = Server::new(ServerConfig::default(), Accept);
//! let handle = server.start([Listen::Tcp(SocketAddr::from(([127, 0, 0, 1], 8025)))]).await?;
//! let trigger = handle.shutdown_trigger();
//! tokio::spawn(async move {
//!     let _ = tokio::signal::ctrl_c().await;
//!     trigger.trigger();
//! });
//! handle.wait().await; // returns once the graceful shutdown is complete
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::config::ServerConfig;
use crate::connection::{self, Transport};
use crate::handler::Handler;
use crate::listener::{self, Acceptor, ConnectionTasks};
pub use crate::listener::{BoundAddr, Listen};
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

impl Server {
    /// Binds every listener and serves connections on them, each in its own task, until the
    /// returned handle shuts down (or is dropped, which stops everything at once).
    ///
    /// Fails, binding nothing, when a [`Listen::ImplicitTls`] listener is asked for without
    /// [`ServerConfig::tls`]; fails when an address cannot be bound (listeners bound before
    /// it are closed again). `max_connections` counts the connections of all listeners
    /// together: one over the limit is told `421 4.3.2 Too many connections, try again later`
    /// and closed (an implicit-TLS one is closed without a reply).
    ///
    /// A server shuts down once: the shutdown signal is shared by all its handles and by
    /// [`Server::serve_connection`].
    pub async fn start(
        &self,
        listen: impl IntoIterator<Item = Listen>,
    ) -> io::Result<ServerHandle> {
        let listen: Vec<Listen> = listen.into_iter().collect();
        listener::check_tls(&listen, self.shared.tls.is_some())?;
        let mut bound = Vec::with_capacity(listen.len());
        for spec in listen {
            bound.push(listener::bind(spec).await?);
        }
        let permits = self.shared.config.max_connections.min(Semaphore::MAX_PERMITS);
        let acceptor = Arc::new(Acceptor {
            shared: Arc::clone(&self.shared),
            permits: Arc::new(Semaphore::new(permits)),
            tasks: Arc::new(ConnectionTasks::default()),
        });
        let mut accept_loops = JoinSet::new();
        let mut addrs = Vec::with_capacity(bound.len());
        for (socket, addr) in bound {
            tracing::info!(address = %addr, "listening");
            accept_loops.spawn(Arc::clone(&acceptor).run(socket));
            addrs.push(addr);
        }
        Ok(ServerHandle {
            addrs,
            accept_loops,
            tasks: Arc::clone(&acceptor.tasks),
            trigger: self.shutdown_trigger(),
            grace: self.shared.config.shutdown_grace,
        })
    }

    /// A trigger for this server's graceful shutdown, e.g. for a signal handler.
    pub fn shutdown_trigger(&self) -> ShutdownTrigger {
        ShutdownTrigger { sender: Arc::clone(&self.shutdown) }
    }
}

/// Starts a server's graceful shutdown from anywhere (a signal handler, an admin command).
/// Cheap to clone; triggering twice is harmless.
#[derive(Clone)]
pub struct ShutdownTrigger {
    sender: Arc<watch::Sender<bool>>,
}

impl ShutdownTrigger {
    /// Starts the graceful shutdown: listeners stop accepting, idle sessions are told
    /// `421 4.3.2` and closed. A [`ServerHandle::wait`] then finishes the shutdown.
    pub fn trigger(&self) {
        self.sender.send_replace(true);
    }

    /// Whether the shutdown has been triggered.
    pub fn is_triggered(&self) -> bool {
        *self.sender.borrow()
    }
}

impl fmt::Debug for ShutdownTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownTrigger").field("triggered", &self.is_triggered()).finish()
    }
}

/// A running server's listeners and connections (aiosmtpd's `Controller`), from
/// [`Server::start`].
///
/// Dropping the handle stops the accept loops (closing the listeners and removing Unix socket
/// files) and aborts the sessions in progress, without waiting and without a reply to their
/// clients: nothing of the server outlives its handle. [`ServerHandle::shutdown`] is the
/// graceful way.
pub struct ServerHandle {
    addrs: Vec<BoundAddr>,
    accept_loops: JoinSet<()>,
    tasks: Arc<ConnectionTasks>,
    trigger: ShutdownTrigger,
    grace: Duration,
}

impl ServerHandle {
    /// The bound addresses, in the order the listeners were given.
    pub fn local_addrs(&self) -> &[BoundAddr] {
        &self.addrs
    }

    /// The address of the first TCP listener (plain or implicit TLS), if any.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.addrs.iter().find_map(BoundAddr::socket_addr)
    }

    /// A trigger for the graceful shutdown, e.g. for a signal handler; [`ServerHandle::wait`]
    /// returns once it fired and the shutdown is complete.
    pub fn shutdown_trigger(&self) -> ShutdownTrigger {
        self.trigger.clone()
    }

    /// Shuts down gracefully and returns when everything is done: stops accepting at once
    /// (listeners closed, Unix socket files removed), tells every session (sessions waiting for
    /// a command answer `421 4.3.2` and close; a transaction in progress finishes), waits up to
    /// [`ServerConfig::shutdown_grace`] for all connections to end, then aborts the rest.
    pub async fn shutdown(mut self) {
        self.stop_accepting().await;
        self.trigger.trigger();
        self.finish().await;
    }

    /// Runs until the shutdown is triggered elsewhere (a [`ShutdownTrigger`], another handle of
    /// the same server), then completes it as [`ServerHandle::shutdown`] does.
    pub async fn wait(mut self) {
        let mut triggered = self.trigger.sender.subscribe();
        // The sender lives in `self.trigger`, so the channel cannot close while waiting.
        let _ = triggered.wait_for(|&down| down).await;
        self.stop_accepting().await;
        self.finish().await;
    }

    /// Stops the accept loops and waits until their listeners are closed.
    async fn stop_accepting(&mut self) {
        self.accept_loops.abort_all();
        while self.accept_loops.join_next().await.is_some() {}
    }

    /// Waits for the connection tasks, up to the grace period.
    async fn finish(&mut self) {
        listener::drain(self.tasks.take(), self.grace).await;
        tracing::info!("server stopped");
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.accept_loops.abort_all();
        // Dropping the tasks aborts them, even while an accept loop still holds the set.
        drop(self.tasks.take());
    }
}

impl fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHandle")
            .field("addrs", &self.addrs)
            .field("accept_loops", &self.accept_loops.len())
            .field("grace", &self.grace)
            .finish_non_exhaustive()
    }
}
