//! [`ClientSession`]: one outbound session driven command by command, for a caller that
//! forwards a client's transaction as it happens (the [`Proxy`](crate::proxy::Proxy)
//! handler) instead of handing over a finished message.
//!
//! The session is opened exactly as [`SmtpTransport`](super::SmtpTransport) opens one
//! (greeting, EHLO, STARTTLS per policy, AUTH only under TLS); then each method sends one
//! command and returns the server's reply as it came. Replies are values, not errors: only a
//! broken connection, a timeout or a protocol violation is a [`DeliveryError`], after which
//! the session is unusable.

use bytes::Bytes;
use smtp_proto::reply::{Reply, ReplyCode};

use super::body::BodySource;
use super::connection::Connection;
use super::envelope::{bad_recipient, bad_sender, smtputf8_not_offered, too_big};
use super::envelope::{rcpt_line, valid_recipient, valid_sender};
use super::stage::Stage;
use crate::transport::{DeliveryError, MessageBody};

/// What MAIL announces besides the sender.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MailOptions {
    /// The size the client declared (`SIZE=`, sent when the server offers SIZE).
    pub size: Option<u64>,
    /// 8-bit content (`BODY=8BITMIME`, sent when the server offers 8BITMIME).
    pub eight_bit: bool,
    /// The transaction needs SMTPUTF8 (refused locally with `553 5.6.7` when not offered).
    pub smtputf8: bool,
}

/// An open outbound session (see the module documentation).
#[derive(Debug)]
pub struct ClientSession {
    conn: Connection,
}

impl ClientSession {
    pub(crate) fn new(conn: Connection) -> Self {
        Self { conn }
    }

    /// The host connected to.
    pub fn host(&self) -> &str {
        self.conn.host()
    }

    /// Whether the session runs under TLS.
    pub fn is_tls(&self) -> bool {
        self.conn.is_tls()
    }

    /// Whether the session can still be used (no I/O error, timeout or protocol error yet).
    pub fn is_usable(&self) -> bool {
        self.conn.is_usable()
    }

    /// `MAIL FROM:<sender>` (empty `sender` for `<>`) with the options the server offers.
    /// A sender that is not an RFC 5321 path (`553 5.1.7`), SMTPUTF8 not offered
    /// (`553 5.6.7`) or a declared size over the server's limit (`552 5.3.4`) is refused here
    /// without sending anything.
    pub async fn mail(
        &mut self,
        sender: &str,
        options: MailOptions,
    ) -> Result<Reply, DeliveryError> {
        let offered = &self.conn.capabilities;
        if !valid_sender(sender) {
            return Ok(bad_sender());
        }
        if options.smtputf8 && !offered.smtputf8 {
            return Ok(smtputf8_not_offered());
        }
        let mut line = format!("MAIL FROM:<{sender}>");
        if let (Some(limit), Some(size)) = (offered.size, options.size) {
            if limit > 0 && size > limit {
                return Ok(too_big(limit));
            }
            line.push_str(&format!(" SIZE={size}"));
        }
        if options.eight_bit && offered.eight_bit_mime {
            line.push_str(" BODY=8BITMIME");
        }
        if options.smtputf8 {
            line.push_str(" SMTPUTF8");
        }
        self.conn.command(Stage::Mail, &line).await
    }

    /// `RCPT TO:<recipient>`; an address that is not a forward path is refused here
    /// (`553 5.1.3`).
    pub async fn rcpt(&mut self, recipient: &str) -> Result<Reply, DeliveryError> {
        if !valid_recipient(recipient) {
            return Ok(bad_recipient());
        }
        self.conn.command(Stage::Rcpt, &rcpt_line(recipient)).await
    }

    /// `DATA`, then, after `354`, the message (dot-stuffed, CRLF-normalised) and its end;
    /// returns the reply after the final dot, or DATA's own reply when it was not `354`.
    pub async fn data(&mut self, message: Bytes) -> Result<Reply, DeliveryError> {
        let start = self.conn.command(Stage::DataInitiation, "DATA").await?;
        if start.code() != ReplyCode::of(354) {
            return Ok(start);
        }
        BodySource::open(&MessageBody::Memory(message)).await?.send(&mut self.conn).await?;
        self.conn.read_reply(Stage::DataTermination).await
    }

    /// `RSET`: ends the transaction in progress.
    pub async fn reset(&mut self) -> Result<(), DeliveryError> {
        self.conn.reset().await
    }

    /// `QUIT` and close (errors ignored).
    pub async fn quit(self) {
        self.conn.quit().await;
    }
}
