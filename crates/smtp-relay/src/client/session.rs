//! Opening a session ready for transactions: connect, (implicit TLS,) greeting, EHLO,
//! STARTTLS per [`TlsPolicy`] and EHLO again, then AUTH when credentials are given.
//!
//! | policy | STARTTLS offered | not offered | handshake or certificate fails |
//! |---|---|---|---|
//! | `Required` | used | [`DeliveryError::Tls`] | [`DeliveryError::Tls`] |
//! | `Implicit` | (TLS from the first byte) | — | [`DeliveryError::Tls`] |
//! | `Opportunistic` | used | plain text | one new connection in plain text |
//! | `Off` | not used | plain text | — |
//!
//! `Opportunistic` treats a refused STARTTLS (e.g. `454`) like one not offered and goes on in
//! plain text on the same connection; a failed handshake leaves the connection unusable, so it
//! reconnects once without STARTTLS (what MTAs do: an expired certificate at the receiver must
//! not stop mail that would otherwise go in plain text). Credentials are never sent without
//! TLS: with credentials, a session that ends up in plain text is [`DeliveryError::Tls`].

use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::auth;
use super::config::ClientConfig;
use super::connection::{Connection, limited};
use super::hello::{greeting, hello};
use super::stage::Stage;
use super::stream::Stream;
use super::tls;
use crate::transport::{DeliveryError, Destination, SmarthostCredentials, TlsPolicy};

/// What a session needs to open.
pub struct Opening<'a> {
    /// Settings.
    pub config: &'a ClientConfig,
    /// The TLS connector.
    pub connector: &'a TlsConnector,
    /// Where to.
    pub destination: &'a Destination,
    /// Smarthost credentials.
    pub credentials: Option<&'a SmarthostCredentials>,
}

/// How STARTTLS went on an open connection.
enum Upgrade {
    /// The connection is ready (under TLS or, as the policy allows, in plain text).
    Ready(Box<Connection>),
    /// The handshake failed under `Opportunistic`: reconnect in plain text.
    RetryPlain(DeliveryError),
}

impl Opening<'_> {
    /// Opens the session.
    pub async fn open(&self) -> Result<Connection, DeliveryError> {
        match self.open_with(self.destination.tls).await? {
            Upgrade::Ready(conn) => Ok(*conn),
            Upgrade::RetryPlain(error) => {
                tracing::debug!(host = %self.destination.host, stage = Stage::Tls.name(), %error, "STARTTLS failed; retrying once in plain text");
                match self.open_with(TlsPolicy::Off).await? {
                    Upgrade::Ready(conn) => Ok(*conn),
                    Upgrade::RetryPlain(error) => Err(error),
                }
            }
        }
    }

    async fn open_with(&self, policy: TlsPolicy) -> Result<Upgrade, DeliveryError> {
        let tcp = self.connect().await?;
        let timeouts = self.config.timeouts;
        let host = &self.destination.host;
        let stream = if policy == TlsPolicy::Implicit {
            let name = tls::server_name(&self.destination.tls_name)?;
            limited(Stage::Tls, &timeouts, tls::handshake(self.connector, name, tcp)).await?
        } else {
            Stream::Plain(tcp)
        };
        let mut conn = Connection::new(stream, host, timeouts);
        let greeted = match greeting(&mut conn).await {
            Ok(()) => hello(&mut conn, &self.config.ehlo_name).await,
            Err(error) => Err(error),
        };
        if let Err(error) = greeted {
            return Err(close(conn, error).await);
        }
        let mut conn = match self.start_tls(conn, policy).await? {
            Upgrade::Ready(conn) => *conn,
            retry @ Upgrade::RetryPlain(_) => return Ok(retry),
        };
        if let Some(credentials) = self.credentials {
            if !conn.is_tls() {
                conn.quit().await;
                return Err(DeliveryError::Tls(
                    "not sending credentials without TLS (no STARTTLS)".to_owned(),
                ));
            }
            if let Err(error) = auth::authenticate(&mut conn, credentials).await {
                return Err(close(conn, error).await);
            }
        }
        Ok(Upgrade::Ready(Box::new(conn)))
    }

    async fn connect(&self) -> Result<TcpStream, DeliveryError> {
        let Destination { host, port, .. } = self.destination;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        tracing::debug!(host = %host, port, stage = Stage::Connect.name(), "connecting");
        let connect = async {
            TcpStream::connect((bare, *port)).await.map_err(|error| DeliveryError::Connect {
                host: host.clone(),
                reason: error.to_string(),
            })
        };
        limited(Stage::Connect, &self.config.timeouts, connect).await
    }

    /// STARTTLS as `policy` says, then EHLO again under TLS.
    async fn start_tls(
        &self,
        mut conn: Connection,
        policy: TlsPolicy,
    ) -> Result<Upgrade, DeliveryError> {
        let required = match policy {
            TlsPolicy::Off | TlsPolicy::Implicit => return Ok(Upgrade::Ready(Box::new(conn))),
            TlsPolicy::Required => true,
            TlsPolicy::Opportunistic => false,
        };
        if !conn.capabilities.starttls {
            if required {
                conn.quit().await;
                return Err(DeliveryError::Tls("the server does not offer STARTTLS".to_owned()));
            }
            return Ok(Upgrade::Ready(Box::new(conn)));
        }
        let reply = conn.command(Stage::Tls, "STARTTLS").await?;
        tracing::debug!(host = %conn.host(), stage = Stage::Tls.name(), code = %reply.code(), "STARTTLS");
        if reply.code().get() != 220 {
            if required {
                conn.quit().await;
                return Err(DeliveryError::Tls(format!("STARTTLS refused: {reply}")));
            }
            return Ok(Upgrade::Ready(Box::new(conn)));
        }
        let mut conn = match conn.start_tls(self.connector, &self.destination.tls_name).await {
            Ok(conn) => conn,
            Err(error @ DeliveryError::Tls(_)) if !required => {
                return Ok(Upgrade::RetryPlain(error));
            }
            Err(error) => return Err(error),
        };
        if let Err(error) = hello(&mut conn, &self.config.ehlo_name).await {
            return Err(close(conn, error).await);
        }
        Ok(Upgrade::Ready(Box::new(conn)))
    }
}

/// Ends a session that failed with `error`: after a refusal the server is still talking to
/// us, so it gets a QUIT (RFC 5321 §3.1 asks this after a 554 greeting); after anything else
/// the connection is just closed.
async fn close(conn: Connection, error: DeliveryError) -> DeliveryError {
    if matches!(error, DeliveryError::Refused(_)) {
        conn.quit().await;
    }
    error
}
