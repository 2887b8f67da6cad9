//! [`Connection`]: everything one SMTP session works with, and the command loop.

use std::sync::Arc;

use bytes::Buf;
use smtp_proto::command::{ParseContext, SIZE_LINE_EXTRA, SMTPUTF8_LINE_EXTRA, Verb};
use smtp_proto::line::{LineEvent, LineReader};
use smtp_proto::reply::Reply;
use tokio::io::{AsyncRead, AsyncWrite};

use super::bdat::BdatTransaction;
use super::counters::Counters;
use super::io::{Io, ReadError, Wait};
use crate::session::{Envelope, Session};
use crate::shared::Shared;

/// The line buffer's capacity kept while waiting for a command; a longer line's buffer is
/// given back once the client has nothing more pipelined.
const LINE_KEEP: usize = 512;

/// The room the copy of a command line starts with (a MAIL or RCPT line with parameters fits).
const LINE_START: usize = 128;

/// What the session does after a command.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Flow {
    /// Read the next command.
    Continue,
    /// Close the connection (replies queued so far are sent first).
    Close,
    /// `220 Ready to start TLS` has been queued: flush it and hand the stream to the handshake.
    StartTls,
}

/// How [`Connection::run`] ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Ending {
    /// The connection is over.
    Closed,
    /// The client asked for TLS; the stream is ready for the handshake.
    StartTls,
}

/// One SMTP session over a stream.
pub(super) struct Connection<S> {
    pub(super) io: Io<S>,
    pub(super) shared: Arc<Shared>,
    /// Boxed, so moving a connection between futures moves a pointer.
    pub(super) session: Box<Session>,
    pub(super) envelope: Envelope,
    pub(super) counters: Counters,
    /// Frames command lines and SASL responses (one reader, so a line being skipped stays
    /// skipped whichever phase reads next).
    pub(super) lines: LineReader,
    /// The STARTTLS hook refused the session: everything but QUIT gets 554.
    pub(super) starttls_refused: bool,
    /// A BDAT message in progress.
    pub(super) bdat: Option<BdatTransaction>,
    /// The command line being answered, copied out of the read buffer (which the command may
    /// go on reading from); kept between commands so a line costs no allocation.
    line: Vec<u8>,
}

