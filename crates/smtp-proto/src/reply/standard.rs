//! Named constructors for every standard reply the server sends.
//!
//! The texts follow aiosmtpd 1.4.6 where it has one (clients and scripts match on them); the
//! enhanced status codes (RFC 3463) are aiosmtpd's where it sends one, and otherwise the code
//! RFC 3463 / RFC 4954 / RFC 6531 assign. The greeting, the HELO/EHLO replies, `354` and the
//! `334` challenges carry no enhanced code (RFC 2034 §3).

use std::borrow::Cow;

use super::{EnhancedStatus, Reply, ReplyCode};

const fn code(value: u16) -> ReplyCode {
    ReplyCode::of(value)
}

const fn status(class: u8, subject: u16, detail: u16) -> Option<EnhancedStatus> {
    Some(EnhancedStatus::of(class, subject, detail))
}

fn reply(
    code_value: u16,
    enhanced: Option<EnhancedStatus>,
    text: impl Into<Cow<'static, str>>,
) -> Reply {
    Reply::new(code(code_value), enhanced, text)
}

impl Reply {
    // ---- connection ----------------------------------------------------------------------

    /// `220 <hostname> <ident>`: the greeting.
    pub fn greeting(hostname: &str, ident: &str) -> Self {
        reply(220, None, format!("{hostname} {ident}"))
    }

    /// `221 2.0.0 Bye`: the answer to QUIT.
    pub fn bye() -> Self {
        reply(221, status(2, 0, 0), "Bye")
    }

    /// `421 4.3.2 Service shutting down, closing transmission channel` (graceful shutdown).
    pub fn shutting_down() -> Self {
        reply(421, status(4, 3, 2), "Service shutting down, closing transmission channel")
    }

    /// `421 4.3.2 Too many connections, try again later`: the connection limit was reached.
    pub fn too_many_connections() -> Self {
        reply(421, status(4, 3, 2), "Too many connections, try again later")
    }

    /// `421 4.4.2 Error: timeout exceeded`: the idle or session time limit ran out.
    pub fn timeout() -> Self {
        reply(421, status(4, 4, 2), "Error: timeout exceeded")
    }

    /// `421 4.7.0 <VERB> sent too many times` (aiosmtpd's `command_call_limit`).
    pub fn too_many_calls(verb: &str) -> Self {
        reply(421, status(4, 7, 0), format!("{verb} sent too many times"))
    }

    // ---- positive completions ------------------------------------------------------------

    /// `250 2.0.0 OK`: the generic success (RSET, NOOP, end of DATA).
    pub fn ok() -> Self {
        reply(250, status(2, 0, 0), "OK")
    }

    /// `250 2.1.0 OK`: the sender was accepted.
    pub fn mail_ok() -> Self {
        reply(250, status(2, 1, 0), "OK")
    }

    /// `250 2.1.5 OK`: the recipient was accepted.
    pub fn rcpt_ok() -> Self {
        reply(250, status(2, 1, 5), "OK")
    }

    /// `250 <hostname>`: the answer to HELO.
    pub fn helo(hostname: &str) -> Self {
        reply(250, None, hostname.to_owned())
    }

    /// `354 End data with <CR><LF>.<CR><LF>`.
    pub fn start_data() -> Self {
        reply(354, None, "End data with <CR><LF>.<CR><LF>")
    }

    /// `252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery`.
    pub fn cannot_vrfy() -> Self {
        reply(
            252,
            status(2, 0, 0),
            "Cannot VRFY user, but will accept message and attempt delivery",
        )
    }

    /// `250 2.0.0 Supported commands: <verbs>` (HELP without argument).
    pub fn help_commands(verbs: &str) -> Self {
        reply(250, status(2, 0, 0), format!("Supported commands: {verbs}"))
    }

