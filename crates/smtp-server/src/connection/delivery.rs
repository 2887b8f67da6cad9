//! The message body on its way to the handler (buffered, or streamed to a [`BodySink`]) and
//! the end of a message: the DATA/LMTP hook and its replies, then a new transaction.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use smtp_proto::reply::Reply;
use tokio::io::{AsyncRead, AsyncWrite};

use super::hook::guarded;
use super::state::Connection;
use crate::handler::{BodySink, Handler};

/// Buffered bytes are handed to a streaming sink once this many have gathered.
const SINK_CHUNK: usize = 64 * 1024;

/// Collects the body of one message.
pub(super) struct BodyCollector {
    buffer: BytesMut,
    sink: Option<Box<dyn BodySink>>,
    /// The sink failed: the exception reply to send at the end of the message.
    failure: Option<Reply>,
}

impl BodyCollector {
    /// A collector for a message; `sink` when the handler streams bodies.
    pub(super) fn new(sink: Option<Box<dyn BodySink>>) -> Self {
        Self { buffer: BytesMut::new(), sink, failure: None }
    }

    /// Takes decoded message bytes.
    pub(super) fn take(&mut self, bytes: &[u8]) {
        if self.failure.is_none() {
            self.buffer.extend_from_slice(bytes);
        }
    }

    /// Hands what has gathered to the sink, when there is one and enough has gathered.
    pub(super) async fn pass_on(&mut self, handler: &dyn Handler) {
        if self.buffer.len() >= SINK_CHUNK {
            self.write_to_sink(handler).await;
        }
    }

    async fn write_to_sink(&mut self, handler: &dyn Handler) {
        let Some(sink) = self.sink.as_mut() else {
            return;
        };
        if self.failure.is_some() || self.buffer.is_empty() {
            return;
        }
        // The buffer is cleared, not split off: its capacity is reused for the next chunk.
        let result = guarded(handler, "body_sink_write", sink.write(&self.buffer)).await;
        self.buffer.clear();
        if let Err(reply) = result {
            self.failure = Some(reply);
        }
    }

    /// The message will not be delivered: tell the sink to throw away what it got.
    pub(super) async fn abort(self) {
        if let Some(sink) = self.sink {
            sink.abort().await;
        }
    }

    /// The complete body, or the reply of a sink that failed on the way.
    async fn finish(mut self, handler: &dyn Handler) -> Result<Body, Reply> {
        self.write_to_sink(handler).await;
        if let Some(reply) = self.failure.take() {
            self.abort().await;
            return Err(reply);
        }
        Ok(match self.sink {
            Some(sink) => Body::Streamed(sink),
            None => Body::Buffered(self.buffer.freeze()),
        })
    }
}

/// A complete message.
enum Body {
    /// In memory, for `envelope.content`.
    Buffered(Bytes),
    /// Already with the handler's sink.
    Streamed(Box<dyn BodySink>),
}

impl<S> Connection<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Opens the body collector (the handler's `open_body` hook), or the reply when it fails.
    pub(super) async fn open_body(&mut self) -> Result<BodyCollector, Reply> {
        let shared = Arc::clone(&self.shared);
        let hook = shared.handler.open_body(&shared.info, &mut self.session, &mut self.envelope);
        guarded(shared.handler.as_ref(), "open_body", hook).await.map(BodyCollector::new)
    }

    /// A message arrived whole: run the DATA hook (one reply per recipient in LMTP), queue the
    /// replies, start a new transaction.
    pub(super) async fn deliver(&mut self, collector: BodyCollector) {
        let shared = Arc::clone(&self.shared);
        let handler = shared.handler.as_ref();
        let recipients = self.envelope.rcpt_tos.len().max(1);
        let answer = match collector.finish(handler).await {
            Err(reply) => EndReplies::One(reply),
            Ok(Body::Buffered(content)) => {
                self.envelope.original_content = Some(content.clone());
                self.envelope.content = Some(content);
                let (session, envelope) = (&mut self.session, &mut self.envelope);
                if shared.config.lmtp {
                    let hook = handler.lmtp_data(&shared.info, session, envelope);
                    guarded(handler, "lmtp_data", hook)
                        .await
                        .map_or_else(EndReplies::One, EndReplies::Each)
                } else {
                    let hook = handler.data(&shared.info, session, envelope);
                    EndReplies::One(guarded(handler, "data", hook).await.unwrap_or_else(|r| r))
                }
            }
            Ok(Body::Streamed(sink)) => {
                let hook = sink.finish(&shared.info, &mut self.session, &mut self.envelope);
                EndReplies::One(
                    guarded(handler, "body_sink_finish", hook).await.unwrap_or_else(|r| r),
                )
            }
        };
        let code = match answer {
            // SMTP: the one reply, queued without a list around it.
            EndReplies::One(reply) if !shared.config.lmtp => {
                self.io.push(&reply);
                Some(reply.code())
            }
            answer => {
                let replies = per_recipient(answer.into_list(), recipients);
                for reply in &replies {
                    self.io.push(reply);
                }
                replies.first().map(Reply::code)
            }
        };
        tracing::debug!(code = code.map(|code| code.get()), "message end answered");
        self.reset_transaction().await;
    }
}

/// The answer to the end of a message.
enum EndReplies {
    /// One reply (SMTP; in LMTP, repeated for every recipient).
    One(Reply),
    /// The LMTP hook's replies, one per recipient.
    Each(Vec<Reply>),
}

impl EndReplies {
    fn into_list(self) -> Vec<Reply> {
        match self {
            Self::One(reply) => vec![reply],
            Self::Each(replies) => replies,
        }
    }
}

/// Exactly one reply per recipient: a single reply is repeated, a short list is padded with
/// its last reply, a long one is cut (LMTP clients count the replies).
fn per_recipient(mut replies: Vec<Reply>, recipients: usize) -> Vec<Reply> {
    let filler = replies.last().cloned().unwrap_or_else(Reply::internal_error);
    replies.resize(recipients, filler);
    replies
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lmtp_gets_one_reply_per_recipient() {
        let ok = Reply::ok();
        let bad = Reply::internal_error();
        assert_eq!(per_recipient(vec![ok.clone()], 3), vec![ok.clone(); 3]);
        assert_eq!(
            per_recipient(vec![ok.clone(), bad.clone()], 3),
            vec![ok.clone(), bad.clone(), bad.clone()]
        );
        assert_eq!(per_recipient(vec![ok.clone(), bad.clone(), ok.clone()], 1), vec![ok.clone()]);
        assert_eq!(per_recipient(Vec::new(), 2), vec![bad.clone(), bad]);
    }
}
