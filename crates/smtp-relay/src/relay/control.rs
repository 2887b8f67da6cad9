//! The control socket: queue administration of a running relay from another process.
//!
//! `serve` listens on `<data dir>/control.sock` (mode 0600: only the relay's own user may
//! talk to it). One request per line, answered at once:
//!
//! | request | answer |
//! |---|---|
//! | `LIST` | one JSON [`QueueEntry`] per line, then `OK` |
//! | `FLUSH` | `OK` (every queued message is due now) |
//! | `DELETE <id>` | `OK`, or `ERR <reason>` |
//! | anything else | `ERR unknown command` |

use std::io;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::task::JoinHandle;

use super::error::RelayError;
use crate::delivery::{QueueSummary, SchedulerHandle};
use crate::queue::QueueId;

/// The longest request line read.
const MAX_LINE: u64 = 1024;

/// One queued message as `queue list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    /// The queue id.
    pub id: String,
    /// The sender (empty for `<>`).
    pub mail_from: String,
    /// Size in octets.
    pub size: u64,
    /// Arrival, seconds since the Unix epoch.
    pub arrived: u64,
    /// Attempts so far.
    pub attempts: u32,
    /// The next attempt, seconds since the Unix epoch.
    pub next_attempt: u64,
    /// Recipients pending.
    pub pending: usize,
    /// Recipients delivered.
    pub delivered: usize,
    /// Recipients failed.
    pub failed: usize,
    /// The last temporary error.
    pub last_error: Option<String>,
}

impl From<&QueueSummary> for QueueEntry {
    fn from(summary: &QueueSummary) -> Self {
        Self {
            id: summary.id.0.clone(),
            mail_from: summary.mail_from.clone(),
            size: summary.size,
            arrived: unix_seconds(summary.arrived),
            attempts: summary.attempts,
            next_attempt: unix_seconds(summary.next_attempt),
            pending: summary.pending,
            delivered: summary.delivered,
            failed: summary.failed,
            last_error: summary.last_error.clone(),
        }
    }
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs())
}

/// The serving control socket: dropping it stops the task and removes the socket file.
#[derive(Debug)]
pub(crate) struct ControlTask {
    task: JoinHandle<()>,
    path: PathBuf,
}

impl Drop for ControlTask {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Binds the control socket at `path` (a leftover file is replaced: the caller holds the
/// data directory's lock) and serves it until the returned task is dropped.
pub(crate) fn serve(path: &Path, scheduler: SchedulerHandle) -> Result<ControlTask, RelayError> {
    match std::fs::remove_file(path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => {
            return Err(RelayError::Io { what: "removing an old control socket", source: error });
        }
        _ => {}
    }
    let listener = UnixListener::bind(path)
        .map_err(|source| RelayError::Io { what: "binding the control socket", source })?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|source| RelayError::Io { what: "protecting the control socket", source })?;
    let task = tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let scheduler = scheduler.clone();
                    tokio::spawn(async move {
                        let (read, write) = stream.into_split();
                        if let Err(error) = answer(read, write, &scheduler).await {
                            tracing::debug!(%error, "control connection ended");
                        }
                    });
                }
                Err(error) => {
                    tracing::warn!(%error, "control socket accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    });
    Ok(ControlTask { task, path: path.to_owned() })
}

/// Answers requests on one connection until it closes.
async fn answer(
    read: impl AsyncRead + Unpin,
    mut write: impl AsyncWrite + Unpin,
    scheduler: &SchedulerHandle,
) -> io::Result<()> {
    let mut reader = BufReader::new(read);
    loop {
        let mut line = String::new();
        let read = (&mut reader).take(MAX_LINE).read_line(&mut line).await?;
        if read == 0 {
            return Ok(());
        }
        if !line.ends_with('\n') {
            write.write_all(b"ERR line too long\n").await?;
            return Ok(());
        }
        let response = respond(line.trim_end_matches(['\r', '\n']), scheduler).await;
        write.write_all(response.as_bytes()).await?;
        write.flush().await?;
    }
}

/// The whole answer to one request line.
async fn respond(line: &str, scheduler: &SchedulerHandle) -> String {
    let (verb, argument) = line.split_once(' ').unwrap_or((line, ""));
    match (verb.to_ascii_uppercase().as_str(), argument.trim()) {
        ("LIST", "") => match scheduler.list().await {
            Ok(summaries) => {
                let mut out = String::new();
                for summary in &summaries {
                    let json = serde_json::to_string(&QueueEntry::from(summary))
                        .unwrap_or_else(|_| "{}".to_owned());
                    out.push_str(&json);
                    out.push('\n');
                }
                out.push_str("OK\n");
                out
            }
            Err(error) => format!("ERR {}\n", one_line(&error.to_string())),
        },
        ("FLUSH", "") => {
            scheduler.flush();
            "OK\n".to_owned()
        }
        ("DELETE", id) if !id.is_empty() => match scheduler.delete(&QueueId(id.to_owned())).await {
            Ok(()) => "OK\n".to_owned(),
            Err(error) => format!("ERR {}\n", one_line(&error.to_string())),
        },
        _ => "ERR unknown command\n".to_owned(),
    }
}

fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

/// A connection to a running relay's control socket.
#[derive(Debug)]
pub struct ControlClient {
    reader: BufReader<tokio::net::unix::OwnedReadHalf>,
    writer: tokio::net::unix::OwnedWriteHalf,
}

impl ControlClient {
    /// Connects; fails when no relay listens at `path`.
    pub async fn connect(path: &Path) -> io::Result<Self> {
        let (read, writer) = UnixStream::connect(path).await?.into_split();
        Ok(Self { reader: BufReader::new(read), writer })
    }

    /// Sends one request and reads the answer up to its `OK`/`ERR` line: the lines before
    /// it, or the `ERR` reason.
    async fn request(&mut self, line: &str) -> Result<Vec<String>, RelayError> {
        let io = |source| RelayError::Io { what: "talking to the control socket", source };
        self.writer.write_all(format!("{line}\n").as_bytes()).await.map_err(io)?;
        let mut lines = Vec::new();
        loop {
            let mut answer = String::new();
            if self.reader.read_line(&mut answer).await.map_err(io)? == 0 {
                return Err(RelayError::Control("the relay closed the connection".to_owned()));
            }
            let answer = answer.trim_end_matches(['\r', '\n']);
            if answer == "OK" {
                return Ok(lines);
            }
            if let Some(reason) = answer.strip_prefix("ERR ") {
                return Err(RelayError::Control(reason.to_owned()));
            }
            lines.push(answer.to_owned());
        }
    }

    /// `LIST`.
    pub async fn list(&mut self) -> Result<Vec<QueueEntry>, RelayError> {
        self.request("LIST")
            .await?
            .iter()
            .map(|line| {
                serde_json::from_str(line)
                    .map_err(|error| RelayError::Control(format!("unreadable entry: {error}")))
            })
            .collect()
    }

    /// `FLUSH`.
    pub async fn flush(&mut self) -> Result<(), RelayError> {
        self.request("FLUSH").await.map(drop)
    }

    /// `DELETE <id>`.
    pub async fn delete(&mut self, id: &str) -> Result<(), RelayError> {
        if id.is_empty() || id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(RelayError::Control(format!("invalid queue id {id:?}")));
        }
        self.request(&format!("DELETE {id}")).await.map(drop)
    }
}