    /// `250 2.0.0 Syntax: <syntax>` (HELP for one verb).
    pub fn help_syntax(syntax: &str) -> Self {
        reply(250, status(2, 0, 0), format!("Syntax: {syntax}"))
    }

    /// `501 5.5.4 Supported commands: <verbs>` (HELP for an unknown verb).
    pub fn help_unknown(verbs: &str) -> Self {
        reply(501, status(5, 5, 4), format!("Supported commands: {verbs}"))
    }

    // ---- syntax and sequence errors ------------------------------------------------------

    /// `500 5.5.2 Error: bad syntax`: an empty line, or a verb that is not ASCII.
    pub fn bad_syntax() -> Self {
        reply(500, status(5, 5, 2), "Error: bad syntax")
    }

    /// `500 5.5.2 Error: strict ASCII mode`: a non-ASCII argument while SMTPUTF8 is off.
    pub fn strict_ascii() -> Self {
        reply(500, status(5, 5, 2), "Error: strict ASCII mode")
    }

    /// `500 5.5.2 Command line too long`.
    pub fn command_too_long() -> Self {
        reply(500, status(5, 5, 2), "Command line too long")
    }

    /// `500 5.5.2 Error: command "<VERB>" not recognized`.
    pub fn unknown_command(verb: &str) -> Self {
        reply(500, status(5, 5, 2), format!("Error: command \"{verb}\" not recognized"))
    }

    /// `500 5.5.1 Error: command '<VERB>' not recognized`: a known command not available in
    /// this session (AUTH after HELO, HELO/EHLO in LMTP).
    pub fn command_unavailable(verb: &str) -> Self {
        reply(500, status(5, 5, 1), format!("Error: command '{verb}' not recognized"))
    }

    /// `502 5.5.1 Too many unrecognized commands, goodbye.` (then the connection closes).
    pub fn too_many_unknown_commands() -> Self {
        reply(502, status(5, 5, 1), "Too many unrecognized commands, goodbye.")
    }

    /// `502 5.5.1 EXPN not implemented`.
    pub fn expn_not_implemented() -> Self {
        reply(502, status(5, 5, 1), "EXPN not implemented")
    }

    /// `502 5.5.4 Could not VRFY <argument>`.
    pub fn could_not_vrfy(argument: &str) -> Self {
        reply(502, status(5, 5, 4), format!("Could not VRFY {argument}"))
    }

    /// `501 5.5.4 Syntax: <syntax>`: a command's arguments do not parse.
    pub fn syntax(syntax: &str) -> Self {
        reply(501, status(5, 5, 4), format!("Syntax: {syntax}"))
    }

    /// `501 5.5.4 <text>`: an argument error with its own text.
    pub fn invalid_argument(text: impl Into<Cow<'static, str>>) -> Self {
        reply(501, status(5, 5, 4), text)
    }

    /// `503 5.5.1 Error: send HELO first`.
    pub fn send_helo_first() -> Self {
        reply(503, status(5, 5, 1), "Error: send HELO first")
    }

    /// `503 5.5.1 Error: send EHLO first`.
    pub fn send_ehlo_first() -> Self {
        reply(503, status(5, 5, 1), "Error: send EHLO first")
    }

    /// `503 5.5.1 Error: need MAIL command`.
    pub fn need_mail() -> Self {
        reply(503, status(5, 5, 1), "Error: need MAIL command")
    }

    /// `503 5.5.1 Error: need RCPT command`.
    pub fn need_rcpt() -> Self {
        reply(503, status(5, 5, 1), "Error: need RCPT command")
    }

    /// `503 5.5.1 Error: nested MAIL command`.
    pub fn nested_mail() -> Self {
        reply(503, status(5, 5, 1), "Error: nested MAIL command")
    }

    /// `503 5.5.1 Error: <text>`: a command out of sequence, with its own explanation.
    pub fn bad_sequence(text: &str) -> Self {
        reply(503, status(5, 5, 1), format!("Error: {text}"))
    }

