//! HELO, EHLO and LHLO: the greeting, the capability list, a fresh transaction.

use std::sync::Arc;

use smtp_proto::command::{Command, CommandLine};
use smtp_proto::reply::Reply;
use tokio::io::{AsyncRead, AsyncWrite};

use super::hook::guarded;
use super::state::{Connection, Flow};

impl<S> Connection<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// `HELO <host>`: a new transaction, no ESMTP; the host name is recorded on a 2xx reply.
    pub(super) async fn helo(&mut self, line: &CommandLine<'_>) -> Flow {
        let host = match line.command(&self.parse_context()) {
            Ok(Command::Helo { host }) => host,
            Ok(_) => return self.reply(Reply::internal_error()),
            Err(reply) => return self.reply(reply),
        };
        self.reset_transaction().await;
        self.session.extended_smtp = false;
        let shared = Arc::clone(&self.shared);
        let hook = shared.handler.helo(&shared.info, &mut self.session, &mut self.envelope, host);
        let reply = guarded(shared.handler.as_ref(), "helo", hook).await.unwrap_or_else(|e| e);
        self.record_greeting(&reply, host);
        self.reply(reply)
    }

    /// `EHLO <host>` (or `LHLO` in LMTP mode): a new transaction, ESMTP, the capability list
    /// (which the `ehlo` hook may change); the host name is recorded on a 2xx reply.
    pub(super) async fn ehlo(&mut self, line: &CommandLine<'_>) -> Flow {
        let host = match line.command(&self.parse_context()) {
            Ok(Command::Ehlo { host } | Command::Lhlo { host }) => host,
            Ok(_) => return self.reply(Reply::internal_error()),
            Err(reply) => return self.reply(reply),
        };
        self.reset_transaction().await;
        self.session.extended_smtp = true;
        let shared = Arc::clone(&self.shared);
        let capabilities = shared.ehlo_reply(self.is_tls()).clone();
        let hook = shared.handler.ehlo(
            &shared.info,
            &mut self.session,
            &mut self.envelope,
            host,
            capabilities,
        );
        let reply = guarded(shared.handler.as_ref(), "ehlo", hook).await.unwrap_or_else(|e| e);
        self.record_greeting(&reply, host);
        self.reply(reply)
    }

    fn record_greeting(&mut self, reply: &Reply, host: &str) {
        if reply.code().is_positive() {
            self.session.host_name = Some(host.to_owned());
        }
    }
}
