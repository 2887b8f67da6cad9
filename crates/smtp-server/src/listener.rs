//! Listening sockets and their accept loops: binding ([`Listen`] → [`BoundAddr`]), the
//! connection limit shared by all listeners, one task per accepted connection, and the set of
//! those tasks that a graceful shutdown waits for.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
#[cfg(unix)]
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use smtp_proto::reply::Reply;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
#[cfg(unix)]
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::{JoinError, JoinSet};

use crate::connection::{self, Transport};
use crate::session::PeerAddr;
use crate::shared::Shared;

/// Where to listen.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Listen {
    /// Plain SMTP over TCP (STARTTLS offered when TLS is configured). Port 0 picks a free port.
    Tcp(SocketAddr),
    /// Implicit TLS ("SMTPS", RFC 8314): a TLS handshake first. Needs `ServerConfig::tls`.
    ImplicitTls(SocketAddr),
    /// Plain SMTP over a Unix stream socket created at this path (which must not exist yet).
    /// The file is removed when the listener stops.
    #[cfg(unix)]
    Unix(PathBuf),
}

/// A listener's actual address (with the real port when port 0 was asked for).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BoundAddr {
    /// A plain TCP listener.
    Tcp(SocketAddr),
    /// An implicit-TLS TCP listener.
    ImplicitTls(SocketAddr),
    /// A Unix-socket listener.
    #[cfg(unix)]
    Unix(PathBuf),
}

impl BoundAddr {
    /// The socket address of a TCP listener (plain or implicit TLS).
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        match self {
            Self::Tcp(addr) | Self::ImplicitTls(addr) => Some(*addr),
            #[cfg(unix)]
            Self::Unix(_) => None,
        }
    }
}

impl fmt::Display for BoundAddr {
    /// `127.0.0.1:25`, `127.0.0.1:465 (implicit TLS)`, `unix:/run/smtpd.sock`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp(addr) => write!(f, "{addr}"),
            Self::ImplicitTls(addr) => write!(f, "{addr} (implicit TLS)"),
            #[cfg(unix)]
            Self::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// A bound listening socket.
pub(crate) enum BoundListener {
    /// TCP, plain or implicit TLS, and whether accepted sockets come with `TCP_NODELAY` on.
    Tcp(TcpListener, Transport, NoDelay),
    /// A Unix socket and the file that goes away with it.
    #[cfg(unix)]
    Unix {
        /// The socket.
        listener: UnixListener,
        /// Removes the socket file when the listener is dropped.
        _file: SocketFile,
    },
}

/// Removes a Unix socket's file when dropped (the listener stops with it).
#[cfg(unix)]
pub(crate) struct SocketFile(PathBuf);

#[cfg(unix)]
impl Drop for SocketFile {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_file(&self.0) {
            tracing::warn!(path = %self.0.display(), %error, "cannot remove the Unix socket file");
        }
    }
}

/// Whether any listener needs TLS, and none is configured: an error naming the listener.
pub(crate) fn check_tls(listen: &[Listen], tls_configured: bool) -> io::Result<()> {
    match listen.iter().find(|spec| matches!(spec, Listen::ImplicitTls(_))) {
        Some(Listen::ImplicitTls(addr)) if !tls_configured => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "the implicit-TLS listener {addr} needs a TLS configuration (ServerConfig::tls)"
            ),
        )),
        _ => Ok(()),
    }
}

/// Binds one listener.
pub(crate) async fn bind(spec: Listen) -> io::Result<(BoundListener, BoundAddr)> {
    match spec {
        Listen::Tcp(addr) => {
            let listener = TcpListener::bind(addr).await?;
            let bound = BoundAddr::Tcp(listener.local_addr()?);
            let nodelay = NoDelay::for_listener(&listener);
            Ok((BoundListener::Tcp(listener, Transport::Plain, nodelay), bound))
        }
        Listen::ImplicitTls(addr) => {
            let listener = TcpListener::bind(addr).await?;
            let bound = BoundAddr::ImplicitTls(listener.local_addr()?);
            let nodelay = NoDelay::for_listener(&listener);
            Ok((BoundListener::Tcp(listener, Transport::ImplicitTls, nodelay), bound))
        }
        #[cfg(unix)]
        Listen::Unix(path) => {
            let listener = UnixListener::bind(&path)?;
            let bound = BoundAddr::Unix(path.clone());
            Ok((BoundListener::Unix { listener, _file: SocketFile(path) }, bound))
        }
    }
}

/// Where accepted TCP sockets get `TCP_NODELAY` (replies are written whole, one write per
/// group, so Nagle's algorithm would only delay them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NoDelay {
    /// From the listening socket: Linux copies the option into every socket it accepts,
    /// which saves a system call per connection.
    Inherited,
    /// Set on each accepted socket.
    PerConnection,
}

impl NoDelay {
    /// Sets `TCP_NODELAY` on `listener` where accepted sockets inherit it.
    fn for_listener(listener: &TcpListener) -> Self {
        if cfg!(any(target_os = "linux", target_os = "android"))
            && socket2::SockRef::from(listener).set_tcp_nodelay(true).is_ok()
        {
            Self::Inherited
        } else {
            Self::PerConnection
        }
    }
}

