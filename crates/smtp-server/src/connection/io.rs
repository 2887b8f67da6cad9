//! The connection's byte I/O: one read buffer, one write buffer, and reads bounded by the idle
//! timeout, the session deadline and (while waiting for a command) the shutdown signal.

use std::time::Duration;

use bytes::BytesMut;
use smtp_proto::reply::Reply;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::Instant;

use super::closing;

/// Bytes asked of the stream per read while data is flowing (the read buffer grows by at most
/// this much beyond the partial line or chunk it already holds).
const READ_CHUNK: usize = 64 * 1024;

/// Bytes asked of the stream by the first read after the connection went idle (waiting for a
/// command with nothing buffered): enough for any command line, small enough that thousands
/// of idle connections cost little. A read that fills it is followed by full-size reads.
const IDLE_READ: usize = 512;

/// Write-buffer capacity kept while idle; a larger buffer (a long reply, many pipelined
/// replies) is given back once flushed.
const IDLE_WRITE_KEEP: usize = 512;

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
    /// The last read filled all the room it was given: more is probably waiting.
    read_was_full: bool,
    idle: Duration,
    deadline: Instant,
    shutdown: watch::Receiver<bool>,
}

impl<S> Io<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// Wraps `stream`; `input` holds bytes already read from it (after a PROXY header).
    pub(super) fn new(
        stream: S,
        input: BytesMut,
        idle: Duration,
        deadline: Instant,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        Self { stream, input, output: Vec::new(), read_was_full: false, idle, deadline, shutdown }
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
        let room = self.make_room(wait);
        let read = tokio::time::timeout_at(until, self.stream.read_buf(&mut self.input));
        let shutdown = shutdown_signal(&mut self.shutdown, wait);
        tokio::select! {
            biased;
            () = shutdown => Err(ReadError::ShuttingDown),
            result = read => match result {
                Err(_) if session_ends_first => Err(ReadError::SessionTimeout),
                Err(_) => Err(ReadError::IdleTimeout),
                Ok(Ok(0)) => Err(ReadError::Closed),
                Ok(Ok(read)) => {
                    self.read_was_full = read >= room;
                    Ok(read)
                }
                Ok(Err(error)) => Err(ReadError::Io(error)),
            },
        }
    }

    /// Makes room in the read buffer for the next read and returns how much. Going idle (a
    /// command awaited, nothing buffered, the last read not full) gives back large buffers and
    /// asks for [`IDLE_READ`] bytes only; otherwise [`READ_CHUNK`].
    fn make_room(&mut self, wait: Wait) -> usize {
        let idle = wait == Wait::Command && self.input.is_empty() && !self.read_was_full;
        if !idle {
            self.input.reserve(READ_CHUNK);
            return READ_CHUNK;
        }
        if self.input.capacity() > IDLE_READ {
            self.input = BytesMut::new();
        }
        if self.output.capacity() > IDLE_WRITE_KEEP {
            self.output = Vec::new();
        }
        self.input.reserve(IDLE_READ);
        IDLE_READ
    }

    /// Sends what is queued and shuts the stream down (best effort, bounded in time): on TCP
    /// the last replies leave with the FIN in one segment ([`closing`]).
    pub(super) async fn close(&mut self) {
        match closing::write_last_and_shut_down(&mut self.stream, &mut self.output) {
            Ok(true) => return,
            Ok(false) => {}
            Err(error) => {
                tracing::debug!(%error, "final write failed");
                return;
            }
        }
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

#[cfg(test)]
mod tests {
    use tokio::io::DuplexStream;

    use super::*;

    fn new_io(server: DuplexStream) -> Io<DuplexStream> {
        let (_sender, receiver) = watch::channel(false);
        let idle = Duration::from_secs(30);
        Io::new(server, BytesMut::new(), idle, Instant::now() + idle, receiver)
    }

    /// Reads exactly `len` bytes from the client end.
    async fn read_exact(client: &mut DuplexStream, len: usize) -> Vec<u8> {
        let mut got = vec![0; len];
        client.read_exact(&mut got).await.unwrap();
        got
    }

    #[tokio::test]
    async fn buffers_shrink_when_idle_and_grow_when_data_flows() {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let mut io = new_io(server);

        // DATA-sized input: full-size reads, the buffer grows.
        client.write_all(&[b'x'; 20_000]).await.unwrap();
        let mut total = 0;
        while total < 20_000 {
            total += io.fill(Wait::Transfer).await.unwrap();
        }
        assert!(io.input.capacity() >= READ_CHUNK);
        io.input.clear();

        // Many queued replies: a large write buffer.
        for _ in 0..100 {
            io.push(&Reply::ok());
        }
        assert!(io.output.capacity() > IDLE_WRITE_KEEP);

        // Waiting for commands with nothing buffered: replies are flushed first, then the
        // large buffers go (at the latest once a read did not fill its room).
        for _ in 0..2 {
            client.write_all(b"NOOP\r\n").await.unwrap();
            assert_eq!(io.fill(Wait::Command).await.unwrap(), 6);
            assert_eq!(&io.input[..], b"NOOP\r\n");
            io.input.clear();
        }
        assert!(io.input.capacity() <= IDLE_READ, "input {}", io.input.capacity());
        assert!(io.output.capacity() <= IDLE_WRITE_KEEP, "output {}", io.output.capacity());
        assert_eq!(read_exact(&mut client, 100 * 14).await, b"250 2.0.0 OK\r\n".repeat(100));

        // A burst after idling: the small read fills up, so the next read is full-size again.
        client.write_all(&b"NOOP\r\n".repeat(1000)).await.unwrap();
        assert_eq!(io.fill(Wait::Command).await.unwrap(), IDLE_READ);
        io.input.clear();
        let read = io.fill(Wait::Command).await.unwrap();
        assert!(read > IDLE_READ, "second read {read}");
        assert!(io.input.capacity() >= READ_CHUNK);

        // Mid-line (something buffered) the read is full-size too.
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let mut io = new_io(server);
        client.write_all(b"NOOP").await.unwrap();
        assert_eq!(io.fill(Wait::Command).await.unwrap(), 4);
        client.write_all(&b"\r\n".repeat(2000)).await.unwrap();
        assert!(io.fill(Wait::Command).await.unwrap() > IDLE_READ);
    }
}
