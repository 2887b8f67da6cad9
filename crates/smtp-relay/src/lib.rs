//! # smtp-relay
//!
//! An authenticated submission relay built on [`smtp_server`]: users in SQLite with argon2id
//! hashes, a durable on-disk queue that holds each message before the server answers 250, an
//! outbound SMTP client built on [`smtp_proto`], and MX, smarthost or static routing.

pub mod client;
pub mod delivery;
pub mod dsn;
pub mod queue;
pub mod route;
pub mod transport;
pub mod users;

pub use smtp_server;
