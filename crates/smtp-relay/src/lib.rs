//! # smtp-relay
//!
//! An authenticated submission relay built on [`smtp_server`]: users in SQLite with argon2id
//! hashes, a durable on-disk queue that holds each message before the server answers 250, an
//! outbound SMTP client built on [`smtp_proto`], and MX, smarthost or static routing.
//!
//! [`Relay::start`] wires it all together from a plain [`RelayConfig`]: the submission server
//! (AUTH required and only under TLS, whatever the configuration), the [`RelayHandler`]
//! (sender ownership, the queue behind every 250), the delivery scheduler, DSNs, and a
//! control socket for queue administration. [`Proxy`] is the other application handler:
//! aiosmtpd's `handlers.Proxy`, answering with the upstream's own replies.
//!
//! ```no_run
//! use smtp_relay::relay::{Relay, RelayConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = RelayConfig { data_dir: "/var/lib/relayer".into(), ..RelayConfig::default() };
//! let relay = Relay::start(config).await?; // 127.0.0.1:8587, STARTTLS, MX delivery
//! relay.users().add_user("alice@example.com", "a long passphrase".into(), vec![]).await?;
//! let trigger = relay.shutdown_trigger();
//! tokio::spawn(async move {
//!     tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
//!     trigger.trigger(); // a signal handler in a real program
//! });
//! relay.wait().await; // graceful: transactions finish, the queue stays for the next start
//! # Ok(())
//! # }
//! ```
//!
//! Delivery is at-least-once: every message that got a 250 is on disk and survives a crash;
//! a crash between the next hop's acceptance and the queue update delivers it twice.

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
