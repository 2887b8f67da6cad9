//! [`DataDirLock`]: one process owns a data directory's queue at a time.
//!
//! `DirQueue::open` cleans the queue's temporary files, which would destroy another process's
//! message in progress, so `serve` and the offline `queue` commands first create
//! `<data dir>/relayer.lock` exclusively, holding the owner's process id. A lock whose process
//! no longer exists (after `kill -9` or a power loss) is stale and taken over; liveness is
//! checked through `/proc/<pid>` (Linux). The file is removed when the lock is dropped.

use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// Why the lock could not be had.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another live process holds it.
    #[error("the data directory is in use by process {pid} ({})", path.display())]
    Held {
        /// The holder's process id.
        pid: u32,
        /// The lock file.
        path: PathBuf,
    },
    /// The lock file could not be created or read.
    #[error("lock file {}: {source}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The system's reason.
        source: io::Error,
    },
}

/// A held lock; removed on drop.
#[derive(Debug)]
pub struct DataDirLock {
    path: PathBuf,
}

impl DataDirLock {
    /// Takes the lock file at `path`, taking over a stale one.
    pub fn acquire(path: &Path) -> Result<Self, LockError> {
        let io_error = |source| LockError::Io { path: path.to_owned(), source };
        for _ in 0..2 {
            match OpenOptions::new().write(true).create_new(true).open(path) {
                Ok(mut file) => {
                    writeln!(file, "{}", std::process::id()).map_err(io_error)?;
                    file.sync_all().map_err(io_error)?;
                    return Ok(Self { path: path.to_owned() });
                }
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                    let holder = read_pid(path).map_err(io_error)?;
                    match holder {
                        Some(pid) if is_alive(pid) => {
                            return Err(LockError::Held { pid, path: path.to_owned() });
                        }
                        _ => {
                            tracing::warn!(lock = %path.display(), pid = ?holder, "removing a stale lock");
                            match fs::remove_file(path) {
                                Err(error) if error.kind() != io::ErrorKind::NotFound => {
                                    return Err(io_error(error));
                                }
                                _ => {}
                            }
                        }
                    }
                }
                Err(error) => return Err(io_error(error)),
            }
        }
        Err(io_error(io::Error::other("the lock file keeps reappearing")))
    }

    /// The process id recorded in the lock file at `path`, if it is held by a live process.
    pub fn holder(path: &Path) -> Option<u32> {
        read_pid(path).ok().flatten().filter(|&pid| is_alive(pid))
    }
}

impl Drop for DataDirLock {
    fn drop(&mut self) {
        if let Err(error) = fs::remove_file(&self.path) {
            tracing::warn!(lock = %self.path.display(), %error, "could not remove the lock file");
        }
    }
}

/// The pid in a lock file; `None` when the file is missing or unreadable as a pid.
fn read_pid(path: &Path) -> io::Result<Option<u32>> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(text.trim().parse().ok()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// Whether process `pid` exists (our own process counts: a second relay in the same process
/// must not take the directory either).
fn is_alive(pid: u32) -> bool {
    pid == std::process::id() || Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("relay-lock-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_live_holder_blocks_a_stale_one_is_taken_over() {
        let dir = temp_dir("cases");
        let path = dir.join("relayer.lock");
        let held = DataDirLock::acquire(&path).unwrap();
        assert_eq!(DataDirLock::holder(&path), Some(std::process::id()));
        let error = DataDirLock::acquire(&path).unwrap_err();
        assert!(matches!(error, LockError::Held { pid, .. } if pid == std::process::id()));
        drop(held);
        assert!(!path.exists(), "dropping the lock removes the file");

        // A pid that cannot exist (above Linux's pid_max), and garbage: both stale.
        for stale in ["4294967295\n", "not a pid\n"] {
            fs::write(&path, stale).unwrap();
            assert_eq!(DataDirLock::holder(&path), None);
            let lock = DataDirLock::acquire(&path).unwrap();
            assert_eq!(fs::read_to_string(&path).unwrap().trim(), std::process::id().to_string());
            drop(lock);
        }
        fs::remove_dir_all(dir).unwrap();
    }
}
