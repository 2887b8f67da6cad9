//! A mailbox: `local-part@domain` (RFC 5321 §4.1.2, RFC 6531 §3.3).

use std::fmt;

use super::{AddressError, AddressLimits, Domain, LocalPart};

/// A mailbox, `local-part@domain`, borrowed from the text it was parsed from.
///
/// The parsers always give a domain; only [`Mailbox::postmaster`] (the mailbox behind
/// [`super::ForwardPath::Postmaster`]) has none.
///
/// ```
/// use smtp_proto::address::{AddressLimits, parse_mailbox};
///
/// let mailbox = parse_mailbox(r#""alice smith"@example.com"#, &AddressLimits::default()).unwrap();
/// assert_eq!(mailbox.local_part().unquoted(), "alice smith");
/// assert_eq!(mailbox.domain().map(|d| d.as_str()), Some("example.com"));
/// assert_eq!(mailbox.to_string(), r#""alice smith"@example.com"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Mailbox<'a> {
    local_part: LocalPart<'a>,
    domain: Option<Domain<'a>>,
}

impl<'a> Mailbox<'a> {
    /// A mailbox from its parts.
    pub fn new(local_part: LocalPart<'a>, domain: Domain<'a>) -> Self {
        Self { local_part, domain: Some(domain) }
    }

    /// `Postmaster` without a domain, as in `RCPT TO:<Postmaster>` (RFC 5321 §4.1.1.3).
    pub fn postmaster() -> Mailbox<'static> {
        Mailbox { local_part: LocalPart::postmaster(), domain: None }
    }

    /// The local part, as written.
    pub fn local_part(&self) -> &LocalPart<'a> {
        &self.local_part
    }

    /// The domain; `None` only for [`Mailbox::postmaster`].
    pub fn domain(&self) -> Option<&Domain<'a>> {
        self.domain.as_ref()
    }

    /// Whether the whole mailbox is ASCII; a non-ASCII mailbox needs the SMTPUTF8 parameter
    /// (RFC 6531 §3.4).
    pub fn is_ascii(&self) -> bool {
        self.local_part.is_ascii() && self.domain.as_ref().is_none_or(Domain::is_ascii)
    }

    /// Whether the local part is an unquoted `Postmaster` (any letter case), with or without
    /// a domain.
    pub fn is_postmaster(&self) -> bool {
        self.local_part.is_postmaster()
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Mailbox<'static> {
        Mailbox {
            local_part: self.local_part.into_owned(),
            domain: self.domain.map(Domain::into_owned),
        }
    }
}

/// The canonical form `local@domain`, the local part as written (a quoted one stays quoted).
impl fmt::Display for Mailbox<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.domain {
            Some(domain) => write!(f, "{}@{}", self.local_part, domain),
            None => write!(f, "{}", self.local_part),
        }
    }
}

/// What the text of a mailbox held.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Parsed<'a> {
    /// `local-part@domain`.
    Mailbox(Mailbox<'a>),
    /// A local part alone, no `@` (valid only as `<Postmaster>`).
    LocalOnly(LocalPart<'a>),
}

/// Parses `text`, which must be a whole mailbox or a whole local part, applying the local part
/// and domain limits.
pub(super) fn parse_mailbox_text<'a>(
    text: &'a str,
    limits: &AddressLimits,
) -> Result<Parsed<'a>, AddressError> {
    let (local_part, rest) = LocalPart::parse_prefix(text)?;
    let parsed = match rest.strip_prefix('@') {
        Some(domain) => {
            let domain = Domain::parse_limited(domain, limits.max_domain)?;
            Parsed::Mailbox(Mailbox::new(local_part, domain))
        }
        None if rest.is_empty() => Parsed::LocalOnly(local_part),
        None => return Err(AddressError::Malformed),
    };
    let local_len = match &parsed {
        Parsed::Mailbox(mailbox) => mailbox.local_part.as_str().len(),
        Parsed::LocalOnly(local_part) => local_part.as_str().len(),
    };
    if local_len > limits.max_local_part {
        return Err(AddressError::TooLong);
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Parsed<'_>, AddressError> {
        parse_mailbox_text(text, &AddressLimits::default())
    }

    #[test]
    fn parts() {
        let Ok(Parsed::Mailbox(mailbox)) = parse("jörg@bücher.example") else { panic!() };
        assert_eq!(mailbox.local_part().as_str(), "jörg");
        assert_eq!(mailbox.domain().map(Domain::as_str), Some("bücher.example"));
        assert!(!mailbox.is_ascii());
        assert!(!mailbox.is_postmaster());

        let Ok(Parsed::Mailbox(mailbox)) = parse("PostMaster@[192.0.2.1]") else { panic!() };
        assert!(mailbox.is_ascii() && mailbox.is_postmaster());
        assert!(mailbox.domain().is_some_and(Domain::is_literal));

        let Ok(Parsed::LocalOnly(local)) = parse("alice") else { panic!() };
        assert_eq!(local.as_str(), "alice");

        let Ok(Parsed::Mailbox(mailbox)) = parse("jörg@example.com") else { panic!() };
        assert!(!mailbox.is_ascii(), "a UTF-8 local part alone makes it non-ASCII");
        let Ok(Parsed::Mailbox(mailbox)) = parse("joerg@bücher.example") else { panic!() };
        assert!(!mailbox.is_ascii(), "a U-label alone makes it non-ASCII");
    }

    #[test]
    fn postmaster_mailbox() {
        let postmaster = Mailbox::postmaster();
        assert_eq!(postmaster.to_string(), "Postmaster");
        assert!(
            postmaster.domain().is_none() && postmaster.is_ascii() && postmaster.is_postmaster()
        );
    }

    #[test]
    fn into_owned_outlives_the_input() {
        let owned = {
            let text = String::from("\"a\\\"b\"@example.com");
            let Ok(Parsed::Mailbox(mailbox)) = parse(&text) else { panic!() };
            mailbox.into_owned()
        };
        assert_eq!(owned.to_string(), "\"a\\\"b\"@example.com");
        assert_eq!(owned.local_part().unquoted(), "a\"b");
    }

    #[test]
    fn errors() {
        let limits = AddressLimits { max_local_part: 5, max_domain: 11, max_path: 100 };
        let table = [
            ("alice@example.com", Ok(())),
            ("alices@example.com", Err(AddressError::TooLong)),
            ("alice@example.comm", Err(AddressError::TooLong)),
            ("alices", Err(AddressError::TooLong)),
            ("alice@", Err(AddressError::Malformed)),
            ("alice@@example.com", Err(AddressError::Malformed)),
            ("alice@b@example.com", Err(AddressError::Malformed)),
            ("@example.com", Err(AddressError::Malformed)),
            ("alice example.com", Err(AddressError::Malformed)),
            ("alice.@example.com", Err(AddressError::Malformed)),
        ];
        for (text, expected) in table {
            assert_eq!(parse_mailbox_text(text, &limits).map(|_| ()), expected, "{text}");
        }
    }
}
