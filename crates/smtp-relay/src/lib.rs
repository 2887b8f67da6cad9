//! # smtp-relay
//!
//! An authenticated submission relay built on [`smtp_server`]: a user store, a durable queue, an
//! outbound SMTP client and MX or smarthost routing.
//!
//! This crate is being built; see the workspace README for its state.

pub use smtp_server;
