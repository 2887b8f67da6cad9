//! [`QueueSink`]: the body of an accepted message, streamed into the durable queue.

use std::time::SystemTime;

use async_trait::async_trait;
use smtp_auth::ServerInfo;
use smtp_proto::address::{ForwardPath, ReversePath};
use smtp_proto::params::Body;
use smtp_server::handler::{BodySink, HookResult};
use smtp_server::{Envelope, Session};

use super::replies::queued;
use crate::delivery::SchedulerHandle;
use crate::queue::{IncomingMessage, QueueId, QueuedMessage, QueuedRecipient, RecipientStatus};

/// Streams one message into [`IncomingMessage`]; `finish` commits it (the 250 comes only after
/// the commit returned, i.e. once the message is fsynced), then wakes the scheduler.
pub struct QueueSink {
    id: QueueId,
    incoming: Box<dyn IncomingMessage>,
    scheduler: SchedulerHandle,
    arrived: SystemTime,
    saw_eight_bit: bool,
}

impl QueueSink {
    /// A sink writing into `incoming` (whose id is `id`), which already holds the trace header.
    pub fn new(
        id: QueueId,
        incoming: Box<dyn IncomingMessage>,
        scheduler: SchedulerHandle,
        arrived: SystemTime,
    ) -> Self {
        Self { id, incoming, scheduler, arrived, saw_eight_bit: false }
    }

    /// The queue metadata for the envelope.
    fn metadata(&self, session: &Session, envelope: &Envelope) -> QueuedMessage {
        let declared_eight_bit =
            matches!(envelope.body, Some(Body::EightBitMime | Body::BinaryMime));
        QueuedMessage {
            id: self.id.clone(),
            mail_from: envelope.mail_from.as_ref().map(reverse_path_text).unwrap_or_default(),
            recipients: envelope
                .rcpt_tos
                .iter()
                .map(|path| QueuedRecipient {
                    address: forward_path_text(path),
                    status: RecipientStatus::Pending,
                    last_error: None,
                })
                .collect(),
            submitted_by: session.login_data.clone(),
            client: Some(session.client.to_string()),
            size: 0, // the queue records the octets written
            smtputf8: envelope.smtp_utf8,
            eight_bit: declared_eight_bit || self.saw_eight_bit,
            arrived: self.arrived,
            attempts: 0,
            next_attempt: self.arrived,
            dsn_sent: false,
        }
    }
}

/// A reverse path without brackets; empty for `<>`.
pub(crate) fn reverse_path_text(path: &ReversePath<'_>) -> String {
    path.mailbox().map(ToString::to_string).unwrap_or_default()
}

/// A forward path without brackets (`<Postmaster>` as `Postmaster`).
pub(crate) fn forward_path_text(path: &ForwardPath<'_>) -> String {
    match path {
        ForwardPath::Postmaster => "Postmaster".to_owned(),
        ForwardPath::Mailbox(mailbox) => mailbox.to_string(),
    }
}

#[async_trait]
impl BodySink for QueueSink {
    async fn write(&mut self, chunk: &[u8]) -> HookResult<()> {
        self.saw_eight_bit |= !chunk.is_ascii();
        self.incoming.write(chunk).await?;
        Ok(())
    }

    async fn finish(
        self: Box<Self>,
        _server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        let meta = self.metadata(session, envelope);
        let Self { incoming, scheduler, .. } = *self;
        // An error here leaves nothing in the queue; the server answers 451 4.3.0.
        let id = incoming.commit(meta).await?;
        tracing::info!(
            id = %id.0,
            user = session.login_data.as_deref().unwrap_or(""),
            recipients = envelope.rcpt_tos.len(),
            "message queued"
        );
        scheduler.notify(id.clone());
        Ok(queued(&id))
    }

    async fn abort(self: Box<Self>) {
        let id = self.id.clone();
        self.incoming.abort().await;
        tracing::debug!(id = %id.0, "message aborted; nothing queued");
    }
}
