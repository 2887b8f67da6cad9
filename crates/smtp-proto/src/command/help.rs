//! HELP: the list of supported commands and the per-verb syntax reply.

use super::{HelpTopic, Verb};
use crate::reply::Reply;

/// The verbs HELP lists, space-separated in alphabetical order, keeping those `offered`
/// accepts (e.g. STARTTLS only with TLS configured, LHLO only in LMTP). With aiosmtpd's set:
/// `AUTH DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET VRFY`.
pub fn supported_commands(offered: impl Fn(Verb) -> bool) -> String {
    let mut list = String::new();
    for verb in Verb::ALL.into_iter().filter(|&verb| verb.in_help() && offered(verb)) {
        if !list.is_empty() {
            list.push(' ');
        }
        list.push_str(verb.as_str());
    }
    list
}

/// aiosmtpd's answer to `HELP [topic]`: the list (`250`), a verb's syntax (`250 Syntax: ...`,
/// with the parameter text in `extended` sessions), or for an unknown or not offered verb
/// the list with `501`.
pub fn help_reply(
    topic: Option<HelpTopic<'_>>,
    extended: bool,
    offered: impl Fn(Verb) -> bool,
) -> Reply {
    match topic {
        None => Reply::help_commands(&supported_commands(offered)),
        Some(Ok(verb)) if verb.in_help() && offered(verb) => {
            Reply::help_syntax(verb.syntax(extended))
        }
        Some(_) => Reply::help_unknown(&supported_commands(offered)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::UnknownVerb;

    /// aiosmtpd's set without TLS: no BDAT, LHLO, STARTTLS.
    fn aiosmtpd(verb: Verb) -> bool {
        !matches!(verb, Verb::Bdat | Verb::Lhlo | Verb::StartTls)
    }

    #[test]
    fn help_replies() {
        let list = "AUTH DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET VRFY";
        let cases = [
            (None, false, format!("250 2.0.0 Supported commands: {list}")),
            (Some(Ok(Verb::Mail)), false, "250 2.0.0 Syntax: MAIL FROM: <address>".to_owned()),
            (
                Some(Ok(Verb::Mail)),
                true,
                "250 2.0.0 Syntax: MAIL FROM: <address> [SP <mail-parameters>]".to_owned(),
            ),
            (Some(Ok(Verb::Auth)), true, "250 2.0.0 Syntax: AUTH <mechanism>".to_owned()),
            (Some(Ok(Verb::StartTls)), true, format!("501 5.5.4 Supported commands: {list}")),
            (Some(Ok(Verb::Expn)), true, format!("501 5.5.4 Supported commands: {list}")),
            (Some(Err(UnknownVerb("FOO"))), true, format!("501 5.5.4 Supported commands: {list}")),
        ];
        for (topic, extended, expected) in cases {
            assert_eq!(help_reply(topic, extended, aiosmtpd).to_string(), expected, "{topic:?}");
        }
        assert_eq!(
            supported_commands(|verb| verb != Verb::Lhlo),
            "AUTH BDAT DATA EHLO HELO HELP MAIL NOOP QUIT RCPT RSET STARTTLS VRFY"
        );
    }
}
