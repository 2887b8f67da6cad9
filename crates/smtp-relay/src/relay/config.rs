//! [`RelayConfig`]: every setting of a relay, each with its documented default.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use smtp_server::ServerConfig;

use crate::client::Timeouts;
use crate::delivery::RetryPolicy;
use crate::route::StaticRouter;
use crate::submission::LiteralRecipients;
use crate::transport::{Destination, SmarthostCredentials};

/// Where the TLS certificate comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TlsSource {
    /// A self-signed certificate for the host name, generated on first start and kept in
    /// `<data dir>/tls/` (`cert.pem`, `key.pem` with mode 0600), reused after restarts.
    #[default]
    SelfSigned,
    /// A certificate chain and private key from PEM files.
    Files {
        /// The certificate chain (end-entity certificate first).
        cert: PathBuf,
        /// The private key.
        key: PathBuf,
    },
}

/// Where mail goes for domains without a static route.
#[derive(Clone, Debug, Default)]
pub enum Fallback {
    /// MX lookup with the system's resolver configuration (the default). MX records and
    /// address literals may point at loopback or private addresses; the submission handler
    /// refuses address-literal recipients by default, but an MX record under a user's
    /// control can still point inside: run an Internet-facing relay where its network
    /// cannot reach internal hosts, or use a smarthost.
    #[default]
    Mx,
    /// Everything through one smarthost.
    Smarthost {
        /// The smarthost.
        destination: Destination,
        /// Its credentials (sent only under TLS).
        credentials: Option<SmarthostCredentials>,
    },
    /// No fallback: domains without a static route fail permanently (tests, closed setups).
    Nothing,
}

/// Every setting of a relay. Start from [`RelayConfig::default`] and change what you need.
///
/// No setting turns off authentication: the relay's server always has `auth_required` and
/// `auth_require_tls` on, whatever [`RelayConfig::server`] says.
#[derive(Clone, Debug)]
pub struct RelayConfig {
    /// The data directory: `users.sqlite`, `queue/`, `tls/`, `control.sock`, `relayer.lock`.
    /// Default: `./relayer-data`.
    pub data_dir: PathBuf,
    /// The submission listener (STARTTLS). Default: `127.0.0.1:8587`.
    pub listen: SocketAddr,
    /// An implicit-TLS listener (RFC 8314), when set. Default: none.
    pub smtps_listen: Option<SocketAddr>,
    /// This relay's host name (greeting, `Received:`, EHLO towards other servers, DSNs).
    /// Default: the machine's host name.
    pub hostname: String,
    /// The TLS certificate. Default: self-signed, kept in the data directory.
    pub tls: TlsSource,
    /// Static routes (`domain=host:port`), tried first. Default: none.
    pub routes: StaticRouter,
    /// Where other domains go. Default: MX lookup.
    pub fallback: Fallback,
    /// Retry intervals and the queue lifetime. Default: [`RetryPolicy::default`] (1 min
    /// doubling to 1 h, 5 days).
    pub retry: RetryPolicy,
    /// Expect a PROXY protocol v1/v2 header (HAProxy `send-proxy-v2`) on every connection,
    /// waiting at most this long. Default: none.
    pub proxy_protocol: Option<Duration>,
    /// Address-literal recipients. Default: refused with `550 5.7.1`.
    pub literal_recipients: LiteralRecipients,
    /// Limits and timeouts of the submission server (size, recipients, AUTH failures, …).
    /// Its `hostname`, `tls`, `authenticator`, `auth_required`, `auth_require_tls` and
    /// `proxy_protocol_timeout` are set by the relay. Default: [`ServerConfig::default`].
    pub server: ServerConfig,
    /// Outbound step timeouts. Default: RFC 5321's.
    pub client_timeouts: Timeouts,
    /// Extra roots the outbound client trusts (a private CA of a smarthost). Default: none.
    pub client_extra_roots: Vec<CertificateDer<'static>>,
    /// Serve the queue admin socket `<data dir>/control.sock`. Default: on.
    pub control_socket: bool,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("relayer-data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8587)),
            smtps_listen: None,
            hostname: smtp_server::config::default_hostname(),
            tls: TlsSource::default(),
            routes: StaticRouter::default(),
            fallback: Fallback::default(),
            retry: RetryPolicy::default(),
            proxy_protocol: None,
            literal_recipients: LiteralRecipients::default(),
            server: ServerConfig::default(),
            client_timeouts: Timeouts::default(),
            client_extra_roots: Vec::new(),
            control_socket: true,
        }
    }
}

impl RelayConfig {
    /// The user database file.
    pub fn users_path(&self) -> PathBuf {
        self.data_dir.join("users.sqlite")
    }

    /// The queue directory.
    pub fn queue_dir(&self) -> PathBuf {
        self.data_dir.join("queue")
    }
}

/// The files of a data directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataDir(pub PathBuf);

impl DataDir {
    /// The user database.
    pub fn users(&self) -> PathBuf {
        self.0.join("users.sqlite")
    }
    /// The queue directory.
    pub fn queue(&self) -> PathBuf {
        self.0.join("queue")
    }
    /// The control socket of a running relay.
    pub fn control_socket(&self) -> PathBuf {
        self.0.join("control.sock")
    }
    /// The lock file of the process that owns the queue.
    pub fn lock_file(&self) -> PathBuf {
        self.0.join("relayer.lock")
    }
    /// The generated certificate.
    pub fn cert(&self) -> PathBuf {
        self.0.join("tls").join("cert.pem")
    }
    /// The generated certificate's key.
    pub fn key(&self) -> PathBuf {
        self.0.join("tls").join("key.pem")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let config = RelayConfig::default();
        assert_eq!(config.listen, SocketAddr::from(([127, 0, 0, 1], 8587)));
        assert_eq!(config.data_dir, PathBuf::from("relayer-data"));
        assert_eq!(config.tls, TlsSource::SelfSigned);
        assert!(matches!(config.fallback, Fallback::Mx));
        assert_eq!(config.literal_recipients, LiteralRecipients::Refuse);
        assert!(config.control_socket && config.smtps_listen.is_none());
        let dir = DataDir(config.data_dir.clone());
        assert_eq!(config.users_path(), dir.users());
        assert_eq!(config.queue_dir(), dir.queue());
        assert_eq!(dir.control_socket(), PathBuf::from("relayer-data/control.sock"));
    }
}
