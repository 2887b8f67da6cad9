//! RFC 5321 paths and mailboxes (RFC 6531 UTF-8 addresses), with length limits.
//!
//! STAND-IN: a crude implementation of the agreed signatures so that the `command` branch
//! compiles and can be tested. The real module (another branch) replaces this file at merge.

use std::borrow::Cow;
use std::fmt;

/// Length limits for addresses (RFC 5321 §4.5.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressLimits {
    /// Maximum length of the local part in octets.
    pub max_local_part: usize,
    /// Maximum length of the domain in octets.
    pub max_domain: usize,
    /// Maximum length of the path (with angle brackets) in octets.
    pub max_path: usize,
}

impl Default for AddressLimits {
    fn default() -> Self {
        Self { max_local_part: 64, max_domain: 255, max_path: 256 }
    }
}

/// Why an address did not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// Nothing was given.
    #[error("empty address")]
    Empty,
    /// The path is not shaped like a path.
    #[error("address syntax error")]
    Syntax,
    /// The mailbox is malformed.
    #[error("malformed address")]
    Malformed,
    /// A part is longer than its limit.
    #[error("address too long")]
    TooLong,
}

/// A mailbox, `local-part@domain`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox<'a> {
    local: Cow<'a, str>,
    domain: Cow<'a, str>,
}

impl<'a> Mailbox<'a> {
    /// The local part.
    pub fn local_part(&self) -> &str {
        &self.local
    }

    /// The domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// Whether the whole mailbox is ASCII.
    pub fn is_ascii(&self) -> bool {
        self.local.is_ascii() && self.domain.is_ascii()
    }

    /// An owned copy.
    pub fn into_owned(self) -> Mailbox<'static> {
        Mailbox {
            local: Cow::Owned(self.local.into_owned()),
            domain: Cow::Owned(self.domain.into_owned()),
        }
    }
}

impl fmt::Display for Mailbox<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

/// The reverse-path of MAIL FROM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReversePath<'a> {
    /// `<>`.
    Null,
    /// A sender mailbox.
    Mailbox(Mailbox<'a>),
}

/// The forward-path of RCPT TO.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ForwardPath<'a> {
    /// `<Postmaster>`.
    Postmaster,
    /// A recipient mailbox.
    Mailbox(Mailbox<'a>),
}

fn split_path(text: &str) -> Result<(&str, &str), AddressError> {
    let text = text.trim_start();
    if text.is_empty() {
        return Err(AddressError::Empty);
    }
    if let Some(inner) = text.strip_prefix('<') {
        let end = inner.find('>').ok_or(AddressError::Syntax)?;
        let rest = inner.get(end + 1..).unwrap_or("").trim_start();
        let inner = inner.get(..end).unwrap_or("");
        let inner = match inner.strip_prefix('@') {
            Some(route) => {
                route.split_once(':').map(|(_, tail)| tail).ok_or(AddressError::Malformed)?
            }
            None => inner,
        };
        Ok((inner, rest))
    } else {
        let end = text.find(' ').unwrap_or(text.len());
        let (address, rest) = text.split_at(end);
        Ok((address, rest.trim_start()))
    }
}

/// `MAIL FROM:` argument: a reverse-path and the parameter text after it.
pub fn parse_reverse_path<'a>(
    text: &'a str,
    limits: &AddressLimits,
) -> Result<(ReversePath<'a>, &'a str), AddressError> {
    let bracketed = text.trim_start().starts_with('<');
    let (address, rest) = split_path(text)?;
    if address.is_empty() && bracketed {
        return Ok((ReversePath::Null, rest));
    }
    Ok((ReversePath::Mailbox(parse_mailbox(address, limits)?), rest))
}

/// `RCPT TO:` argument: a forward-path and the parameter text after it.
pub fn parse_forward_path<'a>(
    text: &'a str,
    limits: &AddressLimits,
) -> Result<(ForwardPath<'a>, &'a str), AddressError> {
    let (address, rest) = split_path(text)?;
    if address.eq_ignore_ascii_case("postmaster") {
        return Ok((ForwardPath::Postmaster, rest));
    }
    if address.is_empty() {
        return Err(AddressError::Syntax);
    }
    Ok((ForwardPath::Mailbox(parse_mailbox(address, limits)?), rest))
}

/// A bare `local@domain`.
pub fn parse_mailbox<'a>(
    text: &'a str,
    limits: &AddressLimits,
) -> Result<Mailbox<'a>, AddressError> {
    if text.is_empty() {
        return Err(AddressError::Empty);
    }
    let (local, domain) = text.rsplit_once('@').ok_or(AddressError::Malformed)?;
    let bad = |c: char| c.is_ascii_control() || " <>()[]\\,;:@".contains(c);
    let quoted = local.len() >= 2 && local.starts_with('"') && local.ends_with('"');
    if local.is_empty() || domain.is_empty() || (!quoted && local.contains(bad)) {
        return Err(AddressError::Malformed);
    }
    if domain.contains(bad) || domain.starts_with('.') || domain.ends_with('.') {
        return Err(AddressError::Malformed);
    }
    if local.len() > limits.max_local_part || domain.len() > limits.max_domain {
        return Err(AddressError::TooLong);
    }
    if text.len() + 2 > limits.max_path {
        return Err(AddressError::TooLong);
    }
    Ok(Mailbox { local: Cow::Borrowed(local), domain: Cow::Borrowed(domain) })
}
