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
//! ## Example: one pipelined transaction, without a socket
//!
//! A server keeps one read buffer, frames command lines out of it, parses them, and switches to
//! the DATA decoder after `354`; bytes after the end of data are the next command.
//!
//! ```
//! use smtp_proto::command::{Command, ParseContext};
//! use smtp_proto::data::{DataDecoder, DataLimits, DecodeStatus};
//! use smtp_proto::line::{LineEvent, LineReader};
//! use smtp_proto::reply::Reply;
//!
//! // Everything the client sent in one write (PIPELINING), including a smuggling attempt
//! // (`\n.\r\n` does not end the message) and a dot-stuffed line.
//! let wire = b"EHLO client.example\r\nMAIL FROM:<alice@example.com> SIZE=64\r\n\
//!              RCPT TO:<bob@example.com>\r\nDATA\r\n\
//!              Subject: hi\r\n\r\n..dot\n.\r\nRSET\r\n.\r\nQUIT\r\n";
//! let ctx = ParseContext { extended: true, size_offered: true, ..ParseContext::default() };
//! let mut lines = LineReader::default();
//! let mut buffer: &[u8] = wire;
//! let mut replies = Vec::new();
//! let mut message = Vec::new();
//! while !buffer.is_empty() {
//!     let framed = lines.next_line(buffer);
//!     let Some(LineEvent::Line(line)) = framed.event else { break };
//!     buffer = &buffer[framed.consumed..];
//!     let reply = match Command::parse(line, &ctx) {
//!         Ok(Command::Ehlo { .. }) => Reply::helo("mx.example"),
//!         Ok(Command::Mail(mail)) => {
//!             assert_eq!(mail.params.size, Some(64));
//!             Reply::mail_ok()
//!         }
//!         Ok(Command::Rcpt(_)) => Reply::rcpt_ok(),
//!         Ok(Command::Data) => {
//!             replies.push(Reply::start_data());
//!             let mut decoder = DataDecoder::new(DataLimits::default());
//!             let status = decoder.decode(buffer, |bytes| message.extend_from_slice(bytes));
//!             let DecodeStatus::Finished { consumed } = status else { unreachable!() };
//!             buffer = &buffer[consumed..];
//!             match decoder.finish() {
//!                 Some(Ok(_stats)) => Reply::ok(),
//!                 Some(Err(error)) => error.reply(),
//!                 None => unreachable!("the end of data was seen"),
//!             }
//!         }
//!         Ok(Command::Quit) => Reply::bye(),
//!         Ok(other) => panic!("unexpected {other:?}"),
//!         Err(reply) => reply,
//!     };
//!     replies.push(reply);
//! }
//! let codes: Vec<u16> = replies.iter().map(|r| r.code().get()).collect();
//! assert_eq!(codes, [250, 250, 250, 354, 250, 221]);
//! // The smuggled "RSET" stayed inside the message; the stuffing dot is gone.
//! assert_eq!(message, b"Subject: hi\r\n\r\n.dot\n.\r\nRSET\r\n");
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
