//! The user store: relay users in SQLite with argon2id password hashes and sender lists.
//!
//! Schema (version 1, kept in `PRAGMA user_version`):
//! `users(name TEXT PRIMARY KEY, hash TEXT NOT NULL)` and
//! `senders(user TEXT, address TEXT, PRIMARY KEY(user, address))`. Logins are compared
//! exactly (case-sensitive). The sender rules are in [`AllowedSender`].
//!
//! Every operation runs on tokio's blocking pool: the connection sits behind a
//! `std::sync::Mutex` that is only taken there, and argon2 runs outside the lock, so
//! verifications proceed in parallel. An unknown user costs one argon2 verification against a
//! dummy hash made with the same parameters, like a wrong password. Passwords travel as
//! [`Secret`]s (zeroised on drop) and are never logged.

mod authenticator;
mod password;
mod schema;
mod sender;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};
use smtp_auth::Secret;

pub use authenticator::RelayAuthenticator;
pub use password::{HashError, HashParams};
pub use sender::{AllowedSender, InvalidSender};

use password::Hasher;

/// Why a user store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum UserStoreError {
    /// SQLite failed (busy, I/O, not a database).
    #[error("user database: {0}")]
    Database(#[from] rusqlite::Error),
    /// Creating the database file failed.
    #[error("user database file: {0}")]
    Io(#[from] std::io::Error),
    /// The database was written by a newer version of this program.
    #[error("user database schema version {0} is not supported (expected {SCHEMA_VERSION})", SCHEMA_VERSION = schema::VERSION)]
    UnsupportedSchema(i64),
    /// A password could not be hashed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// The user does not exist.
    #[error("no such user: {0:?}")]
    NoSuchUser(String),
    /// The user exists already.
    #[error("user {0:?} exists already")]
    UserExists(String),
    /// The login is empty or has control characters.
    #[error("invalid user name {0:?}")]
    InvalidName(String),
    /// The blocking task running the operation panicked or was cancelled.
    #[error("user database task failed: {0}")]
    Task(String),
}

/// A user and the senders they may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    /// The login.
    pub name: String,
    /// The allowed senders, sorted.
    pub senders: Vec<AllowedSender>,
}

struct Inner {
    connection: Mutex<Connection>,
    hasher: Hasher,
    /// Verified against for unknown users, so they cost as much as a wrong password.
    dummy_hash: String,
}

impl Inner {
    fn connection(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (an open transaction
        // rolls back when dropped), so a poisoned lock is still usable.
        self.connection.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn stored_hash(&self, name: &str) -> Result<Option<String>, UserStoreError> {
        let connection = self.connection();
        let hash = connection
            .query_row("SELECT hash FROM users WHERE name = ?1", [name], |row| row.get(0))
            .optional()?;
        Ok(hash)
    }
}

/// The relay's users, in an SQLite file. Cheap to clone (shared).
#[derive(Clone)]
pub struct UserStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for UserStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserStore").finish_non_exhaustive()
    }
}

/// A login the store accepts: non-empty, no control characters.
fn check_name(name: &str) -> Result<(), UserStoreError> {
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(UserStoreError::InvalidName(name.to_owned()));
    }
    Ok(())
}

