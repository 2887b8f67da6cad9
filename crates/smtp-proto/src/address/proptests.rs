//! Property tests: no input makes a parser panic, every valid address is accepted, and every
//! accepted mailbox's Display form parses back to an equal mailbox.

use proptest::prelude::*;

use super::*;

/// Checks that `mailbox` prints as text that parses back to it, bare and in brackets.
fn assert_round_trip(mailbox: &Mailbox<'_>, limits: &AddressLimits) {
    let text = mailbox.to_string();
    assert_eq!(parse_mailbox(&text, limits).as_ref(), Ok(mailbox), "{text}");
    let bracketed = format!("<{text}>");
    let (path, rest) = parse_reverse_path(&bracketed, limits).unwrap();
    assert_eq!((path.mailbox(), rest), (Some(mailbox), ""), "{bracketed}");
    let owned = mailbox.clone().into_owned();
    assert_eq!(&owned, mailbox);
}

/// Runs all three parsers on `text` and checks the round trip of whatever they accept.
fn check_all(text: &str, limits: &AddressLimits) {
    if let Ok((path, rest)) = parse_reverse_path(text, limits) {
        assert!(!rest.starts_with(' '));
        if let Some(mailbox) = path.mailbox() {
            assert_round_trip(mailbox, limits);
        }
        assert_eq!(parse_reverse_path(&path.to_string(), limits), Ok((path, "")));
    }
    if let Ok((path, rest)) = parse_forward_path(text, limits) {
        assert!(!rest.starts_with(' '));
        if let ForwardPath::Mailbox(mailbox) = &path {
            assert_round_trip(mailbox, limits);
        }
        assert_eq!(parse_forward_path(&path.to_string(), limits), Ok((path, "")));
    }
    if let Ok(mailbox) = parse_mailbox(text, limits) {
        assert_round_trip(&mailbox, limits);
    }
}

/// A dot-string local part, ASCII or UTF-8.
fn dot_string() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~öñ日-]{1,8}(\\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~ü-]{1,8}){0,2}"
}

/// A quoted-string local part with escapes.
fn quoted_string() -> impl Strategy<Value = String> {
    "\"([ !#-\\[\\]-~é<>@]|\\\\[ -~]){0,12}\""
}

/// A domain name, an IPv4 or IPv6 literal or a general literal.
fn domain() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9ü]([a-z0-9ü-]{0,10}[a-z0-9])?(\\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?){0,3}",
        any::<std::net::Ipv4Addr>().prop_map(|ip| format!("[{ip}]")),
        any::<std::net::Ipv6Addr>().prop_map(|ip| format!("[IPv6:{ip}]")),
        "\\[[a-zA-Z]([a-zA-Z0-9-]{0,4}[a-zA-Z0-9])?:[!#-;=?-Z^-~]{1,10}\\]",
    ]
}

/// A whole valid mailbox.
fn valid_mailbox() -> impl Strategy<Value = String> {
    (prop_oneof![dot_string(), quoted_string()], domain())
        .prop_map(|(local, domain)| format!("{local}@{domain}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        check_all(&text, &AddressLimits::default());
        check_all(&text, &AddressLimits::UNLIMITED);
    }

    #[test]
    fn address_like_strings_never_panic(text in "[<>@\".:\\[\\] \\\\a-zA-Z0-9]{0,40}") {
        check_all(&text, &AddressLimits::default());
        check_all(&text, &AddressLimits { max_local_part: 4, max_domain: 8, max_path: 12 });
    }

    #[test]
    fn valid_mailboxes_are_accepted(
        mailbox in valid_mailbox(),
        route in "(@[a-z]{1,5}(,@[a-z]{1,5}){0,2}:)?",
        params in "( SIZE=[0-9]{1,4})?",
    ) {
        let limits = AddressLimits::UNLIMITED;
        let bracketed = format!(" <{route}{mailbox}>{params}");
        let (path, rest) = parse_reverse_path(&bracketed, &limits).unwrap();
        prop_assert_eq!(rest, params.trim_start());
        let parsed = path.mailbox().unwrap();
        prop_assert_eq!(parsed.to_string(), mailbox.clone());
        assert_round_trip(parsed, &limits);

        let bare = format!("{route}{mailbox}{params}");
        let (path, rest) = parse_forward_path(&bare, &limits).unwrap();
        prop_assert_eq!(rest, params.trim_start());
        prop_assert_eq!(path.into_mailbox().to_string(), mailbox.clone());

        let parsed = parse_mailbox(&mailbox, &limits).unwrap();
        prop_assert_eq!(parsed.is_ascii(), mailbox.is_ascii());
    }
}
