//! The outbound SMTP client, built on [`smtp_proto`], as a `tower::Service`
//! ([`SmtpTransport`]).
//!
//! One call delivers one [`DeliveryRequest`](crate::transport::DeliveryRequest) to one host:
//!
//! 1. connect (host name or IP literal, [`Timeouts::connect`]), TLS first for
//!    [`TlsPolicy::Implicit`](crate::transport::TlsPolicy::Implicit);
//! 2. the greeting: anything but 220 is
//!    [`DeliveryError::Refused`](crate::transport::DeliveryError::Refused) (421 transient,
//!    554 permanent);
//! 3. EHLO, or HELO when EHLO gets 500/502 (RFC 5321 §3.2);
//! 4. STARTTLS per policy, EHLO again (see `session` for the policy table; certificates are
//!    verified against the web PKI roots plus [`ClientConfig::extra_roots`]);
//! 5. AUTH PLAIN or LOGIN with smarthost credentials, only ever under TLS;
//! 6. MAIL (with `SIZE=`, `BODY=8BITMIME`, `SMTPUTF8` as offered and needed), RCPT per
//!    recipient, DATA — pipelined in one write when the server offers PIPELINING — the body
//!    dot-stuffed and CRLF-normalised as it streams, and the final reply for every accepted
//!    recipient;
//! 7. the connection is kept for the next request to the same destination (RSET first), or
//!    ended with QUIT.
//!
//! Every step has its RFC 5321 §4.5.3.2 timeout ([`Timeouts`]). Replies we build ourselves:
//! `553 5.6.7` (SMTPUTF8 needed, not offered), `552 5.3.4` (larger than the server's SIZE),
//! `553 5.1.7` / `553 5.1.3` (an address that is not an RFC 5321 path is never sent), and
//! `454 4.7.0` (the smarthost offers neither PLAIN nor LOGIN).
//!
//! Debug-level `tracing` events name the host and the stage; passwords and AUTH data are
//! never logged.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use bytes::Bytes;
//! use smtp_relay::client::{ClientConfig, SmtpTransport};
//! use smtp_relay::transport::{DeliveryRequest, Destination, MessageBody, TlsPolicy};
//! use tower::{Service, ServiceBuilder, ServiceExt};
//!
//! # async fn run() -> Result<(), tower::BoxError> {
//! let transport = SmtpTransport::new(ClientConfig::new("relay.example.com"))?;
//! // The queue's view: at most 4 deliveries at once, none longer than 30 minutes in all.
//! let mut service = ServiceBuilder::new()
//!     .concurrency_limit(4)
//!     .timeout(Duration::from_secs(30 * 60))
//!     .service(transport);
//! let request = DeliveryRequest {
//!     destination: Destination {
//!         host: "mx.example.net".into(),
//!         port: 25,
//!         tls_name: "mx.example.net".into(),
//!         tls: TlsPolicy::Opportunistic,
//!     },
//!     credentials: None,
//!     mail_from: "alice@example.com".into(),
//!     recipients: vec!["bob@example.net".into()],
//!     body: MessageBody::Memory(Bytes::from_static(b"Subject: hi\r\n\r\nHello\r\n")),
//!     size: 27,
//!     smtputf8: false,
//!     eight_bit: false,
//! };
//! let report = service.ready().await?.call(request).await?;
//! for result in &report.recipients {
//!     println!("{}: {}", result.recipient, result.reply);
//! }
//! # Ok(())
//! # }
//! ```

mod auth;
mod body;
mod config;
mod connection;
mod envelope;
mod hello;
mod live;
mod pool;
mod service;
mod session;
mod stage;
mod stream;
mod tls;
mod transaction;

pub use config::{ClientConfig, PoolConfig, Timeouts};
pub use live::{ClientSession, MailOptions};
pub use service::SmtpTransport;
pub use tls::TlsSetupError;