impl UserStore {
    /// Opens (creating if missing) the database at `path`, hashing new passwords with the
    /// default argon2id parameters.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, UserStoreError> {
        Self::open_with(path, HashParams::default()).await
    }

    /// Opens (creating if missing) the database at `path`, hashing new passwords with `params`.
    pub async fn open_with(
        path: impl AsRef<Path>,
        params: HashParams,
    ) -> Result<Self, UserStoreError> {
        let path = path.as_ref().to_owned();
        run_blocking(move || {
            let hasher = Hasher::new(params)?;
            let connection = schema::open(&path)?;
            let dummy_hash = hasher.hash(&Secret::from("no such user: dummy password"))?;
            let connection = Mutex::new(connection);
            Ok(Self { inner: Arc::new(Inner { connection, hasher, dummy_hash }) })
        })
        .await
    }

    /// Runs `operation` on the blocking pool with the shared state.
    async fn blocking<T: Send + 'static>(
        &self,
        operation: impl FnOnce(&Inner) -> Result<T, UserStoreError> + Send + 'static,
    ) -> Result<T, UserStoreError> {
        let inner = Arc::clone(&self.inner);
        run_blocking(move || operation(&inner)).await
    }

    /// Adds a user. An empty `senders` list means the default of [`AllowedSender`]: the
    /// login itself when it is an address, otherwise no sender at all.
    pub async fn add_user(
        &self,
        name: &str,
        password: Secret,
        senders: Vec<AllowedSender>,
    ) -> Result<(), UserStoreError> {
        check_name(name)?;
        let name = name.to_owned();
        self.blocking(move |inner| {
            let hash = inner.hasher.hash(&password)?;
            drop(password);
            let senders =
                if senders.is_empty() { AllowedSender::defaults_for(&name) } else { senders };
            let mut connection = inner.connection();
            let transaction = connection.transaction()?;
            let inserted = transaction.execute(
                "INSERT OR IGNORE INTO users (name, hash) VALUES (?1, ?2)",
                params![name, hash],
            )?;
            if inserted == 0 {
                return Err(UserStoreError::UserExists(name));
            }
            for sender in senders {
                insert_sender(&transaction, &name, &sender)?;
            }
            transaction.commit()?;
            Ok(())
        })
        .await
    }

    /// Replaces a user's password.
    pub async fn set_password(&self, name: &str, password: Secret) -> Result<(), UserStoreError> {
        let name = name.to_owned();
        self.blocking(move |inner| {
            let hash = inner.hasher.hash(&password)?;
            drop(password);
            let updated = inner
                .connection()
                .execute("UPDATE users SET hash = ?2 WHERE name = ?1", params![name, hash])?;
            if updated == 0 {
                return Err(UserStoreError::NoSuchUser(name));
            }
            Ok(())
        })
        .await
    }

    /// Deletes a user and their senders.
    pub async fn delete_user(&self, name: &str) -> Result<(), UserStoreError> {
        let name = name.to_owned();
        self.blocking(move |inner| {
            let mut connection = inner.connection();
            let transaction = connection.transaction()?;
            transaction.execute("DELETE FROM senders WHERE user = ?1", [&name])?;
            let deleted = transaction.execute("DELETE FROM users WHERE name = ?1", [&name])?;
            if deleted == 0 {
                return Err(UserStoreError::NoSuchUser(name));
            }
            transaction.commit()?;
            Ok(())
        })
        .await
    }

    /// Allows a user one more sender (adding one already listed changes nothing).
    pub async fn add_sender(
        &self,
        name: &str,
        sender: AllowedSender,
    ) -> Result<(), UserStoreError> {
        let name = name.to_owned();
        self.blocking(move |inner| {
            let mut connection = inner.connection();
            let transaction = connection.transaction()?;
            let exists = transaction
                .query_row("SELECT 1 FROM users WHERE name = ?1", [&name], |_| Ok(()))
                .optional()?;
            if exists.is_none() {
                return Err(UserStoreError::NoSuchUser(name));
            }
            insert_sender(&transaction, &name, &sender)?;
            transaction.commit()?;
            Ok(())
        })
        .await
    }

    /// All users with their senders, sorted by login.
    pub async fn list_users(&self) -> Result<Vec<UserInfo>, UserStoreError> {
        self.blocking(|inner| {
            let connection = inner.connection();
            let mut statement = connection.prepare(
                "SELECT users.name, senders.address FROM users \
                 LEFT JOIN senders ON senders.user = users.name \
                 ORDER BY users.name, senders.address",
            )?;
            let rows = statement.query_map([], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?))
            })?;
            let mut users: Vec<UserInfo> = Vec::new();
            for row in rows {
                let (name, address) = row?;
                if users.last().is_none_or(|user| user.name != name) {
                    users.push(UserInfo { name, senders: Vec::new() });
                }
                let sender = address.and_then(|a| a.parse::<AllowedSender>().ok());
                if let (Some(user), Some(sender)) = (users.last_mut(), sender) {
                    user.senders.push(sender);
                }
            }
            Ok(users)
        })
        .await
    }

    /// Whether `password` is `name`'s password. Unknown users cost the same as wrong passwords.
    pub async fn verify(&self, name: &str, password: Secret) -> Result<bool, UserStoreError> {
        let name = name.to_owned();
        self.blocking(move |inner| {
            let stored = inner.stored_hash(&name)?;
            let hash = stored.as_deref().unwrap_or(&inner.dummy_hash);
            let matches = inner.hasher.verify(hash, &password);
            Ok(matches && stored.is_some())
        })
        .await
    }

    /// Whether `user` may use `address` (without brackets; empty for `<>`) as envelope
    /// sender. Unknown users may use none.
    pub async fn may_send_as(&self, user: &str, address: &str) -> Result<bool, UserStoreError> {
        let (user, address) = (user.to_owned(), address.to_owned());
        self.blocking(move |inner| {
            let connection = inner.connection();
            let mut statement =
                connection.prepare("SELECT address FROM senders WHERE user = ?1")?;
            let rows = statement.query_map([&user], |row| row.get::<_, String>(0))?;
            for row in rows {
                if row?.parse::<AllowedSender>().is_ok_and(|sender| sender.allows(&address)) {
                    return Ok(true);
                }
            }
            Ok(false)
        })
        .await
    }
}

fn insert_sender(
    connection: &Connection,
    name: &str,
    sender: &AllowedSender,
) -> Result<(), UserStoreError> {
    connection.execute(
        "INSERT OR IGNORE INTO senders (user, address) VALUES (?1, ?2)",
        params![name, sender.to_string()],
    )?;
    Ok(())
}

async fn run_blocking<T: Send + 'static>(
    operation: impl FnOnce() -> Result<T, UserStoreError> + Send + 'static,
) -> Result<T, UserStoreError> {
    tokio::task::spawn_blocking(operation)
        .await
        .map_err(|error| UserStoreError::Task(error.to_string()))?
}

#[cfg(test)]
mod tests;
