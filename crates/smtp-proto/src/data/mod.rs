//! The DATA decoder: end-of-data detection, dot-unstuffing, limits and the bare CR/LF policy.
//!
//! After `354` the client sends the message, dot-stuffed, followed by `.` CRLF on a line of its
//! own. [`DataDecoder`] is fed whatever bytes have arrived and hands the message out in runs of
//! borrowed bytes; it stops right after the end-of-data line, so bytes pipelined behind it stay
//! with the caller as the next command.
//!
//! # The rules
//!
//! * **Lines end at CRLF only.** A line starts at the beginning of the body or right after a
//!   CRLF. A bare CR (not followed by LF) or a bare LF (not preceded by CR) is part of the line,
//!   whatever the [`BareLineEndingPolicy`].
//! * **End of data** is a line that is exactly `.` CRLF: `CRLF . CRLF`, or `. CRLF` as the very
//!   first line of the body. Nothing else ends the message, however the bytes are split:
//!   `LF . LF`, `LF . CRLF`, `CRLF . LF`, `CR . CRLF`, `CRLF . CR CR LF`, `CRLF . CR <x>` and
//!   `LF .. CRLF` are all message data (the SMTP smuggling vectors; see aiosmtpd
//!   CVE-2024-27305 and Postfix 20240106).
//! * **Dot-unstuffing:** a line that starts with `.` loses that dot (`..x` → `.x`, `.x` → `x`,
//!   `. ` → ` `), as aiosmtpd does. A dot after a bare CR or LF is not at the start of a line
//!   and is kept.
//! * **Normalising** ([`BareLineEndingPolicy::Normalize`]) rewrites a bare CR or LF as CRLF in
//!   the bytes handed out, *after* the framing decisions above: it never makes the following
//!   `.` an end-of-data marker or a stuffing dot. So `LF . CRLF` arrives as `CRLF . CRLF` inside
//!   the body and the message goes on; a relay re-stuffs it when sending
//!   ([`crate::stuffing`]).
//! * **The message** is what was received minus the stuffing dots and the end-of-data line; the
//!   CRLF before the final dot belongs to the message: `Test CRLF .. CRLF mail CRLF . CRLF` is
//!   the message `Test CRLF . CRLF mail CRLF`, and `. CRLF` alone is the empty message.
//! * **Limits** ([`DataLimits`]): the size counts the message octets handed out (RFC 1870: the
//!   stuffing dots do not count); the line length counts the octets of a line as received,
//!   stuffing dot and CRLF included (aiosmtpd: 1001 accepted, 1002 refused). A refusal is
//!   deferred: decoding goes on to the end of data, nothing more is handed out, and
//!   [`DataDecoder::finish`] reports the [`DataError`] whose octet came first in the stream.
//!
//! ```
//! use smtp_proto::data::{DataDecoder, DataLimits, DecodeStatus};
//!
//! let mut decoder = DataDecoder::new(DataLimits::default());
//! let mut message = Vec::new();
//! let input = b"Test\r\n..\r\nmail\r\n.\r\nQUIT\r\n";
//! let status = decoder.decode(input, |bytes| message.extend_from_slice(bytes));
//! assert_eq!(status, DecodeStatus::Finished { consumed: input.len() - 6 });
//! assert_eq!(message, b"Test\r\n.\r\nmail\r\n");
//! assert_eq!(decoder.finish().map(|outcome| outcome.map(|stats| stats.size)), Some(Ok(15)));
//! ```

mod decoder;
mod limits;
mod outcome;

pub use decoder::{DataDecoder, DecodeStatus};
pub use limits::{BareLineEndingPolicy, DataLimits};
pub use outcome::{DataError, MessageStats};
