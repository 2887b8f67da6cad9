//! [`RelayError`]: why a relay could not start, or a queue admin request failed.

use std::io;

use smtp_server::tls::TlsError;

use super::lock::LockError;
use crate::client::TlsSetupError;
use crate::delivery::AdminError;
use crate::queue::QueueError;
use crate::route::LookupError;
use crate::users::UserStoreError;

/// Why a relay could not start (each names its part, for the operator).
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// A file or socket operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The system's reason.
        source: io::Error,
    },
    /// The data directory belongs to another process.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// The user database.
    #[error(transparent)]
    Users(#[from] UserStoreError),
    /// The queue.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The TLS certificate or key.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The outbound client's TLS roots.
    #[error(transparent)]
    Client(#[from] TlsSetupError),
    /// The system resolver configuration (MX routing).
    #[error("MX routing: {0}")]
    Resolver(#[from] LookupError),
    /// Binding a listener.
    #[error("cannot listen: {0}")]
    Listen(io::Error),
    /// A queue admin request failed.
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// The running relay's control socket answered with an error or broke its protocol.
    #[error("control socket: {0}")]
    Control(String),
}
