//! What every connection of one server shares: the settings, the handler, the mechanisms, the
//! TLS acceptor, the shutdown signal.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use smtp_auth::{MechanismRegistry, ServerInfo};
use smtp_proto::ehlo::Capabilities;
use smtp_proto::reply::Reply;
use tokio::sync::watch;

use crate::config::ServerConfig;
use crate::handler::Handler;
use crate::session::{Envelope, Session};

/// The state shared by all connections of a server.
pub(crate) struct Shared {
    /// The settings.
    pub config: ServerConfig,
    /// The application's hooks.
    pub handler: Arc<dyn Handler>,
    /// What hooks and authenticators are told about the server.
    pub info: ServerInfo,
    /// The AUTH mechanisms on offer: PLAIN and LOGIN, the configured extras, the handler's own
    /// (replacing built-ins of the same name), minus the excluded names.
    pub mechanisms: MechanismRegistry<Session, Envelope>,
    /// The TLS acceptor, when TLS is configured.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
    /// Becomes `true` when a graceful shutdown starts.
    pub shutdown: watch::Receiver<bool>,
    /// The `220` greeting, built once.
    pub greeting: Reply,
    /// The EHLO replies, built once: nothing in them changes from one session to the next.
    ehlo: EhloReplies,
    next_id: AtomicU64,
}

/// The EHLO capability lists of a server, before and after TLS.
struct EhloReplies {
    /// On a plain connection (STARTTLS offered when TLS is configured; AUTH only when it is
    /// allowed without TLS).
    plain: Reply,
    /// Over TLS (no STARTTLS; AUTH whenever mechanisms are on offer).
    tls: Reply,
}

impl Shared {
    /// Builds the shared state; `shutdown` is the receiving end of the server's shutdown signal.
    pub fn new(
        config: ServerConfig,
        handler: Arc<dyn Handler>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        let mut mechanisms = MechanismRegistry::with_builtins();
        for mechanism in config.extra_mechanisms.iter().chain(handler.mechanisms().iter()) {
            if let Err(error) = mechanisms.register(Arc::clone(mechanism)) {
                tracing::warn!(%error, "AUTH mechanism not registered");
            }
        }
        for name in &config.auth_exclude_mechanism {
            mechanisms.exclude(name);
        }
        let tls = config.tls.clone().map(tokio_rustls::TlsAcceptor::from);
        let info = ServerInfo::new(config.hostname.clone());
        let tls_configured = tls.is_some();
        let ehlo = EhloReplies {
            plain: capabilities(&config, &mechanisms, tls_configured, false).to_reply(),
            tls: capabilities(&config, &mechanisms, tls_configured, true).to_reply(),
        };
        let greeting = Reply::greeting(&config.hostname, &config.ident);
        Self {
            config,
            handler,
            info,
            mechanisms,
            tls,
            shutdown,
            greeting,
            ehlo,
            next_id: AtomicU64::new(1),
        }
    }

    /// The EHLO reply for a session over TLS (`over_tls`) or not, before the `ehlo` hook.
    pub fn ehlo_reply(&self, over_tls: bool) -> &Reply {
        if over_tls { &self.ehlo.tls } else { &self.ehlo.plain }
    }

    /// A new connection number.
    pub fn next_connection_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Whether a graceful shutdown has started.
    pub fn is_shutting_down(&self) -> bool {
        *self.shutdown.borrow()
    }
}

/// What EHLO offers: the size limit, 8BITMIME, SMTPUTF8 when enabled, STARTTLS on a plain
/// connection when TLS is configured, AUTH with the mechanisms when allowed on this
/// connection, PIPELINING, ENHANCEDSTATUSCODES, CHUNKING and BINARYMIME.
fn capabilities(
    config: &ServerConfig,
    mechanisms: &MechanismRegistry<Session, Envelope>,
    tls_configured: bool,
    over_tls: bool,
) -> Capabilities {
    let auth_offered = !config.auth_require_tls || over_tls;
    let mechanisms: Vec<String> = if auth_offered {
        mechanisms.names().map(|name| name.as_str().to_owned()).collect()
    } else {
        Vec::new()
    };
    Capabilities::new(config.hostname.clone())
        .size(config.size_limit())
        .eight_bit_mime(true)
        .smtputf8(config.enable_smtputf8)
        .starttls(tls_configured && !over_tls)
        .auth(mechanisms)
        .pipelining(true)
        .enhanced_status_codes(true)
        .chunking(true)
        .binary_mime(true)
}
