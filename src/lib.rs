//! # smtpd
//!
//! A Rust SMTP server framework with first-class SMTP AUTH (RFC 4954): the Rust counterpart of
//! Python's `aiosmtpd`. This facade crate re-exports the workspace's layered crates so that the
//! examples and benchmarks at the repository root can use them through one dependency:
//!
//! - [`proto`] ([`smtp_proto`]): the sans-I/O protocol core (commands, addresses, replies, DATA
//!   framing, PROXY headers);
//! - [`auth`] ([`smtp_auth`]): the AUTH API (mechanisms, authenticators, credentials);
//! - [`server`] ([`smtp_server`]): tokio sessions;
//! - [`relay`] ([`smtp_relay`]): the authenticated relayer.
//!
//! ```
//! use smtpd::proto::reply::Reply;
//!
//! let mut wire = Vec::new();
//! Reply::ok().write_to(&mut wire);
//! assert_eq!(wire, b"250 2.0.0 OK\r\n");
//! ```

pub use smtp_auth as auth;
pub use smtp_proto as proto;
pub use smtp_relay as relay;
pub use smtp_server as server;
