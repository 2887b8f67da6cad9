//! What every connection of one server shares: the settings, the handler, the mechanisms, the
//! TLS acceptor, the shutdown signal.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use smtp_auth::{MechanismRegistry, ServerInfo};
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
    next_id: AtomicU64,
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
        Self { config, handler, info, mechanisms, tls, shutdown, next_id: AtomicU64::new(1) }
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
