//! Listeners over real sockets: several listeners at once, the connection limit across them,
//! graceful shutdown (421 to idle sessions, aborting what outlives the grace period), `wait`
//! with a trigger, and dropping the handle.
//!
//! Relies only on the greeting, NOOP, QUIT and the `421 4.3.2` an idle session sends on
//! shutdown. Every read has a deadline; nothing asserts on timing.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is a test failure

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use smtp_server::{BoundAddr, Handler, Listen, Server, ServerConfig, ServerHandle};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
#[cfg(unix)]
use tokio::net::UnixStream;

/// Long enough for any step on a loaded machine; only reached when something hangs.
const DEADLINE: Duration = Duration::from_secs(10);

struct Nothing;
impl Handler for Nothing {}

fn config(max_connections: usize, shutdown_grace: Duration) -> ServerConfig {
    ServerConfig {
        hostname: "mx.test".into(),
        ident: "listener-test".into(),
        max_connections,
        shutdown_grace,
        ..ServerConfig::default()
    }
}

fn localhost() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// A fresh, empty directory of its own under the system's temporary directory.
fn temp_dir(tag: &str) -> PathBuf {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let dir = std::env::temp_dir().join(format!("smtp-{tag}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A line-oriented SMTP client over any stream.
struct Client<S> {
    stream: BufReader<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    fn new(stream: S) -> Self {
        Self { stream: BufReader::new(stream) }
    }

    /// The next reply line, `None` at EOF (or a reset).
    async fn line(&mut self) -> Option<String> {
        let mut line = String::new();
        let read = tokio::time::timeout(DEADLINE, self.stream.read_line(&mut line))
            .await
            .expect("the server answers within the deadline");
        match read {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end().to_owned()),
        }
    }

    /// Reads one reply line and checks its start.
    async fn expect(&mut self, start: &str) -> String {
        let line = self.line().await.unwrap_or_else(|| panic!("EOF instead of {start:?}"));
        assert!(line.starts_with(start), "wanted {start:?}, got {line:?}");
        line
    }

    async fn send(&mut self, text: &str) {
        self.stream.get_mut().write_all(text.as_bytes()).await.unwrap();
    }

    async fn cmd(&mut self, line: &str, start: &str) -> String {
        self.send(&format!("{line}\r\n")).await;
        self.expect(start).await
    }

    /// Reads until the server closes, whatever it still sends.
    async fn expect_close(&mut self) {
        while self.line().await.is_some() {}
    }
}

async fn tcp(addr: SocketAddr) -> Client<TcpStream> {
    Client::new(TcpStream::connect(addr).await.unwrap())
}

#[cfg(unix)]
async fn unix(path: &Path) -> Client<UnixStream> {
    Client::new(UnixStream::connect(path).await.unwrap())
}

/// The socket address of the `index`th listener.
fn addr_of(handle: &ServerHandle, index: usize) -> SocketAddr {
    handle.local_addrs()[index].socket_addr().unwrap()
}

async fn shutdown(handle: ServerHandle) {
    tokio::time::timeout(DEADLINE, handle.shutdown()).await.expect("shutdown returns");
}

/// After a shutdown, a new connection is refused or closed before any greeting.
async fn assert_not_served(addr: SocketAddr) {
    if let Ok(Ok(stream)) = tokio::time::timeout(DEADLINE, TcpStream::connect(addr)).await {
        assert_eq!(Client::new(stream).line().await, None, "no greeting after shutdown");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn every_listener_greets_and_reports_its_address() {
    let dir = temp_dir("listeners");
    let socket = dir.join("smtpd.sock");
    let server = Server::new(config(100, Duration::from_secs(5)), Nothing);
    let handle = server
        .start([Listen::Tcp(localhost()), Listen::Unix(socket.clone()), Listen::Tcp(localhost())])
        .await
        .unwrap();

    let addrs = handle.local_addrs().to_vec();
    assert!(matches!(addrs.as_slice(), [BoundAddr::Tcp(_), BoundAddr::Unix(_), BoundAddr::Tcp(_)]));
    assert_eq!(addrs[1], BoundAddr::Unix(socket.clone()));
    let (first, second) = (addr_of(&handle, 0), addr_of(&handle, 2));
    assert_ne!(first.port(), 0);
    assert_ne!(second.port(), 0);
    assert_ne!(first, second);
    assert_eq!(handle.local_addr(), Some(first));

    for addr in [first, second] {
        let mut client = tcp(addr).await;
        assert_eq!(client.expect("220 ").await, "220 mx.test listener-test");
        client.cmd("NOOP", "250 2.0.0").await;
        client.cmd("QUIT", "221 2.0.0").await;
        client.expect_close().await;
    }
    let mut client = unix(&socket).await;
    client.expect("220 mx.test").await;
    client.cmd("QUIT", "221").await;

    shutdown(handle).await;
    assert!(!socket.exists(), "the socket file is removed at shutdown");
    std::fs::remove_dir_all(dir).unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn a_failed_start_closes_what_it_had_bound() {
    let dir = temp_dir("bindfail");
    let socket = dir.join("smtpd.sock");
    let taken = std::net::TcpListener::bind(localhost()).unwrap();
    let server = Server::new(config(100, Duration::from_secs(5)), Nothing);
    let started = server
        .start([Listen::Unix(socket.clone()), Listen::Tcp(taken.local_addr().unwrap())])
        .await;
    assert!(started.is_err(), "the second address is in use");
    assert!(!socket.exists(), "the Unix listener bound before the failure is gone");

    let no_tls = server.start([Listen::Tcp(localhost()), Listen::ImplicitTls(localhost())]).await;
    let error = no_tls.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("TLS"), "{error}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Connects on `addr` until a session greets, each refusal being the 421 of a full server
/// whose freed slot is not yet visible. Bounded.
async fn connect_until_served(addr: SocketAddr) -> Client<TcpStream> {
    for _ in 0..100 {
        let mut client = tcp(addr).await;
        let first = client.line().await.expect("a reply, not a silent close");
        if first.starts_with("220 ") {
            return client;
        }
        assert!(first.starts_with("421 4.3.2"), "{first}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("a freed slot never became available");
}

#[cfg(unix)]
#[tokio::test]
async fn the_connection_limit_counts_all_listeners_and_frees_slots() {
    let dir = temp_dir("limit");
    let socket = dir.join("smtpd.sock");
    let server = Server::new(config(2, Duration::from_secs(5)), Nothing);
    let handle = server
        .start([Listen::Tcp(localhost()), Listen::Tcp(localhost()), Listen::Unix(socket.clone())])
        .await
        .unwrap();
    let (a, b) = (addr_of(&handle, 0), addr_of(&handle, 1));

    let mut first = tcp(a).await;
    first.expect("220 ").await;
    let mut second = unix(&socket).await;
    second.expect("220 ").await;

    // The third, on either TCP listener or the Unix one, is told why and closed.
    let mut third = tcp(b).await;
    let refusal = third.expect("421 4.3.2").await;
    assert_eq!(refusal, "421 4.3.2 Too many connections, try again later");
    third.expect_close().await;
    let mut fourth = unix(&socket).await;
    fourth.expect("421 4.3.2").await;
    fourth.expect_close().await;

    // The two served ones are unaffected.
    first.cmd("NOOP", "250 2.0.0").await;
    second.cmd("NOOP", "250 2.0.0").await;

    // One leaves: its slot goes to a newcomer.
    first.cmd("QUIT", "221").await;
    first.expect_close().await;
    let mut newcomer = connect_until_served(b).await;
    newcomer.cmd("NOOP", "250 2.0.0").await;
    second.cmd("NOOP", "250 2.0.0").await;

    shutdown(handle).await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn shutdown_tells_idle_sessions_and_stops_accepting() {
    let dir = temp_dir("shutdown");
    let socket = dir.join("smtpd.sock");
    let server = Server::new(config(100, Duration::from_secs(5)), Nothing);
    let handle =
        server.start([Listen::Tcp(localhost()), Listen::Unix(socket.clone())]).await.unwrap();
    let addr = addr_of(&handle, 0);

    let mut over_tcp = tcp(addr).await;
    over_tcp.expect("220 ").await;
    over_tcp.cmd("NOOP", "250").await;
    let mut over_unix = unix(&socket).await;
    over_unix.expect("220 ").await;

    let stopping = tokio::spawn(shutdown(handle));
    for line in [over_tcp.line().await, over_unix.line().await] {
        let line = line.expect("a 421 before the close");
        assert_eq!(line, "421 4.3.2 Service shutting down, closing transmission channel");
    }
    assert_eq!(over_tcp.line().await, None);
    assert_eq!(over_unix.line().await, None);
    stopping.await.unwrap();

    assert_not_served(addr).await;
    assert!(!socket.exists());
    assert!(UnixStream::connect(&socket).await.is_err());
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn shutdown_aborts_sessions_that_outlive_the_grace_period() {
    let server = Server::new(config(100, Duration::from_millis(200)), Nothing);
    let handle = server.start([Listen::Tcp(localhost())]).await.unwrap();
    let addr = addr_of(&handle, 0);

    // Stops in the middle of a command line and never finishes it.
    let mut stuck = tcp(addr).await;
    stuck.expect("220 ").await;
    stuck.send("NOO").await;
    let mut idle = tcp(addr).await;
    idle.expect("220 ").await;
    // Both sessions exist once this answer arrived (the server handles lines in order).
    idle.cmd("NOOP", "250").await;

    shutdown(handle).await;
    idle.expect("421 4.3.2").await;
    idle.expect_close().await;
    stuck.expect_close().await;
    assert_not_served(addr).await;
}

#[tokio::test]
async fn wait_returns_after_a_trigger_completes_the_shutdown() {
    let server = Server::new(config(100, Duration::from_secs(5)), Nothing);
    let handle = server.start([Listen::Tcp(localhost())]).await.unwrap();
    let addr = addr_of(&handle, 0);
    let trigger = handle.shutdown_trigger();
    assert!(!trigger.is_triggered());
    let waiting = tokio::spawn(handle.wait());

    let mut client = tcp(addr).await;
    client.expect("220 ").await;
    client.cmd("NOOP", "250").await;
    server.shutdown_trigger().trigger();
    assert!(trigger.is_triggered());
    client.expect("421 4.3.2").await;
    client.expect_close().await;
    tokio::time::timeout(DEADLINE, waiting).await.expect("wait returns").unwrap();
    assert_not_served(addr).await;
}

#[tokio::test]
async fn dropping_the_handle_stops_accepting_and_aborts_sessions() {
    let server = Server::new(config(100, Duration::from_secs(5)), Nothing);
    let handle = server.start([Listen::Tcp(localhost())]).await.unwrap();
    let addr = addr_of(&handle, 0);
    let mut client = tcp(addr).await;
    client.expect("220 ").await;
    client.cmd("NOOP", "250 2.0.0").await;

    drop(handle);
    // Aborted: closed without a reply.
    assert_eq!(client.line().await, None);
    // The accept loop ends asynchronously: within a bounded number of tries, connecting fails.
    let mut refused = false;
    for _ in 0..100 {
        match TcpStream::connect(addr).await {
            Err(_) => {
                refused = true;
                break;
            }
            Ok(stream) => drop(stream),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refused, "the listener is closed");
}
