//! The [`Handler`]: the application's hooks, one per command (aiosmtpd's `handle_*` set).
//!
//! Every hook is optional: its default does what aiosmtpd does without the hook. Hooks receive
//! the server's identity, the [`Session`] and the [`Envelope`] (mutably, so a hook can keep its
//! own values in [`Session::extensions`]) plus the parsed command, and return the [`Reply`] to
//! send. Unlike aiosmtpd, the bookkeeping is the server's: when a hook answers with a positive
//! (2xx) reply, the server records what the command established (the host name, the sender, the
//! recipient), so a hook only decides; when it answers otherwise, nothing is recorded.
//!
//! A hook that fails returns `Err`; the server then asks [`Handler::exception`] for the reply
//! (default `451 4.3.0`). A hook that panics is treated the same way. A client never waits on a
//! missing reply.

use std::sync::Arc;

use async_trait::async_trait;
use smtp_auth::{Mechanism, ServerInfo};
use smtp_proto::address::{ForwardPath, Mailbox, ReversePath};
use smtp_proto::params::{MailParams, RcptParams};
use smtp_proto::proxy::ProxyHeader;
use smtp_proto::reply::Reply;

use crate::session::{Envelope, Session};

/// The error a hook returns when it cannot decide (a database is down, a bug).
pub type HookError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a hook returns: the reply to send, or an error for [`Handler::exception`].
pub type HookResult<T = Reply> = Result<T, HookError>;

/// A mechanism registered by the application, for this server's session types.
pub type ServerMechanism = Arc<dyn Mechanism<Session, Envelope>>;

/// The I/O a custom AUTH hook ([`Handler::auth`]) drives the exchange with: aiosmtpd's `push`
/// and `challenge_auth`.
#[async_trait]
pub trait AuthIo: Send {
    /// Sends a reply to the client at once.
    async fn push(&mut self, reply: &Reply) -> std::io::Result<()>;

    /// Sends `334 <base64 of challenge>` and reads the client's answer. Returns the decoded
    /// answer, or `None` when the client aborted with `*` or sent invalid base64 — the server
    /// has then already answered `501` and the hook should end the exchange.
    async fn challenge_auth(&mut self, challenge: &[u8]) -> std::io::Result<Option<Vec<u8>>>;
}

/// What a custom AUTH hook did.
#[derive(Debug)]
pub enum AuthHookOutcome {
    /// Nothing: run the registered mechanism as usual.
    UseMechanism,
    /// The hook ran the exchange itself (and set [`Session::authenticated`] as it saw fit);
    /// send this final reply, or nothing when it already pushed one.
    Handled(Option<Reply>),
}

/// A streaming receiver for a message body, for handlers that do not want the whole message in
/// memory ([`Handler::open_body`]).
///
/// Every sink ends in exactly one of [`BodySink::finish`] or [`BodySink::abort`] — except when
/// the connection's task itself is cancelled (the server handle dropped, or a graceful
/// shutdown's grace period over), where no async code can run: a sink holding resources (a
/// temporary file) should also release them in `Drop`.
#[async_trait]
pub trait BodySink: Send {
    /// Takes the next piece of the (dot-unstuffed) message.
    async fn write(&mut self, chunk: &[u8]) -> HookResult<()>;

    /// The message is complete: commit it and return the reply (one reply for every recipient
    /// in LMTP mode). The envelope's `content` is `None` for a streamed message.
    async fn finish(
        self: Box<Self>,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult;

    /// The message will not be accepted (a limit tripped, the client left): throw away what
    /// was written.
    async fn abort(self: Box<Self>) {}
}

/// The application's hooks. Implement the ones you need; the rest keep aiosmtpd's defaults.
///
/// ```
/// use async_trait::async_trait;
/// use smtp_server::handler::{Handler, HookResult};
/// use smtp_server::smtp_auth::ServerInfo;
/// use smtp_server::smtp_proto::address::ForwardPath;
/// use smtp_server::smtp_proto::params::RcptParams;
/// use smtp_server::smtp_proto::reply::{EnhancedStatus, Reply, ReplyCode};
/// use smtp_server::{Envelope, Session};
///
/// /// Accepts mail only for example.com.
/// struct OnlyExampleCom;
///
/// #[async_trait]
/// impl Handler for OnlyExampleCom {
///     async fn rcpt(
///         &self,
///         _server: &ServerInfo,
///         _session: &mut Session,
///         _envelope: &mut Envelope,
///         address: &ForwardPath<'_>,
///         params: &RcptParams<'_>,
///     ) -> HookResult {
///         match address {
///             ForwardPath::Mailbox(mailbox)
///                 if mailbox.domain().is_some_and(|d| d.as_str().eq_ignore_ascii_case("example.com")) =>
///             {
///                 smtp_server::handler::defaults::rcpt(params)
///             }
///             _ => Ok(Reply::new(ReplyCode::of(550), EnhancedStatus::of(5, 7, 1), "Unable to relay")),
///         }
///     }
/// }
/// ```
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    /// HELO. Default: `250 <server host name>`.
    async fn helo(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
        hostname: &str,
    ) -> HookResult {
        let _ = (session, envelope, hostname);
        Ok(Reply::helo(&server.hostname))
    }

    /// EHLO (and LHLO in LMTP mode). `capabilities` is the reply the server built (host name,
    /// extensions, `HELP`); return it, changed or not. Default: unchanged.
    async fn ehlo(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
        hostname: &str,
        capabilities: Reply,
    ) -> HookResult {
        let _ = (server, session, envelope, hostname);
        Ok(capabilities)
    }

