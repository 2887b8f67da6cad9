//! [`ServerConfig`]: every setting of the server, each with a documented default.
//!
//! The configuration is a plain struct: start from [`ServerConfig::default`] and change the
//! fields you need.
//!
//! ```
//! use std::time::Duration;
//! use smtp_server::ServerConfig;
//!
//! let config = ServerConfig {
//!     hostname: "mx.example".into(),
//!     data_size_limit: Some(10 * 1024 * 1024),
//!     timeout: Duration::from_secs(60),
//!     ..ServerConfig::default()
//! };
//! assert_eq!(config.max_recipients, 1000);
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use smtp_auth::Authenticator;
use smtp_proto::address::AddressLimits;
use smtp_proto::data::BareLineEndingPolicy;

use crate::handler::ServerMechanism;
use crate::session::{Envelope, Session};

/// The authenticator type the server uses.
pub type ServerAuthenticator = Arc<dyn Authenticator<Session, Envelope>>;

/// aiosmtpd's `command_call_limit`: how often each verb may be used on one connection.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CallLimits {
    /// Budgets per verb (upper case, e.g. `"NOOP"`); unknown verbs count under their own name.
    pub per_verb: HashMap<String, u32>,
    /// The budget of verbs not in `per_verb`; `None` means unlimited.
    pub default: Option<u32>,
}

impl CallLimits {
    /// The same budget for every verb (aiosmtpd's `command_call_limit=N`).
    pub fn uniform(limit: u32) -> Self {
        Self { per_verb: HashMap::new(), default: Some(limit) }
    }

    /// The budget of `verb` (upper case), if limited.
    pub fn limit_for(&self, verb: &str) -> Option<u32> {
        self.per_verb.get(verb).copied().or(self.default)
    }
}

