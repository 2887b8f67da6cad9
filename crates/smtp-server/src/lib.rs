//! # smtp-server
//!
//! Tokio SMTP sessions built on [`smtp_proto`] and [`smtp_auth`]: the session state machine,
//! handler hooks, STARTTLS and implicit TLS, limits and timeouts, LMTP and graceful shutdown.

pub mod config;
mod connection;
pub mod handler;
pub mod handlers;
mod listener;
pub mod server;
pub mod session;
mod shared;
pub mod tls;
pub mod tower;

pub use config::{CallLimits, ServerConfig};
pub use handler::{Handler, HookError, HookResult};
pub use server::{BoundAddr, Listen, Server, ServerHandle, ShutdownTrigger};
pub use session::{Envelope, PeerAddr, Session, TlsInfo};
pub use smtp_auth;
pub use smtp_proto;