    // ---- addresses and parameters --------------------------------------------------------

    /// `553 5.1.3 Error: malformed address`.
    pub fn malformed_address() -> Self {
        reply(553, status(5, 1, 3), "Error: malformed address")
    }

    /// `553 5.6.7 Error: non-ASCII address requires SMTPUTF8` (RFC 6531 §3.4).
    pub fn utf8_address_needs_smtputf8() -> Self {
        reply(553, status(5, 6, 7), "Error: non-ASCII address requires SMTPUTF8")
    }

    /// `555 5.5.4 MAIL FROM parameters not recognized or not implemented`.
    pub fn mail_params_not_recognized() -> Self {
        reply(555, status(5, 5, 4), "MAIL FROM parameters not recognized or not implemented")
    }

    /// `555 5.5.4 RCPT TO parameters not recognized or not implemented`.
    pub fn rcpt_params_not_recognized() -> Self {
        reply(555, status(5, 5, 4), "RCPT TO parameters not recognized or not implemented")
    }

    /// `552 5.3.4 Error: message size exceeds fixed maximum message size` (`SIZE=` too big).
    pub fn size_exceeds_limit() -> Self {
        reply(552, status(5, 3, 4), "Error: message size exceeds fixed maximum message size")
    }

    /// `452 4.5.3 Error: too many recipients`.
    pub fn too_many_recipients() -> Self {
        reply(452, status(4, 5, 3), "Error: too many recipients")
    }

    // ---- message data --------------------------------------------------------------------

    /// `552 5.3.4 Error: Too much mail data`: the message passed the size limit.
    pub fn too_much_data() -> Self {
        reply(552, status(5, 3, 4), "Error: Too much mail data")
    }

    /// `500 5.5.2 Line too long (see RFC5321 4.5.3.1.6)`: a DATA line passed the line limit.
    pub fn data_line_too_long() -> Self {
        reply(500, status(5, 5, 2), "Line too long (see RFC5321 4.5.3.1.6)")
    }

    /// `550 5.5.2 Error: bare <CR> or <LF> received in message data` (the reject policy).
    pub fn bare_line_ending() -> Self {
        reply(550, status(5, 5, 2), "Error: bare <CR> or <LF> received in message data")
    }

    // ---- TLS -----------------------------------------------------------------------------

    /// `220 2.0.0 Ready to start TLS`.
    pub fn ready_to_start_tls() -> Self {
        reply(220, status(2, 0, 0), "Ready to start TLS")
    }

    /// `454 4.7.0 TLS not available`.
    pub fn tls_not_available() -> Self {
        reply(454, status(4, 7, 0), "TLS not available")
    }

    /// `503 5.5.1 Error: TLS already active`: a second STARTTLS.
    pub fn tls_already_active() -> Self {
        reply(503, status(5, 5, 1), "Error: TLS already active")
    }

    /// `530 5.7.0 Must issue a STARTTLS command first`.
    pub fn must_issue_starttls() -> Self {
        reply(530, status(5, 7, 0), "Must issue a STARTTLS command first")
    }

    /// `554 5.7.0 Command refused due to lack of security` (the STARTTLS hook refused).
    pub fn lack_of_security() -> Self {
        reply(554, status(5, 7, 0), "Command refused due to lack of security")
    }

    // ---- authentication (RFC 4954) -------------------------------------------------------

    /// `334 <text>`: a SASL challenge; `text` is already base64 (or empty).
    pub fn auth_challenge(text: impl Into<Cow<'static, str>>) -> Self {
        reply(334, None, text)
    }

    /// `235 2.7.0 Authentication successful`.
    pub fn auth_successful() -> Self {
        reply(235, status(2, 7, 0), "Authentication successful")
    }

    /// `535 5.7.8 Authentication credentials invalid`.
    pub fn auth_invalid() -> Self {
        reply(535, status(5, 7, 8), "Authentication credentials invalid")
    }

