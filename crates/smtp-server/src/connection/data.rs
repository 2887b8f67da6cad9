//! DATA: the checks, `354`, the body through the [`DataDecoder`] (limits deferred to the final
//! dot), then delivery.

use std::sync::Arc;

use bytes::Buf;
use smtp_proto::command::{Command, CommandLine};
use smtp_proto::data::{DataDecoder, DataLimits, DecodeStatus};
use smtp_proto::reply::Reply;
use tokio::io::{AsyncRead, AsyncWrite};

use super::delivery::BodyCollector;
use super::io::Wait;
use super::state::{Connection, Flow};
use crate::config::ServerConfig;

/// The decoder limits the configuration asks for.
fn data_limits(config: &ServerConfig) -> DataLimits {
    DataLimits {
        max_size: config.size_limit(),
        max_line_len: config.data_line_limit,
        bare_line_endings: config.bare_line_endings,
    }
}

impl<S> Connection<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// `DATA` (aiosmtpd §3.5 and §4).
    pub(super) async fn data(&mut self, line: &CommandLine<'_>) -> Flow {
        if !self.greeted() {
            return self.reply(Reply::send_helo_first());
        }
        if self.needs_auth() {
            return self.reply(Reply::auth_required());
        }
        if self.bdat.is_some() {
            return self.reply(Reply::bad_sequence("Error: DATA not permitted during BDAT"));
        }
        if self.envelope.rcpt_tos.is_empty() {
            return self.reply(Reply::need_rcpt());
        }
        match line.command(&self.parse_context()) {
            Ok(Command::Data) => {}
            Ok(_) => return self.reply(Reply::internal_error()),
            Err(reply) => return self.reply(reply),
        }
        let collector = match self.open_body().await {
            Ok(collector) => collector,
            Err(reply) => return self.reply(reply),
        };
        self.io.push(&Reply::start_data());
        self.receive_data(collector).await
    }

    /// Reads the body to its final dot.
    async fn receive_data(&mut self, mut collector: BodyCollector) -> Flow {
        let shared = Arc::clone(&self.shared);
        let mut decoder = DataDecoder::new(data_limits(&shared.config));
        loop {
            let status = decoder.decode(&self.io.input, |bytes| collector.take(bytes));
            match status {
                DecodeStatus::Finished { consumed } => {
                    self.io.input.advance(consumed);
                    break;
                }
                DecodeStatus::NeedMore => self.io.input.clear(),
            }
            collector.pass_on(shared.handler.as_ref()).await;
            if let Err(error) = self.io.fill(Wait::Transfer).await {
                collector.abort().await;
                tracing::debug!(%error, "connection ended during DATA");
                self.end_on_read_error(error).await;
                return Flow::Close;
            }
        }
        match decoder.finish() {
            Some(Ok(stats)) => {
                tracing::debug!(size = stats.size, wire = stats.wire_size, "message received");
                self.deliver(collector).await;
            }
            Some(Err(error)) => {
                tracing::info!(%error, "message refused");
                collector.abort().await;
                self.io.push(&error.reply());
                self.reset_transaction().await;
            }
            None => {
                collector.abort().await;
                self.io.push(&Reply::internal_error());
                self.reset_transaction().await;
            }
        }
        Flow::Continue
    }
}
