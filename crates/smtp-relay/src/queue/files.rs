//! Blocking file-system steps of the directory queue, each one durable on its own.
//!
//! These run inside `spawn_blocking` (never on the runtime's threads). "Durable" means the data
//! was fsynced before the rename that makes it visible, and the directory holding the new name
//! was fsynced after it, so a crash leaves either the old state or the new one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;

/// Flushes a directory's entries (new names, removals) to disk.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes `bytes` to `staging`, fsyncs it, renames it to `target` and fsyncs `target`'s directory.
pub(crate) fn write_durably(staging: &Path, target: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = File::create(staging)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    rename_durably(staging, target)
}

/// Renames `from` to `to` and fsyncs `to`'s directory.
pub(crate) fn rename_durably(from: &Path, to: &Path) -> io::Result<()> {
    fs::rename(from, to)?;
    match to.parent() {
        Some(dir) => sync_dir(dir),
        None => Ok(()),
    }
}

/// Removes a file; a file that is already gone is not an error.
pub(crate) fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error),
        _ => Ok(()),
    }
}

/// Removes every plain file directly inside `dir`; returns how many went.
pub(crate) fn empty_dir(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            remove_if_present(&entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}
