//! [`SmtpTransport`]: the client as a `tower::Service<DeliveryRequest>`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio_rustls::TlsConnector;
use tower_service::Service;

use super::config::ClientConfig;
use super::connection::Connection;
use super::live::ClientSession;
use super::pool::{Pool, PoolKey};
use super::session::Opening;
use super::tls::{TlsSetupError, connector};
use super::transaction::transact;
use crate::transport::{
    DeliveryError, DeliveryReport, DeliveryRequest, Destination, SmarthostCredentials,
};

/// The outbound SMTP client. Clones are cheap and share the settings, the TLS configuration
/// and the connection pool.
///
/// Each call delivers one request: it takes a kept connection to the destination (checked
/// with RSET; a broken one is dropped and a new connection opened, once) or opens one, runs
/// the transaction, and keeps the connection after success (QUIT when the pool is full).
/// `poll_ready` is always ready: concurrency limits, overall deadlines and retries are tower
/// layers around it.
#[derive(Clone)]
pub struct SmtpTransport {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    connector: TlsConnector,
    pool: Pool,
}

impl std::fmt::Debug for SmtpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpTransport")
            .field("config", &self.inner.config)
            .field("idle", &self.inner.pool.idle_count())
            .finish_non_exhaustive()
    }
}

impl SmtpTransport {
    /// A client with `config`; fails when an extra root certificate is unusable.
    pub fn new(config: ClientConfig) -> Result<Self, TlsSetupError> {
        let connector = connector(&config.extra_roots)?;
        let pool = Pool::new(config.pool);
        Ok(Self { inner: Arc::new(Inner { config, connector, pool }) })
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Connections kept for reuse right now.
    pub fn idle_connections(&self) -> usize {
        self.inner.pool.idle_count()
    }

    /// Delivers one request (what [`Service::call`] does).
    pub async fn deliver(&self, request: DeliveryRequest) -> Result<DeliveryReport, DeliveryError> {
        let key = PoolKey::new(&request.destination, request.credentials.as_ref());
        let conn = match self.reuse(&key).await {
            Some(conn) => conn,
            None => self.open(&request).await?,
        };
        self.run(conn, key, &request).await
    }

    /// A kept connection that answers RSET, if any.
    async fn reuse(&self, key: &PoolKey) -> Option<Connection> {
        let mut conn = self.inner.pool.take(key)?;
        match conn.reset().await {
            Ok(()) => {
                tracing::debug!(host = %conn.host(), stage = "reuse", "reusing a kept connection");
                Some(conn)
            }
            Err(error) => {
                tracing::debug!(host = %conn.host(), stage = "reuse", %error, "kept connection broken; opening a new one");
                None
            }
        }
    }

    /// Opens a session to `destination` for a caller that drives it command by command
    /// ([`ClientSession`]); never taken from or returned to the pool.
    pub async fn open_session(
        &self,
        destination: &Destination,
        credentials: Option<&SmarthostCredentials>,
    ) -> Result<ClientSession, DeliveryError> {
        let opening = Opening {
            config: &self.inner.config,
            connector: &self.inner.connector,
            destination,
            credentials,
        };
        Ok(ClientSession::new(opening.open().await?))
    }

    async fn open(&self, request: &DeliveryRequest) -> Result<Connection, DeliveryError> {
        Opening {
            config: &self.inner.config,
            connector: &self.inner.connector,
            destination: &request.destination,
            credentials: request.credentials.as_ref(),
        }
        .open()
        .await
    }

    async fn run(
        &self,
        mut conn: Connection,
        key: PoolKey,
        request: &DeliveryRequest,
    ) -> Result<DeliveryReport, DeliveryError> {
        let server = conn.host().to_owned();
        match transact(&mut conn, request).await {
            Ok(recipients) => {
                if let Some(surplus) = self.inner.pool.put(key, conn) {
                    surplus.quit().await;
                }
                Ok(DeliveryReport { server, recipients })
            }
            Err(error) => {
                tracing::debug!(host = %server, %error, "delivery attempt failed");
                if matches!(error, DeliveryError::Refused(_)) {
                    conn.quit().await;
                }
                Err(error)
            }
        }
    }
}

impl Service<DeliveryRequest> for SmtpTransport {
    type Response = DeliveryReport;
    type Error = DeliveryError;
    type Future = Pin<Box<dyn Future<Output = Result<DeliveryReport, DeliveryError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: DeliveryRequest) -> Self::Future {
        let transport = self.clone();
        Box::pin(async move { transport.deliver(request).await })
    }
}
