//! [`DirQueue`]: the queue as files in a local directory.
//!
//! # Durability
//!
//! [`IncomingMessage::commit`] returns only after the body file has been fsynced and renamed
//! into `msg/`, the metadata has been written to `tmp/`, fsynced and renamed into `msg/`, and
//! the `msg/` directory itself has been fsynced. That is the promise behind the relay's 250:
//! once the client hears it, a crash or power loss does not lose the message. The metadata
//! file's presence is what makes a message committed; a body without metadata is an
//! interrupted commit (the client never heard 250) and is removed at [`DirQueue::open`].
//!
//! Metadata updates are atomic (write to `tmp/`, fsync, rename, fsync `msg/`), so a crash
//! leaves the old or the new state, never a torn file. Delivery is **at-least-once**: a crash
//! after the next hop accepted a message but before the update recording it means the message
//! is sent again after restart. It is never silently dropped.
//!
//! [`IncomingMessage::commit`] records the writer's own id and the number of octets written,
//! whatever the caller put in `id` and `size`. A writer dropped without `commit` or `abort`
//! leaves its `tmp/` file until the next open.
//!
//! One process owns a queue directory at a time: [`DirQueue::open`] clears `tmp/`, which
//! would destroy another process's message in progress.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;

use super::files::{empty_dir, remove_if_present, rename_durably, sync_dir, write_durably};
use super::ids::{IdGenerator, is_valid_id};
use super::layout::{BODY_EXT, Layout, META_EXT, parse_name};
use super::writer::DirIncoming;
use super::{IncomingMessage, QueueError, QueueId, QueueStore, QueuedMessage};

/// A durable queue in a local directory (layout and guarantees in the module docs).
#[derive(Debug)]
pub struct DirQueue {
    root: PathBuf,
    layout: Arc<Layout>,
    ids: IdGenerator,
}

/// What [`DirQueue::open`] found left over from a previous run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recovery {
    /// Files removed from `tmp/` (bodies being received, metadata being replaced).
    pub temporary_removed: usize,
    /// Bodies in `msg/` without metadata (interrupted commits or removals), removed.
    pub orphan_bodies_removed: usize,
    /// Metadata in `msg/` without a body, moved to `quarantine/` for the operator.
    pub orphan_metadata_quarantined: usize,
}

impl DirQueue {
    /// Opens (creating when needed) the queue under `root` and cleans up after a crash: see
    /// [`Recovery`]. What it cleaned is logged; [`DirQueue::open_with_report`] also returns it.
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self, QueueError> {
        Ok(Self::open_with_report(root).await?.0)
    }

    /// [`DirQueue::open`], also returning what was cleaned up.
    pub async fn open_with_report(
        root: impl Into<PathBuf>,
    ) -> Result<(Self, Recovery), QueueError> {
        let root = root.into();
        let layout = Arc::new(Layout::new(&root));
        let recovery = blocking({
            let layout = Arc::clone(&layout);
            move || recover(&layout)
        })
        .await?;
        if recovery != Recovery::default() {
            tracing::warn!(
                queue = %root.display(),
                temporary = recovery.temporary_removed,
                orphan_bodies = recovery.orphan_bodies_removed,
                orphan_metadata = recovery.orphan_metadata_quarantined,
                "queue recovered after an unclean stop"
            );
        }
        Ok((Self { root, layout, ids: IdGenerator::default() }, recovery))
    }

    /// The queue's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

#[async_trait]
impl QueueStore for DirQueue {
    async fn begin(&self) -> Result<(QueueId, Box<dyn IncomingMessage>), QueueError> {
        let id = self.ids.next_id()?;
        let incoming = DirIncoming::create(id.clone(), Arc::clone(&self.layout)).await?;
        Ok((id, Box::new(incoming)))
    }

    async fn list(&self) -> Result<Vec<QueuedMessage>, QueueError> {
        let layout = Arc::clone(&self.layout);
        blocking(move || list_committed(&layout)).await
    }

    async fn load(&self, id: &QueueId) -> Result<QueuedMessage, QueueError> {
        let layout = Arc::clone(&self.layout);
        let id = id.clone();
        blocking(move || read_meta(&layout, &id)).await
    }

    fn body_path(&self, id: &QueueId) -> PathBuf {
        self.layout.body(id)
    }

