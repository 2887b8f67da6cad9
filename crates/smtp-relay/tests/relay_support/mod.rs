//! Test peers for the relay: a recording upstream (our own `smtp_server::Server`) with
//! per-recipient refusals, a relay started in-process on 127.0.0.1:0 with short retries, a
//! temporary data directory, and a line-level SMTP client with STARTTLS that trusts the
//! relay's self-signed certificate.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use smtp_relay::client::Timeouts;
use smtp_relay::delivery::RetryPolicy;
use smtp_relay::relay::{Fallback, Relay, RelayConfig, RelayHandle};
use smtp_relay::route::StaticRouter;
use smtp_relay::smtp_server::handler::{Handler, HookResult, defaults};
use smtp_relay::smtp_server::server::Listen;
use smtp_relay::smtp_server::smtp_auth::ServerInfo;
use smtp_relay::smtp_server::smtp_proto::address::ForwardPath;
use smtp_relay::smtp_server::smtp_proto::params::RcptParams;
use smtp_relay::smtp_server::smtp_proto::reply::{EnhancedStatus, Reply, ReplyCode};
use smtp_relay::smtp_server::{Envelope, Server, ServerConfig, ServerHandle, Session};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The longest any wait in these tests may take.
pub const LIMIT: Duration = Duration::from_secs(60);

/// The test user and password.
pub const ALICE: &str = "alice@example.com";
pub const PASSWORD: &str = "correct horse battery staple";

/// A message as the upstream received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrived {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub content: Vec<u8>,
}

/// How the upstream answers RCPT for an address: refuse with `code` the first `times` times
/// (`u32::MAX`: always).
#[derive(Clone, Copy, Debug)]
pub struct Refusal {
    pub code: u16,
    pub times: u32,
}

/// Records every message; refuses recipients as told.
#[derive(Clone, Default)]
pub struct Upstream {
    pub arrived: Arc<Mutex<Vec<Arrived>>>,
    refusals: Arc<Mutex<HashMap<String, Refusal>>>,
}

impl Upstream {
    pub fn refuse(&self, address: &str, code: u16, times: u32) {
        self.refusals.lock().unwrap().insert(address.to_owned(), Refusal { code, times });
    }

    pub fn messages(&self) -> Vec<Arrived> {
        self.arrived.lock().unwrap().clone()
    }

