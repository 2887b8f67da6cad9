//! One client connection: writes with a timeout, reads replies through a reused buffer with a
//! timeout on every read, and checks each reply code against the one the step expects.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;

use crate::reply::{Code, MAX_REPLY_LEN, MalformedReply, Parsed, parse_reply};

/// Where in the session something happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Connecting.
    Connect,
    /// The `220` greeting.
    Greeting,
    /// EHLO.
    Ehlo,
    /// STARTTLS and the handshake.
    StartTls,
    /// AUTH PLAIN.
    Auth,
    /// MAIL FROM.
    Mail,
    /// RCPT TO.
    Rcpt,
    /// DATA.
    Data,
    /// The message and the final dot.
    EndOfData,
    /// NOOP (idle mode).
    Noop,
    /// QUIT.
    Quit,
}

/// Why a session stopped.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// A reply code other than the one expected.
    #[error("{step:?}: expected {expected}, got {got}")]
    Unexpected {
        /// The step.
        step: Step,
        /// The code expected.
        expected: Code,
        /// The code received.
        got: Code,
    },
    /// No reply, or no progress writing, within the timeout.
    #[error("{0:?}: timed out")]
    Timeout(Step),
    /// The server closed the connection.
    #[error("{0:?}: connection closed by the server")]
    Closed(Step),
    /// A socket error.
    #[error("{step:?}: {source}")]
    Io {
        /// The step.
        step: Step,
        /// The error.
        source: io::Error,
    },
    /// Something that is no SMTP reply, or a reply longer than [`MAX_REPLY_LEN`].
    #[error("{step:?}: {source}")]
    Malformed {
        /// The step.
        step: Step,
        /// The bad line.
        source: MalformedReply,
    },
    /// Bytes after a reply to STARTTLS (a server must not send any).
    #[error("StartTls: unexpected bytes after the 220")]
    BufferedAfterStartTls,
}

/// A stream with a reply buffer.
#[derive(Debug)]
pub struct Conn<S> {
    stream: S,
    buf: Vec<u8>,
    start: usize,
    io_timeout: Duration,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    /// Wraps a connected stream.
    pub fn new(stream: S, io_timeout: Duration) -> Self {
        Self { stream, buf: Vec::with_capacity(4096), start: 0, io_timeout }
    }

    /// Writes all of `bytes` (one write call where the socket takes it).
    pub async fn send(&mut self, bytes: &[u8], step: Step) -> Result<(), SessionError> {
        match timeout(self.io_timeout, self.stream.write_all(bytes)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(source)) => Err(SessionError::Io { step, source }),
            Err(_) => Err(SessionError::Timeout(step)),
        }
    }

    /// Reads the next reply and checks its code.
    pub async fn expect(&mut self, expected: u16, step: Step) -> Result<(), SessionError> {
        let got = self.reply(step).await?;
        if got.0 == expected {
            Ok(())
        } else {
            Err(SessionError::Unexpected { step, expected: Code(expected), got })
        }
    }

    /// Reads the next complete reply.
    async fn reply(&mut self, step: Step) -> Result<Code, SessionError> {
        loop {
            let pending = self.buf.get(self.start..).unwrap_or_default();
            match parse_reply(pending).map_err(|source| SessionError::Malformed { step, source })? {
                Parsed::Reply(code, used) => {
                    self.start += used;
                    if self.start == self.buf.len() {
                        self.buf.clear();
                        self.start = 0;
                    }
                    return Ok(code);
                }
                Parsed::Incomplete if pending.len() > MAX_REPLY_LEN => {
                    let source = MalformedReply("reply too long".to_owned());
                    return Err(SessionError::Malformed { step, source });
                }
                Parsed::Incomplete => self.fill(step).await?,
            }
        }
    }

    /// Reads more bytes into the buffer, compacting it first.
    async fn fill(&mut self, step: Step) -> Result<(), SessionError> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let mut chunk = [0u8; 4096];
        match timeout(self.io_timeout, self.stream.read(&mut chunk)).await {
            Ok(Ok(0)) => Err(SessionError::Closed(step)),
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
                Ok(())
            }
            Ok(Err(source)) => Err(SessionError::Io { step, source }),
            Err(_) => Err(SessionError::Timeout(step)),
        }
    }

    /// The stream, for the TLS handshake; fails if the server sent bytes not yet read.
    pub fn into_stream(self) -> Result<S, SessionError> {
        if self.start < self.buf.len() {
            return Err(SessionError::BufferedAfterStartTls);
        }
        Ok(self.stream)
    }

    /// The I/O timeout.
    pub fn io_timeout(&self) -> Duration {
        self.io_timeout
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::duplex;

    #[tokio::test]
    async fn replies_split_across_reads_and_several_in_one_read() {
        let (client, mut server) = duplex(64);
        let mut conn = Conn::new(client, Duration::from_secs(5));
        let writer = tokio::spawn(async move {
            server.write_all(b"220 hi\r\n250-a\r\n25").await.unwrap();
            tokio::time::sleep(Duration::from_millis(20)).await;
            server.write_all(b"0 b\r\n250 x\r\n550 no\r\n").await.unwrap();
            server
        });
        conn.expect(220, Step::Greeting).await.unwrap();
        conn.expect(250, Step::Ehlo).await.unwrap();
        conn.expect(250, Step::Mail).await.unwrap();
        let error = conn.expect(250, Step::Rcpt).await.unwrap_err();
        assert_eq!(error.to_string(), "Rcpt: expected 250, got 550");
        let server = writer.await.unwrap();
        drop(server);
        assert!(matches!(
            conn.expect(250, Step::Data).await,
            Err(SessionError::Closed(Step::Data))
        ));
    }

    #[tokio::test]
    async fn silence_times_out_and_garbage_is_refused() {
        let (client, mut server) = duplex(64);
        let mut conn = Conn::new(client, Duration::from_millis(50));
        assert!(matches!(conn.expect(220, Step::Greeting).await, Err(SessionError::Timeout(_))));
        server.write_all(b"HTTP/1.1 400\r\n").await.unwrap();
        assert!(matches!(
            conn.expect(220, Step::Greeting).await,
            Err(SessionError::Malformed { .. })
        ));
    }
}
