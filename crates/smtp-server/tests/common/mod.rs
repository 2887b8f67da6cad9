//! Conversation helper for the smtp-server integration tests: a scripted client over an
//! in-memory duplex pipe (optionally upgraded to TLS with a real rustls client), a recording
//! handler, and test certificates.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use smtp_server::handler::{Handler, HookResult};
use smtp_server::smtp_auth::ServerInfo;
use smtp_server::smtp_proto::reply::Reply;
use smtp_server::{Envelope, PeerAddr, Server, ServerConfig, Session};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::task::JoinHandle;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};

/// How long a test waits for a reply before failing (virtual time in paused tests).
pub const WAIT: Duration = Duration::from_secs(30);

/// A message as the handler received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub mail_options: Vec<String>,
    pub content: Vec<u8>,
    pub client: String,
    pub authenticated: bool,
    pub login: Option<String>,
}

/// A handler that records every delivered envelope.
#[derive(Clone, Default)]
pub struct Recorder {
    pub delivered: Arc<Mutex<Vec<Delivered>>>,
}

impl Recorder {
    pub fn messages(&self) -> Vec<Delivered> {
        self.delivered.lock().unwrap().clone()
    }

    pub fn contents(&self) -> Vec<Vec<u8>> {
        self.messages().into_iter().map(|m| m.content).collect()
    }

    pub fn record(&self, session: &Session, envelope: &Envelope) {
        self.delivered.lock().unwrap().push(Delivered {
            mail_from: envelope.mail_from.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            rcpt_tos: envelope.rcpt_tos.iter().map(|p| p.to_string()).collect(),
            mail_options: envelope.mail_options.clone(),
            content: envelope.content.as_ref().map(|c| c.to_vec()).unwrap_or_default(),
            client: session.client.to_string(),
            authenticated: session.authenticated,
            login: session.login_data.clone(),
        });
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
        self.record(session, envelope);
        Ok(Reply::ok())
    }
}

/// A config for tests: a fixed host name.
pub fn config() -> ServerConfig {
    ServerConfig {
        hostname: "mx.test".into(),
        ident: "smtpd test".into(),
        ..ServerConfig::default()
    }
}

/// A self-signed certificate for `localhost`: the server config and the matching client config.
pub fn tls_pair() -> (Arc<rustls::ServerConfig>, Arc<rustls::ClientConfig>) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_der = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert_der.clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert_der).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (Arc::new(server), Arc::new(client))
}

/// One side of a scripted conversation.
pub struct TestClient<S> {
    stream: S,
    buffer: Vec<u8>,
    pub server_task: Option<JoinHandle<()>>,
}

impl TestClient<DuplexStream> {
    /// Connects to a new server with `config` and `handler` (plain transport).
    pub async fn start(config: ServerConfig, handler: impl Handler) -> Self {
        Self::connect(Server::new(config, handler), false)
    }

    /// Connects to `server`; `implicit_tls` uses `serve_tls_connection`.
    pub fn connect(server: Server, implicit_tls: bool) -> Self {
        let (client, server_side) = tokio::io::duplex(1 << 20);
        let task = tokio::spawn(async move {
            let peer = PeerAddr::Memory("test".into());
            if implicit_tls {
                server.serve_tls_connection(server_side, peer).await;
            } else {
                server.serve_connection(server_side, peer).await;
            }
        });
        Self { stream: client, buffer: Vec::new(), server_task: Some(task) }
    }
}

