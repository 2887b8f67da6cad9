//! What the parser needs to know about the session.

use super::Verb;
use crate::address::AddressLimits;
use crate::line::{DEFAULT_COMMAND_LINE_LIMIT, SASL_LINE_LIMIT};

/// Extra MAIL line length when SIZE is offered (RFC 1870 §3; aiosmtpd's +26).
pub const SIZE_LINE_EXTRA: usize = 26;
/// Extra MAIL line length when SMTPUTF8 is offered (RFC 6531 §3.4; aiosmtpd's +10).
pub const SMTPUTF8_LINE_EXTRA: usize = 10;

/// The session facts that change how a command line parses. The default is a fresh session:
/// nothing offered, no EHLO yet, default address limits.
#[derive(Clone, Debug, Default)]
pub struct ParseContext {
    /// EHLO or LHLO was accepted: MAIL and RCPT may carry parameters, and their syntax text
    /// mentions them.
    pub extended: bool,
    /// SMTPUTF8 is offered: arguments may be UTF-8 and MAIL may carry `SMTPUTF8`.
    pub smtputf8: bool,
    /// The open transaction's MAIL carried `SMTPUTF8`: RCPT may name a non-ASCII mailbox.
    pub utf8_transaction: bool,
    /// SIZE is offered (only changes the MAIL line limit).
    pub size_offered: bool,
    /// Length limits for addresses.
    pub address_limits: AddressLimits,
}

impl ParseContext {
    /// The longest command line allowed for `verb` (bytes after stripping CR/LF): 512, and for
    /// MAIL in an extended session 512 + 26 when SIZE is offered + 10 when SMTPUTF8 is
    /// offered. Fixed per session (aiosmtpd's limit grows with every EHLO; ours does not).
    /// AUTH, which may carry an initial response, gets the SASL limit of 12,288 (RFC 4954 §4;
    /// a deliberate difference from aiosmtpd's 512). `None` is an unknown verb.
    pub fn max_line_len(&self, verb: Option<Verb>) -> usize {
        if verb == Some(Verb::Auth) {
            return SASL_LINE_LIMIT;
        }
        let mut limit = DEFAULT_COMMAND_LINE_LIMIT;
        if verb == Some(Verb::Mail) && self.extended {
            if self.size_offered {
                limit += SIZE_LINE_EXTRA;
            }
            if self.smtputf8 {
                limit += SMTPUTF8_LINE_EXTRA;
            }
        }
        limit
    }

    /// The limit to give the [`LineReader`](crate::line::LineReader) for command lines: the
    /// largest [`max_line_len`](Self::max_line_len) of any verb. The per-verb check is done on
    /// the parsed [`CommandLine`](super::CommandLine).
    pub fn reader_limit(&self) -> usize {
        Verb::ALL
            .iter()
            .map(|&verb| self.max_line_len(Some(verb)))
            .max()
            .unwrap_or(DEFAULT_COMMAND_LINE_LIMIT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_limit_grows_only_in_extended_sessions() {
        let cases = [
            // extended, size, smtputf8, verb, limit
            (false, true, true, Some(Verb::Mail), 512),
            (true, false, false, Some(Verb::Mail), 512),
            (true, true, false, Some(Verb::Mail), 538),
            (true, true, true, Some(Verb::Mail), 548),
            (true, false, true, Some(Verb::Mail), 522),
            (true, true, true, Some(Verb::Rcpt), 512),
            (true, true, true, None, 512),
            (false, false, false, Some(Verb::Auth), 12_288),
            (true, true, true, Some(Verb::Noop), 512),
        ];
        for (extended, size_offered, smtputf8, verb, limit) in cases {
            let ctx = ParseContext { extended, size_offered, smtputf8, ..ParseContext::default() };
            assert_eq!(
                ctx.max_line_len(verb),
                limit,
                "{extended} {size_offered} {smtputf8} {verb:?}"
            );
        }
        let ctx = ParseContext {
            extended: true,
            size_offered: true,
            smtputf8: true,
            ..ParseContext::default()
        };
        assert_eq!(ctx.reader_limit(), 12_288);
        assert_eq!(ParseContext::default().reader_limit(), 12_288);
    }
}