    /// `454 4.7.0 Temporary authentication failure`.
    pub fn auth_temporary_failure() -> Self {
        reply(454, status(4, 7, 0), "Temporary authentication failure")
    }

    /// `530 5.7.0 Authentication required`.
    pub fn auth_required() -> Self {
        reply(530, status(5, 7, 0), "Authentication required")
    }

    /// `538 5.7.11 Encryption required for requested authentication mechanism`.
    pub fn auth_encryption_required() -> Self {
        reply(538, status(5, 7, 11), "Encryption required for requested authentication mechanism")
    }

    /// `503 5.5.1 Already authenticated`.
    pub fn already_authenticated() -> Self {
        reply(503, status(5, 5, 1), "Already authenticated")
    }

    /// `503 5.5.1 Error: AUTH not permitted during a mail transaction` (RFC 4954 §4).
    pub fn auth_during_transaction() -> Self {
        reply(503, status(5, 5, 1), "Error: AUTH not permitted during a mail transaction")
    }

    /// `501 5.5.4 Not enough value`: AUTH without a mechanism.
    pub fn auth_not_enough_value() -> Self {
        reply(501, status(5, 5, 4), "Not enough value")
    }

    /// `501 5.5.4 Too many values`: AUTH with more than two words.
    pub fn auth_too_many_values() -> Self {
        reply(501, status(5, 5, 4), "Too many values")
    }

    /// `504 5.5.4 Unrecognized authentication type`.
    pub fn auth_unrecognized_mechanism() -> Self {
        reply(504, status(5, 5, 4), "Unrecognized authentication type")
    }

    /// `501 5.7.0 Auth aborted`: the client answered a challenge with `*`.
    pub fn auth_aborted() -> Self {
        reply(501, status(5, 7, 0), "Auth aborted")
    }

    /// `501 5.5.2 Can't decode base64`.
    pub fn auth_bad_base64() -> Self {
        reply(501, status(5, 5, 2), "Can't decode base64")
    }

    /// `501 5.5.2 Can't split auth value`: a PLAIN response that is not three NUL-separated parts.
    pub fn auth_cant_split() -> Self {
        reply(501, status(5, 5, 2), "Can't split auth value")
    }

    /// `500 5.5.6 Authentication Exchange line is too long` (RFC 4954 §4).
    pub fn auth_line_too_long() -> Self {
        reply(500, status(5, 5, 6), "Authentication Exchange line is too long")
    }

    /// `421 4.7.0 Too many authentication failures` (then the connection closes).
    pub fn too_many_auth_failures() -> Self {
        reply(421, status(4, 7, 0), "Too many authentication failures")
    }

    // ---- handler failures ----------------------------------------------------------------

    /// `451 4.3.0 Error: internal server error`: a handler failed without saying how to answer.
    pub fn internal_error() -> Self {
        reply(451, status(4, 3, 0), "Error: internal server error")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_match_aiosmtpd_and_carry_enhanced_codes() {
        let cases = [
            (Reply::bye(), "221 2.0.0 Bye"),
            (Reply::ok(), "250 2.0.0 OK"),
            (Reply::start_data(), "354 End data with <CR><LF>.<CR><LF>"),
            (Reply::auth_challenge(""), "334 "),
            (Reply::too_many_calls("NOOP"), "421 4.7.0 NOOP sent too many times"),
            (Reply::unknown_command("FOO"), "500 5.5.2 Error: command \"FOO\" not recognized"),
            (Reply::malformed_address(), "553 5.1.3 Error: malformed address"),
            (
                Reply::auth_encryption_required(),
                "538 5.7.11 Encryption required for requested authentication mechanism",
            ),
            (Reply::greeting("mx.test", "smtpd"), "220 mx.test smtpd"),
        ];
        for (reply, wire) in cases {
            assert_eq!(reply.to_string(), wire);
        }
    }
}
