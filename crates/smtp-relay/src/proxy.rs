//! [`Proxy`]: aiosmtpd's `handlers.Proxy` in Rust form — every message goes on to one upstream
//! server, and the client hears what the upstream said.
//!
//! aiosmtpd's Proxy sends the finished message with a blocking `smtplib` call and always
//! answers `250 OK`, even when the upstream refused everything. This one forwards the
//! transaction as it happens, over one upstream session per client session (the
//! [`ClientSession`] of our outbound client, opened at the first MAIL with the usual STARTTLS
//! policy and AUTH), so every answer is the upstream's own:
//!
//! | client sends | upstream gets | client hears |
//! |---|---|---|
//! | MAIL | (session opened;) RSET if a session is kept, then MAIL | the upstream's MAIL reply |
//! | RCPT | RCPT | the upstream's RCPT reply, so per-recipient refusals are exact |
//! | DATA … `.` | DATA, the message with `X-Peer`, `.` | the upstream's reply after the dot (or its refusal of DATA) |
//! | RSET / QUIT | RSET / QUIT | the server's own `250` / `221` |
//!
//! The upstream refusing the session (its greeting, EHLO, TLS or AUTH) is answered with the
//! upstream's reply when it sent one; an upstream that cannot be reached, times out or breaks
//! the protocol is `451 4.4.1 Upstream server unavailable, try again later` (the cause goes to
//! the log only), and the session is dropped; the next MAIL opens a new one. Nothing is
//! queued: a 250 after DATA means the upstream answered 250.
//!
//! As aiosmtpd does, an `X-Peer: <client IP>` header is inserted before the first empty line
//! (the end of the header block) with that line's own ending; a message without an empty
//! line gets it on top. The message is held in memory for DATA (as aiosmtpd's), bounded by
//! the server's size limit.

use std::net::IpAddr;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use smtp_auth::ServerInfo;
use smtp_proto::address::{ForwardPath, ReversePath};
use smtp_proto::params::{Body, MailParams, RcptParams};
use smtp_proto::reply::{EnhancedStatus, Reply, ReplyCode};
use smtp_server::handler::{Handler, HookResult, defaults};
use smtp_server::{Envelope, PeerAddr, Session};

use crate::client::{ClientSession, MailOptions, SmtpTransport};
use crate::transport::{DeliveryError, Destination, SmarthostCredentials};

/// Forwards every transaction to one upstream (see the module documentation).
#[derive(Clone, Debug)]
pub struct Proxy {
    transport: SmtpTransport,
    upstream: Destination,
    credentials: Option<SmarthostCredentials>,
}

/// The upstream session kept on a client's session.
struct Upstream(ClientSession);

impl Proxy {
    /// A proxy to `upstream` through `transport`'s settings (EHLO name, timeouts, trusted
    /// roots), authenticating with `credentials` when given (only ever under TLS).
    pub fn new(
        transport: SmtpTransport,
        upstream: Destination,
        credentials: Option<SmarthostCredentials>,
    ) -> Self {
        Self { transport, upstream, credentials }
    }

    /// Opens an upstream session, or answers with why not.
    async fn open(&self) -> Result<ClientSession, Reply> {
        self.transport
            .open_session(&self.upstream, self.credentials.as_ref())
            .await
            .map_err(|error| self.failure(&error))
    }

    /// The reply for a failed upstream step.
    fn failure(&self, error: &DeliveryError) -> Reply {
        match error {
            DeliveryError::Refused(reply) => reply.clone(),
            other => {
                tracing::warn!(upstream = %self.upstream.host, port = self.upstream.port, error = %other, "upstream failed");
                upstream_unavailable()
            }
        }
    }

    /// Runs `step` on the session's upstream: keeps the session when it stays usable.
    async fn with_upstream<F>(&self, session: &mut Session, step: F) -> Reply
    where
        F: for<'s> FnOnce(
            &'s mut ClientSession,
        ) -> std::pin::Pin<
            Box<dyn Future<Output = Result<Reply, DeliveryError>> + Send + 's>,
        >,
    {
        let Some(Upstream(mut upstream)) = session.extensions.remove::<Upstream>() else {
            return upstream_unavailable();
        };
        let outcome = step(&mut upstream).await;
        if upstream.is_usable() {
            session.extensions.insert(Upstream(upstream));
        }
        outcome.unwrap_or_else(|error| self.failure(&error))
    }
}

/// `451 4.4.1 Upstream server unavailable, try again later`.
pub fn upstream_unavailable() -> Reply {
    Reply::new(
        ReplyCode::of(451),
        EnhancedStatus::of(4, 4, 1),
        "Upstream server unavailable, try again later",
    )
}

#[async_trait]
impl Handler for Proxy {
    async fn mail(
        &self,
        _server: &ServerInfo,
        session: &mut Session,
        _envelope: &mut Envelope,
        address: &ReversePath<'_>,
        params: &MailParams<'_>,
    ) -> HookResult {
        let ours = defaults::mail(params)?;
        if !ours.code().is_positive() {
            return Ok(ours);
        }
        let mut kept = session.extensions.remove::<Upstream>().map(|Upstream(kept)| kept);
        if let Some(mut previous) = kept.take() {
            // A kept session starts the new transaction clean.
            if previous.reset().await.is_ok() {
                kept = Some(previous);
            }
        }
        let upstream = match kept {
            Some(kept) => kept,
            None => match self.open().await {
                Ok(opened) => opened,
                Err(reply) => return Ok(reply),
            },
        };
        session.extensions.insert(Upstream(upstream));
        let sender = address.mailbox().map(ToString::to_string).unwrap_or_default();
        let options = MailOptions {
            size: params.size,
            eight_bit: matches!(params.body, Some(Body::EightBitMime)),
            smtputf8: params.smtputf8,
        };
        Ok(self
            .with_upstream(session, |up| Box::pin(async move { up.mail(&sender, options).await }))
            .await)
    }