/// Every setting of an SMTP server.
#[derive(Clone)]
pub struct ServerConfig {
    /// The name in the greeting, the HELO reply and the first EHLO line. Default: this
    /// machine's host name (read without DNS, so it never blocks).
    pub hostname: String,
    /// The text after the host name in the greeting. Default: `smtpd <version>`.
    pub ident: String,
    /// The largest message accepted, in octets after dot-unstuffing (RFC 1870), advertised as
    /// `SIZE`. `None` (or `Some(0)`) means no limit and no `SIZE` keyword. Default: 33,554,432.
    pub data_size_limit: Option<u64>,
    /// The longest command line, in octets without CRLF (MAIL gets +26 for SIZE and +10 for
    /// SMTPUTF8 in ESMTP sessions). Default: 512.
    pub command_line_limit: usize,
    /// The longest AUTH command and SASL response line (RFC 4954 §4). Default: 12,288.
    pub sasl_line_limit: usize,
    /// The longest DATA line, in octets with CRLF, counted before dot-unstuffing; longer lines
    /// get `500 5.5.2 Line too long` after the final dot. `None` means unlimited (BDAT chunks
    /// are never split into lines). Default: 1001, as aiosmtpd (RFC 5321 §4.5.3.1.6 allows
    /// 1000 plus the stuffing dot).
    pub data_line_limit: Option<usize>,
    /// What to do with a bare CR or LF inside message data. Default: keep it.
    pub bare_line_endings: BareLineEndingPolicy,
    /// Address length limits. Default: none beyond the command-line limit (as aiosmtpd and
    /// Postfix); [`AddressLimits::default`] gives RFC 5321's 64/255/256.
    pub address_limits: AddressLimits,
    /// Offer SMTPUTF8 (RFC 6531). Default: off.
    pub enable_smtputf8: bool,
    /// Refuse everything but NOOP, EHLO, STARTTLS and QUIT before TLS (only when `tls` is
    /// set). Default: off.
    pub require_starttls: bool,
    /// The TLS configuration for STARTTLS and implicit-TLS listeners. Default: none (STARTTLS
    /// answers `454 4.7.0 TLS not available`).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The idle timeout: the longest wait for the client's next bytes, refreshed by every read
    /// (also during DATA). On expiry: `421 4.4.2` and close. Default: 300 s.
    pub timeout: Duration,
    /// The longest a connection may last in all. Default: 1 hour.
    pub session_timeout: Duration,
    /// Refuse HELP, VRFY, MAIL, RCPT and DATA with `530 5.7.0` until the client has
    /// authenticated. Default: off.
    pub auth_required: bool,
    /// Offer and accept AUTH only under TLS (STARTTLS or implicit TLS). Default: on.
    pub auth_require_tls: bool,
    /// Mechanism names not to offer, built-ins included (any case). Default: none.
    pub auth_exclude_mechanism: Vec<String>,
    /// The credential check; without one, every AUTH attempt fails with 535. Default: none.
    pub authenticator: Option<ServerAuthenticator>,
    /// More mechanisms to offer (e.g. `smtp_auth::CramMd5`), besides PLAIN, LOGIN and the
    /// handler's own. Default: none.
    pub extra_mechanisms: Vec<ServerMechanism>,
    /// Per-verb budgets (aiosmtpd's `command_call_limit`); over budget: `421 4.7.0 <VERB> sent
    /// too many times` and close. Default: none.
    pub command_call_limit: Option<CallLimits>,
    /// Unknown commands allowed per connection; the last one gets `502 5.5.1 Too many
    /// unrecognized commands, goodbye.` and the connection closes. Default: 5.
    pub max_unknown_commands: u32,
    /// Failed AUTH attempts allowed per connection; the last one's reply is followed by
    /// `421 4.7.0` and the connection closes. Default: 3.
    pub max_auth_failures: u32,
    /// The pause before answering a failed AUTH attempt, multiplied by the number of failures
    /// so far (slows brute force without holding a thread). Default: 250 ms.
    pub auth_failure_delay: Duration,
    /// Recipients per message; more get `452 4.5.3`. Default: 1,000.
    pub max_recipients: usize,
    /// Connections served at once; more get `421 4.3.2` at the greeting. Default: 10,000.
    pub max_connections: usize,
    /// Expect a PROXY protocol (v1 or v2) header before the greeting, waiting at most this
    /// long. Default: `None` (no PROXY protocol).
    pub proxy_protocol_timeout: Option<Duration>,
    /// Speak LMTP (RFC 2033) instead of SMTP. Default: off.
    pub lmtp: bool,
    /// How long a graceful shutdown lets transactions in progress finish. Default: 30 s.
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            hostname: default_hostname(),
            ident: concat!("smtpd ", env!("CARGO_PKG_VERSION")).to_owned(),
            data_size_limit: Some(33_554_432),
            command_line_limit: smtp_proto::line::DEFAULT_COMMAND_LINE_LIMIT,
            sasl_line_limit: smtp_proto::line::SASL_LINE_LIMIT,
            data_line_limit: Some(smtp_proto::data::DataLimits::AIOSMTPD_MAX_LINE_LEN),
            bare_line_endings: BareLineEndingPolicy::default(),
            address_limits: AddressLimits::UNLIMITED,
            enable_smtputf8: false,
            require_starttls: false,
            tls: None,
            timeout: Duration::from_secs(300),
            session_timeout: Duration::from_secs(3600),
            auth_required: false,
            auth_require_tls: true,
            auth_exclude_mechanism: Vec::new(),
            authenticator: None,
            extra_mechanisms: Vec::new(),
            command_call_limit: None,
            max_unknown_commands: 5,
            max_auth_failures: 3,
            auth_failure_delay: Duration::from_millis(250),
            max_recipients: 1000,
            max_connections: 10_000,
            proxy_protocol_timeout: None,
            lmtp: false,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

impl ServerConfig {
    /// The effective size limit: `None` when unlimited.
    pub fn size_limit(&self) -> Option<u64> {
        self.data_size_limit.filter(|&limit| limit > 0)
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("hostname", &self.hostname)
            .field("ident", &self.ident)
            .field("data_size_limit", &self.data_size_limit)
            .field("command_line_limit", &self.command_line_limit)
            .field("sasl_line_limit", &self.sasl_line_limit)
            .field("data_line_limit", &self.data_line_limit)
            .field("bare_line_endings", &self.bare_line_endings)
            .field("enable_smtputf8", &self.enable_smtputf8)
            .field("require_starttls", &self.require_starttls)
            .field("tls", &self.tls.is_some())
            .field("timeout", &self.timeout)
            .field("auth_required", &self.auth_required)
            .field("auth_require_tls", &self.auth_require_tls)
            .field("authenticator", &self.authenticator.is_some())
            .field("lmtp", &self.lmtp)
            .finish_non_exhaustive()
    }
}

/// This machine's host name, from the operating system (no DNS); `localhost` if it has none.
pub fn default_hostname() -> String {
    gethostname::gethostname()
        .into_string()
        .ok()
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}
