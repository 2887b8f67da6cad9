//! The outbound delivery interface: what the queue asks of a transport, and what it answers.
//!
//! A transport is a `tower::Service<DeliveryRequest, Response = DeliveryReport, Error =
//! DeliveryError>`; the SMTP client ([`crate::client`]) is the real one, tests use fakes.
//! Timeouts, per-destination concurrency limits and retries are tower layers around it.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use smtp_auth::Secret;
use smtp_proto::reply::Reply;

/// How TLS is used towards a destination.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TlsPolicy {
    /// STARTTLS must succeed (certificate verified against the bundled roots), else the
    /// delivery fails temporarily.
    Required,
    /// STARTTLS when offered, certificate verified; plain text when not offered (RFC 3207
    /// opportunistic TLS, as MTAs do between each other).
    #[default]
    Opportunistic,
    /// Never STARTTLS.
    Off,
    /// TLS from the first byte (implicit TLS, port 465), certificate verified.
    Implicit,
}

/// Credentials for a smarthost (AUTH PLAIN or LOGIN, whichever it offers; only under TLS).
#[derive(Clone)]
pub struct SmarthostCredentials {
    /// The login.
    pub login: String,
    /// The password; never shown.
    pub password: Secret,
}

impl fmt::Debug for SmarthostCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmarthostCredentials").field("login", &self.login).finish_non_exhaustive()
    }
}

/// One host to deliver to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Destination {
    /// Host name or IP address literal to connect to.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// The name to verify the certificate against (usually `host`).
    pub tls_name: String,
    /// How TLS is used.
    pub tls: TlsPolicy,
}

/// The message body to send: in memory or in a queue file (streamed, never loaded whole).
#[derive(Clone, Debug)]
pub enum MessageBody {
    /// Bytes in memory (tests, small messages).
    Memory(Bytes),
    /// A file holding exactly the message (the queue's body file).
    File(PathBuf),
}

/// One delivery attempt of one message to one destination.
#[derive(Clone, Debug)]
pub struct DeliveryRequest {
    /// Where to.
    pub destination: Destination,
    /// Credentials to authenticate with (smarthosts only).
    pub credentials: Option<SmarthostCredentials>,
    /// The reverse path for MAIL FROM, without brackets; empty for the null sender `<>`.
    pub mail_from: String,
    /// Recipients (without brackets), all for this destination.
    pub recipients: Vec<String>,
    /// The message.
    pub body: MessageBody,
    /// The message size in octets (for `SIZE=`).
    pub size: u64,
    /// The message needs SMTPUTF8 (UTF-8 addresses or headers).
    pub smtputf8: bool,
    /// The message has 8-bit content (send `BODY=8BITMIME` when offered).
    pub eight_bit: bool,
}

/// What happened to one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientResult {
    /// The recipient, as in the request.
    pub recipient: String,
    /// The server's reply to RCPT, or, when RCPT was accepted, the reply after the data.
    pub reply: Reply,
}

impl RecipientResult {
    /// Delivered (2xx).
    pub fn delivered(&self) -> bool {
        self.reply.code().is_positive()
    }

    /// Refused for now (4xx): retry later.
    pub fn transient(&self) -> bool {
        self.reply.code().is_transient()
    }
}

/// The outcome of a transaction that got as far as the server answering for each recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Which server answered (host name as connected).
    pub server: String,
    /// One result per recipient of the request, in order.
    pub recipients: Vec<RecipientResult>,
}

/// Why a delivery attempt failed as a whole (no recipient got a definite answer).
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The host could not be reached (refused, unreachable, DNS).
    #[error("cannot connect to {host}: {reason}")]
    Connect {
        /// The host.
        host: String,
        /// What the system said.
        reason: String,
    },
    /// A step took longer than its RFC 5321 §4.5.3.2 timeout.
    #[error("timeout {stage} ({after:?})")]
    Timeout {
        /// The protocol stage.
        stage: &'static str,
        /// The limit that ran out.
        after: Duration,
    },
    /// TLS was required and could not be had, or the handshake or certificate failed.
    #[error("TLS: {0}")]
    Tls(String),
    /// The server refused the session or the transaction before any recipient (greeting,
    /// EHLO, AUTH, MAIL), or the message cannot go to it (SMTPUTF8 not offered, over its SIZE):
    /// its reply decides transient or permanent. A refusal of DATA or of the message after the
    /// final dot is not an error: it is each accepted recipient's reply in the
    /// [`DeliveryReport`].
    #[error("server refused: {0}")]
    Refused(Reply),
    /// The server broke the protocol (unparseable reply) or the connection dropped.
    #[error("protocol: {0}")]
    Protocol(String),
    /// Reading the queued body failed.
    #[error("reading the message: {0}")]
    Body(#[from] std::io::Error),
}

impl DeliveryError {
    /// Whether retrying later may help: everything except a permanent (5xx) refusal.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Refused(reply) => !reply.code().is_permanent(),
            _ => true,
        }
    }
}
