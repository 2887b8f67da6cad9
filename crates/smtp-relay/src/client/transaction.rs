//! One mail transaction on an open session: MAIL, RCPT per recipient, DATA, the body, the
//! final reply — in lock step, or, when the server offers PIPELINING (RFC 2920), MAIL, every
//! RCPT and DATA in one write with the replies read in order.
//!
//! Outcomes:
//! - MAIL refused: [`DeliveryError::Refused`] with that reply (nothing was accepted);
//! - otherwise a result per recipient: its RCPT reply when refused (or a locally built
//!   `553 5.1.3` for an address we will not send), else the reply that ended the transaction
//!   for it — the reply after the final `.`, or the refusal of DATA itself;
//! - no recipient accepted: RSET in lock step; after pipelining the server refuses DATA
//!   itself (`503`/`554`), and a kept connection is reset before its next use anyway. A
//!   server that answers `354` regardless gets an empty message ended at once.

use smtp_proto::reply::{Reply, ReplyCode};
use smtp_proto::stuffing::DotStuffer;

use super::body::BodySource;
use super::connection::Connection;
use super::envelope::{bad_recipient, check_fit, mail_line, rcpt_line, valid_recipient};
use super::stage::Stage;
use crate::transport::{DeliveryError, DeliveryRequest, RecipientResult};

/// Runs the transaction for `request` on `conn`.
pub async fn transact(
    conn: &mut Connection,
    request: &DeliveryRequest,
) -> Result<Vec<RecipientResult>, DeliveryError> {
    check_fit(request, &conn.capabilities).map_err(DeliveryError::Refused)?;
    let body = BodySource::open(&request.body).await?;
    let on_wire: Vec<&str> = request
        .recipients
        .iter()
        .map(String::as_str)
        .filter(|recipient| valid_recipient(recipient))
        .collect();
    if on_wire.is_empty() {
        return merge(request, Vec::new());
    }
    let mail = mail_line(request, &conn.capabilities);
    tracing::debug!(host = %conn.host(), stage = Stage::Mail.name(), recipients = on_wire.len(), pipelining = conn.capabilities.pipelining, "transaction");
    let opened = if conn.capabilities.pipelining {
        pipelined(conn, &mail, &on_wire).await?
    } else {
        lock_step(conn, &mail, &on_wire).await?
    };
    let mut results = merge(request, opened.rcpt_replies)?;
    let Some(data) = opened.data else {
        return Ok(results);
    };
    let end = if data.code() == ReplyCode::of(354) {
        body.send(conn).await?;
        let end = conn.read_reply(Stage::DataTermination).await?;
        tracing::debug!(host = %conn.host(), stage = Stage::DataTermination.name(), code = %end.code(), "message sent");
        end
    } else {
        data
    };
    for result in results.iter_mut().filter(|result| result.delivered()) {
        result.reply = end.clone();
    }
    Ok(results)
}

/// What MAIL, RCPT and DATA gave.
struct Opened {
    /// One reply per recipient sent, in order.
    rcpt_replies: Vec<Reply>,
    /// The reply to DATA; `None` when DATA was not sent (no recipient accepted) or is over.
    data: Option<Reply>,
}

async fn lock_step(
    conn: &mut Connection,
    mail: &str,
    recipients: &[&str],
) -> Result<Opened, DeliveryError> {
    let reply = conn.command(Stage::Mail, mail).await?;
    if !reply.code().is_positive() {
        return Err(DeliveryError::Refused(reply));
    }
    let mut rcpt_replies = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        rcpt_replies.push(conn.command(Stage::Rcpt, &rcpt_line(recipient)).await?);
    }
    if !rcpt_replies.iter().any(|reply| reply.code().is_positive()) {
        // Nothing to send: end the transaction. A failed RSET only makes the connection
        // unusable; the answers for the recipients stand.
        let _ = conn.reset().await;
        return Ok(Opened { rcpt_replies, data: None });
    }
    let data = conn.command(Stage::DataInitiation, "DATA").await?;
    Ok(Opened { rcpt_replies, data: Some(data) })
}

async fn pipelined(
    conn: &mut Connection,
    mail: &str,
    recipients: &[&str],
) -> Result<Opened, DeliveryError> {
    let mut batch = Vec::with_capacity(mail.len() + 2 + recipients.len() * 64 + 6);
    for line in std::iter::once(mail.to_owned()).chain(recipients.iter().map(|r| rcpt_line(r))) {
        batch.extend_from_slice(line.as_bytes());
        batch.extend_from_slice(b"\r\n");
    }
    batch.extend_from_slice(b"DATA\r\n");
    conn.send(Stage::Mail, &batch).await?;
    let mail_reply = conn.read_reply(Stage::Mail).await?;
    let mut rcpt_replies = Vec::with_capacity(recipients.len());
    for _ in recipients {
        rcpt_replies.push(conn.read_reply(Stage::Rcpt).await?);
    }
    let data = conn.read_reply(Stage::DataInitiation).await?;
    let accepted = rcpt_replies.iter().any(|reply| reply.code().is_positive());
    let proceed = mail_reply.code().is_positive() && accepted;
    if !proceed && data.code() == ReplyCode::of(354) {
        // The server wants data it should not have asked for: end it at once, empty.
        let mut end = Vec::new();
        DotStuffer::new().finish(&mut end);
        conn.send(Stage::DataBlock, &end).await?;
        conn.read_reply(Stage::DataTermination).await?;
    }
    if !mail_reply.code().is_positive() {
        return Err(DeliveryError::Refused(mail_reply));
    }
    Ok(Opened { rcpt_replies, data: proceed.then_some(data) })
}

/// One result per recipient of the request: the local refusal for an address not sent, else
/// the next reply of `rcpt_replies`.
fn merge(
    request: &DeliveryRequest,
    rcpt_replies: Vec<Reply>,
) -> Result<Vec<RecipientResult>, DeliveryError> {
    let mut replies = rcpt_replies.into_iter();
    request
        .recipients
        .iter()
        .map(|recipient| {
            let reply = if valid_recipient(recipient) {
                replies.next().ok_or_else(|| {
                    DeliveryError::Protocol("fewer RCPT replies than recipients".to_owned())
                })?
            } else {
                bad_recipient()
            };
            Ok(RecipientResult { recipient: recipient.clone(), reply })
        })
        .collect()
}
