//! BDAT (RFC 3030 CHUNKING): chunks of exact size, each answered, until `LAST`; then the same
//! delivery as DATA. Whatever the verdict, a chunk whose size is known is always consumed, so
//! its octets are never read as commands.

use std::sync::Arc;

use bytes::Buf;
use smtp_proto::bdat::{BdatMessage, BdatReader, ChunkKind, ChunkStatus};
use smtp_proto::command::{BdatChunk, Command, CommandLine};
use smtp_proto::data::DataError;
use smtp_proto::reply::{EnhancedStatus, Reply, ReplyCode};
use tokio::io::{AsyncRead, AsyncWrite};

use super::delivery::BodyCollector;
use super::io::Wait;
use super::state::{Connection, Flow};

/// A message being sent with BDAT.
pub(super) struct BdatTransaction {
    message: BdatMessage,
    collector: BodyCollector,
}

impl BdatTransaction {
    /// Abandons the message (RSET, a new greeting, a new transaction).
    pub(super) async fn abort(self) {
        self.collector.abort().await;
    }
}

/// `250 2.0.0 <n> octets received`: a chunk that is not the last was taken.
fn chunk_received(size: u64) -> Reply {
    Reply::new(ReplyCode::of(250), EnhancedStatus::of(2, 0, 0), format!("{size} octets received"))
}

impl<S> Connection<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// `BDAT <size> [LAST]`.
    pub(super) async fn bdat(&mut self, line: &CommandLine<'_>) -> Flow {
        let Some(chunk) = self.bdat_chunk(line) else {
            return Flow::Close;
        };
        let refusal = if !self.greeted() {
            Some(Reply::send_helo_first())
        } else if self.needs_auth() {
            Some(Reply::auth_required())
        } else if !self.envelope.has_sender() {
            Some(Reply::need_mail())
        } else if self.envelope.rcpt_tos.is_empty() {
            Some(Reply::need_rcpt())
        } else {
            None
        };
        if let Some(reply) = refusal {
            return self.discard_chunk(chunk.size, reply).await;
        }
        let transaction = match self.bdat.take() {
            Some(transaction) => transaction,
            None => match self.open_body().await {
                Ok(collector) => BdatTransaction {
                    message: BdatMessage::new(self.shared.config.size_limit()),
                    collector,
                },
                Err(reply) => return self.discard_chunk(chunk.size, reply).await,
            },
        };
        self.receive_chunk(transaction, chunk).await
    }

    /// Refuses a BDAT before its own checks (STARTTLS required or refused), consuming its
    /// chunk; a BDAT whose size cannot be read closes the connection.
    pub(super) async fn refuse_bdat(&mut self, line: &CommandLine<'_>, reply: Reply) -> Flow {
        match self.bdat_chunk(line) {
            Some(chunk) => self.discard_chunk(chunk.size, reply).await,
            None => Flow::Close,
        }
    }

    /// The chunk a BDAT line announces; `None` (after queueing the `501`) when the line does
    /// not say how many octets follow: nothing after it can be trusted to be a command.
    fn bdat_chunk(&mut self, line: &CommandLine<'_>) -> Option<BdatChunk> {
        match line.command(&self.parse_context()) {
            Ok(Command::Bdat(chunk)) => Some(chunk),
            Ok(_) => {
                self.io.push(&Reply::internal_error());
                None
            }
            Err(reply) => {
                tracing::info!("BDAT without a readable chunk size; closing");
                self.io.push(&reply);
                None
            }
        }
    }

    /// Reads a chunk into the message; answers it, or delivers the message after `LAST`.
    async fn receive_chunk(&mut self, mut transaction: BdatTransaction, chunk: BdatChunk) -> Flow {
        let kind = ChunkKind::from(chunk.last);
        let mut reader = transaction.message.chunk(chunk.size, kind);
        if let Err(flow) = self.read_chunk(&mut reader, Some(&mut transaction.collector)).await {
            transaction.abort().await;
            return flow;
        }
        if kind == ChunkKind::More {
            let reply = match reader.verdict() {
                Ok(()) => chunk_received(chunk.size),
                Err(error) => error.reply(),
            };
            self.bdat = Some(transaction);
            return self.reply(reply);
        }
        match transaction.message.finish() {
            Ok(stats) => {
                tracing::debug!(size = stats.size, "BDAT message received");
                self.deliver(transaction.collector).await;
            }
            Err(error) => {
                tracing::info!(%error, "BDAT message refused");
                transaction.abort().await;
                self.io.push(&error.reply());
                self.reset_transaction().await;
            }
        }
        Flow::Continue
    }

    /// Consumes a refused chunk, then answers `reply`.
    async fn discard_chunk(&mut self, size: u64, reply: Reply) -> Flow {
        let mut reader = BdatReader::discarding(size, ChunkKind::More, DataError::TooMuchData);
        if let Err(flow) = self.read_chunk(&mut reader, None).await {
            return flow;
        }
        self.reply(reply)
    }

    /// Feeds the chunk's octets from the connection to `collector` (none: dropped); `Err` when
    /// the connection ended.
    async fn read_chunk(
        &mut self,
        reader: &mut BdatReader,
        mut collector: Option<&mut BodyCollector>,
    ) -> Result<(), Flow> {
        let shared = Arc::clone(&self.shared);
        loop {
            let status = reader.read(&self.io.input, |bytes| {
                if let Some(collector) = collector.as_deref_mut() {
                    collector.take(bytes);
                }
            });
            match status {
                ChunkStatus::Complete { consumed } => {
                    self.io.input.advance(consumed);
                    return Ok(());
                }
                ChunkStatus::NeedMore => self.io.input.clear(),
            }
            if let Some(collector) = collector.as_deref_mut() {
                collector.pass_on(shared.handler.as_ref()).await;
            }
            if let Err(error) = self.io.fill(Wait::Transfer).await {
                tracing::debug!(%error, "connection ended during BDAT");
                self.end_on_read_error(error).await;
                return Err(Flow::Close);
            }
        }
    }
}
