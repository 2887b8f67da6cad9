//! STARTTLS (RFC 3207): the command's checks; bytes pipelined behind it are thrown away, never
//! executed (CVE-2011-0411 class). The handshake itself is in [`super::serve`].

use smtp_proto::command::CommandLine;
use smtp_proto::reply::Reply;
use tokio::io::{AsyncRead, AsyncWrite};

use super::state::{Connection, Flow};

impl<S> Connection<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// `STARTTLS`.
    pub(super) fn starttls(&mut self, line: &CommandLine<'_>) -> Flow {
        if let Err(reply) = line.command(&self.parse_context()) {
            return self.reply(reply);
        }
        if !self.tls_configured() {
            return self.reply(Reply::tls_not_available());
        }
        if self.is_tls() {
            return self.reply(Reply::tls_already_active());
        }
        if !self.io.input.is_empty() {
            tracing::warn!(
                bytes = self.io.input.len(),
                "plaintext pipelined after STARTTLS discarded"
            );
            self.io.input.clear();
        }
        self.io.push(&Reply::ready_to_start_tls());
        Flow::StartTls
    }
}
