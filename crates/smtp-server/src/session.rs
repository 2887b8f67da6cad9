//! [`Session`] and [`Envelope`]: what a handler knows about the connection and the message in
//! progress, with aiosmtpd's meanings.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use bytes::Bytes;
use smtp_auth::AuthData;
use smtp_proto::address::{ForwardPath, ReversePath};
use smtp_proto::params::Body;
use smtp_proto::proxy::ProxyHeader;

/// The address of the other end of a connection.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PeerAddr {
    /// A TCP peer.
    Tcp(SocketAddr),
    /// A Unix-socket peer (the path is usually unnamed, hence optional).
    Unix(Option<PathBuf>),
    /// An in-memory stream (tests), with a label.
    Memory(String),
}

impl fmt::Display for PeerAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp(addr) => write!(f, "{addr}"),
            Self::Unix(Some(path)) => write!(f, "unix:{}", path.display()),
            Self::Unix(None) => f.write_str("unix:(unnamed)"),
            Self::Memory(label) => write!(f, "memory:{label}"),
        }
    }
}

/// What TLS protects a session, when it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsInfo {
    /// Whether TLS was there from the first byte (implicit TLS, "SMTPS") rather than started
    /// with STARTTLS.
    pub implicit: bool,
    /// The negotiated protocol version, e.g. `TLSv1_3`.
    pub protocol: Option<String>,
    /// The negotiated cipher suite, e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher_suite: Option<String>,
    /// The server name the client asked for (SNI).
    pub server_name: Option<String>,
    /// The negotiated ALPN protocol.
    pub alpn: Option<Vec<u8>>,
}

/// Values of the application's own, kept on a session by type (one value per type).
#[derive(Default)]
pub struct Extensions(HashMap<TypeId, Box<dyn Any + Send + Sync>>);

impl Extensions {
    /// Stores `value`, returning the previous value of the same type.
    pub fn insert<T: Any + Send + Sync>(&mut self, value: T) -> Option<T> {
        self.0
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.downcast::<T>().ok().map(|boxed| *boxed))
    }

    /// The stored value of type `T`.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.0.get(&TypeId::of::<T>()).and_then(|value| value.downcast_ref())
    }

    /// The stored value of type `T`, mutably.
    pub fn get_mut<T: Any + Send + Sync>(&mut self) -> Option<&mut T> {
        self.0.get_mut(&TypeId::of::<T>()).and_then(|value| value.downcast_mut())
    }

    /// Removes and returns the stored value of type `T`.
    pub fn remove<T: Any + Send + Sync>(&mut self) -> Option<T> {
        self.0.remove(&TypeId::of::<T>()).and_then(|old| old.downcast::<T>().ok().map(|b| *b))
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extensions").field("len", &self.0.len()).finish()
    }
}

/// The state of one connection (aiosmtpd's `Session`). A new one is made for every connection
/// and again after STARTTLS: authentication, the client's host name and any PROXY-free state
/// are gone after the handshake.
#[derive(Debug)]
pub struct Session {
    /// A number identifying the connection in logs (unique per server).
    pub id: u64,
    /// The address of the other end of the connection (the proxy, behind PROXY protocol).
    pub peer: PeerAddr,
    /// The client's real address: from the PROXY header when there is one, else `peer`.
    pub client: PeerAddr,
    /// TLS details, when the session is protected.
    pub tls: Option<TlsInfo>,
    /// The name the client gave in HELO, EHLO or LHLO.
    pub host_name: Option<String>,
    /// Whether the client greeted with EHLO or LHLO (ESMTP).
    pub extended_smtp: bool,
    /// The PROXY protocol header the connection started with.
    pub proxy_data: Option<ProxyHeader>,
    /// Whether the client has authenticated.
    pub authenticated: bool,
    /// What the successful authentication produced ([`smtp_auth::AuthResult::auth_data`]).
    pub auth_data: Option<AuthData>,
    /// The login of the authenticated user, when the authentication named one.
    pub login_data: Option<String>,
    /// The application's own values.
    pub extensions: Extensions,
}

impl Session {
    /// A fresh session for a connection from `peer`.
    pub fn new(id: u64, peer: PeerAddr) -> Self {
        Self {
            id,
            client: peer.clone(),
            peer,
            tls: None,
            host_name: None,
            extended_smtp: false,
            proxy_data: None,
            authenticated: false,
            auth_data: None,
            login_data: None,
            extensions: Extensions::default(),
        }
    }
}

/// The message in progress (aiosmtpd's `Envelope`). A new one is made on connect, HELO, EHLO,
/// RSET, STARTTLS, after a message is accepted or refused at its end.
#[derive(Clone, Debug, Default)]
pub struct Envelope {
    /// The reverse path of MAIL FROM (`ReversePath::Null` for `<>`); `None` before MAIL.
    pub mail_from: Option<ReversePath<'static>>,
    /// The MAIL parameters as sent, upper-cased (aiosmtpd's `mail_options`), e.g. `SIZE=1000`.
    pub mail_options: Vec<String>,
    /// The declared size (`SIZE=`), when given.
    pub declared_size: Option<u64>,
    /// The declared body type (`BODY=`), when given.
    pub body: Option<Body>,
    /// Whether the transaction uses SMTPUTF8 (RFC 6531).
    pub smtp_utf8: bool,
    /// The accepted recipients, in order.
    pub rcpt_tos: Vec<ForwardPath<'static>>,
    /// The RCPT parameters of each accepted recipient, as sent, upper-cased.
    pub rcpt_options: Vec<Vec<String>>,
    /// The message as received, dot-unstuffed (set before the DATA hook runs, unless the
    /// handler streams the body).
    pub content: Option<Bytes>,
    /// The same bytes as `content` (aiosmtpd keeps the undecoded bytes here; this server never
    /// decodes, so both are the same buffer).
    pub original_content: Option<Bytes>,
}

impl Envelope {
    /// Whether a MAIL command has been accepted in this transaction.
    pub fn has_sender(&self) -> bool {
        self.mail_from.is_some()
    }
}