    async fn rcpt(
        &self,
        _server: &ServerInfo,
        session: &mut Session,
        _envelope: &mut Envelope,
        address: &ForwardPath<'_>,
        params: &RcptParams<'_>,
    ) -> HookResult {
        let ours = defaults::rcpt(params)?;
        if !ours.code().is_positive() {
            return Ok(ours);
        }
        let recipient = match address {
            ForwardPath::Postmaster => "Postmaster".to_owned(),
            ForwardPath::Mailbox(mailbox) => mailbox.to_string(),
        };
        Ok(self
            .with_upstream(session, |up| Box::pin(async move { up.rcpt(&recipient).await }))
            .await)
    }

    async fn data(
        &self,
        _server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        let content = envelope.content.clone().unwrap_or_default();
        let message = with_x_peer(&content, &peer_ip(&session.client));
        Ok(self.with_upstream(session, |up| Box::pin(async move { up.data(message).await })).await)
    }

    async fn rset(
        &self,
        _server: &ServerInfo,
        session: &mut Session,
        _envelope: &mut Envelope,
    ) -> HookResult {
        if let Some(Upstream(mut upstream)) = session.extensions.remove::<Upstream>()
            && upstream.reset().await.is_ok()
        {
            session.extensions.insert(Upstream(upstream));
        }
        Ok(Reply::ok())
    }

    async fn quit(
        &self,
        _server: &ServerInfo,
        session: &mut Session,
        _envelope: &mut Envelope,
    ) -> HookResult {
        if let Some(Upstream(upstream)) = session.extensions.remove::<Upstream>() {
            upstream.quit().await;
        }
        Ok(Reply::bye())
    }
}

/// The client's IP address as aiosmtpd writes it in `X-Peer` (no port).
fn peer_ip(peer: &PeerAddr) -> String {
    match peer {
        PeerAddr::Tcp(addr) => match addr.ip() {
            IpAddr::V6(ip) => {
                ip.to_ipv4_mapped().map_or_else(|| ip.to_string(), |v4| v4.to_string())
            }
            IpAddr::V4(ip) => ip.to_string(),
        },
        other => other.to_string().replace(['\r', '\n'], "?"),
    }
}

/// `message` with `X-Peer: <ip>` before its first empty line, using that line's ending; on
/// top (with CRLF) when there is no empty line.
fn with_x_peer(message: &[u8], ip: &str) -> Bytes {
    let (at, ending): (usize, &[u8]) = match first_empty_line(message) {
        Some((at, ending)) => (at, ending),
        None => (0, b"\r\n"),
    };
    let (head, tail) = message.split_at(at);
    let mut out = BytesMut::with_capacity(message.len() + ip.len() + 10);
    out.extend_from_slice(head);
    out.extend_from_slice(b"X-Peer: ");
    out.extend_from_slice(ip.as_bytes());
    out.extend_from_slice(ending);
    out.extend_from_slice(tail);
    out.freeze()
}

/// Where the first empty line starts, and its ending (`\r\n`, `\n` or `\r`).
fn first_empty_line(message: &[u8]) -> Option<(usize, &'static [u8])> {
    let mut start = 0;
    while start < message.len() {
        let rest = message.get(start..)?;
        for ending in [&b"\r\n"[..], b"\n", b"\r"] {
            if rest.starts_with(ending) {
                return Some((start, ending));
            }
        }
        let line_end = rest.iter().position(|&b| b == b'\n' || b == b'\r')?;
        let ending_len = if rest.get(line_end..line_end + 2) == Some(b"\r\n") { 2 } else { 1 };
        start += line_end + ending_len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_peer_goes_before_the_first_empty_line_with_its_ending() {
        let cases: [(&[u8], &[u8]); 5] = [
            (b"Subject: a\r\n\r\nbody\r\n", b"Subject: a\r\nX-Peer: 192.0.2.1\r\n\r\nbody\r\n"),
            (b"Subject: a\n\nbody\n", b"Subject: a\nX-Peer: 192.0.2.1\n\nbody\n"),
            (b"\r\nbody\r\n", b"X-Peer: 192.0.2.1\r\n\r\nbody\r\n"),
            (b"Subject: no body\r\n", b"X-Peer: 192.0.2.1\r\nSubject: no body\r\n"),
            (b"", b"X-Peer: 192.0.2.1\r\n"),
        ];
        for (message, expected) in cases {
            assert_eq!(&with_x_peer(message, "192.0.2.1")[..], expected, "{message:?}");
        }
    }

    #[test]
    fn the_peer_ip_has_no_port_and_unmaps_ipv4() {
        let cases = [
            (PeerAddr::Tcp("192.0.2.1:4000".parse().unwrap()), "192.0.2.1"),
            (PeerAddr::Tcp("[::ffff:192.0.2.2]:1".parse().unwrap()), "192.0.2.2"),
            (PeerAddr::Tcp("[2001:db8::1]:1".parse().unwrap()), "2001:db8::1"),
        ];
        for (peer, expected) in cases {
            assert_eq!(peer_ip(&peer), expected);
        }
    }
}
