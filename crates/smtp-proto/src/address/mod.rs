//! RFC 5321 paths and mailboxes (RFC 6531 UTF-8 addresses), with length limits.
//!
//! The three entry points are [`parse_reverse_path`] (MAIL FROM), [`parse_forward_path`]
//! (RCPT TO) and [`parse_mailbox`] (VRFY and similar). Everything they return borrows from the
//! input; [`Mailbox::into_owned`] and friends make owned copies.
//!
//! Accepted, like Postfix: a space before the path and missing angle brackets. Accepted as
//! RFC 5321 requires: quoted local parts, address literals, source routes (dropped),
//! `<Postmaster>` as a recipient. Refused: anything that is not RFC 5321 grammar (RFC 5322
//! comments, unquoted spaces, backslashes outside quotes), a missing domain (except
//! `<Postmaster>`), control characters, and over-long parts ([`AddressLimits`]).
//!
//! UTF-8 (RFC 6531) is accepted in local parts and domain labels; whether it is allowed in a
//! given transaction is the command layer's decision ([`Mailbox::is_ascii`]).
//!
//! ```
//! use smtp_proto::address::{AddressError, AddressLimits, ReversePath, parse_reverse_path};
//!
//! let limits = AddressLimits::default();
//! let (path, params) = parse_reverse_path("<@relay.example:alice@example.com> BODY=8BITMIME", &limits).unwrap();
//! let ReversePath::Mailbox(mailbox) = path else { unreachable!() };
//! assert_eq!(mailbox.to_string(), "alice@example.com");
//! assert_eq!(params, "BODY=8BITMIME");
//! assert_eq!(parse_reverse_path("<alice@@example.com>", &limits), Err(AddressError::Malformed));
//! assert_eq!(parse_reverse_path("<alice@example.com", &limits), Err(AddressError::Syntax));
//! ```

mod chars;
mod domain;
mod error;
mod find;
mod limits;
mod literal;
mod local_part;
mod mailbox;
mod path;
#[cfg(test)]
mod proptests;
mod route;

pub use domain::Domain;
pub use error::AddressError;
pub use limits::AddressLimits;
pub use literal::AddressLiteral;
pub use local_part::LocalPart;
pub use mailbox::Mailbox;
pub use path::{ForwardPath, ReversePath, parse_forward_path, parse_mailbox, parse_reverse_path};
