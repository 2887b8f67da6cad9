//! MAIL FROM and RCPT TO: state checks, syntax, limits, the hook, and the bookkeeping on 2xx.

use std::sync::Arc;

use smtp_proto::address::{AddressLimits, parse_forward_path, parse_reverse_path};
use smtp_proto::command::{Command, CommandLine};
use smtp_proto::reply::Reply;
use tokio::io::{AsyncRead, AsyncWrite};

use super::hook::guarded;
use super::state::{Connection, Flow};

/// The parameter words after the path, upper-cased (aiosmtpd's `mail_options`/`rcpt_options`).
fn options_as_sent(
    arg: Option<&str>,
    prefix: &str,
    limits: &AddressLimits,
    reverse: bool,
) -> Vec<String> {
    let Some(text) = arg.and_then(|arg| arg.get(prefix.len()..)).map(str::trim_start) else {
        return Vec::new();
    };
    // Parameters follow the path after white space: without any, there are none (the common
    // case, which then needs no second parse of the path).
    if !text.bytes().any(|byte| byte.is_ascii_whitespace()) {
        return Vec::new();
    }
    let rest = if reverse {
        parse_reverse_path(text, limits).map(|(_, rest)| rest)
    } else {
        parse_forward_path(text, limits).map(|(_, rest)| rest)
    };
    rest.map(|rest| rest.split_ascii_whitespace().map(str::to_ascii_uppercase).collect())
        .unwrap_or_default()
}

impl<S> Connection<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// `MAIL FROM:<path> [params]` (aiosmtpd §3.3, in its order of checks).
    pub(super) async fn mail(&mut self, line: &CommandLine<'_>) -> Flow {
        if !self.greeted() {
            return self.reply(Reply::send_helo_first());
        }
        if self.needs_auth() {
            return self.reply(Reply::auth_required());
        }
        let ctx = self.parse_context();
        let mail = match line.command(&ctx) {
            Ok(Command::Mail(mail)) => mail,
            Ok(_) => return self.reply(Reply::internal_error()),
            Err(reply) => return self.reply(reply),
        };
        if self.envelope.has_sender() {
            return self.reply(Reply::nested_mail());
        }
        let limit = self.shared.config.size_limit();
        if let (Some(limit), Some(size)) = (limit, mail.params.size)
            && size > limit
        {
            return self.reply(Reply::size_exceeds_limit());
        }
        let shared = Arc::clone(&self.shared);
        let hook = shared.handler.mail(
            &shared.info,
            &mut self.session,
            &mut self.envelope,
            &mail.path,
            &mail.params,
        );
        let reply = guarded(shared.handler.as_ref(), "mail", hook).await.unwrap_or_else(|e| e);
        if reply.code().is_positive() {
            let envelope = &mut self.envelope;
            envelope.mail_options = options_as_sent(line.arg, "FROM:", &ctx.address_limits, true);
            envelope.declared_size = mail.params.size;
            envelope.body = mail.params.body;
            envelope.smtp_utf8 = mail.params.smtputf8;
            envelope.mail_from = Some(mail.path.into_owned());
        }
        self.reply(reply)
    }

    /// `RCPT TO:<path> [params]` (aiosmtpd §3.4, plus the recipient limit).
    pub(super) async fn rcpt(&mut self, line: &CommandLine<'_>) -> Flow {
        if !self.greeted() {
            return self.reply(Reply::send_helo_first());
        }
        if self.needs_auth() {
            return self.reply(Reply::auth_required());
        }
        if !self.envelope.has_sender() {
            return self.reply(Reply::need_mail());
        }
        let ctx = self.parse_context();
        let rcpt = match line.command(&ctx) {
            Ok(Command::Rcpt(rcpt)) => rcpt,
            Ok(_) => return self.reply(Reply::internal_error()),
            Err(reply) => return self.reply(reply),
        };
        if self.envelope.rcpt_tos.len() >= self.shared.config.max_recipients {
            return self.reply(Reply::too_many_recipients());
        }
        let shared = Arc::clone(&self.shared);
        let hook = shared.handler.rcpt(
            &shared.info,
            &mut self.session,
            &mut self.envelope,
            &rcpt.path,
            &rcpt.params,
        );
        let reply = guarded(shared.handler.as_ref(), "rcpt", hook).await.unwrap_or_else(|e| e);
        if reply.code().is_positive() {
            let options = options_as_sent(line.arg, "TO:", &ctx.address_limits, false);
            self.envelope.rcpt_tos.push(rcpt.path.into_owned());
            self.envelope.rcpt_options.push(options);
        }
        self.reply(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_keep_the_words_after_the_path() {
        let limits = AddressLimits::UNLIMITED;
        let cases: [(Option<&str>, &str, bool, &[&str]); 5] = [
            (
                Some("FROM:<a@b> size=10 body=8bitmime"),
                "FROM:",
                true,
                &["SIZE=10", "BODY=8BITMIME"],
            ),
            (Some("FROM: <> SMTPUTF8"), "FROM:", true, &["SMTPUTF8"]),
            (Some("TO:<a@b>"), "TO:", false, &[]),
            (Some("TO:<\"x y\"@b> NOTIFY=never"), "TO:", false, &["NOTIFY=NEVER"]),
            (None, "TO:", false, &[]),
        ];
        for (arg, prefix, reverse, expected) in cases {
            assert_eq!(options_as_sent(arg, prefix, &limits, reverse), expected, "{arg:?}");
        }
    }
}
