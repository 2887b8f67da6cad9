//! Receiving one body into `tmp/`, then committing it into `msg/` durably.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::io::{AsyncWriteExt, BufWriter};

use super::files::{remove_if_present, sync_dir, write_durably};
use super::layout::Layout;
use super::{IncomingMessage, QueueError, QueueId, QueuedMessage};

/// Write buffer in front of the body file.
const BUFFER: usize = 64 * 1024;

/// A body being received into `tmp/<id>.eml`.
pub(crate) struct DirIncoming {
    id: QueueId,
    layout: Arc<Layout>,
    file: BufWriter<tokio::fs::File>,
    written: u64,
}

impl DirIncoming {
    /// Creates `tmp/<id>.eml` (it must not exist yet).
    pub(crate) async fn create(id: QueueId, layout: Arc<Layout>) -> Result<Self, QueueError> {
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(layout.tmp_body(&id))
            .await?;
        Ok(Self { id, layout, file: BufWriter::with_capacity(BUFFER, file), written: 0 })
    }
}

#[async_trait]
impl IncomingMessage for DirIncoming {
    async fn write(&mut self, chunk: &[u8]) -> Result<(), QueueError> {
        self.file.write_all(chunk).await?;
        self.written = self.written.saturating_add(chunk.len() as u64);
        Ok(())
    }

    /// Fsyncs the body, renames it into `msg/`, writes the metadata (with this writer's id and
    /// the number of octets written) through `tmp/` into `msg/`, and fsyncs `msg/`. On failure
    /// nothing of the message is left, so the relay's temporary error reply is the truth.
    async fn commit(self: Box<Self>, mut meta: QueuedMessage) -> Result<QueueId, QueueError> {
        let Self { id, layout, mut file, written } = *self;
        meta.id = id.clone();
        meta.size = written;
        let synced = async {
            file.flush().await?;
            file.get_ref().sync_all().await
        }
        .await;
        drop(file);
        let result = match synced {
            Ok(()) => publish(&layout, &meta).await,
            Err(error) => Err(QueueError::Io(error)),
        };
        if let Err(error) = result {
            discard(&layout, &id).await;
            return Err(error);
        }
        Ok(id)
    }

    async fn abort(self: Box<Self>) {
        let Self { id, layout, file, .. } = *self;
        drop(file);
        discard(&layout, &id).await;
    }
}

/// Moves the fsynced body into `msg/` and writes the metadata next to it.
async fn publish(layout: &Arc<Layout>, meta: &QueuedMessage) -> Result<(), QueueError> {
    let json = serde_json::to_vec_pretty(meta).map_err(std::io::Error::other)?;
    let layout = Arc::clone(layout);
    let id = meta.id.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        std::fs::rename(layout.tmp_body(&id), layout.body(&id))?;
        // One fsync of msg/ at the end covers both new names.
        write_durably(&layout.tmp_meta(&id), &layout.meta(&id), &json)
    })
    .await
    .map_err(std::io::Error::other)??;
    Ok(())
}

/// Removes every file this message may have left (best effort, logged).
async fn discard(layout: &Arc<Layout>, id: &QueueId) {
    let layout = Arc::clone(layout);
    let id = id.clone();
    let outcome = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        remove_if_present(&layout.meta(&id))?;
        remove_if_present(&layout.body(&id))?;
        remove_if_present(&layout.tmp_meta(&id))?;
        remove_if_present(&layout.tmp_body(&id))?;
        sync_dir(&layout.msg)
    })
    .await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::warn!(%error, "could not clean up an uncommitted message"),
        Err(error) => tracing::warn!(%error, "could not clean up an uncommitted message"),
    }
}
