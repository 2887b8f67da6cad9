//! Delivery status notifications: the scheduler decides when one is due and queues it; a
//! [`DsnBuilder`] writes the RFC 3464 message itself.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;

use super::clock::Clock;
use crate::queue::{
    QueueError, QueueId, QueueStore, QueuedMessage, QueuedRecipient, RecipientStatus,
};

/// What a DSN reports: some recipients of a queued message failed for good.
#[derive(Debug)]
pub struct DsnRequest<'a> {
    /// The original message's metadata (sender, arrival, every recipient's status).
    pub message: &'a QueuedMessage,
    /// The recipients this DSN is about (status `Failed`; `last_error` holds the last
    /// temporary failure, useful for expired ones).
    pub failed: Vec<&'a QueuedRecipient>,
    /// The original message's body file (to quote its header).
    pub body: PathBuf,
    /// When the failure was decided.
    pub reported_at: SystemTime,
}

/// Writes a DSN message (header and body, CRLF line endings) for a [`DsnRequest`]. The
/// scheduler queues it from the null sender `<>` to the original sender.
#[async_trait]
pub trait DsnBuilder: Send + Sync {
    /// The complete DSN message.
    async fn build(&self, request: &DsnRequest<'_>) -> io::Result<Vec<u8>>;
}

#[async_trait]
impl<F> DsnBuilder for F
where
    F: Fn(&DsnRequest<'_>) -> Vec<u8> + Send + Sync,
{
    async fn build(&self, request: &DsnRequest<'_>) -> io::Result<Vec<u8>> {
        Ok(self(request))
    }
}

/// Why a DSN could not be queued (the failed recipients keep waiting for one).
#[derive(Debug, thiserror::Error)]
pub enum DsnError {
    /// The builder failed.
    #[error("building the DSN: {0}")]
    Build(#[from] io::Error),
    /// The queue could not take it.
    #[error("queueing the DSN: {0}")]
    Queue(#[from] QueueError),
}

/// Builds the DSN for `failed` (positions in `message.recipients`) and commits it to the queue.
pub(crate) async fn enqueue_dsn(
    store: &Arc<dyn QueueStore>,
    builder: &dyn DsnBuilder,
    clock: &dyn Clock,
    message: &QueuedMessage,
    failed: &[usize],
) -> Result<QueueId, DsnError> {
    let now = clock.now();
    let request = DsnRequest {
        message,
        failed: failed.iter().filter_map(|&index| message.recipients.get(index)).collect(),
        body: store.body_path(&message.id),
        reported_at: now,
    };
    let bytes = builder.build(&request).await?;
    let (_, mut incoming) = store.begin().await?;
    if let Err(error) = incoming.write(&bytes).await {
        incoming.abort().await;
        return Err(error.into());
    }
    let meta = QueuedMessage {
        id: QueueId(String::new()),
        mail_from: String::new(),
        recipients: vec![QueuedRecipient {
            address: message.mail_from.clone(),
            status: RecipientStatus::Pending,
            last_error: None,
        }],
        submitted_by: None,
        client: None,
        size: bytes.len() as u64,
        smtputf8: !message.mail_from.is_ascii(),
        eight_bit: !bytes.is_ascii(),
        arrived: now,
        attempts: 0,
        next_attempt: now,
        dsn_sent: false,
    };
    Ok(incoming.commit(meta).await?)
}
