//! # smtp-server
//!
//! Tokio SMTP sessions built on [`smtp_proto`] and [`smtp_auth`]: the session state machine,
//! handler hooks, STARTTLS and implicit TLS, limits and timeouts, LMTP and graceful shutdown.
//!
//! A server that prints every message's envelope, with STARTTLS on a generated certificate
//! (aiosmtpd's `Controller` with a handler):
//!
//! ```
//! use async_trait::async_trait;
//! use smtp_server::handler::{Handler, HookResult};
//! use smtp_server::smtp_auth::ServerInfo;
//! use smtp_server::smtp_proto::reply::Reply;
//! use smtp_server::{Envelope, Listen, Server, ServerConfig, Session};
//!
//! struct Printer;
//!
//! #[async_trait]
//! impl Handler for Printer {
//!     async fn data(&self, _: &ServerInfo, _: &mut Session, envelope: &mut Envelope) -> HookResult {
//!         println!("from {:?} to {:?}", envelope.mail_from, envelope.rcpt_tos);
//!         Ok(Reply::ok())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ServerConfig {
//!     tls: Some(smtp_server::tls::self_signed("mx.example")?.config),
//!     ..ServerConfig::default()
//! };
//! let handle = Server::new(config, Printer).start([Listen::Tcp("127.0.0.1:0".parse()?)]).await?;
//! println!("listening on {:?}", handle.local_addr());
//! handle.shutdown().await; // a real server would `handle.wait().await` instead
//! # Ok(())
//! # }
//! ```
//!
//! ## Features
//!
//! - `aws-lc-rs` (default): TLS with rustls's aws-lc-rs provider, the faster one.
//! - `ring`: TLS with the ring provider instead (when `aws-lc-rs` is off); one of the two is
//!   required.
//! - `cli` (default): the `smtpd` command (argument parsing, log output).

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
