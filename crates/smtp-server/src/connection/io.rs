//! The connection's byte I/O: one read buffer, one write buffer, and reads bounded by the idle
//! timeout, the session deadline and (while waiting for a command) the shutdown signal.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Duration;

use bytes::BytesMut;
use futures_util::FutureExt;
use futures_util::future::Fuse;
use smtp_proto::reply::Reply;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};

use super::closing;

/// Bytes asked of the stream by the first read while data is flowing (the read buffer grows by
/// at most this much beyond the partial line or chunk it already holds).
const READ_CHUNK: usize = 8 * 1024;

/// Each read that fills its room doubles the next one, up to this: a large body arrives in
/// few, large reads, while a small message never needs a large buffer.
const READ_CHUNK_MAX: usize = 64 * 1024;

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
    /// The room the next read gets while data flows ([`READ_CHUNK`] to [`READ_CHUNK_MAX`]).
    read_size: usize,
    idle: Duration,
    deadline: Instant,
    /// The connection's one timer, set again for each read and write (which is cheaper than a
    /// new timer each time).
    timer: Pin<Box<Sleep>>,
    shutdown: watch::Receiver<bool>,
    /// Resolves once a graceful shutdown starts: made once per connection, it stays
    /// registered with the signal between reads.
    stopping: Fuse<Pin<Box<dyn Future<Output = ()> + Send>>>,
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
        let mut signal = shutdown.clone();
        let stopping: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async move {
            if signal.wait_for(|&stopping| stopping).await.is_err() {
                // The signal's sender is gone (the server value was dropped): no shutdown
                // can start any more, so none ever interrupts this connection.
                std::future::pending::<()>().await;
            }
        });
        Self {
            stream,
            input,
            output: Vec::new(),
            read_was_full: false,
            read_size: READ_CHUNK,
            idle,
            deadline,
            timer: Box::pin(tokio::time::sleep_until(deadline)),
            shutdown,
            stopping: stopping.fuse(),
        }
    }

    /// The session deadline (carried over STARTTLS).
    pub(super) fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Gives back the stream; buffered replies must have been flushed.
    pub(super) fn into_stream(self) -> S {
        self.stream
    }

    /// Queues a reply; it is written at the next flush. The buffer starts with the room it
    /// keeps while idle, so ordinary replies never make it grow.
    pub(super) fn push(&mut self, reply: &Reply) {
        if self.output.capacity() == 0 {
            self.output.reserve(IDLE_WRITE_KEEP);
        }
        reply.write_to(&mut self.output);
    }

    /// Whether enough replies are queued that they should go out now.
    pub(super) fn should_flush(&self) -> bool {
        self.output.len() >= WRITE_HIGH_WATER
    }

    /// Writes the queued replies in one write (bounded by the idle timeout: a client that never
    /// reads cannot hold the task forever). The timer is set only when the write has to wait:
    /// most writes complete at once.
    pub(super) async fn flush(&mut self) -> std::io::Result<()> {
        if self.output.is_empty() {
            return Ok(());
        }
        let Self { stream, output, timer, idle, .. } = self;
        let mut write = pin!(async {
            stream.write_all(output).await?;
            stream.flush().await
        });
        let mut timer_set = false;
        let result = poll_fn(|cx| {
            if let Poll::Ready(result) = write.as_mut().poll(cx) {
                return Poll::Ready(result);
            }
            if !timer_set {
                timer.as_mut().reset(Instant::now() + *idle);
                timer_set = true;
            }
            match timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "write timed out",
                ))),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        output.clear();
        result
    }

    /// Flushes, then reads more bytes into `input`: whatever comes first of the bytes, the idle
    /// timeout, the session deadline and (while waiting for a command) a graceful shutdown.
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
        let Self { stream, input, timer, stopping, .. } = self;
        let mut read = pin!(stream.read_buf(input));
        // Bytes first: a shutdown that started before this read was seen above, and one that
        // starts while it waits wakes it through `stopping`. The timer is set only when the
        // read has to wait.
        let mut timer_set = false;
        let outcome = poll_fn(|cx| {
            if let Poll::Ready(result) = read.as_mut().poll(cx) {
                return Poll::Ready(result.map_err(ReadError::Io));
            }
            if wait == Wait::Command && stopping.poll_unpin(cx).is_ready() {
                return Poll::Ready(Err(ReadError::ShuttingDown));
            }
            if !timer_set {
                timer.as_mut().reset(until);
                timer_set = true;
            }
            match timer.as_mut().poll(cx) {
                Poll::Ready(()) if session_ends_first => {
                    Poll::Ready(Err(ReadError::SessionTimeout))
                }
                Poll::Ready(()) => Poll::Ready(Err(ReadError::IdleTimeout)),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        match outcome {
            Ok(0) => Err(ReadError::Closed),
            Ok(read) => {
                self.read_was_full = read >= room;
                if self.read_was_full {
                    self.read_size = (self.read_size * 2).min(READ_CHUNK_MAX);
                }
                Ok(read)
            }
            Err(error) => Err(error),
        }
    }

    /// Makes room in the read buffer for the next read and returns how much. Going idle (a
    /// command awaited, nothing buffered, the last read not full) gives back large buffers and
    /// asks for [`IDLE_READ`] bytes only; otherwise the current read size (from [`READ_CHUNK`],
    /// doubled by every full read up to [`READ_CHUNK_MAX`]).
    fn make_room(&mut self, wait: Wait) -> usize {
        let idle = wait == Wait::Command && self.input.is_empty() && !self.read_was_full;
        if !idle {
            self.input.reserve(self.read_size);
            return self.read_size;
        }
        self.read_size = READ_CHUNK;
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
    async fn reads_double_while_they_come_back_full_and_start_small_again() {
        let (mut client, server) = tokio::io::duplex(1 << 20);
        let mut io = new_io(server);
        client.write_all(&[b'x'; 300_000]).await.unwrap();
        let mut sizes = Vec::new();
        for _ in 0..5 {
            sizes.push(io.fill(Wait::Transfer).await.unwrap());
            io.input.clear();
        }
        assert_eq!(
            sizes,
            [READ_CHUNK, 2 * READ_CHUNK, 4 * READ_CHUNK, READ_CHUNK_MAX, READ_CHUNK_MAX]
        );

        // Drained, then idle: the next transfer starts at the first size again.
        let mut rest = 300_000 - sizes.iter().sum::<usize>();
        while rest > 0 {
            rest -= io.fill(Wait::Transfer).await.unwrap();
            io.input.clear();
        }
        client.write_all(b"NOOP\r\n").await.unwrap();
        assert_eq!(io.fill(Wait::Command).await.unwrap(), 6);
        io.input.clear();
        client.write_all(&[b'x'; 100_000]).await.unwrap();
        assert_eq!(io.fill(Wait::Transfer).await.unwrap(), READ_CHUNK);
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
