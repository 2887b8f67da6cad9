//! [`QueueAdmin`]: `queue list|flush|delete`, through the running relay's control socket when
//! one answers, else directly on the queue directory (under the data directory's lock, so a
//! relay cannot start meanwhile).

use std::time::SystemTime;

use super::config::DataDir;
use super::control::{ControlClient, QueueEntry};
use super::error::RelayError;
use super::lock::DataDirLock;
use crate::delivery::QueueSummary;
use crate::queue::{DirQueue, QueueError, QueueId, QueueStore};

/// How the queue is reached.
#[derive(Debug)]
pub enum QueueAdmin {
    /// A running relay, through its control socket.
    Live(ControlClient),
    /// No relay runs: the queue opened directly, the lock held until this is dropped.
    Offline {
        /// The queue.
        queue: DirQueue,
        /// The data directory's lock.
        lock: DataDirLock,
    },
}

impl QueueAdmin {
    /// Reaches the queue of the data directory `data`.
    pub async fn connect(data: &DataDir) -> Result<Self, RelayError> {
        if let Ok(client) = ControlClient::connect(&data.control_socket()).await {
            return Ok(Self::Live(client));
        }
        let lock = DataDirLock::acquire(&data.lock_file())?;
        let queue = DirQueue::open(data.queue()).await?;
        Ok(Self::Offline { queue, lock })
    }

    /// Whether a running relay answered.
    pub fn is_live(&self) -> bool {
        matches!(self, Self::Live(_))
    }

    /// Every queued message, oldest first.
    pub async fn list(&mut self) -> Result<Vec<QueueEntry>, RelayError> {
        match self {
            Self::Live(client) => client.list().await,
            Self::Offline { queue, .. } => Ok(queue
                .list()
                .await?
                .iter()
                .map(|meta| QueueEntry::from(&QueueSummary::of(meta)))
                .collect()),
        }
    }

    /// Makes every message due now: the running relay retries at once; offline, each
    /// message's `next_attempt` is rewritten to now, so the next `serve` tries it first.
    pub async fn flush(&mut self) -> Result<(), RelayError> {
        match self {
            Self::Live(client) => client.flush().await,
            Self::Offline { queue, .. } => {
                let now = SystemTime::now();
                for mut meta in queue.list().await? {
                    meta.next_attempt = now;
                    match queue.update(&meta).await {
                        Ok(()) | Err(QueueError::NotFound(_)) => {}
                        Err(error) => return Err(error.into()),
                    }
                }
                Ok(())
            }
        }
    }

    /// Removes a message without delivering it.
    pub async fn delete(&mut self, id: &str) -> Result<(), RelayError> {
        match self {
            Self::Live(client) => client.delete(id).await,
            Self::Offline { queue, .. } => Ok(queue.remove(&QueueId(id.to_owned())).await?),
        }
    }
}