/// An accepted connection.
enum Accepted {
    /// A TCP connection, how it starts, and where its `TCP_NODELAY` comes from.
    Tcp(TcpStream, SocketAddr, Transport, NoDelay),
    /// A Unix-socket connection.
    #[cfg(unix)]
    Unix(UnixStream, Option<PathBuf>),
}

impl BoundListener {
    /// The next connection.
    async fn accept(&self) -> io::Result<Accepted> {
        match self {
            Self::Tcp(listener, transport, nodelay) => {
                let (stream, peer) = listener.accept().await?;
                Ok(Accepted::Tcp(stream, peer, *transport, *nodelay))
            }
            #[cfg(unix)]
            Self::Unix { listener, .. } => {
                let (stream, peer) = listener.accept().await?;
                Ok(Accepted::Unix(stream, peer.as_pathname().map(ToOwned::to_owned)))
            }
        }
    }
}

/// The pause after a failed `accept`: none when only that one connection failed; otherwise
/// (out of file descriptors, memory, ...) from 5 ms, doubling up to 1 s, so the loop neither
/// spins nor stops.
#[derive(Debug)]
pub(crate) struct AcceptBackoff {
    next: Duration,
}

impl AcceptBackoff {
    const FIRST: Duration = Duration::from_millis(5);
    const MAX: Duration = Duration::from_secs(1);

    /// The pause to take after `error`, if any.
    fn after_error(&mut self, error: &io::Error) -> Option<Duration> {
        use io::ErrorKind::{ConnectionAborted, ConnectionReset, Interrupted};
        if matches!(error.kind(), ConnectionAborted | ConnectionReset | Interrupted) {
            return None;
        }
        let pause = self.next;
        self.next = (self.next * 2).min(Self::MAX);
        Some(pause)
    }

    /// A successful accept: the next error starts with the shortest pause again.
    fn reset(&mut self) {
        self.next = Self::FIRST;
    }
}

impl Default for AcceptBackoff {
    fn default() -> Self {
        Self { next: Self::FIRST }
    }
}

/// The tasks serving connections, so a shutdown can wait for them (and abort the rest).
#[derive(Default)]
pub(crate) struct ConnectionTasks {
    set: Mutex<JoinSet<()>>,
}

impl ConnectionTasks {
    /// Spawns a connection task (and forgets the finished ones).
    fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        let mut set = self.lock();
        while let Some(finished) = set.try_join_next() {
            report(finished);
        }
        set.spawn(task);
    }

    /// Takes every task still tracked (the accept loops have stopped).
    pub(crate) fn take(&self) -> JoinSet<()> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, JoinSet<()>> {
        self.set.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Waits for `tasks` up to `grace`, then aborts (and awaits) those still running.
pub(crate) async fn drain(mut tasks: JoinSet<()>, grace: Duration) {
    let all_done = async {
        while let Some(finished) = tasks.join_next().await {
            report(finished);
        }
    };
    if tokio::time::timeout(grace, all_done).await.is_err() {
        tracing::warn!(remaining = tasks.len(), ?grace, "shutdown grace over, closing connections");
        tasks.shutdown().await;
    }
}

/// Logs a connection task that panicked.
fn report(finished: Result<(), JoinError>) {
    if let Err(error) = finished
        && error.is_panic()
    {
        tracing::error!(%error, "a connection task panicked");
    }
}

/// What every accept loop of one [`ServerHandle`](crate::server::ServerHandle) shares.
pub(crate) struct Acceptor {
    /// The server's state.
    pub shared: Arc<Shared>,
    /// One permit per connection being served (`ServerConfig::max_connections`).
    pub permits: Arc<Semaphore>,
    /// The connection tasks.
    pub tasks: Arc<ConnectionTasks>,
}

/// How long the accept side tries to write the `421` to a refused connection.
const REFUSAL_WRITE_TIMEOUT: Duration = Duration::from_secs(1);

impl Acceptor {
    /// Accepts connections on `listener` until a graceful shutdown starts (or the task is
    /// aborted). Accept errors are logged and retried.
    pub(crate) async fn run(self: Arc<Self>, listener: BoundListener) {
        let mut shutdown = self.shared.shutdown.clone();
        let mut backoff = AcceptBackoff::default();
        loop {
            let accepted = tokio::select! {
                biased;
                () = shutdown_started(&mut shutdown) => return,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok(accepted) => {
                    backoff.reset();
                    self.admit(accepted).await;
                }
                Err(error) => match backoff.after_error(&error) {
                    None => tracing::debug!(%error, "accept failed for one connection"),
                    Some(pause) => {
                        tracing::warn!(%error, ?pause, "accept failed, retrying after a pause");
                        tokio::time::sleep(pause).await;
                    }
                },
            }
        }
    }

    /// Serves an accepted connection in its own task, or refuses it when the limit is reached.
    async fn admit(&self, accepted: Accepted) {
        let permit = Arc::clone(&self.permits).try_acquire_owned().ok();
        match accepted {
            Accepted::Tcp(stream, addr, transport, nodelay) => {
                if nodelay == NoDelay::PerConnection
                    && let Err(error) = stream.set_nodelay(true)
                {
                    tracing::debug!(%error, peer = %addr, "cannot set TCP_NODELAY");
                }
                self.serve_or_refuse(stream, PeerAddr::Tcp(addr), transport, permit).await;
            }
            #[cfg(unix)]
            Accepted::Unix(stream, path) => {
                let peer = PeerAddr::Unix(path);
                self.serve_or_refuse(stream, peer, Transport::Plain, permit).await;
            }
        }
    }

    async fn serve_or_refuse<S>(
        &self,
        stream: S,
        peer: PeerAddr,
        transport: Transport,
        permit: Option<OwnedSemaphorePermit>,
    ) where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Some(permit) = permit else {
            let limit = self.shared.config.max_connections;
            tracing::warn!(%peer, limit, "connection refused: too many connections");
            refuse(stream, transport).await;
            return;
        };
        tracing::debug!(%peer, ?transport, "connection accepted");
        let shared = Arc::clone(&self.shared);
        // Boxed: the runtime then moves a pointer around instead of the whole session's
        // state machine (several kilobytes) when it spawns, polls and finishes the task.
        self.tasks.spawn(Box::pin(async move {
            connection::serve(stream, peer, shared, transport).await;
            drop(permit);
        }));
    }
}