impl<S> Connection<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// A session on `io`.
    pub(super) fn new(
        io: Io<S>,
        shared: Arc<Shared>,
        session: Box<Session>,
        counters: Counters,
    ) -> Self {
        let lines = LineReader::new(reader_limit(&shared));
        Self {
            io,
            shared,
            session,
            envelope: Envelope::default(),
            counters,
            lines,
            starttls_refused: false,
            bdat: None,
            line: Vec::new(),
        }
    }

    /// Queues the greeting.
    pub(super) fn greet(&mut self) {
        self.io.push(&self.shared.greeting);
    }

    /// Reads and answers commands until the connection ends or STARTTLS is accepted. A BDAT
    /// message still waiting for chunks then can never be completed: its sink is aborted.
    pub(super) async fn run(&mut self) -> Ending {
        let ending = self.answer_commands().await;
        if let Some(bdat) = self.bdat.take() {
            bdat.abort().await;
        }
        ending
    }

    /// The command loop of [`Connection::run`].
    async fn answer_commands(&mut self) -> Ending {
        loop {
            let framed = self.lines.next_line(&self.io.input);
            match framed.event {
                None => {
                    self.io.input.advance(framed.consumed);
                    if self.line.capacity() > LINE_KEEP && self.io.input.is_empty() {
                        self.line = Vec::new();
                    }
                    if let Err(error) = self.io.fill(Wait::Command).await {
                        return self.end_on_read_error(error).await;
                    }
                }
                Some(LineEvent::TooLong) => {
                    self.io.input.advance(framed.consumed);
                    tracing::debug!("command line too long");
                    self.io.push(&Reply::command_too_long());
                }
                Some(LineEvent::Line(line)) => {
                    let mut raw = std::mem::take(&mut self.line);
                    raw.clear();
                    // Room for any ordinary command at once, instead of growing line by line.
                    raw.reserve(line.len().max(LINE_START));
                    raw.extend_from_slice(line);
                    self.io.input.advance(framed.consumed);
                    let flow = self.dispatch(&raw).await;
                    self.line = raw;
                    match flow {
                        Flow::Continue => {}
                        Flow::Close => {
                            self.io.close().await;
                            return Ending::Closed;
                        }
                        Flow::StartTls => {
                            if let Err(error) = self.io.flush().await {
                                tracing::debug!(%error, "flush before TLS handshake failed");
                                return Ending::Closed;
                            }
                            return Ending::StartTls;
                        }
                    }
                }
            }
            if self.io.should_flush() && self.io.flush().await.is_err() {
                return Ending::Closed;
            }
        }
    }

    /// Sends the farewell a read error calls for (timeout, shutdown), then closes.
    pub(super) async fn end_on_read_error(&mut self, error: ReadError) -> Ending {
        match &error {
            ReadError::Closed => tracing::debug!("client closed the connection"),
            other => tracing::info!(reason = %other, "closing the connection"),
        }
        if let Some(reply) = error.farewell() {
            self.io.push(&reply);
        }
        self.io.close().await;
        Ending::Closed
    }

    /// Starts a new mail transaction: a fresh envelope, any BDAT message abandoned. The
    /// recipient lists keep their (small) capacity, so the next message does not allocate
    /// them again.
    pub(super) async fn reset_transaction(&mut self) {
        let old = std::mem::take(&mut self.envelope);
        self.envelope.rcpt_tos = emptied(old.rcpt_tos);
        self.envelope.rcpt_options = emptied(old.rcpt_options);
        if let Some(bdat) = self.bdat.take() {
            bdat.abort().await;
        }
    }

    /// What the parser needs to know about this session.
    pub(super) fn parse_context(&self) -> ParseContext {
        let config = &self.shared.config;
        ParseContext {
            extended: self.session.extended_smtp,
            smtputf8: config.enable_smtputf8,
            utf8_transaction: self.envelope.smtp_utf8,
            size_offered: config.size_limit().is_some(),
            address_limits: config.address_limits,
        }
    }

    /// The longest line `verb` may have: the configured base (512), MAIL in an extended
    /// session +26 with SIZE and +10 with SMTPUTF8, AUTH the SASL limit.
    pub(super) fn line_limit(&self, verb: Option<Verb>) -> usize {
        let config = &self.shared.config;
        match verb {
            Some(Verb::Auth) => config.sasl_line_limit,
            Some(Verb::Mail) if self.session.extended_smtp => {
                let mut limit = config.command_line_limit;
                if config.size_limit().is_some() {
                    limit += SIZE_LINE_EXTRA;
                }
                if config.enable_smtputf8 {
                    limit += SMTPUTF8_LINE_EXTRA;
                }
                limit
            }
            _ => config.command_line_limit,
        }
    }

    /// Whether the session is protected by TLS (STARTTLS or implicit).
    pub(super) fn is_tls(&self) -> bool {
        self.session.tls.is_some()
    }

    /// Whether STARTTLS is on offer at all (TLS configured).
    pub(super) fn tls_configured(&self) -> bool {
        self.shared.tls.is_some()
    }

    /// Whether a greeting (HELO, EHLO, LHLO) has been accepted.
    pub(super) fn greeted(&self) -> bool {
        self.session.host_name.is_some()
    }

    /// `auth_required` and not yet authenticated.
    pub(super) fn needs_auth(&self) -> bool {
        self.shared.config.auth_required && !self.session.authenticated
    }
}

/// Recipients whose list capacity is kept from one transaction to the next.
const RECIPIENTS_KEEP: usize = 8;

/// `list` cleared, its capacity kept when small.
fn emptied<T>(mut list: Vec<T>) -> Vec<T> {
    if list.capacity() > RECIPIENTS_KEEP {
        return Vec::new();
    }
    list.clear();
    list
}

/// The framing limit for command lines: the longest any verb may have.
pub(super) fn reader_limit(shared: &Shared) -> usize {
    let config = &shared.config;
    config.sasl_line_limit.max(config.command_line_limit + SIZE_LINE_EXTRA + SMTPUTF8_LINE_EXTRA)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipient_lists_keep_a_small_capacity_only() {
        let small: Vec<u8> = (0..RECIPIENTS_KEEP as u8).collect();
        let kept = emptied(small);
        assert!(kept.is_empty());
        assert_eq!(kept.capacity(), RECIPIENTS_KEEP);
        let large: Vec<u8> = Vec::with_capacity(RECIPIENTS_KEEP + 1);
        assert_eq!(emptied(large).capacity(), 0);
    }
}
