//! [`Relay`]: the whole relay wired together — data directory, users, queue, TLS, routing,
//! outbound client, delivery scheduler, submission server and control socket.
//!
//! [`Relay::start`] opens everything under [`RelayConfig::data_dir`]:
//!
//! | path | what |
//! |---|---|
//! | `relayer.lock` | the owning process's id (one process per data directory) |
//! | `users.sqlite` | users and their senders (argon2id hashes) |
//! | `queue/` | the durable queue ([`DirQueue`]) |
//! | `tls/cert.pem`, `tls/key.pem` | the generated self-signed certificate (key 0600) |
//! | `control.sock` | queue administration ([`control`], mode 0600) |
//!
//! The submission server always requires AUTH before MAIL (`530 5.7.0`) and offers AUTH only
//! under TLS; nothing in [`RelayConfig`] turns that off, so the relay is never open.
//!
//! **Delivery is at-least-once.** A message is on disk (fsynced) before its 250; after a crash
//! or `kill -9` the next start finds every accepted message and delivers it. A crash between
//! the next hop's 250 and the queue update sends that message again: duplicates are possible,
//! losses are not.

pub mod admin;
pub mod config;
pub mod control;
mod dsn;
pub mod error;
pub mod lock;
mod tls;

pub use admin::QueueAdmin;
pub use config::{DataDir, Fallback, RelayConfig, TlsSource};
pub use control::{ControlClient, QueueEntry};
pub use error::RelayError;
pub use lock::{DataDirLock, LockError};

use std::os::unix::fs::DirBuilderExt as _;
use std::sync::Arc;

use smtp_server::server::{BoundAddr, Listen, ServerHandle, ShutdownTrigger};
use smtp_server::{Server, ServerConfig};
use tower::util::BoxCloneService;

use crate::client::{ClientConfig, SmtpTransport};
use crate::delivery::{Scheduler, SchedulerHandle};
use crate::queue::{DirQueue, QueueStore};
use crate::route::{MxRouter, Router, SmarthostRouter};
use crate::submission::RelayHandler;
use crate::users::{RelayAuthenticator, UserStore};

/// How long a PROXY header may take when [`RelayConfig::proxy_protocol`] does not say.
const DEFAULT_PROXY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Starts relays.
#[derive(Debug)]
pub struct Relay;

impl Relay {
    /// Opens the data directory and starts serving (see the module documentation).
    pub async fn start(config: RelayConfig) -> Result<RelayHandle, RelayError> {
        let data = DataDir(config.data_dir.clone());
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&data.0)
            .map_err(|source| RelayError::Io { what: "creating the data directory", source })?;
        let lock = DataDirLock::acquire(&data.lock_file())?;
        let users = UserStore::open(data.users()).await?;
        let queue: Arc<dyn QueueStore> = Arc::new(DirQueue::open(data.queue()).await?);
        let server_tls = tls::server_tls(&config.tls, &data, &config.hostname)?;

        let transport = SmtpTransport::new(ClientConfig {
            timeouts: config.client_timeouts,
            extra_roots: config.client_extra_roots.clone(),
            ..ClientConfig::new(config.hostname.clone())
        })?;
        let router = router(&config)?;
        let dsn = Arc::new(dsn::RelayDsn { hostname: config.hostname.clone() });
        let scheduler =
            Scheduler::new(Arc::clone(&queue), router, BoxCloneService::new(transport), dsn)
                .retry_policy(config.retry)
                .spawn();

        let handler =
            RelayHandler::new(users.clone(), queue, scheduler.clone(), config.literal_recipients);
        let server = Server::new(server_config(&config, server_tls, &users), handler);
        let mut listen = vec![Listen::Tcp(config.listen)];
        listen.extend(config.smtps_listen.map(Listen::ImplicitTls));
        let server = match server.start(listen).await {
            Ok(server) => server,
            Err(error) => {
                scheduler.shutdown().await;
                return Err(RelayError::Listen(error));
            }
        };
        let control = if config.control_socket {
            Some(control::serve(&data.control_socket(), scheduler.clone())?)
        } else {
            None
        };
        Ok(RelayHandle { server, scheduler, users, control, data, _lock: lock })
    }
}

/// The server settings: the operator's limits with the relay's fixed security settings.
fn server_config(
    config: &RelayConfig,
    tls: Arc<rustls::ServerConfig>,
    users: &UserStore,
) -> ServerConfig {
    ServerConfig {
        hostname: config.hostname.clone(),
        tls: Some(tls),
        auth_required: true,
        auth_require_tls: true,
        authenticator: Some(Arc::new(RelayAuthenticator::new(users.clone()))),
        proxy_protocol_timeout: config
            .proxy_protocol
            .map(|timeout| if timeout.is_zero() { DEFAULT_PROXY_TIMEOUT } else { timeout }),
        ..config.server.clone()
    }
}

/// Static routes in front of the fallback.
fn router(config: &RelayConfig) -> Result<Arc<dyn Router>, RelayError> {
    let fallback: Option<Arc<dyn Router>> = match &config.fallback {
        Fallback::Mx => Some(Arc::new(MxRouter::from_system_conf()?)),
        Fallback::Smarthost { destination, credentials } => {
            Some(Arc::new(SmarthostRouter::new(destination.clone(), credentials.clone())))
        }
        Fallback::Nothing => None,
    };
    let routes = config.routes.clone();
    Ok(Arc::new(match fallback {
        Some(fallback) => routes.with_fallback(fallback),
        None => routes,
    }))
}

/// A running relay. Dropping it stops everything at once; [`RelayHandle::shutdown`] is the
/// graceful way.
pub struct RelayHandle {
    server: ServerHandle,
    scheduler: SchedulerHandle,
    users: UserStore,
    control: Option<control::ControlTask>,
    data: DataDir,
    _lock: DataDirLock,
}

impl std::fmt::Debug for RelayHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayHandle")
            .field("addrs", &self.server.local_addrs())
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}

impl RelayHandle {
    /// The bound listeners: the submission listener first, then the implicit-TLS one.
    pub fn local_addrs(&self) -> &[BoundAddr] {
        self.server.local_addrs()
    }

    /// The delivery scheduler (queue admin API).
    pub fn scheduler(&self) -> &SchedulerHandle {
        &self.scheduler
    }

    /// The user store.
    pub fn users(&self) -> &UserStore {
        &self.users
    }

    /// The data directory.
    pub fn data_dir(&self) -> &DataDir {
        &self.data
    }

    /// A trigger for the graceful shutdown (signal handlers); [`RelayHandle::wait`] returns
    /// once it fired and everything stopped.
    pub fn shutdown_trigger(&self) -> ShutdownTrigger {
        self.server.shutdown_trigger()
    }

    /// Shuts down gracefully: stops accepting, lets transactions finish (up to the server's
    /// grace period), finishes the deliveries under way, removes the control socket and the
    /// lock. Queued messages stay for the next start.
    pub async fn shutdown(self) {
        let Self { server, scheduler, control, _lock, .. } = self;
        server.shutdown().await;
        drop(control);
        scheduler.shutdown().await;
    }

    /// Runs until the [`RelayHandle::shutdown_trigger`] fires, then shuts down gracefully.
    pub async fn wait(self) {
        let Self { server, scheduler, control, _lock, .. } = self;
        server.wait().await;
        drop(control);
        scheduler.shutdown().await;
    }
}
