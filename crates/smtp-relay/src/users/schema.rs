//! Opening the database and creating or checking its schema.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use super::UserStoreError;

/// The schema version this code writes and reads (`PRAGMA user_version`).
pub(crate) const VERSION: i64 = 1;

/// How long a statement waits for another process's lock before failing with "busy".
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// Opens `path`, creating the file (owner-only on Unix: it holds password hashes) and the
/// schema when missing.
pub(crate) fn open(path: &Path) -> Result<Connection, UserStoreError> {
    create_private_file(path)?;
    let connection = Connection::open(path)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    let version: i64 = connection.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if version > VERSION {
        return Err(UserStoreError::UnsupportedSchema(version));
    }
    connection.execute_batch(
        "BEGIN;
         CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, hash TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS senders (
             user TEXT NOT NULL, address TEXT NOT NULL, PRIMARY KEY (user, address));
         PRAGMA user_version = 1;
         COMMIT;",
    )?;
    Ok(connection)
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

#[cfg(not(unix))]
fn create_private_file(_path: &Path) -> std::io::Result<()> {
    Ok(())
}
