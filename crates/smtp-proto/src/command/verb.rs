//! Command verbs, matched case-insensitively without allocating.

use std::fmt;

/// A command verb this crate knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verb {
    /// `AUTH` (RFC 4954).
    Auth,
    /// `BDAT` (RFC 3030).
    Bdat,
    /// `DATA`.
    Data,
    /// `EHLO`.
    Ehlo,
    /// `EXPN`.
    Expn,
    /// `HELO`.
    Helo,
    /// `HELP`.
    Help,
    /// `LHLO` (LMTP, RFC 2033).
    Lhlo,
    /// `MAIL`.
    Mail,
    /// `NOOP`.
    Noop,
    /// `QUIT`.
    Quit,
    /// `RCPT`.
    Rcpt,
    /// `RSET`.
    Rset,
    /// `STARTTLS` (RFC 3207).
    StartTls,
    /// `VRFY`.
    Vrfy,
}

/// The longest verb (`STARTTLS`).
const MAX_VERB_LEN: usize = 8;

impl Verb {
    /// Every verb, in alphabetical order (the order of aiosmtpd's HELP list).
    pub const ALL: [Verb; 15] = [
        Verb::Auth,
        Verb::Bdat,
        Verb::Data,
        Verb::Ehlo,
        Verb::Expn,
        Verb::Helo,
        Verb::Help,
        Verb::Lhlo,
        Verb::Mail,
        Verb::Noop,
        Verb::Quit,
        Verb::Rcpt,
        Verb::Rset,
        Verb::StartTls,
        Verb::Vrfy,
    ];

    /// Matches `word` case-insensitively; `None` for anything else.
    pub fn parse(word: &[u8]) -> Option<Self> {
        if word.len() > MAX_VERB_LEN {
            return None;
        }
        let mut upper = [0u8; MAX_VERB_LEN];
        for (slot, byte) in upper.iter_mut().zip(word) {
            *slot = byte.to_ascii_uppercase();
        }
        let verb = match upper.get(..word.len())? {
            b"AUTH" => Verb::Auth,
            b"BDAT" => Verb::Bdat,
            b"DATA" => Verb::Data,
            b"EHLO" => Verb::Ehlo,
            b"EXPN" => Verb::Expn,
            b"HELO" => Verb::Helo,
            b"HELP" => Verb::Help,
            b"LHLO" => Verb::Lhlo,
            b"MAIL" => Verb::Mail,
            b"NOOP" => Verb::Noop,
            b"QUIT" => Verb::Quit,
            b"RCPT" => Verb::Rcpt,
            b"RSET" => Verb::Rset,
            b"STARTTLS" => Verb::StartTls,
            b"VRFY" => Verb::Vrfy,
            _ => return None,
        };
        Some(verb)
    }

    /// The verb in upper case.
    pub const fn as_str(self) -> &'static str {
        match self {
            Verb::Auth => "AUTH",
            Verb::Bdat => "BDAT",
            Verb::Data => "DATA",
            Verb::Ehlo => "EHLO",
            Verb::Expn => "EXPN",
            Verb::Helo => "HELO",
            Verb::Help => "HELP",
            Verb::Lhlo => "LHLO",
            Verb::Mail => "MAIL",
            Verb::Noop => "NOOP",
            Verb::Quit => "QUIT",
            Verb::Rcpt => "RCPT",
            Verb::Rset => "RSET",
            Verb::StartTls => "STARTTLS",
            Verb::Vrfy => "VRFY",
        }
    }

    /// The syntax text of HELP and of `501 Syntax: ...` replies (aiosmtpd's table);
    /// `extended` (an EHLO/LHLO session) adds ` [SP <mail-parameters>]` to MAIL and RCPT.
    pub const fn syntax(self, extended: bool) -> &'static str {
        match (self, extended) {
            (Verb::Mail, false) => "MAIL FROM: <address>",
            (Verb::Mail, true) => "MAIL FROM: <address> [SP <mail-parameters>]",
            (Verb::Rcpt, false) => "RCPT TO: <address>",
            (Verb::Rcpt, true) => "RCPT TO: <address> [SP <mail-parameters>]",
            (Verb::Auth, _) => "AUTH <mechanism>",
            (Verb::Bdat, _) => "BDAT chunk-size [LAST]",
            (Verb::Ehlo, _) => "EHLO hostname",
            (Verb::Helo, _) => "HELO hostname",
            (Verb::Help, _) => "HELP [command]",
            (Verb::Lhlo, _) => "LHLO hostname",
            (Verb::Noop, _) => "NOOP [ignored]",
            (Verb::Vrfy, _) => "VRFY <address>",
            (Verb::Expn, _) => "EXPN <mailing-list>",
            (verb @ (Verb::Data | Verb::Quit | Verb::Rset | Verb::StartTls), _) => verb.as_str(),
        }
    }

    /// Whether HELP lists and explains the verb (aiosmtpd leaves EXPN out).
    pub const fn in_help(self) -> bool {
        !matches!(self, Verb::Expn)
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A verb this crate does not know, as sent (ASCII, possibly empty or with control bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownVerb<'a>(pub &'a str);

impl UnknownVerb<'_> {
    /// The verb as sent.
    pub fn as_str(&self) -> &str {
        self.0
    }

    /// The verb upper-cased, as aiosmtpd shows it in `500 Error: command "<VERB>" not recognized`.
    pub fn to_uppercase(&self) -> String {
        self.0.to_ascii_uppercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verb_round_trips_in_any_case() {
        for verb in Verb::ALL {
            let text = verb.as_str();
            assert_eq!(Verb::parse(text.as_bytes()), Some(verb));
            assert_eq!(Verb::parse(text.to_ascii_lowercase().as_bytes()), Some(verb));
            assert_eq!(verb.to_string(), text);
        }
        let mut sorted = Verb::ALL;
        sorted.sort_by_key(|verb| verb.as_str());
        assert_eq!(sorted, Verb::ALL);
        for other in [&b""[..], b"NOO", b"NOOPS", b"STARTTLSX", b"N\xc3\x96OP", b"NO\0P", b"XYZZY"]
        {
            assert_eq!(Verb::parse(other), None, "{other:?}");
        }
    }

    #[test]
    fn syntax_texts_follow_aiosmtpd() {
        let cases = [
            (Verb::Mail, false, "MAIL FROM: <address>"),
            (Verb::Mail, true, "MAIL FROM: <address> [SP <mail-parameters>]"),
            (Verb::Rcpt, true, "RCPT TO: <address> [SP <mail-parameters>]"),
            (Verb::Helo, true, "HELO hostname"),
            (Verb::Noop, false, "NOOP [ignored]"),
            (Verb::Bdat, true, "BDAT chunk-size [LAST]"),
            (Verb::StartTls, false, "STARTTLS"),
            (Verb::Data, true, "DATA"),
        ];
        for (verb, extended, text) in cases {
            assert_eq!(verb.syntax(extended), text);
        }
        assert!(!Verb::Expn.in_help() && Verb::Auth.in_help());
        assert_eq!(UnknownVerb("xyzzy").to_uppercase(), "XYZZY");
    }
}
