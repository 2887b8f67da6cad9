//! [`Connection`]: one session's stream, read buffer and reply parser, with every read and
//! write bounded by its [`Stage`]'s timeout.
//!
//! Any I/O error, timeout or unparseable reply marks the connection broken: it is never
//! reused, because replies could be out of step with commands.

use std::future::Future;

use smtp_proto::ehlo::ServerCapabilities;
use smtp_proto::reply::Reply;
use smtp_proto::reply::parse::ReplyParser;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;

use super::config::Timeouts;
use super::stage::Stage;
use super::stream::Stream;
use super::tls;
use crate::transport::DeliveryError;

/// How much the read buffer grows by per read.
const READ_CHUNK: usize = 4096;

/// A session with one server.
#[derive(Debug)]
pub struct Connection {
    stream: Stream,
    buffer: Vec<u8>,
    parser: ReplyParser,
    timeouts: Timeouts,
    host: String,
    broken: bool,
    /// What the server offered in its last EHLO reply (empty after HELO).
    pub capabilities: ServerCapabilities,
}

impl Connection {
    /// Wraps a fresh stream to `host`.
    pub fn new(stream: Stream, host: &str, timeouts: Timeouts) -> Self {
        Self {
            stream,
            buffer: Vec::new(),
            parser: ReplyParser::new(),
            timeouts,
            host: host.to_owned(),
            broken: false,
            capabilities: ServerCapabilities::default(),
        }
    }

    /// The host name as connected.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether the session runs over TLS.
    pub fn is_tls(&self) -> bool {
        self.stream.is_tls()
    }

    /// Whether the connection may be used again: no error broke the command/reply sequence.
    pub fn is_usable(&self) -> bool {
        !self.broken
    }

    /// Writes `bytes` (a command, pipelined commands or message data) and flushes.
    pub async fn send(&mut self, stage: Stage, bytes: &[u8]) -> Result<(), DeliveryError> {
        let stream = &mut self.stream;
        let write = async move {
            stream.write_all(bytes).await.map_err(|e| lost(stage, &e))?;
            stream.flush().await.map_err(|e| lost(stage, &e))
        };
        let outcome = limited(stage, &self.timeouts, write).await;
        if outcome.is_err() {
            self.broken = true;
        }
        outcome
    }

    /// Reads the next reply.
    pub async fn read_reply(&mut self, stage: Stage) -> Result<Reply, DeliveryError> {
        let Self { stream, buffer, parser, timeouts, .. } = self;
        let read = async move {
            loop {
                let parsed = parser.parse(buffer).map_err(|error| {
                    DeliveryError::Protocol(format!("bad reply to {}: {error}", stage.name()))
                })?;
                buffer.drain(..parsed.consumed.min(buffer.len()));
                if let Some(reply) = parsed.reply {
                    return Ok(reply);
                }
                buffer.reserve(READ_CHUNK);
                let read = stream.read_buf(buffer).await.map_err(|e| lost(stage, &e))?;
                if read == 0 {
                    return Err(DeliveryError::Protocol(format!(
                        "connection closed while waiting for the {} reply",
                        stage.name()
                    )));
                }
            }
        };
        let outcome = limited(stage, timeouts, read).await;
        if outcome.is_err() {
            self.broken = true;
        }
        outcome
    }

    /// Sends one command line (CRLF added) and reads its reply.
    pub async fn command(&mut self, stage: Stage, line: &str) -> Result<Reply, DeliveryError> {
        let mut bytes = Vec::with_capacity(line.len() + 2);
        bytes.extend_from_slice(line.as_bytes());
        bytes.extend_from_slice(b"\r\n");
        self.send(stage, &bytes).await?;
        self.read_reply(stage).await
    }

    /// Replaces the plain stream by a TLS one (after `220` to STARTTLS). Bytes already received
    /// after that reply were sent before the handshake — by the server or by someone in the
    /// middle — and could be taken for replies under TLS: they break the session
    /// (the client-side STARTTLS injection, CVE-2011-0411's mirror image).
    pub async fn start_tls(
        self,
        connector: &TlsConnector,
        tls_name: &str,
    ) -> Result<Self, DeliveryError> {
        if !self.buffer.is_empty() || self.parser.is_mid_reply() {
            return Err(DeliveryError::Protocol(
                "data received after the STARTTLS reply, before the TLS handshake".to_owned(),
            ));
        }
        let Stream::Plain(tcp) = self.stream else {
            return Err(DeliveryError::Protocol("STARTTLS inside TLS".to_owned()));
        };
        let name = tls::server_name(tls_name)?;
        let stream =
            limited(Stage::Tls, &self.timeouts, tls::handshake(connector, name, tcp)).await?;
        Ok(Self::new(stream, &self.host, self.timeouts))
    }

    /// Sends RSET and expects 250: readies a kept connection for its next transaction.
    pub async fn reset(&mut self) -> Result<(), DeliveryError> {
        let reply = self.command(Stage::Reset, "RSET").await?;
        if reply.code().is_positive() {
            Ok(())
        } else {
            self.broken = true;
            Err(DeliveryError::Refused(reply))
        }
    }

    /// Ends the session politely: QUIT, its reply (whatever it is), then closing our side.
    /// Errors are ignored: the work is done either way.
    pub async fn quit(mut self) {
        if self.broken {
            return;
        }
        tracing::debug!(host = %self.host, stage = Stage::Quit.name(), "quitting");
        let _ = self.command(Stage::Quit, "QUIT").await;
        let limit = Stage::Quit.limit(&self.timeouts);
        let _ = tokio::time::timeout(limit, self.stream.shutdown()).await;
    }
}

/// Runs `step` within `stage`'s limit.
pub async fn limited<T>(
    stage: Stage,
    timeouts: &Timeouts,
    step: impl Future<Output = Result<T, DeliveryError>>,
) -> Result<T, DeliveryError> {
    match tokio::time::timeout(stage.limit(timeouts), step).await {
        Ok(result) => result,
        Err(_) => Err(stage.timed_out(timeouts)),
    }
}

/// The error for a read or write that failed (the connection dropped).
fn lost(stage: Stage, error: &std::io::Error) -> DeliveryError {
    DeliveryError::Protocol(format!("connection lost during {}: {error}", stage.name()))
}
