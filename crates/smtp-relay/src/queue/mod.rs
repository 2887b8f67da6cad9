//! The durable queue: accepted messages wait here until every recipient has a final answer.
//!
//! [`QueueStore`] is a trait so that a shared store can replace the local directory
//! ([`DirQueue`]) later. Its promise: when [`IncomingMessage::commit`] returns, the message is on
//! disk (file and directory fsynced) and will survive a crash; the relay answers 250 only then.
//! Delivery is at-least-once: a crash between a successful delivery and the queue update sends
//! the message again after restart.

mod dir;
mod files;
mod ids;
mod layout;
mod writer;

pub use dir::{DirQueue, Recovery};

use std::path::PathBuf;
use std::time::SystemTime;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// A queued message's identifier (also its file name stem): sortable by arrival.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct QueueId(pub String);

/// Where one recipient stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecipientStatus {
    /// Not delivered yet; retry when due.
    Pending,
    /// Accepted by the next hop (the reply text kept for the log).
    Delivered {
        /// The next hop's reply, as text.
        reply: String,
    },
    /// Refused for good, or expired: a DSN is (or was) due.
    Failed {
        /// The reason, as an SMTP reply text (e.g. `550 5.1.1 no such user`).
        reply: String,
    },
}

/// One recipient of a queued message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedRecipient {
    /// The address, without brackets.
    pub address: String,
    /// Its status.
    pub status: RecipientStatus,
    /// The last temporary failure, for the log and the DSN.
    pub last_error: Option<String>,
}

/// Everything the queue knows of a message besides its body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedMessage {
    /// Its identifier.
    pub id: QueueId,
    /// The reverse path, without brackets; empty for the null sender (never gets a DSN).
    pub mail_from: String,
    /// The recipients and where each stands.
    pub recipients: Vec<QueuedRecipient>,
    /// The authenticated user who submitted it.
    pub submitted_by: Option<String>,
    /// The client's address.
    pub client: Option<String>,
    /// Size of the body file in octets.
    pub size: u64,
    /// The message needs SMTPUTF8.
    pub smtputf8: bool,
    /// The message has 8-bit content.
    pub eight_bit: bool,
    /// When it was accepted.
    pub arrived: SystemTime,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt: SystemTime,
    /// Whether the sender has been sent a DSN for the failed recipients.
    pub dsn_sent: bool,
}

impl QueuedMessage {
    /// Recipients still waiting for delivery.
    pub fn pending(&self) -> impl Iterator<Item = &QueuedRecipient> {
        self.recipients.iter().filter(|r| r.status == RecipientStatus::Pending)
    }

    /// Whether every recipient has a final status.
    pub fn is_done(&self) -> bool {
        self.pending().next().is_none()
    }
}

/// Errors of a queue store.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The store's I/O failed.
    #[error("queue I/O: {0}")]
    Io(#[from] std::io::Error),
    /// A metadata file could not be read.
    #[error("queue entry {id}: {reason}")]
    Corrupt {
        /// The entry.
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// No such entry.
    #[error("no queued message {0}")]
    NotFound(String),
}

/// A message being written into the queue: the body is streamed in, then committed.
#[async_trait]
pub trait IncomingMessage: Send {
    /// Appends body bytes.
    async fn write(&mut self, chunk: &[u8]) -> Result<(), QueueError>;
    /// Makes it durable (body and metadata fsynced, directory fsynced) and visible to delivery.
    async fn commit(self: Box<Self>, meta: QueuedMessage) -> Result<QueueId, QueueError>;
    /// Throws it away.
    async fn abort(self: Box<Self>);
}

/// A durable store of queued messages.
#[async_trait]
pub trait QueueStore: Send + Sync {
    /// Starts a new message; returns its writer (the id is fixed now).
    async fn begin(&self) -> Result<(QueueId, Box<dyn IncomingMessage>), QueueError>;
    /// Every committed message's metadata, oldest first.
    async fn list(&self) -> Result<Vec<QueuedMessage>, QueueError>;
    /// One message's metadata.
    async fn load(&self, id: &QueueId) -> Result<QueuedMessage, QueueError>;
    /// The path of a message's body file (read by the transport).
    fn body_path(&self, id: &QueueId) -> PathBuf;
    /// Replaces a message's metadata durably (atomic rename + fsync).
    async fn update(&self, meta: &QueuedMessage) -> Result<(), QueueError>;
    /// Removes a message (body and metadata).
    async fn remove(&self, id: &QueueId) -> Result<(), QueueError>;
}
