//! Reverse and forward paths (RFC 5321 §4.1.2): finding the path in a MAIL or RCPT argument,
//! dropping the source route, and the three public parsers.

use std::fmt;

use super::mailbox::{Parsed, parse_mailbox_text};
use super::{AddressError, AddressLimits, Domain, Mailbox};

/// MAIL FROM's path: the null path `<>` or a mailbox.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ReversePath<'a> {
    /// `<>`: no sender, as in bounces (RFC 5321 §4.5.5).
    Null,
    /// A sender mailbox.
    Mailbox(Mailbox<'a>),
}

impl<'a> ReversePath<'a> {
    /// The mailbox, unless this is the null path.
    pub fn mailbox(&self) -> Option<&Mailbox<'a>> {
        match self {
            Self::Null => None,
            Self::Mailbox(mailbox) => Some(mailbox),
        }
    }

    /// Whether the path is all ASCII (the null path is).
    pub fn is_ascii(&self) -> bool {
        self.mailbox().is_none_or(Mailbox::is_ascii)
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> ReversePath<'static> {
        match self {
            Self::Null => ReversePath::Null,
            Self::Mailbox(mailbox) => ReversePath::Mailbox(mailbox.into_owned()),
        }
    }
}

/// `<>` or `<local@domain>`.
impl fmt::Display for ReversePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("<>"),
            Self::Mailbox(mailbox) => write!(f, "<{mailbox}>"),
        }
    }
}

/// RCPT TO's path: `<Postmaster>` (any letter case, RFC 5321 §4.1.1.3) or a mailbox.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ForwardPath<'a> {
    /// `<Postmaster>` without a domain: the postmaster of this server.
    Postmaster,
    /// A recipient mailbox (`<postmaster@example.com>` is one too).
    Mailbox(Mailbox<'a>),
}

impl<'a> ForwardPath<'a> {
    /// The recipient as a mailbox; [`ForwardPath::Postmaster`] gives [`Mailbox::postmaster`].
    pub fn into_mailbox(self) -> Mailbox<'a> {
        match self {
            Self::Postmaster => Mailbox::postmaster(),
            Self::Mailbox(mailbox) => mailbox,
        }
    }

    /// Whether the path is all ASCII (`<Postmaster>` is).
    pub fn is_ascii(&self) -> bool {
        match self {
            Self::Postmaster => true,
            Self::Mailbox(mailbox) => mailbox.is_ascii(),
        }
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> ForwardPath<'static> {
        match self {
            Self::Postmaster => ForwardPath::Postmaster,
            Self::Mailbox(mailbox) => ForwardPath::Mailbox(mailbox.into_owned()),
        }
    }
}

/// `<Postmaster>` or `<local@domain>`.
impl fmt::Display for ForwardPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postmaster => f.write_str("<Postmaster>"),
            Self::Mailbox(mailbox) => write!(f, "<{mailbox}>"),
        }
    }
}

/// Parses the reverse path at the start of `text` (the argument after `FROM:`; leading spaces
/// allowed) and returns it with the rest of the line (the ESMTP parameters), leading spaces
/// trimmed.
///
/// Like Postfix, the angle brackets may be missing: the address then ends at the first space
/// outside a quoted string. A source route (`<@relay:alice@example.com>`) is dropped.
///
/// ```
/// use smtp_proto::address::{AddressLimits, ReversePath, parse_reverse_path};
///
/// let limits = AddressLimits::default();
/// let (path, params) = parse_reverse_path(" <alice@example.com> SIZE=10", &limits).unwrap();
/// assert_eq!((path.to_string().as_str(), params), ("<alice@example.com>", "SIZE=10"));
/// assert_eq!(parse_reverse_path("<>", &limits), Ok((ReversePath::Null, "")));
/// ```
pub fn parse_reverse_path<'a>(
    text: &'a str,
    limits: &AddressLimits,
) -> Result<(ReversePath<'a>, &'a str), AddressError> {
    let found = find_path(text)?;
    if found.bracketed && found.path.is_empty() {
        return Ok((ReversePath::Null, found.rest));
    }
    match parse_path(found.path, limits)? {
        Parsed::Mailbox(mailbox) => Ok((ReversePath::Mailbox(mailbox), found.rest)),
        Parsed::LocalOnly(_) => Err(AddressError::Malformed),
    }
}

/// Parses the forward path at the start of `text` (the argument after `TO:`), like
/// [`parse_reverse_path`]. `<Postmaster>` (any letter case, no source route) is
/// [`ForwardPath::Postmaster`]; `<>` is [`AddressError::Malformed`]: the null path is only a
/// reverse path.
///
/// ```
/// use smtp_proto::address::{AddressError, AddressLimits, ForwardPath, parse_forward_path};
///
/// let limits = AddressLimits::default();
/// assert_eq!(parse_forward_path("<postmaster>", &limits), Ok((ForwardPath::Postmaster, "")));
/// assert_eq!(parse_forward_path("<>", &limits), Err(AddressError::Malformed));
/// ```
pub fn parse_forward_path<'a>(
    text: &'a str,
    limits: &AddressLimits,
) -> Result<(ForwardPath<'a>, &'a str), AddressError> {
    let found = find_path(text)?;
    if found.path.is_empty() {
        return Err(AddressError::Malformed);
    }
    let has_route = found.path.starts_with('@');
    match parse_path(found.path, limits)? {
        Parsed::Mailbox(mailbox) => Ok((ForwardPath::Mailbox(mailbox), found.rest)),
        Parsed::LocalOnly(local) if local.is_postmaster() && !has_route => {
            Ok((ForwardPath::Postmaster, found.rest))
        }
        Parsed::LocalOnly(_) => Err(AddressError::Malformed),
    }
}

