//! Test peers for the outbound client: a real `smtp_server::Server` with a recording handler,
//! a scripted fake server over a `TcpListener`, a test CA, and request builders.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use smtp_relay::client::{ClientConfig, SmtpTransport, Timeouts};
use smtp_relay::smtp_server::handler::{Handler, HookResult};
use smtp_relay::smtp_server::server::Listen;
use smtp_relay::smtp_server::smtp_auth::ServerInfo;
use smtp_relay::smtp_server::smtp_proto::reply::Reply;
use smtp_relay::smtp_server::{Envelope, Server, ServerConfig, ServerHandle, Session};
use smtp_relay::transport::{
    DeliveryReport, DeliveryRequest, Destination, MessageBody, SmarthostCredentials, TlsPolicy,
};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// A message as our server received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    pub session: u64,
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub mail_options: Vec<String>,
    pub content: Vec<u8>,
    pub tls: bool,
    pub login: Option<String>,
}

/// Records every message.
#[derive(Clone, Default)]
pub struct Recorder {
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl Recorder {
    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

#[async_trait]
impl Handler for Recorder {
    async fn data(
        &self,
        _server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        self.received.lock().unwrap().push(Received {
            session: session.id,
            mail_from: envelope.mail_from.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            rcpt_tos: envelope.rcpt_tos.iter().map(|p| p.to_string()).collect(),
            mail_options: envelope.mail_options.clone(),
            content: envelope.content.as_ref().map(|c| c.to_vec()).unwrap_or_default(),
            tls: session.tls.is_some(),
            login: session.login_data.clone(),
        });
        Ok(Reply::ok())
    }
}

/// A server config for tests.
pub fn server_config() -> ServerConfig {
    ServerConfig { hostname: "mx.test".into(), ident: "test".into(), ..ServerConfig::default() }
}

/// Our server on 127.0.0.1:0, recording what arrives.
pub async fn start_server(config: ServerConfig) -> (ServerHandle, Recorder, SocketAddr) {
    start_listener(config, false).await
}

/// The same; `implicit` listens for implicit TLS.
pub async fn start_listener(
    config: ServerConfig,
    implicit: bool,
) -> (ServerHandle, Recorder, SocketAddr) {
    let recorder = Recorder::default();
    let server = Server::new(config, recorder.clone());
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let listen = if implicit { Listen::ImplicitTls(any) } else { Listen::Tcp(any) };
    let handle = server.start([listen]).await.unwrap();
    let addr = handle.local_addr().unwrap();
    (handle, recorder, addr)
}

/// A test certificate authority.
pub struct TestCa {
    pub cert: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, "smtp-relay test CA");
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Self { cert: cert.der().clone(), issuer: Issuer::new(params, key) }
    }

    /// A server TLS configuration with a certificate this CA signed for `names`.
    pub fn server_tls(&self, names: &[&str]) -> Arc<rustls::ServerConfig> {
        let params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                .unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        smtp_relay::smtp_server::tls::server_config(vec![cert.der().clone()], key_der).unwrap()
    }
}

/// A client config with short timeouts trusting `roots`.
pub fn client_config(roots: Vec<CertificateDer<'static>>) -> ClientConfig {
    let mut config = ClientConfig::new("relay.test");
    config.timeouts = Timeouts::uniform(Duration::from_secs(10));
    config.extra_roots = roots;
    config
}

pub fn transport(roots: Vec<CertificateDer<'static>>) -> SmtpTransport {
    SmtpTransport::new(client_config(roots)).unwrap()
}

/// A request to 127.0.0.1:`port`.
pub fn request(
    addr: SocketAddr,
    tls: TlsPolicy,
    recipients: &[&str],
    body: &[u8],
) -> DeliveryRequest {
    DeliveryRequest {
        destination: Destination {
            host: addr.ip().to_string(),
            port: addr.port(),
            tls_name: "localhost".into(),
            tls,
        },
        credentials: None,
        mail_from: "alice@example.com".into(),
        recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
        body: MessageBody::Memory(Bytes::copy_from_slice(body)),
        size: body.len() as u64,
        smtputf8: false,
        eight_bit: false,
    }
}

pub fn credentials(login: &str, password: &str) -> SmarthostCredentials {
    SmarthostCredentials { login: login.into(), password: password.into() }
}

/// The reply codes of a report, in order.
pub fn codes(report: &DeliveryReport) -> Vec<u16> {
    report.recipients.iter().map(|r| r.reply.code().get()).collect()
}

/// One side of a scripted conversation (the fake server's view).
pub struct Peer {
    stream: BufReader<TcpStream>,
}

impl Peer {
    pub async fn send(&mut self, text: &str) {
        self.stream.get_mut().write_all(text.as_bytes()).await.unwrap();
    }

    /// The next line, without CRLF; empty at EOF.
    pub async fn line(&mut self) -> String {
        let mut line = String::new();
        self.stream.read_line(&mut line).await.unwrap();
        line.trim_end_matches(['\r', '\n']).to_owned()
    }

    /// Reads a line and checks it starts with `prefix`.
    pub async fn expect(&mut self, prefix: &str) -> String {
        let line = self.line().await;
        assert!(line.starts_with(prefix), "expected {prefix:?}, got {line:?}");
        line
    }

    /// Whatever one read returns (with what is already buffered).
    pub async fn read_once(&mut self) -> Vec<u8> {
        let buffered = self.stream.buffer().to_vec();
        if !buffered.is_empty() {
            let n = buffered.len();
            self.stream.consume(n);
            return buffered;
        }
        let mut chunk = vec![0; 65536];
        let n = self.stream.read(&mut chunk).await.unwrap();
        chunk.truncate(n);
        chunk
    }

    /// The message data up to and including `.` CRLF.
    pub async fn data(&mut self) -> Vec<u8> {
        let mut data = Vec::new();
        while !data.ends_with(b"\r\n.\r\n") && data != b".\r\n" {
            let n = self.stream.read_until(b'\n', &mut data).await.unwrap();
            assert!(n > 0, "EOF in data");
        }
        data
    }

    /// Greets and answers EHLO with `extensions`.
    pub async fn ehlo(&mut self, extensions: &[&str]) {
        self.send("220 fake.test ESMTP\r\n").await;
        self.expect("EHLO relay.test").await;
        let mut lines = vec!["fake.test"];
        lines.extend_from_slice(extensions);
        let mut reply = String::new();
        for (i, line) in lines.iter().enumerate() {
            let sep = if i + 1 == lines.len() { ' ' } else { '-' };
            reply.push_str(&format!("250{sep}{line}\r\n"));
        }
        self.send(&reply).await;
    }

    /// Waits for the client to close (EOF), answering QUIT.
    pub async fn finish(&mut self) {
        loop {
            let line = self.line().await;
            if line.is_empty() {
                return;
            }
            if line == "QUIT" {
                self.send("221 bye\r\n").await;
            }
        }
    }
}

/// A fake server: every accepted connection runs `script`; returns its address, the number
/// of connections so far, and the accept task.
pub async fn fake_server<F, Fut>(script: F) -> (SocketAddr, Arc<AtomicUsize>, JoinHandle<()>)
where
    F: Fn(Peer, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            let index = counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(script(Peer { stream: BufReader::new(stream) }, index));
        }
    });
    (addr, count, task)
}

pub fn connections(count: &AtomicUsize) -> usize {
    count.load(Ordering::SeqCst)
}
