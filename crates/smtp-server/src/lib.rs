//! # smtp-server
//!
//! Tokio SMTP sessions built on [`smtp_proto`] and [`smtp_auth`]: the session state machine,
//! handler hooks, STARTTLS and implicit TLS, limits and timeouts, LMTP and graceful shutdown.
//!
//! This crate is being built; see the workspace README for its state.

pub use smtp_auth;
pub use smtp_proto;
