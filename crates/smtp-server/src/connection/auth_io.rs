//! Reading SASL response lines, and the [`AuthIo`] a custom AUTH hook drives the exchange
//! through (aiosmtpd's `push` and `challenge_auth`).

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Buf;
use smtp_proto::line::{LineEvent, LineReader};
use smtp_proto::reply::Reply;
use tokio::io::{AsyncRead, AsyncWrite};

use super::io::{Io, ReadError, Wait};
use crate::handler::AuthIo;

/// One client line during an AUTH exchange.
pub(super) enum SaslLine {
    /// The line, line end stripped.
    Line(SecretLine),
    /// Longer than the SASL limit (the rest of it will be skipped).
    TooLong,
}

/// A response line; wiped when dropped (it may carry a password).
pub(super) struct SecretLine(Vec<u8>);

impl SecretLine {
    /// The bytes.
    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for SecretLine {
    fn drop(&mut self) {
        self.0.fill(0);
    }
}

/// Reads the client's next line, waiting as long as the idle timeout allows (a shutdown does
/// not interrupt an exchange).
pub(super) async fn read_sasl_line<S>(
    io: &mut Io<S>,
    lines: &mut LineReader,
) -> Result<SaslLine, ReadError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    loop {
        let framed = lines.next_line(&io.input);
        let consumed = framed.consumed;
        let line = match framed.event {
            Some(LineEvent::Line(line)) => Some(SaslLine::Line(SecretLine(line.to_vec()))),
            Some(LineEvent::TooLong) => Some(SaslLine::TooLong),
            None => None,
        };
        // Wipe the consumed bytes of a response from the read buffer too.
        if let Some(used) = io.input.get_mut(..consumed) {
            used.fill(0);
        }
        io.input.advance(consumed);
        match line {
            Some(line) => return Ok(line),
            None => {
                io.fill(Wait::Transfer).await?;
            }
        }
    }
}

/// The [`AuthIo`] handed to [`crate::Handler::auth`].
pub(super) struct HookIo<'a, S> {
    io: &'a mut Io<S>,
    lines: &'a mut LineReader,
    /// Set when the connection ended during a challenge: the session must close.
    pub(super) ended: Option<ReadError>,
}

impl<'a, S> HookIo<'a, S> {
    /// Wraps the connection's I/O for a hook.
    pub(super) fn new(io: &'a mut Io<S>, lines: &'a mut LineReader) -> Self {
        Self { io, lines, ended: None }
    }
}

#[async_trait]
impl<S> AuthIo for HookIo<'_, S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    async fn push(&mut self, reply: &Reply) -> std::io::Result<()> {
        self.io.push(reply);
        self.io.flush().await
    }

    async fn challenge_auth(&mut self, challenge: &[u8]) -> std::io::Result<Option<Vec<u8>>> {
        self.io.push(&Reply::auth_challenge(STANDARD.encode(challenge)));
        let line = match read_sasl_line(self.io, self.lines).await {
            Ok(SaslLine::Line(line)) => line,
            Ok(SaslLine::TooLong) => {
                self.io.push(&Reply::auth_line_too_long());
                return Ok(None);
            }
            Err(error) => {
                let failure =
                    std::io::Error::new(std::io::ErrorKind::ConnectionAborted, error.to_string());
                self.ended = Some(error);
                return Err(failure);
            }
        };
        let response = line.as_bytes().trim_ascii();
        if response == b"*" {
            self.io.push(&Reply::auth_aborted());
            return Ok(None);
        }
        match STANDARD.decode(response) {
            Ok(decoded) => Ok(Some(decoded)),
            Err(_) => {
                self.io.push(&Reply::auth_bad_base64());
                Ok(None)
            }
        }
    }
}