    /// Waits until `done` holds for what arrived.
    pub async fn wait_for(&self, what: &str, done: impl Fn(&[Arrived]) -> bool) -> Vec<Arrived> {
        let started = tokio::time::Instant::now();
        loop {
            let messages = self.messages();
            if done(&messages) {
                return messages;
            }
            assert!(started.elapsed() < LIMIT, "timed out waiting for {what}; got {messages:#?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

#[async_trait]
impl Handler for Upstream {
    async fn rcpt(
        &self,
        _server: &ServerInfo,
        _session: &mut Session,
        _envelope: &mut Envelope,
        address: &ForwardPath<'_>,
        params: &RcptParams<'_>,
    ) -> HookResult {
        let text = address.to_string();
        let text = text.trim_start_matches('<').trim_end_matches('>').to_owned();
        let mut refusals = self.refusals.lock().unwrap();
        if let Some(refusal) = refusals.get_mut(&text)
            && refusal.times > 0
        {
            refusal.times = refusal.times.saturating_sub(1);
            let class = u8::try_from(refusal.code / 100).unwrap();
            let status = EnhancedStatus::of(class, 1, 1);
            return Ok(Reply::new(ReplyCode::of(refusal.code), status, "not now or never"));
        }
        defaults::rcpt(params)
    }

    async fn data(
        &self,
        _server: &ServerInfo,
        _session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        let strip = |s: String| s.trim_start_matches('<').trim_end_matches('>').to_owned();
        self.arrived.lock().unwrap().push(Arrived {
            mail_from: strip(
                envelope.mail_from.as_ref().map(ToString::to_string).unwrap_or_default(),
            ),
            rcpt_tos: envelope.rcpt_tos.iter().map(|p| strip(p.to_string())).collect(),
            content: envelope.content.as_ref().map(|c| c.to_vec()).unwrap_or_default(),
        });
        Ok(Reply::ok())
    }
}

/// The upstream on `addr` (port 0 for any).
pub async fn start_upstream_at(addr: SocketAddr, upstream: Upstream) -> (ServerHandle, SocketAddr) {
    let config = ServerConfig { hostname: "mx.test".into(), ..ServerConfig::default() };
    let handle = Server::new(config, upstream).start([Listen::Tcp(addr)]).await.unwrap();
    let bound = handle.local_addr().unwrap();
    (handle, bound)
}

/// The upstream on a free port.
pub async fn start_upstream() -> (ServerHandle, Upstream, SocketAddr) {
    let upstream = Upstream::default();
    let (handle, addr) =
        start_upstream_at(SocketAddr::from(([127, 0, 0, 1], 0)), upstream.clone()).await;
    (handle, upstream, addr)
}

/// A port nobody listens on (bound, then released).
pub fn free_port() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// A fresh directory under the target's temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let mut random = [0u8; 4];
        getrandom::fill(&mut random).unwrap();
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "{name}-{}-{}",
            std::process::id(),
            u32::from_be_bytes(random)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A relay config for tests: port 0, `domain=addr` routes, no fallback, 200 ms retries.
pub fn relay_config(data_dir: &Path, routes: &[(&str, SocketAddr)]) -> RelayConfig {
    let entries: Vec<String> = routes.iter().map(|(d, a)| format!("{d}={a}")).collect();
    RelayConfig {
        data_dir: data_dir.to_owned(),
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        hostname: "relay.test".into(),
        routes: StaticRouter::parse(entries.iter().map(String::as_str)).unwrap(),
        fallback: Fallback::Nothing,
        retry: RetryPolicy {
            first_retry: Duration::from_millis(200),
            factor: 1,
            max_interval: Duration::from_millis(200),
            lifetime: Duration::from_secs(600),
        },
        server: ServerConfig {
            auth_failure_delay: Duration::from_millis(10),
            ..ServerConfig::default()
        },
        client_timeouts: Timeouts::uniform(Duration::from_secs(10)),
        ..RelayConfig::default()
    }
}

/// Starts a relay with the test user.
pub async fn start_relay(config: RelayConfig) -> RelayHandle {
    let relay = Relay::start(config).await.unwrap();
    if relay.users().list_users().await.unwrap().is_empty() {
        relay.users().add_user(ALICE, PASSWORD.into(), vec![]).await.unwrap();
    }
    relay
}

/// The relay's submission address.
pub fn relay_addr(relay: &RelayHandle) -> SocketAddr {
    relay.local_addrs()[0].socket_addr().unwrap()
}

/// The relay's self-signed certificate (PEM file in its data directory).
pub fn relay_cert_path(relay: &RelayHandle) -> PathBuf {
    relay.data_dir().cert()
}

/// A line-level SMTP client: one command, one reply (all lines joined with `\n`).
pub struct Dialogue {
    stream: Box<dyn Stream>,
    pub greeting: String,
}

pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

impl Dialogue {
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut dialogue =
            Self { stream: Box::new(BufReader::new(stream)), greeting: String::new() };
        dialogue.greeting = dialogue.reply().await;
        dialogue
    }

    /// Reads one (possibly multi-line) reply; empty when the connection closed.
    pub async fn reply(&mut self) -> String {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            let read = tokio::time::timeout(LIMIT, read_line(&mut self.stream, &mut line))
                .await
                .expect("reply in time");
            if read == 0 {
                return lines.join("\n");
            }
            let line = line.trim_end().to_owned();
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                return lines.join("\n");
            }
        }
    }

    pub async fn send(&mut self, line: &str) {
        self.stream.write_all(format!("{line}\r\n").as_bytes()).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    pub async fn cmd(&mut self, line: &str) -> String {
        self.send(line).await;
        self.reply().await
    }

    /// STARTTLS, trusting the certificate in `cert`, then EHLO again.
    pub async fn starttls(self, cert: &Path) -> Self {
        let mut this = self;
        let reply = this.cmd("STARTTLS").await;
        assert!(reply.starts_with("220"), "{reply}");
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from_pem_file(cert).unwrap()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let name = ServerName::try_from("localhost").unwrap();
        let tls = connector.connect(name, this.stream).await.unwrap();
        Self { stream: Box::new(BufReader::new(tls)), greeting: this.greeting }
    }

    /// EHLO, STARTTLS, EHLO, AUTH PLAIN as `login`.
    pub async fn authenticated(addr: SocketAddr, cert: &Path, login: &str, password: &str) -> Self {
        let mut plain = Self::connect(addr).await;
        plain.cmd("EHLO client.test").await;
        let mut tls = plain.starttls(cert).await;
        tls.cmd("EHLO client.test").await;
        let reply = tls.cmd(&format!("AUTH PLAIN {}", plain_response(login, password))).await;
        assert!(reply.starts_with("235"), "{reply}");
        tls
    }
}

async fn read_line(stream: &mut Box<dyn Stream>, line: &mut String) -> usize {
    // The boxed stream is a BufReader underneath, so reading byte by byte is cheap.
    use tokio::io::AsyncReadExt;
    let mut byte = [0u8; 1];
    let mut bytes = Vec::new();
    loop {
        match stream.read(&mut byte).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                bytes.push(byte[0]);
                if byte[0] == b'\n' {
                    break;
                }
            }
        }
    }
    line.push_str(&String::from_utf8_lossy(&bytes));
    bytes.len()
}

/// The base64 PLAIN initial response.
pub fn plain_response(login: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("\0{login}\0{password}"))
}