    /// MAIL FROM, after the server's own checks (syntax, SIZE against the limit, BODY,
    /// SMTPUTF8). Default: [`defaults::mail`].
    async fn mail(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
        address: &ReversePath<'_>,
        params: &MailParams<'_>,
    ) -> HookResult {
        let _ = (server, session, envelope, address);
        defaults::mail(params)
    }

    /// RCPT TO, after the server's own checks (syntax, the recipient limit). Default:
    /// [`defaults::rcpt`].
    async fn rcpt(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
        address: &ForwardPath<'_>,
        params: &RcptParams<'_>,
    ) -> HookResult {
        let _ = (server, session, envelope, address);
        defaults::rcpt(params)
    }

    /// Streaming opt-in: called when DATA (or the first BDAT chunk) starts. Return a sink to
    /// receive the body piece by piece instead of in `envelope.content`. Default: `None`.
    async fn open_body(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult<Option<Box<dyn BodySink>>> {
        let _ = (server, session, envelope);
        Ok(None)
    }

    /// The message is complete (`envelope.content` holds it). Default: `250 2.0.0 OK`.
    async fn data(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        let _ = (server, session, envelope);
        Ok(Reply::ok())
    }

    /// LMTP: the message is complete; one reply per accepted recipient, in order (RFC 2033
    /// §4.2). Default: [`Handler::data`]'s reply for every recipient.
    async fn lmtp_data(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult<Vec<Reply>> {
        let reply = self.data(server, session, envelope).await?;
        Ok(vec![reply; envelope.rcpt_tos.len()])
    }

    /// RSET (the envelope is already reset). Default: `250 2.0.0 OK`.
    async fn rset(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        let _ = (server, session, envelope);
        Ok(Reply::ok())
    }

    /// NOOP with its optional argument. Default: `250 2.0.0 OK`.
    async fn noop(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
        argument: Option<&str>,
    ) -> HookResult {
        let _ = (server, session, envelope, argument);
        Ok(Reply::ok())
    }

    /// QUIT; the connection closes after the reply either way. Default: `221 2.0.0 Bye`.
    async fn quit(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        let _ = (server, session, envelope);
        Ok(Reply::bye())
    }

    /// VRFY with a parseable address. Default: `252 2.0.0 Cannot VRFY user, but will accept
    /// message and attempt delivery`.
    async fn vrfy(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
        address: &Mailbox<'_>,
    ) -> HookResult {
        let _ = (server, session, envelope, address);
        Ok(Reply::cannot_vrfy())
    }

    /// A custom AUTH hook (aiosmtpd's `handle_AUTH`): called for a known mechanism before the
    /// mechanism runs; it may drive the exchange itself through `io`. Default:
    /// [`AuthHookOutcome::UseMechanism`].
    async fn auth(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
        io: &mut dyn AuthIo,
        mechanism: &str,
        initial_response: Option<&str>,
    ) -> HookResult<AuthHookOutcome> {
        let _ = (server, session, envelope, io, mechanism, initial_response);
        Ok(AuthHookOutcome::UseMechanism)
    }

    /// AUTH mechanisms the handler brings; a name equal to a built-in's replaces the built-in.
    /// Called once, when the server starts. Default: none.
    fn mechanisms(&self) -> Vec<ServerMechanism> {
        Vec::new()
    }

    /// A PROXY protocol header arrived (only with PROXY enabled); `true` lets the connection
    /// go on to the greeting, `false` closes it without a reply. Default: `true` (aiosmtpd
    /// closes every connection when the hook is missing; that makes the setting useless
    /// without code, so the default accepts a valid header).
    async fn proxy(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        header: &ProxyHeader,
    ) -> bool {
        let _ = (server, session, header);
        true
    }

    /// The TLS handshake after STARTTLS succeeded; `false` refuses every later command but QUIT
    /// with `554 5.7.0`. Default: `true`.
    async fn starttls(&self, server: &ServerInfo, session: &mut Session) -> bool {
        let _ = (server, session);
        true
    }

    /// Turns a hook's error (or panic) into a reply. Default: `451 4.3.0 Error: internal server
    /// error` (the error itself is logged, never sent to the client).
    async fn exception(&self, error: &HookError) -> Reply {
        let _ = error;
        Reply::internal_error()
    }
}

/// The default decisions of the hooks, callable from a hook that adds its own checks first.
pub mod defaults {
    use smtp_proto::params::{MailParams, RcptParams};
    use smtp_proto::reply::Reply;

    use super::HookResult;

    /// MAIL: `555 5.5.4` when a parameter is one this server does not implement (unknown
    /// keywords, and the DSN parameters RET/ENVID since DSN is not offered), otherwise
    /// `250 2.1.0 OK`.
    pub fn mail(params: &MailParams<'_>) -> HookResult {
        if params.unknown.is_empty() && !params.has_dsn() {
            Ok(Reply::mail_ok())
        } else {
            Ok(Reply::mail_params_not_recognized())
        }
    }

    /// RCPT: `555 5.5.4` for unknown or DSN parameters (NOTIFY/ORCPT), otherwise
    /// `250 2.1.5 OK`.
    pub fn rcpt(params: &RcptParams<'_>) -> HookResult {
        if params.unknown.is_empty() && !params.has_dsn() {
            Ok(Reply::rcpt_ok())
        } else {
            Ok(Reply::rcpt_params_not_recognized())
        }
    }
}