    async fn update(&self, meta: &QueuedMessage) -> Result<(), QueueError> {
        let json = serde_json::to_vec_pretty(meta).map_err(io::Error::other)?;
        let layout = Arc::clone(&self.layout);
        let id = meta.id.clone();
        blocking(move || {
            // Never recreate the metadata of a message removed meanwhile.
            if !is_valid_id(&id.0) || !layout.body(&id).is_file() {
                return Err(QueueError::NotFound(id.0));
            }
            write_durably(&layout.tmp_meta(&id), &layout.meta(&id), &json)?;
            Ok(())
        })
        .await
    }

    async fn remove(&self, id: &QueueId) -> Result<(), QueueError> {
        let layout = Arc::clone(&self.layout);
        let id = id.clone();
        blocking(move || {
            let meta = layout.meta(&id);
            let body = layout.body(&id);
            if !is_valid_id(&id.0) || (!meta.exists() && !body.exists()) {
                return Err(QueueError::NotFound(id.0));
            }
            // Metadata first: a crash in between leaves an orphan body, cleaned at open.
            remove_if_present(&meta)?;
            remove_if_present(&body)?;
            sync_dir(&layout.msg)?;
            Ok(())
        })
        .await
    }
}

/// Runs blocking file work off the runtime's threads.
async fn blocking<T, F>(work: F) -> Result<T, QueueError>
where
    F: FnOnce() -> Result<T, QueueError> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work).await.map_err(io::Error::other)?
}

/// Creates the directories, empties `tmp/`, removes orphan bodies, quarantines orphan metadata.
fn recover(layout: &Layout) -> Result<Recovery, QueueError> {
    for dir in [&layout.tmp, &layout.msg, &layout.quarantine] {
        fs::create_dir_all(dir)?;
    }
    let mut recovery =
        Recovery { temporary_removed: empty_dir(&layout.tmp)?, ..Recovery::default() };
    for (id, ext) in entries(&layout.msg)? {
        if ext == BODY_EXT && !layout.meta(&id).exists() {
            tracing::warn!(id = %id.0, "removing a body without metadata (uncommitted message)");
            remove_if_present(&layout.body(&id))?;
            recovery.orphan_bodies_removed += 1;
        } else if ext == META_EXT && !layout.body(&id).exists() {
            tracing::warn!(id = %id.0, "quarantining metadata without a body");
            let target = layout.quarantine.join(format!("{}.{META_EXT}", id.0));
            rename_durably(&layout.meta(&id), &target)?;
            recovery.orphan_metadata_quarantined += 1;
        }
    }
    sync_dir(&layout.msg)?;
    Ok(recovery)
}

/// The queue files directly in `dir` (other names are ignored), sorted by id.
fn entries(dir: &Path) -> io::Result<Vec<(QueueId, String)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if let Some((id, ext)) = name.to_str().and_then(parse_name) {
            found.push((id, ext.to_owned()));
        }
    }
    found.sort();
    Ok(found)
}

/// Every readable committed message, oldest first; unreadable ones are logged and skipped.
fn list_committed(layout: &Layout) -> Result<Vec<QueuedMessage>, QueueError> {
    let mut messages = Vec::new();
    for (id, ext) in entries(&layout.msg)? {
        if ext != META_EXT {
            continue;
        }
        match read_meta(layout, &id) {
            Ok(meta) if layout.body(&id).is_file() => messages.push(meta),
            Ok(_) => tracing::warn!(id = %id.0, "skipping queue entry without a body"),
            // Removed while we were listing.
            Err(QueueError::NotFound(_)) => {}
            Err(error) => tracing::warn!(id = %id.0, %error, "skipping unreadable queue entry"),
        }
    }
    Ok(messages)
}

/// One message's metadata, checked to belong to `id`.
fn read_meta(layout: &Layout, id: &QueueId) -> Result<QueuedMessage, QueueError> {
    if !is_valid_id(&id.0) {
        return Err(QueueError::NotFound(id.0.clone()));
    }
    let bytes = match fs::read(layout.meta(id)) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            return Err(QueueError::NotFound(id.0.clone()));
        }
        other => other?,
    };
    let meta: QueuedMessage = serde_json::from_slice(&bytes)
        .map_err(|error| QueueError::Corrupt { id: id.0.clone(), reason: error.to_string() })?;
    if meta.id != *id {
        return Err(QueueError::Corrupt {
            id: id.0.clone(),
            reason: format!("metadata names another message ({})", meta.id.0),
        });
    }
    Ok(meta)
}
