//! The scheduler's remote control: wake it for new mail, and the queue admin API.

use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::{mpsc, oneshot};

use crate::queue::{QueueError, QueueId, QueueStore, QueuedMessage, RecipientStatus};

/// A request to the running scheduler.
#[derive(Debug)]
pub(crate) enum Command {
    /// A message was committed: deliver it now.
    Notify(QueueId),
    /// Make every message due now.
    Flush,
    /// Remove a message that is not being delivered.
    Delete(QueueId, oneshot::Sender<Result<(), AdminError>>),
    /// Start nothing new, finish the deliveries under way, then stop.
    Shutdown(oneshot::Sender<()>),
}

/// Why an admin request failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The message is being delivered right now; try again in a moment.
    #[error("message {0} is being delivered right now; try again")]
    Busy(String),
    /// The queue failed (or has no such message: [`QueueError::NotFound`]).
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The scheduler has stopped.
    #[error("the delivery scheduler is not running")]
    Stopped,
}

/// One line of `queue list`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueSummary {
    /// The message.
    pub id: QueueId,
    /// Its sender (empty for the null sender).
    pub mail_from: String,
    /// Its size in octets.
    pub size: u64,
    /// When it arrived.
    pub arrived: SystemTime,
    /// Attempts so far.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt: SystemTime,
    /// Recipients still pending.
    pub pending: usize,
    /// Recipients delivered.
    pub delivered: usize,
    /// Recipients failed.
    pub failed: usize,
    /// The most recent temporary error among the pending recipients.
    pub last_error: Option<String>,
}

impl QueueSummary {
    /// The summary of a queued message.
    pub fn of(meta: &QueuedMessage) -> Self {
        let count = |want: fn(&RecipientStatus) -> bool| {
            meta.recipients.iter().filter(|r| want(&r.status)).count()
        };
        Self {
            id: meta.id.clone(),
            mail_from: meta.mail_from.clone(),
            size: meta.size,
            arrived: meta.arrived,
            attempts: meta.attempts,
            next_attempt: meta.next_attempt,
            pending: count(|s| *s == RecipientStatus::Pending),
            delivered: count(|s| matches!(s, RecipientStatus::Delivered { .. })),
            failed: count(|s| matches!(s, RecipientStatus::Failed { .. })),
            last_error: meta.pending().find_map(|r| r.last_error.clone()),
        }
    }
}

/// Talks to a running [`Scheduler`](super::Scheduler); cheap to clone.
#[derive(Clone)]
pub struct SchedulerHandle {
    pub(crate) commands: mpsc::UnboundedSender<Command>,
    pub(crate) store: Arc<dyn QueueStore>,
}

impl std::fmt::Debug for SchedulerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchedulerHandle").finish_non_exhaustive()
    }
}

impl SchedulerHandle {
    /// Wakes the scheduler for a message just committed (the DATA handler calls this after
    /// the commit, before or after answering 250). Never blocks; a stopped scheduler ignores
    /// it (the message waits in the queue for the next start).
    pub fn notify(&self, id: QueueId) {
        let _ = self.commands.send(Command::Notify(id));
    }

    /// Makes every queued message due now (`queue flush`).
    pub fn flush(&self) {
        let _ = self.commands.send(Command::Flush);
    }

    /// Every queued message, oldest first (`queue list`).
    pub async fn list(&self) -> Result<Vec<QueueSummary>, QueueError> {
        Ok(self.store.list().await?.iter().map(QueueSummary::of).collect())
    }

    /// Removes a message without delivering it (`queue delete`); refused while a delivery of
    /// it is under way.
    pub async fn delete(&self, id: &QueueId) -> Result<(), AdminError> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(Command::Delete(id.clone(), reply)).map_err(|_| AdminError::Stopped)?;
        answer.await.map_err(|_| AdminError::Stopped)?
    }

    /// Stops the scheduler after the deliveries under way finish (the rest stays queued).
    pub async fn shutdown(&self) {
        let (done, finished) = oneshot::channel();
        if self.commands.send(Command::Shutdown(done)).is_ok() {
            let _ = finished.await;
        }
    }
}