impl<S> TestClient<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    /// A client over an already connected stream (e.g. TCP to `Server::start`), without a
    /// server task of its own.
    pub fn over(stream: S) -> Self {
        Self { stream, buffer: Vec::new(), server_task: None }
    }

    /// Sends raw bytes, then lets the server task run until it has read them, so the next
    /// write arrives in a read of its own (a real split, even on a one-thread runtime).
    pub async fn send_raw_settled(&mut self, bytes: &[u8]) {
        self.send_raw(bytes).await;
        for _ in 0..8 {
            tokio::task::yield_now().await;
        }
    }

    /// Sends raw bytes.
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    /// Sends raw bytes; an error when the server has closed the connection.
    pub async fn try_send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Sends a line plus CRLF.
    pub async fn send(&mut self, line: &str) {
        self.send_raw(format!("{line}\r\n").as_bytes()).await;
    }

    /// Reads more bytes; `false` at EOF.
    async fn read_more(&mut self) -> bool {
        let mut chunk = vec![0u8; 64 * 1024];
        let read = tokio::time::timeout(WAIT, self.stream.read(&mut chunk))
            .await
            .expect("no reply in time");
        match read {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buffer.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// The end of the first complete reply in the buffer, if there is one.
    fn complete_reply(&self) -> Option<usize> {
        let mut start = 0;
        while let Some(lf) = self.buffer[start..].iter().position(|&b| b == b'\n') {
            let line = &self.buffer[start..start + lf + 1];
            start += lf + 1;
            if line.len() < 4 || line[3] != b'-' {
                return Some(start);
            }
        }
        None
    }

    /// Reads one reply (all its lines, CRLFs kept); `None` at EOF.
    pub async fn read_reply(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.complete_reply() {
                let reply: Vec<u8> = self.buffer.drain(..end).collect();
                return Some(String::from_utf8(reply).unwrap());
            }
            if !self.read_more().await {
                assert!(self.buffer.is_empty(), "partial reply at EOF: {:?}", self.buffer);
                return None;
            }
        }
    }

    /// Reads one reply and checks its code; returns the reply.
    pub async fn expect(&mut self, code: u16) -> String {
        let reply = self.read_reply().await.expect("connection closed instead of a reply");
        assert_eq!(&reply[..3], code.to_string(), "unexpected reply: {reply:?}");
        reply
    }

    /// Sends a command and checks the code of its reply.
    pub async fn cmd(&mut self, line: &str, code: u16) -> String {
        self.send(line).await;
        self.expect(code).await
    }

    /// Sends a command and checks the whole (single-line) reply, without CRLF.
    pub async fn cmd_text(&mut self, line: &str, reply: &str) {
        self.send(line).await;
        let got = self.read_reply().await.expect("connection closed instead of a reply");
        assert_eq!(got.trim_end_matches("\r\n"), reply, "reply to {line:?}");
    }

    /// The next reply must be exactly `reply` (without CRLF).
    pub async fn expect_text(&mut self, reply: &str) {
        let got = self.read_reply().await.expect("connection closed instead of a reply");
        assert_eq!(got.trim_end_matches("\r\n"), reply);
    }

    /// Everything the next single read brings, as whole replies (for pipelining checks).
    pub async fn replies_in_one_read(&mut self) -> Vec<String> {
        assert!(self.buffer.is_empty());
        assert!(self.read_more().await, "closed");
        let mut replies = Vec::new();
        while let Some(end) = self.complete_reply() {
            replies.push(String::from_utf8(self.buffer.drain(..end).collect()).unwrap());
        }
        assert!(self.buffer.is_empty(), "a partial reply arrived: {:?}", self.buffer);
        replies
    }

    /// EHLO, checking for a 250.
    pub async fn ehlo(&mut self) -> String {
        self.cmd("EHLO client.example", 250).await
    }

    /// A whole transaction with DATA; `body` is sent as is, followed by `.` CRLF.
    pub async fn send_message(&mut self, from: &str, to: &[&str], body: &[u8]) -> String {
        self.cmd(&format!("MAIL FROM:<{from}>"), 250).await;
        for rcpt in to {
            self.cmd(&format!("RCPT TO:<{rcpt}>"), 250).await;
        }
        self.cmd("DATA", 354).await;
        self.send_raw(body).await;
        self.send_raw(b".\r\n").await;
        self.read_reply().await.expect("no reply after the final dot")
    }

    /// The server closes the connection without sending anything more.
    pub async fn expect_close(&mut self) {
        let rest = self.read_reply().await;
        assert_eq!(rest, None, "expected a close");
        self.finished().await;
    }

    /// Reads everything until the server closes (e.g. a TLS alert); the server task ends.
    pub async fn drain_to_close(&mut self) -> Vec<u8> {
        while self.read_more().await {}
        self.finished().await;
        std::mem::take(&mut self.buffer)
    }

    /// The server task ends.
    pub async fn finished(&mut self) {
        if let Some(task) = self.server_task.take() {
            tokio::time::timeout(WAIT, task).await.expect("server did not finish").unwrap();
        }
    }

    /// The client side of a TLS handshake (after `220` to STARTTLS, or for implicit TLS).
    pub async fn tls(
        self,
        client: Arc<rustls::ClientConfig>,
    ) -> Result<TestClient<tokio_rustls::client::TlsStream<S>>, std::io::Error> {
        assert!(self.buffer.is_empty(), "plaintext left before the handshake");
        let connector = tokio_rustls::TlsConnector::from(client);
        let name = ServerName::try_from("localhost").unwrap();
        let stream = tokio::time::timeout(WAIT, connector.connect(name, self.stream))
            .await
            .expect("handshake hung")?;
        Ok(TestClient { stream, buffer: Vec::new(), server_task: self.server_task })
    }
}
