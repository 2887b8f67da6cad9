//! The order of checks every command line goes through (aiosmtpd §2 steps 3–10), then the
//! verb's own handler.

use std::borrow::Cow;

use smtp_auth::MechanismName;
use smtp_proto::command::{CommandLine, Verb};
use smtp_proto::reply::Reply;
use tokio::io::{AsyncRead, AsyncWrite};

use super::counters::UnknownVerdict;
use super::state::{Connection, Flow};

/// The longest part of a command line shown in the debug log.
const LOG_LINE_MAX: usize = 200;

/// Verbs allowed before STARTTLS when it is required (aiosmtpd's `ALLOWED_BEFORE_STARTTLS`).
fn allowed_before_starttls(verb: Option<Verb>) -> bool {
    matches!(verb, Some(Verb::Noop | Verb::Ehlo | Verb::StartTls | Verb::Quit))
}

/// What replaces AUTH arguments in the log.
const HIDDEN: &str = "********";

/// The line as it may be logged. Only lines with a known verb are shown: AUTH arguments after
/// the mechanism are replaced by `********` (aiosmtpd's `sanitize`), other lines are cut at
/// [`LOG_LINE_MAX`]; a line whose verb is not known is logged by its length only, since a
/// client out of step may send a SASL response (a credential) as a command.
///
/// The verb ends at the first ASCII white space and the AUTH arguments are split at any ASCII
/// white space (as AUTH itself splits them), so `AUTH<TAB>PLAIN <response>` and
/// `AUTH PLAIN<TAB><response>` hide the response too; a mechanism that is not a valid SASL name
/// (a response sent without one, say) is hidden as well.
pub(super) fn scrub_for_log(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let (verb, arguments) =
        text.split_once(|c: char| c.is_ascii_whitespace()).unwrap_or((&text, ""));
    match Verb::parse(verb.as_bytes()) {
        Some(Verb::Auth) => scrub_auth(verb, arguments),
        Some(_) => {
            let mut shown: String = text.chars().take(LOG_LINE_MAX).collect();
            if shown.len() < text.len() {
                shown.push_str("...");
            }
            shown
        }
        None => format!("<unrecognised command, {} octets>", line.len()),
    }
}

/// `AUTH <mechanism> ********`, the mechanism hidden too unless it is a valid SASL name.
fn scrub_auth(verb: &str, arguments: &str) -> String {
    let mut words = arguments.split_ascii_whitespace();
    let mechanism = match words.next() {
        None => return verb.to_owned(),
        Some(name) if MechanismName::new(name).is_ok() => name,
        Some(_) => HIDDEN,
    };
    match words.next() {
        Some(_) => format!("{verb} {mechanism} {HIDDEN}"),
        None => format!("{verb} {mechanism}"),
    }
}

