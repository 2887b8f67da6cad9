//! [`Message`]: hands each parsed message to an async callback (aiosmtpd's `AsyncMessage`).
//!
//! Like aiosmtpd's `Message.prepare_message`, the handler adds `X-Peer` (the real client,
//! `address:port`), `X-MailFrom` (the sender without angle brackets, `<>` for the null path)
//! and `X-RcptTo` (the recipients joined with `, `). It adds them as header lines at the top
//! of the raw message, in the message's own line ending, before parsing, so the parsed message
//! has them like any other field (`message.header_raw("X-Peer")`); aiosmtpd appends them to
//! its parsed object instead. The message is parsed with [`mail_parser::MessageParser`] on
//! tokio's blocking pool (a large message takes a while), then the callback is awaited with
//! the parsed message and a copy of the envelope. Its `Ok(())` gives `250 2.0.0 OK`; its error
//! gives the server's exception reply (`451 4.3.0`).

use std::fmt;
use std::future::Future;

use async_trait::async_trait;
use mail_parser::MessageParser;
use smtp_auth::ServerInfo;
use smtp_proto::reply::Reply;

use super::error::HandlerError;
use super::trace_fields::TraceFields;
use crate::handler::{Handler, HookResult};
use crate::session::{Envelope, Session};

/// Parses each message and hands it, with the envelope, to a callback.
///
/// ```
/// use smtp_server::handlers::Message;
///
/// let handler = Message::new(|message, envelope| async move {
///     println!("{:?} for {} recipient(s)", message.subject(), envelope.rcpt_tos.len());
///     Ok(())
/// });
/// # let _ = handler;
/// ```
pub struct Message<F> {
    callback: F,
}

impl<F, Fut> Message<F>
where
    F: Fn(mail_parser::Message<'static>, Envelope) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = HookResult<()>> + Send + 'static,
{
    /// A handler calling `callback` with every accepted message.
    pub fn new(callback: F) -> Self {
        Self { callback }
    }
}

impl<F> fmt::Debug for Message<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message").finish_non_exhaustive()
    }
}

#[async_trait]
impl<F, Fut> Handler for Message<F>
where
    F: Fn(mail_parser::Message<'static>, Envelope) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = HookResult<()>> + Send + 'static,
{
    async fn data(
        &self,
        _server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        let content = envelope.content.clone().ok_or(HandlerError::NoContent)?;
        let fields = TraceFields::new(session, envelope);
        let parsed = tokio::task::spawn_blocking(move || parse(&fields.apply(&content)))
            .await
            .map_err(HandlerError::from)??;
        (self.callback)(parsed, envelope.clone()).await?;
        Ok(Reply::ok())
    }
}

/// The parsed message, owning its text.
fn parse(raw: &[u8]) -> Result<mail_parser::Message<'static>, HandlerError> {
    MessageParser::new()
        .parse(raw)
        .map(mail_parser::Message::into_owned)
        .ok_or(HandlerError::Unparseable)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use bytes::Bytes;
    use smtp_proto::address::{AddressLimits, parse_forward_path, parse_reverse_path};

    use super::*;
    use crate::session::PeerAddr;

    /// What the callback saw: subject, From address, the three added fields, body, recipients.
    type Seen = Vec<(Option<String>, Option<String>, [Option<String>; 3], Option<String>, usize)>;

    async fn deliver(content: &[u8]) -> (HookResult, Seen) {
        let seen = Arc::new(Mutex::new(Seen::new()));
        let record = Arc::clone(&seen);
        let handler = Message::new(move |message, envelope: Envelope| {
            let record = Arc::clone(&record);
            async move {
                let field = |name: &str| message.header_raw(name).map(|v| v.trim().to_owned());
                record.lock().unwrap().push((
                    message.subject().map(str::to_owned),
                    message
                        .from()
                        .and_then(|from| from.first())
                        .and_then(|addr| addr.address())
                        .map(str::to_owned),
                    [field("X-Peer"), field("X-MailFrom"), field("X-RcptTo")],
                    message.body_text(0).map(|body| body.into_owned()),
                    envelope.rcpt_tos.len(),
                ));
                if message.subject() == Some("fail") {
                    Err("refused by the callback".into())
                } else {
                    Ok(())
                }
            }
        });
        let mut session = Session::new(1, PeerAddr::Tcp("192.0.2.7:2500".parse().unwrap()));
        let limits = AddressLimits::default();
        let mut envelope = Envelope {
            mail_from: Some(parse_reverse_path("<>", &limits).unwrap().0.into_owned()),
            rcpt_tos: vec![parse_forward_path("<b@y.example>", &limits).unwrap().0.into_owned()],
            content: Some(Bytes::copy_from_slice(content)),
            ..Envelope::default()
        };
        let result = handler.data(&ServerInfo::new("mx"), &mut session, &mut envelope).await;
        let seen = seen.lock().unwrap().clone();
        (result, seen)
    }

    #[tokio::test]
    async fn the_callback_gets_the_parsed_message_and_envelope() {
        let trace =
            || [Some("192.0.2.7:2500".into()), Some("<>".into()), Some("b@y.example".into())];
        // (content, subject, From address, body)
        type Case =
            (&'static [u8], Option<&'static str>, Option<&'static str>, Option<&'static str>);
        let cases: Vec<Case> = vec![
            (
                b"From: Alice <alice@x.example>\r\nSubject: =?utf-8?q?h=C3=A9llo?=\r\n\r\nHi!\r\n",
                Some("h\u{e9}llo"),
                Some("alice@x.example"),
                Some("Hi!\r\n"),
            ),
            (b"Subject: lf\n\nbody\n", Some("lf"), None, Some("body\n")),
            (b"", None, None, None),
        ];
        for (content, subject, from, body) in cases {
            let (result, seen) = deliver(content).await;
            assert_eq!(result.unwrap().to_string(), "250 2.0.0 OK");
            assert_eq!(
                seen,
                vec![(
                    subject.map(str::to_owned),
                    from.map(str::to_owned),
                    trace(),
                    body.map(str::to_owned),
                    1
                )],
                "content {:?}",
                String::from_utf8_lossy(content)
            );
        }
    }

    #[tokio::test]
    async fn a_callback_error_is_a_hook_error() {
        let (result, seen) = deliver(b"Subject: fail\r\n\r\n").await;
        assert_eq!(result.unwrap_err().to_string(), "refused by the callback");
        assert_eq!(seen.len(), 1);
    }
}
