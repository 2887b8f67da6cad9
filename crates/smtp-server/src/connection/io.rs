//! The connection's byte I/O: one read buffer, one write buffer, and reads bounded by the idle
//! timeout, the session deadline and (while waiting for a command) the shutdown signal.

use std::time::Duration;

use bytes::BytesMut;
use smtp_proto::reply::Reply;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::Instant;

/// Bytes asked of the stream per read (the read buffer grows by at most this much beyond the
/// partial line or chunk it already holds).
const READ_CHUNK: usize = 8 * 1024;

/// Replies buffered beyond this are written out even while more pipelined commands wait.
const WRITE_HIGH_WATER: usize = 64 * 1024;

/// What a read waits in: a command (a shutdown interrupts it) or a step already under way
/// (DATA, BDAT, an AUTH exchange: a shutdown lets it finish).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Wait {
    /// Waiting for the next command.
    Command,
    /// In the middle of DATA, BDAT or AUTH.
    Transfer,
}

/// Why a read brought nothing.
#[derive(Debug, thiserror::Error)]
pub(super) enum ReadError {
    /// The client closed the connection.
    #[error("the client closed the connection")]
    Closed,
    /// Nothing arrived within the idle timeout.
    #[error("idle timeout")]
    IdleTimeout,
    /// The connection has lasted its total allowed time.
    #[error("session time limit")]
    SessionTimeout,
    /// A graceful shutdown started while the connection waited for a command.
    #[error("server shutting down")]
    ShuttingDown,
    /// The stream failed.
    #[error("read failed: {0}")]
    Io(#[from] std::io::Error),
}

impl ReadError {
    /// The reply to send before closing, if any.
    pub(super) fn farewell(&self) -> Option<Reply> {
        match self {
            Self::IdleTimeout | Self::SessionTimeout => Some(Reply::timeout()),
            Self::ShuttingDown => Some(Reply::shutting_down()),
            Self::Closed | Self::Io(_) => None,
        }
    }
}

/// The stream with its buffers and deadlines.
pub(super) struct Io<S> {
    stream: S,
    /// Bytes read and not yet consumed.
    pub(super) input: BytesMut,
    output: Vec<u8>,
    idle: Duration,
    deadline: Instant,
    shutdown: watch::Receiver<bool>,
}

impl<S> Io<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send,
{
    /// Wraps `stream`; `input` holds bytes already read from it (after a PROXY header).
    pub(super) fn new(
        stream: S,
        input: BytesMut,
        idle: Duration,
        deadline: Instant,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self { stream, input, output: Vec::new(), idle, deadline, shutdown }
    }

    /// The session deadline (carried over STARTTLS).
    pub(super) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Gives back the stream; buffered replies must have been flushed.
    pub(super) fn into_stream(self) -> S {
        self.stream
    }

    /// Queues a reply; it is written at the next flush.
    pub(super) fn push(&mut self, reply: &Reply) {
        reply.write_to(&mut self.output);
    }

    /// Whether enough replies are queued that they should go out now.
    pub(super) fn should_flush(&self) -> bool {
        self.output.len() >= WRITE_HIGH_WATER
    }

    /// Writes the queued replies in one write (bounded by the idle timeout: a client that never
    /// reads cannot hold the task forever).
    pub(super) async fn flush(&mut self) -> std::io::Result<()> {
        if self.output.is_empty() {
            return Ok(());
        }
        let write = async {
            self.stream.write_all(&self.output).await?;
            self.stream.flush().await
        };
        let result = match tokio::time::timeout(self.idle, write).await {
            Ok(result) => result,
            Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "write timed out")),
        };
        self.output.clear();
        result
    }

    /// Flushes, then reads more bytes into `input`.
    pub(super) async fn fill(&mut self, wait: Wait) -> Result<usize, ReadError> {
        self.flush().await?;
        if wait == Wait::Command && *self.shutdown.borrow() {
            return Err(ReadError::ShuttingDown);
        }
        let now = Instant::now();
        if now >= self.deadline {
            return Err(ReadError::SessionTimeout);
        }
        let idle_deadline = now + self.idle;
        let session_ends_first = self.deadline < idle_deadline;
        let until = if session_ends_first { self.deadline } else { idle_deadline };
        self.input.reserve(READ_CHUNK);
        let read = tokio::time::timeout_at(until, self.stream.read_buf(&mut self.input));
        let shutdown = shutdown_signal(&mut self.shutdown, wait);
        tokio::select! {
            biased;
            () = shutdown => Err(ReadError::ShuttingDown),
            result = read => match result {
                Err(_) if session_ends_first => Err(ReadError::SessionTimeout),
                Err(_) => Err(ReadError::IdleTimeout),
                Ok(Ok(0)) => Err(ReadError::Closed),
                Ok(Ok(read)) => Ok(read),
                Ok(Err(error)) => Err(ReadError::Io(error)),
            },
        }
    }

    /// Flushes what is queued and shuts the stream down (best effort, bounded in time).
    pub(super) async fn close(&mut self) {
        if let Err(error) = self.flush().await {
            tracing::debug!(%error, "final flush failed");
        }
        let _ = tokio::time::timeout(self.idle, self.stream.shutdown()).await;
    }
}

/// Resolves when a shutdown starts, but only while waiting for a command.
async fn shutdown_signal(shutdown: &mut watch::Receiver<bool>, wait: Wait) {
    if wait == Wait::Command && shutdown.wait_for(|&stopping| stopping).await.is_ok() {
        return;
    }
    std::future::pending::<()>().await;
}
