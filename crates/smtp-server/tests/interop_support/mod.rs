//! Shared helpers for the interop tests (smtplib, lettre): a handler that records every
//! delivered envelope with what the session knew, a configuration with TLS and AUTH, and a
//! server started on 127.0.0.1 with its bound port.
#![allow(dead_code, clippy::unwrap_used)]

pub mod json;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use smtp_server::handler::{Handler, HookResult};
use smtp_server::server::{Listen, ServerHandle};
use smtp_server::smtp_auth::{CramMd5, MemoryAuthenticator, ServerInfo};
use smtp_server::smtp_proto::params::Body;
use smtp_server::smtp_proto::reply::Reply;
use smtp_server::tls::{SelfSigned, self_signed};
use smtp_server::{Envelope, Server, ServerConfig, Session};

/// The one user the test servers know.
pub const LOGIN: &str = "alice";
/// Alice's password.
pub const PASSWORD: &str = "wonderland";

/// How long any interop step may take before the test fails.
pub const LIMIT: Duration = Duration::from_secs(60);

/// A delivered message with the session facts the tests check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrived {
    /// MAIL FROM as the server parsed it, with angle brackets.
    pub mail_from: String,
    /// The accepted recipients, with angle brackets.
    pub rcpt_tos: Vec<String>,
    /// Whether MAIL carried SMTPUTF8.
    pub smtp_utf8: bool,
    /// The declared BODY type.
    pub body: Option<Body>,
    /// The message exactly as the handler received it.
    pub content: Vec<u8>,
    /// The login recorded on the session by AUTH.
    pub login: Option<String>,
    /// Whether the session was authenticated.
    pub authenticated: bool,
    /// `None` without TLS; `Some(true)` for implicit TLS, `Some(false)` after STARTTLS.
    pub implicit_tls: Option<bool>,
}

/// Records every message that reaches the DATA hook.
#[derive(Clone, Default)]
pub struct Recording {
    arrived: Arc<Mutex<Vec<Arrived>>>,
}

impl Recording {
    /// Everything delivered so far, in order.
    pub fn arrived(&self) -> Vec<Arrived> {
        self.arrived.lock().unwrap().clone()
    }

    /// The single delivered message; fails the test when there is not exactly one.
    pub fn only(&self) -> Arrived {
        let arrived = self.arrived();
        assert_eq!(arrived.len(), 1, "expected exactly one delivered message: {arrived:#?}");
        arrived.into_iter().next().unwrap()
    }
}

#[async_trait]
impl Handler for Recording {
    async fn data(
        &self,
        _server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        let arrived = Arrived {
            mail_from: envelope.mail_from.as_ref().map(ToString::to_string).unwrap_or_default(),
            rcpt_tos: envelope.rcpt_tos.iter().map(ToString::to_string).collect(),
            smtp_utf8: envelope.smtp_utf8,
            body: envelope.body,
            content: envelope.content.as_ref().map(|c| c.to_vec()).unwrap_or_default(),
            login: session.login_data.clone(),
            authenticated: session.authenticated,
            implicit_tls: session.tls.as_ref().map(|tls| tls.implicit),
        };
        self.arrived.lock().unwrap().push(arrived);
        Ok(Reply::ok())
    }
}

/// A fresh self-signed certificate for `localhost` (and 127.0.0.1).
pub fn certificate() -> SelfSigned {
    self_signed("localhost").unwrap()
}

/// TLS with `certificate`, alice/wonderland, CRAM-MD5 besides PLAIN and LOGIN, no failure
/// delay (the tests count replies, not time).
pub fn auth_tls_config(certificate: &SelfSigned) -> ServerConfig {
    ServerConfig {
        hostname: "mx.test".into(),
        tls: Some(Arc::clone(&certificate.config)),
        authenticator: Some(Arc::new(MemoryAuthenticator::new().with_user(LOGIN, PASSWORD))),
        extra_mechanisms: vec![Arc::new(CramMd5::new())],
        auth_failure_delay: Duration::ZERO,
        ..ServerConfig::default()
    }
}

/// A running server on an ephemeral 127.0.0.1 port.
pub struct Running {
    /// The handle; dropping it stops everything.
    pub handle: ServerHandle,
    /// The bound address.
    pub addr: SocketAddr,
}

impl Running {
    /// Starts `handler` with `config` on 127.0.0.1:0 (`implicit_tls` for an SMTPS listener).
    pub async fn start(config: ServerConfig, handler: impl Handler, implicit_tls: bool) -> Self {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let listen = if implicit_tls { Listen::ImplicitTls(any) } else { Listen::Tcp(any) };
        let handle = Server::new(config, handler).start([listen]).await.unwrap();
        let addr = handle.local_addr().unwrap();
        Self { handle, addr }
    }

    /// Shuts the server down gracefully (every connection has ended), bounded in time.
    pub async fn stop(self) {
        tokio::time::timeout(LIMIT, self.handle.shutdown()).await.expect("shutdown hung");
    }
}
