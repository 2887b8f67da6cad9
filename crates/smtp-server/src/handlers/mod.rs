//! Built-in handlers (aiosmtpd's `aiosmtpd.handlers`).
//!
//! | handler | what it does with a message |
//! | --- | --- |
//! | [`Sink`] | accepts it and throws it away |
//! | [`Debugging`] | prints it (standard output, standard error or any writer) |
//! | [`Mailbox`] | stores it in a Maildir, on disk before the `250` |
//! | [`Message`] | parses it and awaits a callback of yours with it |
//!
//! [`Mailbox`] and [`Message`] add `X-Peer`, `X-MailFrom` and `X-RcptTo` header lines at the
//! top of the message, as aiosmtpd does, in the message's own line ending; nothing else in the
//! message changes. Each answers `250 2.0.0 OK`, or fails with a [`HandlerError`] (the server
//! then answers `451 4.3.0`).

mod debugging;
mod error;
mod mailbox;
mod message;
mod sink;
mod trace_fields;

pub use debugging::Debugging;
pub use error::HandlerError;
pub use mailbox::Mailbox;
pub use message::Message;
pub use sink::Sink;
