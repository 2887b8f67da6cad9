//! Sending the message data: the body, chunk by chunk, through the dot-stuffing encoder
//! (`smtp_proto::stuffing::DotStuffer`: dots doubled from the first byte, bare CR and LF made
//! CRLF, a final CRLF added, `.` CRLF at the end). A queued file is streamed; it is never
//! loaded whole.

use bytes::Bytes;
use smtp_proto::stuffing::DotStuffer;
use tokio::fs::File;
use tokio::io::AsyncReadExt;

use super::connection::Connection;
use super::stage::Stage;
use crate::transport::{DeliveryError, MessageBody};

/// The size of one piece of body read and sent.
const CHUNK: usize = 64 * 1024;

/// An opened body, ready to stream. Opened before DATA so that a missing file fails the
/// attempt before the server is told a message is coming.
#[derive(Debug)]
pub enum BodySource {
    /// In memory.
    Memory(Bytes),
    /// An open file.
    File(File),
}

impl BodySource {
    /// Opens `body`.
    pub async fn open(body: &MessageBody) -> Result<Self, DeliveryError> {
        Ok(match body {
            MessageBody::Memory(bytes) => Self::Memory(bytes.clone()),
            MessageBody::File(path) => Self::File(File::open(path).await?),
        })
    }

    /// Streams the body and the end-of-data line to `conn`, each write bounded by the data
    /// block timeout. A read error midway breaks the connection (the server would otherwise
    /// take a truncated message): the caller must drop it.
    pub async fn send(self, conn: &mut Connection) -> Result<(), DeliveryError> {
        let mut stuffer = DotStuffer::new();
        let mut out = Vec::with_capacity(CHUNK + CHUNK / 8);
        match self {
            Self::Memory(bytes) => {
                for chunk in bytes.chunks(CHUNK) {
                    out.clear();
                    stuffer.encode(chunk, &mut out);
                    conn.send(Stage::DataBlock, &out).await?;
                }
            }
            Self::File(mut file) => {
                let mut chunk = vec![0; CHUNK];
                loop {
                    let read = file.read(&mut chunk).await?;
                    let Some(piece) = chunk.get(..read).filter(|piece| !piece.is_empty()) else {
                        break;
                    };
                    out.clear();
                    stuffer.encode(piece, &mut out);
                    conn.send(Stage::DataBlock, &out).await?;
                }
            }
        }
        out.clear();
        stuffer.finish(&mut out);
        conn.send(Stage::DataBlock, &out).await
    }
}