/// Tells a refused client `421 4.3.2 Too many connections` (plain connections only: implicit
/// TLS would need a handshake first) and closes.
async fn refuse<S: AsyncWrite + Unpin>(mut stream: S, transport: Transport) {
    if transport == Transport::ImplicitTls {
        return;
    }
    let bytes = Reply::too_many_connections().to_bytes();
    let write = async {
        stream.write_all(&bytes).await?;
        stream.shutdown().await
    };
    if let Ok(Err(error)) = tokio::time::timeout(REFUSAL_WRITE_TIMEOUT, write).await {
        tracing::debug!(%error, "cannot tell a refused client why");
    }
}

/// Resolves when a graceful shutdown starts; never, when it cannot start any more.
async fn shutdown_started(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|&down| down).await.is_err() {
        std::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_pauses_only_for_resource_errors_and_doubles_up_to_a_second() {
        use io::ErrorKind::{ConnectionAborted, ConnectionReset, Interrupted, Other};
        let mut backoff = AcceptBackoff::default();
        for kind in [ConnectionAborted, ConnectionReset, Interrupted] {
            assert_eq!(backoff.after_error(&io::Error::from(kind)), None, "{kind:?}");
        }
        // EMFILE ("too many open files") is an uncategorised OS error.
        let emfile = io::Error::from_raw_os_error(24);
        let pauses: Vec<u64> = (0..10)
            .filter_map(|_| backoff.after_error(&emfile))
            .map(|pause| u64::try_from(pause.as_millis()).unwrap())
            .collect();
        assert_eq!(pauses, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        backoff.reset();
        assert_eq!(backoff.after_error(&io::Error::from(Other)), Some(AcceptBackoff::FIRST));
    }

    /// Every accepted TCP socket has `TCP_NODELAY` on, on Linux without a call of its own.
    #[tokio::test]
    async fn accepted_sockets_have_nodelay() {
        for spec in [Listen::Tcp, Listen::ImplicitTls] {
            let (listener, bound) = bind(spec("127.0.0.1:0".parse().unwrap())).await.unwrap();
            let addr = bound.socket_addr().unwrap();
            let _client = TcpStream::connect(addr).await.unwrap();
            let Ok(Accepted::Tcp(stream, _, _, nodelay)) = listener.accept().await else {
                panic!("not a TCP connection");
            };
            assert!(stream.nodelay().unwrap());
            let inherited = cfg!(any(target_os = "linux", target_os = "android"));
            assert_eq!(nodelay == NoDelay::Inherited, inherited);
        }
    }

    #[test]
    fn implicit_tls_listeners_need_a_tls_configuration() {
        let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let plain = [Listen::Tcp(addr)];
        let mixed = [Listen::Tcp(addr), Listen::ImplicitTls(addr)];
        assert!(check_tls(&plain, false).is_ok());
        assert!(check_tls(&mixed, true).is_ok());
        let error = check_tls(&mixed, false).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        assert!(error.to_string().contains("127.0.0.1:0"), "{error}");
    }

    #[test]
    fn bound_addresses_display_their_kind() {
        let addr: SocketAddr = "127.0.0.1:465".parse().unwrap();
        assert_eq!(BoundAddr::Tcp(addr).to_string(), "127.0.0.1:465");
        assert_eq!(BoundAddr::ImplicitTls(addr).to_string(), "127.0.0.1:465 (implicit TLS)");
        assert_eq!(BoundAddr::Tcp(addr).socket_addr(), Some(addr));
        #[cfg(unix)]
        {
            let unix = BoundAddr::Unix(PathBuf::from("/run/smtpd.sock"));
            assert_eq!(unix.to_string(), "unix:/run/smtpd.sock");
            assert_eq!(unix.socket_addr(), None);
        }
    }
}
