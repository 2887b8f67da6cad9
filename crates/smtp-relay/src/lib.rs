//! # smtp-relay
//!
//! An authenticated submission relay built on [`smtp_server`]: users in SQLite with argon2id
//! hashes, a durable on-disk queue that holds each message before the server answers 250, an
//! outbound SMTP client built on [`smtp_proto`], and MX, smarthost or static routing.

pub mod client;
pub mod delivery;
pub mod dsn;
pub mod proxy;
pub mod queue;
pub mod relay;
pub mod route;
pub mod submission;
pub mod transport;
pub mod users;

pub use proxy::Proxy;
pub use relay::{Relay, RelayConfig, RelayError, RelayHandle};
pub use smtp_server;
pub use submission::RelayHandler;
