//! [`Pool`]: idle connections kept after a successful transaction, keyed by destination and
//! credentials, for the next message to the same place.
//!
//! A connection is kept at most [`PoolConfig::idle_timeout`]; at most
//! [`PoolConfig::max_idle_per_destination`] per key and [`PoolConfig::max_idle_total`] in all
//! (the oldest goes first). Expired or surplus connections are simply closed (no QUIT: the
//! server sees the connection end, which RFC 5321 §3.8 tolerates). The pool never checks a
//! connection's health; the caller sends RSET before reusing one.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::time::Instant;

use super::config::PoolConfig;
use super::connection::Connection;
use crate::transport::{Destination, SmarthostCredentials};

/// What a kept connection is good for: the same destination, logged in as the same user.
#[derive(Clone, Debug)]
pub struct PoolKey {
    destination: Destination,
    credentials: Option<SmarthostCredentials>,
}

impl PoolKey {
    /// The key for a delivery to `destination` with `credentials`.
    pub fn new(destination: &Destination, credentials: Option<&SmarthostCredentials>) -> Self {
        Self { destination: destination.clone(), credentials: credentials.cloned() }
    }

    fn matches(&self, other: &Self) -> bool {
        self.destination == other.destination
            && match (&self.credentials, &other.credentials) {
                (None, None) => true,
                (Some(a), Some(b)) => a.login == b.login && a.password.ct_eq(b.password.expose()),
                _ => false,
            }
    }
}

#[derive(Debug)]
struct Idle {
    key: PoolKey,
    since: Instant,
    conn: Connection,
}

/// The shared pool (cheap to clone).
#[derive(Clone, Debug, Default)]
pub struct Pool {
    config: PoolConfig,
    idle: Arc<Mutex<Vec<Idle>>>,
}

impl Pool {
    /// An empty pool.
    pub fn new(config: PoolConfig) -> Self {
        Self { config, idle: Arc::default() }
    }

    /// Takes the most recently kept live connection for `key`, dropping expired ones.
    pub fn take(&self, key: &PoolKey) -> Option<Connection> {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        self.expire(&mut idle);
        let position = idle.iter().rposition(|entry| entry.key.matches(key))?;
        Some(idle.remove(position).conn)
    }

    /// Keeps `conn` for later, or hands it back when the pool is full for it (or disabled), so
    /// the caller can end it with QUIT.
    pub fn put(&self, key: PoolKey, conn: Connection) -> Option<Connection> {
        if !conn.is_usable() {
            return None;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        self.expire(&mut idle);
        let same = idle.iter().filter(|entry| entry.key.matches(&key)).count();
        if same >= self.config.max_idle_per_destination || self.config.max_idle_total == 0 {
            return Some(conn);
        }
        if idle.len() >= self.config.max_idle_total {
            idle.remove(0);
        }
        idle.push(Idle { key, since: Instant::now(), conn });
        None
    }

    /// How many connections are kept now (expired ones not counted).
    pub fn idle_count(&self) -> usize {
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        self.expire(&mut idle);
        idle.len()
    }

    fn expire(&self, idle: &mut Vec<Idle>) {
        let timeout = self.config.idle_timeout;
        idle.retain(|entry| entry.since.elapsed() < timeout);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use smtp_auth::Secret;
    use tokio::net::{TcpListener, TcpStream};

    use super::*;
    use crate::client::config::Timeouts;
    use crate::client::stream::Stream;
    use crate::transport::TlsPolicy;

    /// A connection over a real loopback socket (its other end is dropped: nothing is read).
    async fn connection(listener: &TcpListener, tag: &str) -> Connection {
        let addr = listener.local_addr().unwrap();
        let (tcp, _) = tokio::join!(TcpStream::connect(addr), listener.accept());
        Connection::new(Stream::Plain(tcp.unwrap()), tag, Timeouts::default())
    }

    fn key(host: &str, login: Option<(&str, &str)>) -> PoolKey {
        let destination = Destination {
            host: host.into(),
            port: 25,
            tls_name: host.into(),
            tls: TlsPolicy::Opportunistic,
        };
        let credentials = login.map(|(login, password)| SmarthostCredentials {
            login: login.into(),
            password: Secret::new(password),
        });
        PoolKey::new(&destination, credentials.as_ref())
    }

    #[test]
    fn keys_match_destination_and_credentials() {
        let table = [
            (key("a", None), key("a", None), true),
            (key("a", None), key("b", None), false),
            (key("a", Some(("u", "p"))), key("a", Some(("u", "p"))), true),
            (key("a", Some(("u", "p"))), key("a", Some(("u", "q"))), false),
            (key("a", Some(("u", "p"))), key("a", Some(("v", "p"))), false),
            (key("a", Some(("u", "p"))), key("a", None), false),
        ];
        for (left, right, same) in table {
            assert_eq!(left.matches(&right), same, "{left:?} / {right:?}");
        }
    }

    #[tokio::test]
    async fn caps_per_destination_and_in_all() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let pool = Pool::new(PoolConfig {
            idle_timeout: Duration::from_secs(30),
            max_idle_per_destination: 2,
            max_idle_total: 3,
        });
        for tag in ["a1", "a2"] {
            assert!(pool.put(key("a", None), connection(&listener, tag).await).is_none());
        }
        let surplus = pool.put(key("a", None), connection(&listener, "a3").await);
        assert_eq!(surplus.map(|c| c.host().to_owned()).as_deref(), Some("a3"));
        // The total cap drops the oldest (a1).
        for tag in ["b1", "b2"] {
            assert!(pool.put(key("b", None), connection(&listener, tag).await).is_none());
        }
        assert_eq!(pool.idle_count(), 3);
        assert_eq!(pool.take(&key("a", None)).map(|c| c.host().to_owned()).as_deref(), Some("a2"));
        assert!(pool.take(&key("a", None)).is_none());
        assert!(pool.take(&key("b", Some(("u", "p")))).is_none());
        assert_eq!(pool.take(&key("b", None)).map(|c| c.host().to_owned()).as_deref(), Some("b2"));

        let disabled = Pool::new(PoolConfig::disabled());
        assert!(disabled.put(key("a", None), connection(&listener, "x").await).is_some());
        assert_eq!(disabled.idle_count(), 0);
    }
}
