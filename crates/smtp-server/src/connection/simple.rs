//! RSET, NOOP, QUIT, VRFY and HELP.

use std::sync::Arc;

use smtp_proto::command::{Command, CommandLine, Verb, VrfyTarget, help_reply};
use smtp_proto::reply::Reply;
use tokio::io::{AsyncRead, AsyncWrite};

use super::hook::guarded;
use super::state::{Connection, Flow};

impl<S> Connection<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// `RSET`: a new envelope (authentication stays), then the hook.
    pub(super) async fn rset(&mut self, line: &CommandLine<'_>) -> Flow {
        if let Err(reply) = line.command(&self.parse_context()) {
            return self.reply(reply);
        }
        self.reset_transaction().await;
        let shared = Arc::clone(&self.shared);
        let hook = shared.handler.rset(&shared.info, &mut self.session, &mut self.envelope);
        let reply = guarded(shared.handler.as_ref(), "rset", hook).await.unwrap_or_else(|e| e);
        self.reply(reply)
    }

    /// `NOOP [text]`.
    pub(super) async fn noop(&mut self, line: &CommandLine<'_>) -> Flow {
        let shared = Arc::clone(&self.shared);
        let hook =
            shared.handler.noop(&shared.info, &mut self.session, &mut self.envelope, line.arg);
        let reply = guarded(shared.handler.as_ref(), "noop", hook).await.unwrap_or_else(|e| e);
        self.reply(reply)
    }

    /// `QUIT`: the hook's reply, then the connection closes.
    pub(super) async fn quit(&mut self, line: &CommandLine<'_>) -> Flow {
        if let Err(reply) = line.command(&self.parse_context()) {
            return self.reply(reply);
        }
        let shared = Arc::clone(&self.shared);
        let hook = shared.handler.quit(&shared.info, &mut self.session, &mut self.envelope);
        let reply = guarded(shared.handler.as_ref(), "quit", hook).await.unwrap_or_else(|e| e);
        self.io.push(&reply);
        Flow::Close
    }

    /// `VRFY <address>`.
    pub(super) async fn vrfy(&mut self, line: &CommandLine<'_>) -> Flow {
        if self.needs_auth() {
            return self.reply(Reply::auth_required());
        }
        let mailbox = match line.command(&self.parse_context()) {
            Ok(Command::Vrfy(VrfyTarget::Mailbox(mailbox))) => mailbox,
            Ok(Command::Vrfy(VrfyTarget::Unparsed(text))) => {
                return self.reply(Reply::could_not_vrfy(text));
            }
            Ok(_) => return self.reply(Reply::internal_error()),
            Err(reply) => return self.reply(reply),
        };
        let shared = Arc::clone(&self.shared);
        let hook =
            shared.handler.vrfy(&shared.info, &mut self.session, &mut self.envelope, &mailbox);
        let reply = guarded(shared.handler.as_ref(), "vrfy", hook).await.unwrap_or_else(|e| e);
        self.reply(reply)
    }

    /// `HELP [verb]`: the verbs this session offers, or one verb's syntax.
    pub(super) fn help(&mut self, line: &CommandLine<'_>) -> Flow {
        if self.needs_auth() {
            return self.reply(Reply::auth_required());
        }
        let topic = match line.command(&self.parse_context()) {
            Ok(Command::Help(topic)) => topic,
            Ok(_) => return self.reply(Reply::internal_error()),
            Err(reply) => return self.reply(reply),
        };
        let lmtp = self.shared.config.lmtp;
        let tls = self.tls_configured();
        let offered = |verb: Verb| match verb {
            Verb::Helo | Verb::Ehlo => !lmtp,
            Verb::Lhlo => lmtp,
            Verb::StartTls => tls,
            _ => true,
        };
        let reply = help_reply(topic, self.session.extended_smtp, offered);
        self.reply(reply)
    }
}
