//! # smtp-proto
//!
//! The sans-I/O core of the SMTP framework: everything that can be decided from bytes alone.
//! No sockets, no async runtime; every parser is fed whatever bytes have arrived and answers
//! "here is an item" or "need more", so one read buffer can hold several pipelined commands or
//! half of one, and parsed items borrow from it.
//!
//! | module | what it does |
//! |---|---|
//! | [`line`](mod@line) | command-line framing with a length limit (over-long lines are skipped, not buffered) |
//! | [`command`] | SMTP/ESMTP/LMTP commands, parsed into typed values, or the reply to send |
//! | [`params`] | ESMTP parameters of MAIL and RCPT (SIZE, BODY, SMTPUTF8, AUTH, RET, ENVID, NOTIFY, ORCPT) |
//! | [`address`] | RFC 5321 / RFC 6531 paths and mailboxes |
//! | [`reply`] | replies: building, formatting, the standard catalogue, parsing (client side) |
//! | [`ehlo`] | EHLO capability lists: building (server) and parsing (client) |
//! | [`data`] | the DATA decoder: end-of-data detection, dot-unstuffing, limits, bare CR/LF policy |
//! | [`bdat`] | the BDAT (RFC 3030) chunk reader |
//! | [`stuffing`] | the dot-stuffing encoder for outgoing messages |
//! | [`proxy`] | PROXY protocol v1 and v2 headers |
//!
//! ```
//! use smtp_proto::reply::Reply;
//!
//! assert_eq!(Reply::auth_invalid().to_string(), "535 5.7.8 Authentication credentials invalid");
//! ```

pub mod address;
pub mod bdat;
pub mod command;
pub mod data;
pub mod ehlo;
pub mod line;
pub mod params;
pub mod proxy;
pub mod reply;
pub mod stuffing;

pub use reply::{EnhancedStatus, Reply, ReplyCode};