/// Parses a whole mailbox, with or without angle brackets (for VRFY and similar); leading and
/// trailing spaces are allowed, anything else after the mailbox is [`AddressError::Syntax`].
/// A mailbox without a domain is [`AddressError::Malformed`].
///
/// ```
/// use smtp_proto::address::{AddressLimits, parse_mailbox};
///
/// let limits = AddressLimits::default();
/// assert_eq!(parse_mailbox("<alice@example.com>", &limits).unwrap().to_string(), "alice@example.com");
/// assert!(parse_mailbox("alice", &limits).is_err());
/// ```
pub fn parse_mailbox<'a>(
    text: &'a str,
    limits: &AddressLimits,
) -> Result<Mailbox<'a>, AddressError> {
    let found = find_path(text)?;
    if !found.rest.is_empty() {
        return Err(AddressError::Syntax);
    }
    if found.path.is_empty() {
        return Err(AddressError::Malformed);
    }
    match parse_path(found.path, limits)? {
        Parsed::Mailbox(mailbox) => Ok(mailbox),
        Parsed::LocalOnly(_) => Err(AddressError::Malformed),
    }
}

/// Where the path is in a MAIL or RCPT argument.
#[derive(Debug, PartialEq, Eq)]
struct Found<'a> {
    /// The path without its angle brackets.
    path: &'a str,
    /// Whether it was in angle brackets.
    bracketed: bool,
    /// The text after it, leading spaces trimmed.
    rest: &'a str,
}

/// Finds the path at the start of `text`: up to the matching `>`, or without brackets up to the
/// first space; in both cases a quoted string is skipped whole.
fn find_path(text: &str) -> Result<Found<'_>, AddressError> {
    let text = text.trim_start_matches(' ');
    if text.is_empty() {
        return Err(AddressError::Empty);
    }
    if let Some(inner) = text.strip_prefix('<') {
        let end = scan(inner, Stop::CloseBracket).ok_or(AddressError::Syntax)??;
        let (path, after) = split_around(inner, end);
        if !(after.is_empty() || after.starts_with(' ')) {
            return Err(AddressError::Syntax);
        }
        Ok(Found { path, bracketed: true, rest: after.trim_start_matches(' ') })
    } else {
        let end = scan(text, Stop::Space).unwrap_or(Ok(text.len()))?;
        let (path, after) = text.split_at(end);
        let rest = after.trim_start_matches(' ');
        if rest.starts_with('<') {
            // `Anne <anne@example.com>`: a display name, not a path.
            return Err(AddressError::Syntax);
        }
        Ok(Found { path, bracketed: false, rest })
    }
}

/// What ends a path in [`scan`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// The closing `>` of a bracketed path.
    CloseBracket,
    /// The space after an unbracketed path.
    Space,
}

/// The index of the byte ending the path (outside quoted strings), `None` when the text ends
/// first, or `Some(Err(Syntax))` at a stray angle bracket. One pass over the bytes: the
/// delimiters are ASCII, so UTF-8 continuation bytes never match them.
fn scan(text: &str, stop: Stop) -> Option<Result<usize, AddressError>> {
    let mut quoted = false;
    let mut escaped = false;
    for (index, byte) in text.bytes().enumerate() {
        if quoted {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match (byte, stop) {
            (b'"', _) => quoted = true,
            (b'>', Stop::CloseBracket) | (b' ', Stop::Space) => return Some(Ok(index)),
            (b'<' | b'>', _) => return Some(Err(AddressError::Syntax)),
            _ => {}
        }
    }
    None
}

/// The text before the byte at `index` and the text after it (`index` is an ASCII delimiter).
fn split_around(text: &str, index: usize) -> (&str, &str) {
    let (before, from) = text.split_at(index);
    (before, from.get(1..).unwrap_or_default())
}

/// Parses a path's content: an optional source route, then a mailbox or a lone local part.
fn parse_path<'a>(path: &'a str, limits: &AddressLimits) -> Result<Parsed<'a>, AddressError> {
    if path.len() > limits.max_path {
        return Err(AddressError::TooLong);
    }
    let mailbox = skip_source_route(path, limits)?;
    parse_mailbox_text(mailbox, limits)
}

/// Checks and drops an `A-d-l ":"` source route (`@relay1,@relay2:`) at the start of `path`.
fn skip_source_route<'a>(path: &'a str, limits: &AddressLimits) -> Result<&'a str, AddressError> {
    let mut rest = path;
    if !rest.starts_with('@') {
        return Ok(rest);
    }
    while let Some(after_at) = rest.strip_prefix('@') {
        let end = route_domain_end(after_at).ok_or(AddressError::Malformed)?;
        let (domain, after) = split_around(after_at, end);
        Domain::parse_limited(domain, limits.max_domain)?;
        if after_at.as_bytes().get(end) == Some(&b':') {
            return Ok(after);
        }
        rest = after;
    }
    Err(AddressError::Malformed)
}

/// The index of the `,` or `:` after a source-route domain (skipping an address literal,
/// whose IPv6 form holds colons).
fn route_domain_end(text: &str) -> Option<usize> {
    let start = if text.starts_with('[') { text.find(']')? } else { 0 };
    text.get(start..)?.find([',', ':']).map(|index| start + index)
}
