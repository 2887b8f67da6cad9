//! Reverse and forward paths (RFC 5321 §4.1.2) and the three public parsers.

use std::fmt;

use super::find::find_path;
use super::mailbox::{Parsed, parse_mailbox_text};
use super::route::skip_source_route;
use super::{AddressError, AddressLimits, Mailbox};

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

/// Parses a path's content: an optional source route, then a mailbox or a lone local part.
fn parse_path<'a>(path: &'a str, limits: &AddressLimits) -> Result<Parsed<'a>, AddressError> {
    if path.len() > limits.max_path {
        return Err(AddressError::TooLong);
    }
    let mailbox = skip_source_route(path, limits)?;
    parse_mailbox_text(mailbox, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: AddressLimits = AddressLimits::RFC5321;

    /// A reverse path and the rest of the line, as text.
    fn reverse(text: &str) -> Result<(String, &str), AddressError> {
        parse_reverse_path(text, &LIMITS).map(|(path, rest)| (path.to_string(), rest))
    }

    /// A forward path and the rest of the line, as text.
    fn forward(text: &str) -> Result<(String, &str), AddressError> {
        parse_forward_path(text, &LIMITS).map(|(path, rest)| (path.to_string(), rest))
    }

    #[test]
    fn valid_reverse_paths() {
        let local_64 = format!("<{}@example.com>", "a".repeat(64));
        let domain_254 =
            format!("{}.{}.{}.{}", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(62));
        let path_256 = format!("a@{domain_254}");
        let path_256_bracketed = format!("<{path_256}>");
        // (argument after FROM:, path as displayed, rest of the line)
        let table = [
            ("<alice@example.com>", "<alice@example.com>", ""),
            (" <alice@example.com>", "<alice@example.com>", ""),
            ("  <alice@example.com>", "<alice@example.com>", ""),
            ("alice@example.com", "<alice@example.com>", ""),
            (" alice@example.com", "<alice@example.com>", ""),
            ("alice@example.com SIZE=10", "<alice@example.com>", "SIZE=10"),
            ("<alice@example.com> SIZE=10", "<alice@example.com>", "SIZE=10"),
            (
                "<alice@example.com>   SIZE=10 BODY=8BITMIME",
                "<alice@example.com>",
                "SIZE=10 BODY=8BITMIME",
            ),
            ("<alice@example.com> ", "<alice@example.com>", ""),
            ("<>", "<>", ""),
            (" <> SIZE=10", "<>", "SIZE=10"),
            ("<anne.arthur@example.com>", "<anne.arthur@example.com>", ""),
            ("anne+promo@example.com", "<anne+promo@example.com>", ""),
            ("anne-arthur@example.com", "<anne-arthur@example.com>", ""),
            ("anne_arthur@example.com", "<anne_arthur@example.com>", ""),
            ("_@example.com", "<_@example.com>", ""),
            ("anne@127.0.0.1", "<anne@127.0.0.1>", ""),
            ("anne@[127.0.0.1]", "<anne@[127.0.0.1]>", ""),
            ("<anne@[IPv6:2001:db8::1]>", "<anne@[IPv6:2001:db8::1]>", ""),
            ("<anne@[ipv6:::1]> SIZE=1", "<anne@[ipv6:::1]>", "SIZE=1"),
            ("<anne@[x-tag:any-content]>", "<anne@[x-tag:any-content]>", ""),
            ("<@example.org:anne@example.com>", "<anne@example.com>", ""),
            ("<@example.net,@example.org:anne@example.com>", "<anne@example.com>", ""),
            ("<@[192.0.2.1],@[IPv6:2001:db8::1]:anne@example.com>", "<anne@example.com>", ""),
            ("@relay.example:anne@example.com SIZE=1", "<anne@example.com>", "SIZE=1"),
            ("anne@mail", "<anne@mail>", ""),
            ("\"\"@example.com", "<\"\"@example.com>", ""),
            ("<\"\"@example.com>", "<\"\"@example.com>", ""),
            ("\" \"@example.com", "<\" \"@example.com>", ""),
            ("\"anne..arthur\"@example.com", "<\"anne..arthur\"@example.com>", ""),
            ("mailhost!anne@example.com", "<mailhost!anne@example.com>", ""),
            ("anne%example.org@example.com", "<anne%example.org@example.com>", ""),
            ("\"Abc@def\"@example.com", "<\"Abc@def\"@example.com>", ""),
            ("\"Fred Bloggs\"@example.com SIZE=5", "<\"Fred Bloggs\"@example.com>", "SIZE=5"),
            ("<\"alice smith\"@example.com>", "<\"alice smith\"@example.com>", ""),
            ("<\"a>b <c\"@example.com> X=1", "<\"a>b <c\"@example.com>", "X=1"),
            ("<\"say \\\"hi\\\" >\"@example.com>", "<\"say \\\"hi\\\" >\"@example.com>", ""),
            ("<\"back\\\\\"@example.com>", "<\"back\\\\\"@example.com>", ""),
            (
                "customer/department=shipping@example.com",
                "<customer/department=shipping@example.com>",
                "",
            ),
            ("$A12345@example.com", "<$A12345@example.com>", ""),
            ("!def!xyz%abc@example.com", "<!def!xyz%abc@example.com>", ""),
            ("<PostMaster@Example.COM>", "<PostMaster@Example.COM>", ""),
            ("<jörg@bücher.example> SMTPUTF8", "<jörg@bücher.example>", "SMTPUTF8"),
            ("ñandú@example.com", "<ñandú@example.com>", ""),
            (local_64.as_str(), local_64.as_str(), ""),
            (path_256.as_str(), path_256_bracketed.as_str(), ""),
        ];
        for (text, display, rest) in table {
            assert_eq!(reverse(text), Ok((display.to_owned(), rest)), "{text}");
        }
    }

    #[test]
    fn invalid_reverse_paths() {
        use AddressError::{Empty, Malformed, Syntax, TooLong};
        let local_65 = format!("<{}@example.com>", "a".repeat(65));
        let path_257 = format!(
            "<ab@{}.{}.{}.{}>",
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(62)
        );
        let table = [
            ("", Empty),
            ("   ", Empty),
            ("<", Syntax),
            ("<alice@example.com", Syntax),
            (" <alice@example.com SIZE=10", Syntax),
            ("<<alice@example.com>>", Syntax),
            ("<alice<@example.com>", Syntax),
            ("<alice@example.com>>", Syntax),
            ("alice@example.com>", Syntax),
            ("alice>@example.com", Syntax),
            ("<alice@example.com>SIZE=10", Syntax),
            ("<>SIZE=10", Syntax),
            ("<\"alice@example.com>", Syntax),
            ("Anne <anne@example.com>", Syntax),
            ("<alice smith@example.com>", Malformed),
            ("<alice@b@example.com>", Malformed),
            ("<alice@@example.com>", Malformed),
            ("alice@", Malformed),
            ("alice@ SIZE=10", Malformed),
            ("<@example.com>", Malformed),
            ("<alice@>", Malformed),
            ("<alice@-bad.example>", Malformed),
            ("<alice@bad-.example>", Malformed),
            ("<alice@example..com>", Malformed),
            ("<alice@example.com.>", Malformed),
            ("<alice@.example.com>", Malformed),
            ("<.alice@example.com>", Malformed),
            ("<alice.@example.com>", Malformed),
            ("<al..ice@example.com>", Malformed),
            ("<al\0ice@example.com>", Malformed),
            ("<alice\r\n@example.com>", Malformed),
            ("<alice@example.com\r\n>", Malformed),
            ("alice@example.com\tSIZE=10", Malformed),
            ("<alice\u{85}@example.com>", Malformed),
            ("<alice@exam\u{3002}ple.com>", Malformed),
            ("<alice>", Malformed),
            ("alice", Malformed),
            ("<Postmaster>", Malformed),
            ("<\"alice\">", Malformed),
            ("<alice@[2001:db8::1]>", Malformed),
            ("<alice@[IPv6::1]>", Malformed),
            ("<alice@[300.0.0.1]>", Malformed),
            ("<alice@[192.0.2.1>", Malformed),
            ("<:alice@example.com>", Malformed),
            ("<@:alice@example.com>", Malformed),
            ("<@relay:alice>", Malformed),
            ("<@relay,alice@example.com>", Malformed),
            ("<@relay,:alice@example.com>", Malformed),
            ("<@relay alice@example.com>", Malformed),
            ("<@-relay:alice@example.com>", Malformed),
            ("<@relay:@alice@example.com>", Malformed),
            ("<anne(comment)@example.com>", Malformed),
            ("<(comment)anne@example.com>", Malformed),
            ("<Fred\\ Bloggs@example.com>", Malformed),
            ("<much.\"more\\ unusual\"@example.com>", Malformed),
            ("<\"unterminated@example.com>", Syntax),
            (local_65.as_str(), TooLong),
            (path_257.as_str(), TooLong),
        ];
        for (text, error) in table {
            assert_eq!(reverse(text), Err(error), "{text:?}");
        }
    }

    #[test]
    fn forward_paths() {
        use AddressError::{Malformed, Syntax};
        let table = [
            ("<bob@example.com>", Ok(("<bob@example.com>", ""))),
            (" bob@example.com NOTIFY=NEVER", Ok(("<bob@example.com>", "NOTIFY=NEVER"))),
            ("<Postmaster>", Ok(("<Postmaster>", ""))),
            ("<postmaster>", Ok(("<Postmaster>", ""))),
            (" <POSTMASTER> X=1", Ok(("<Postmaster>", "X=1"))),
            ("Postmaster", Ok(("<Postmaster>", ""))),
            ("<postmaster@example.com>", Ok(("<postmaster@example.com>", ""))),
            ("<@relay.example:bob@example.com>", Ok(("<bob@example.com>", ""))),
            ("<>", Err(Malformed)),
            ("<> NOTIFY=NEVER", Err(Malformed)),
            ("<\"Postmaster\">", Err(Malformed)),
            ("<@relay.example:Postmaster>", Err(Malformed)),
            ("<Postmaster.>", Err(Malformed)),
            ("<alice>", Err(Malformed)),
            ("carol@", Err(Malformed)),
            ("<bob@@example.com>", Err(Malformed)),
            ("<carol@example.com", Err(Syntax)),
        ];
        for (text, expected) in table {
            let expected = expected.map(|(path, rest)| (path.to_owned(), rest));
            assert_eq!(forward(text), expected, "{text:?}");
        }
        let (path, _) = parse_forward_path("<postmaster>", &LIMITS).unwrap();
        assert_eq!(path.into_mailbox(), Mailbox::postmaster());
        let (path, _) = parse_forward_path("<bob@example.com>", &LIMITS).unwrap();
        assert_eq!(path.into_mailbox().to_string(), "bob@example.com");
    }

    #[test]
    fn mailboxes() {
        use AddressError::{Empty, Malformed, Syntax};
        let table = [
            ("alice@example.com", Ok("alice@example.com")),
            ("<alice@example.com>", Ok("alice@example.com")),
            (" alice@example.com  ", Ok("alice@example.com")),
            ("<@relay.example:alice@example.com>", Ok("alice@example.com")),
            ("\"alice smith\"@example.com", Ok("\"alice smith\"@example.com")),
            ("", Err(Empty)),
            ("alice@example.com extra", Err(Syntax)),
            ("<alice@example.com> extra", Err(Syntax)),
            ("<alice@example.com", Err(Syntax)),
            ("@@", Err(Malformed)),
            ("alice", Err(Malformed)),
            ("Postmaster", Err(Malformed)),
            ("<>", Err(Malformed)),
        ];
        for (text, expected) in table {
            let parsed = parse_mailbox(text, &LIMITS).map(|mailbox| mailbox.to_string());
            assert_eq!(parsed, expected.map(str::to_owned), "{text:?}");
        }
    }

    /// The reply class the command layer gives: 501 for Empty and Syntax, 553 for the rest.
    fn reply_code<T>(result: Result<T, AddressError>) -> u16 {
        match result {
            Ok(_) => 250,
            Err(AddressError::Empty | AddressError::Syntax) => 501,
            Err(AddressError::Malformed | AddressError::TooLong) => 553,
        }
    }

    #[test]
    fn agrees_with_the_conformance_cases() {
        // (case, argument after FROM: or TO:, is RCPT, the codes the case allows)
        let table: [(&str, &str, bool, &[u16]); 20] = [
            ("mail-basic", "<alice@example.com>", false, &[250]),
            ("mail-space-after-colon", " <alice@example.com>", false, &[250]),
            ("mail-without-brackets", "alice@example.com", false, &[250]),
            ("mail-null-sender", "<>", false, &[250]),
            ("mail-missing-close-bracket", "<alice@example.com", false, &[501, 553]),
            ("mail-empty-address", "", false, &[501]),
            ("mail-space-in-local-part", "<alice smith@example.com>", false, &[501, 553]),
            ("mail-double-at", "<alice@b@example.com>", false, &[553]),
            ("mail-bare-trailing-at", "alice@", false, &[501, 553]),
            ("mail-no-domain (Malformed chosen)", "<alice>", false, &[553]),
            ("mail-quoted-local-part", "<\"alice smith\"@example.com>", false, &[250]),
            ("mail-source-route", "<@relay.example:alice@example.com>", false, &[250]),
            ("rcpt-space-after-colon", " <bob@example.com>", true, &[250]),
            ("rcpt-without-brackets", "bob@example.com", true, &[250]),
            ("rcpt-null-address", "<>", true, &[501, 553]),
            ("rcpt-postmaster", "<Postmaster>", true, &[250]),
            ("rcpt-empty-address", "", true, &[501]),
            ("rcpt-malformed-address", "<bob@@example.com>", true, &[553]),
            ("address-leniency", "carol@", true, &[501, 553]),
            ("address-leniency", "<carol@example.com", true, &[501, 553]),
        ];
        for (case, argument, rcpt, allowed) in table {
            let code = if rcpt {
                reply_code(parse_forward_path(argument, &LIMITS))
            } else {
                reply_code(parse_reverse_path(argument, &LIMITS))
            };
            assert!(allowed.contains(&code), "{case}: {argument:?} gave {code}");
        }
        // limits/mail-538-after-ehlo-ok and rcpt-513-too-long: aiosmtpd has no address limits,
        // so these pass only with AddressLimits::UNLIMITED (or limits at least this large).
        let long_local = format!("<{}@example.com>", "a".repeat(514));
        assert_eq!(reply_code(parse_reverse_path(&long_local, &AddressLimits::UNLIMITED)), 250);
        assert_eq!(reply_code(parse_reverse_path(&long_local, &LIMITS)), 553);
    }

    #[test]
    fn limits_are_octets_and_cover_the_route() {
        let limits = AddressLimits { max_local_part: 4, max_domain: 11, max_path: 30 };
        let table = [
            // 4 octets, 2 characters: fits.
            ("<öö@example.com>", Ok(())),
            ("<jöö@example.com>", Err(AddressError::TooLong)),
            ("<\"ab\"@example.com>", Ok(())),
            ("<\"abc\"@example.com>", Err(AddressError::TooLong)),
            ("<bob@bücher.exa>", Ok(())),
            ("<bob@bücher.exam>", Err(AddressError::TooLong)),
            // The route's domains have the domain limit too.
            ("<@example.com:bob@example.com>", Ok(())),
            ("<@relay.example.com:bob@example.com>", Err(AddressError::TooLong)),
            // 30 octets between the brackets, route included; 31 is too long.
            ("<@a.example,@b.example:x@cc.com>", Ok(())),
            ("<@a.example,@b.example:xy@cc.com>", Err(AddressError::TooLong)),
        ];
        for (text, expected) in table {
            let parsed = parse_reverse_path(text, &limits).map(|_| ());
            assert_eq!(parsed, expected, "{text}");
        }
    }

    #[test]
    fn paths_borrow_from_the_input() {
        let text = String::from("<\"alice smith\"@example.com> SIZE=1");
        let (path, rest) = parse_reverse_path(&text, &LIMITS).unwrap();
        let ReversePath::Mailbox(mailbox) = &path else { panic!("not a mailbox") };
        let local = mailbox.local_part().unquoted();
        assert!(matches!(local, std::borrow::Cow::Borrowed(_)));
        assert!(text.as_bytes().as_ptr_range().contains(&local.as_ptr()));
        assert!(text.as_bytes().as_ptr_range().contains(&rest.as_ptr()));
        assert_eq!(path.clone().into_owned(), path);
        assert!(path.is_ascii() && ReversePath::Null.is_ascii());
        assert_eq!(ReversePath::Null.mailbox(), None);
    }

    #[test]
    fn huge_inputs_never_panic() {
        let n = 100_000;
        let unlimited = AddressLimits::UNLIMITED;
        let inputs = [
            format!("<{}@example.com>", "a".repeat(n)),
            format!("{}@example.com", "a".repeat(n)),
            format!("<\"{}\"@example.com>", "a ".repeat(n / 2)),
            format!("<{}", "\"".repeat(n)),
            "<".repeat(n),
            ">".repeat(n),
            "\\".repeat(n),
            format!("<{}>", "\\\"".repeat(n / 2)),
            format!("<{}:a@b>", "@a,".repeat(n / 3)),
            format!("<{}:a@b>", "@[".repeat(n / 2)),
            format!("a@{}", "a.".repeat(n / 2)),
            format!("a@{}b", "a.".repeat(n / 2)),
            format!("a@[{}]", "1:".repeat(n / 2)),
            format!("<a@b> {}", " ".repeat(n)),
            "ö".repeat(n),
        ];
        for limits in [LIMITS, unlimited] {
            for input in &inputs {
                // Whatever the verdict, it must come back without a panic; the speed of these
                // inputs is measured by the `commands` benchmark, not here.
                let _ = parse_reverse_path(input, &limits);
                let _ = parse_forward_path(input, &limits);
                let _ = parse_mailbox(input, &limits);
            }
        }
        let long = format!("<{}@example.com>", "a".repeat(n));
        assert_eq!(reverse(&long), Err(AddressError::TooLong));
        assert!(parse_reverse_path(&long, &unlimited).is_ok());
        let route = format!("<{}:a@b>", "@a,".repeat(n / 3).trim_end_matches(','));
        assert!(parse_reverse_path(&route, &unlimited).is_ok());
    }
}