impl<S> Connection<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Answers one command line (trailing CR/LF already stripped).
    pub(super) async fn dispatch(&mut self, raw: &[u8]) -> Flow {
        tracing::debug!(command = %scrub_for_log(raw), "command");
        let ctx = self.parse_context();
        let line = match CommandLine::parse(raw, &ctx) {
            Ok(line) => line,
            Err(reply) => return self.reply(reply),
        };
        let verb = line.verb.ok();
        if raw.len() > self.line_limit(verb) {
            return self.reply(Reply::command_too_long());
        }
        let name: Cow<'_, str> = match line.verb {
            Ok(verb) => Cow::Borrowed(verb.as_str()),
            Err(unknown) => Cow::Owned(unknown.to_uppercase()),
        };
        if self.starttls_refused && verb != Some(Verb::Quit) {
            return self.refuse_keeping_sync(&line, Reply::lack_of_security()).await;
        }
        if self.starttls_required() && !allowed_before_starttls(verb) {
            return self.refuse_keeping_sync(&line, Reply::must_issue_starttls()).await;
        }
        let limits = self.shared.config.command_call_limit.as_ref();
        if !self.counters.allow_call(limits, &name) {
            tracing::info!(verb = %name, "command call limit reached");
            self.io.push(&Reply::too_many_calls(&name));
            return Flow::Close;
        }
        let lmtp = self.shared.config.lmtp;
        match verb {
            Some(Verb::Helo | Verb::Ehlo) if lmtp => self.reply(Reply::command_unavailable(&name)),
            Some(Verb::Lhlo) if !lmtp => self.unknown(&name),
            Some(verb) => self.command(verb, &line).await,
            None => self.unknown(&name),
        }
    }

    /// Runs the handler of a known verb.
    async fn command(&mut self, verb: Verb, line: &CommandLine<'_>) -> Flow {
        match verb {
            Verb::Helo => self.helo(line).await,
            Verb::Ehlo | Verb::Lhlo => self.ehlo(line).await,
            Verb::Mail => self.mail(line).await,
            Verb::Rcpt => self.rcpt(line).await,
            Verb::Data => self.data(line).await,
            // AUTH and BDAT futures are large and rarely awaited: boxed, they take no room in
            // the future of every idle connection.
            Verb::Bdat => Box::pin(self.bdat(line)).await,
            Verb::Rset => self.rset(line).await,
            Verb::Noop => self.noop(line).await,
            Verb::Quit => self.quit(line).await,
            Verb::Vrfy => self.vrfy(line).await,
            Verb::Expn => self.reply(Reply::expn_not_implemented()),
            Verb::Help => self.help(line),
            Verb::StartTls => self.starttls(line),
            Verb::Auth => Box::pin(self.auth(line)).await,
        }
    }

    /// An unknown verb: `500`, or `502` and close when the budget is spent.
    fn unknown(&mut self, name: &str) -> Flow {
        match self.counters.unknown_command(&self.shared.config) {
            UnknownVerdict::Answer => self.reply(Reply::unknown_command(name)),
            UnknownVerdict::Disconnect => {
                tracing::info!("too many unknown commands");
                self.io.push(&Reply::too_many_unknown_commands());
                Flow::Close
            }
        }
    }

    /// Refuses a command before its own checks; a refused BDAT still has its chunk consumed,
    /// so the chunk's octets are never read as commands.
    async fn refuse_keeping_sync(&mut self, line: &CommandLine<'_>, reply: Reply) -> Flow {
        if line.verb == Ok(Verb::Bdat) {
            return Box::pin(self.refuse_bdat(line, reply)).await;
        }
        self.reply(reply)
    }

    /// `require_starttls` is in effect (TLS configured) and TLS is not active.
    fn starttls_required(&self) -> bool {
        self.shared.config.require_starttls && self.tls_configured() && !self.is_tls()
    }

    /// Queues `reply` and goes on.
    pub(super) fn reply(&mut self, reply: Reply) -> Flow {
        self.io.push(&reply);
        Flow::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_arguments_never_reach_the_log() {
        let cases: [(&[u8], &str); 14] = [
            (b"AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", "AUTH PLAIN ********"),
            (b"auth login dXNlcg== extra", "auth login ********"),
            // AUTH splits its arguments at any ASCII white space, and so must the scrubber.
            (b"AUTH PLAIN\tAGFsaWNlAHdvbmRlcmxhbmQ=", "AUTH PLAIN ********"),
            (b"AUTH PLAIN\x0cAGFsaWNlAHdvbmRlcmxhbmQ=", "AUTH PLAIN ********"),
            (b"AUTH  PLAIN  AGFsaWNlAHdvbmRlcmxhbmQ=", "AUTH PLAIN ********"),
            // A response where the mechanism should be is not shown either.
            (b"AUTH AGFsaWNlAHdvbmRlcmxhbmQ=", "AUTH ********"),
            (b"AUTH cram-md5", "AUTH cram-md5"),
            (b"AUTH LOGIN", "AUTH LOGIN"),
            (b"AUTH", "AUTH"),
            (b"MAIL FROM:<a@b>", "MAIL FROM:<a@b>"),
            (b"NOOP \xff", "NOOP \u{fffd}"),
            (b"AUTH\tPLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", "AUTH PLAIN ********"),
            // A client out of step sends its SASL response as a command: not shown.
            (b"AGFsaWNlAHdvbmRlcmxhbmQ=", "<unrecognised command, 24 octets>"),
            (b"XYZZY secret", "<unrecognised command, 12 octets>"),
        ];
        for (line, logged) in cases {
            assert_eq!(scrub_for_log(line), logged);
        }
        let long = scrub_for_log(format!("NOOP {}", "x".repeat(5000)).as_bytes());
        assert_eq!(long.len(), LOG_LINE_MAX + 3);
    }
}
