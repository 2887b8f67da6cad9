//! [`Mailbox`]: stores every message in a Maildir (aiosmtpd's `Mailbox`).
//!
//! Each message is written to `tmp/<unique>`, flushed to disk (`fsync`), renamed into
//! `new/<unique>`, and the `new/` directory is flushed too, all before the hook answers: a
//! `250` means the message is on disk. Unique names follow the Maildir convention,
//! `<seconds>.<pid>_<counter>.<hostname>` (with `/` and `:` in the host name written as
//! `\057` and `\072`); the counter is shared by the whole process, and the file in `tmp/` is
//! created exclusively, so two deliveries never share a file. The work runs on tokio's
//! blocking pool.
//!
//! The message is stored exactly as received, with `X-Peer`, `X-MailFrom` and `X-RcptTo`
//! added at the top of its header block, in its own line ending (see the crate's conformance
//! rules). Unlike aiosmtpd, the message is not re-serialised by a parser, so nothing else
//! changes.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use bytes::Bytes;
use smtp_auth::ServerInfo;
use smtp_proto::reply::Reply;

use super::error::HandlerError;
use super::trace_fields::{Insertion, TraceFields};
use crate::handler::{Handler, HookResult};
use crate::session::{Envelope, Session};

/// The Maildir subdirectories.
const SUBDIRS: [&str; 3] = ["tmp", "new", "cur"];

/// The per-process delivery counter of unique names.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Delivers every message into a Maildir, then answers `250 2.0.0 OK`.
#[derive(Clone, Debug)]
pub struct Mailbox {
    root: PathBuf,
    host: String,
}

impl Mailbox {
    /// A Maildir at `dir`: creates `dir` and its `tmp/`, `new/` and `cur/` when missing. Call
    /// it at start-up (it uses blocking file-system calls).
    pub fn new(dir: impl Into<PathBuf>) -> io::Result<Self> {
        let root = dir.into();
        for sub in SUBDIRS {
            fs::create_dir_all(root.join(sub))?;
        }
        Ok(Self { root, host: maildir_host(&crate::config::default_hostname()) })
    }

    /// The Maildir's directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// A name no other delivery of this process uses.
    fn unique_name(&self) -> String {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
        format!("{secs}.{}_{counter}.{}", std::process::id(), self.host)
    }
}

#[async_trait]
impl Handler for Mailbox {
    async fn data(
        &self,
        _server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        let content = envelope.content.clone().ok_or(HandlerError::NoContent)?;
        let insertion = TraceFields::new(session, envelope).insertion(&content);
        let root = self.root.clone();
        let name = self.unique_name();
        let stored =
            tokio::task::spawn_blocking(move || deliver(&root, &name, &content, insertion))
                .await
                .map_err(HandlerError::from)?
                .map_err(HandlerError::from)?;
        tracing::debug!(session = session.id, path = %stored.display(), "message stored");
        Ok(Reply::ok())
    }
}

/// Writes, syncs and moves one message into `new/`; returns its final path.
fn deliver(
    root: &Path,
    name: &str,
    content: &Bytes,
    insertion: Option<Insertion>,
) -> io::Result<PathBuf> {
    let tmp = root.join("tmp").join(name);
    let new_dir = root.join("new");
    let target = new_dir.join(name);
    let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
    let written = write_message(&mut file, content, insertion.as_ref())
        .and_then(|()| file.sync_all())
        .and_then(|()| fs::rename(&tmp, &target));
    drop(file);
    if let Err(error) = written {
        let _ = fs::remove_file(&tmp);
        return Err(error);
    }
    sync_dir(&new_dir)?;
    Ok(target)
}

/// The message with the trace fields at their place.
fn write_message(out: &mut File, content: &[u8], insertion: Option<&Insertion>) -> io::Result<()> {
    match insertion {
        Some(Insertion { at, lines }) => {
            let (head, tail) = content.split_at((*at).min(content.len()));
            out.write_all(head)?;
            out.write_all(lines)?;
            out.write_all(tail)
        }
        None => out.write_all(content),
    }
}

/// Flushes a directory's entries to disk (the rename), where the platform allows it.
fn sync_dir(dir: &Path) -> io::Result<()> {
    if cfg!(unix) { File::open(dir)?.sync_all() } else { Ok(()) }
}

/// The host name as a Maildir name part: `/` and `:` escaped as octal.
fn maildir_host(host: &str) -> String {
    host.replace('/', "\\057").replace(':', "\\072")
}

#[cfg(test)]
mod tests {
    use smtp_proto::address::{AddressLimits, parse_forward_path, parse_reverse_path};

    use super::*;
    use crate::session::PeerAddr;

    /// A fresh directory under the system's temporary directory.
    fn temp_dir(label: &str) -> PathBuf {
        let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir()
            .join(format!("smtp-server-mailbox-{label}-{}-{unique}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn session_and_envelope(content: &[u8]) -> (Session, Envelope) {
        let mut session = Session::new(3, PeerAddr::Tcp("10.0.0.1:1000".parse().unwrap()));
        // Behind PROXY protocol the real client differs from the peer: X-Peer is the client.
        session.client = PeerAddr::Tcp("203.0.113.9:4321".parse().unwrap());
        let limits = AddressLimits::default();
        let envelope = Envelope {
            mail_from: Some(parse_reverse_path("<a@x.example>", &limits).unwrap().0.into_owned()),
            rcpt_tos: vec![
                parse_forward_path("<b@y.example>", &limits).unwrap().0.into_owned(),
                parse_forward_path("<c@z.example>", &limits).unwrap().0.into_owned(),
            ],
            content: Some(Bytes::copy_from_slice(content)),
            ..Envelope::default()
        };
        (session, envelope)
    }

    fn files_in(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> =
            fs::read_dir(dir).unwrap().map(|entry| entry.unwrap().path()).collect();
        files.sort();
        files
    }

    #[tokio::test]
    async fn stores_each_message_byte_for_byte_in_new() {
        const CRLF: &str = "X-Peer: 203.0.113.9:4321\r\nX-MailFrom: a@x.example\r\nX-RcptTo: b@y.example, c@z.example\r\n";
        const LF: &str = "X-Peer: 203.0.113.9:4321\nX-MailFrom: a@x.example\nX-RcptTo: b@y.example, c@z.example\n";
        // Every message gets the fields at its very top, in its own line ending.
        let cases: [(&[u8], &str); 6] = [
            (b"Subject: s\r\n\r\n.leading dot kept\r\nbody\r\n", CRLF),
            (b"Subject: s\n\nbody\n", LF),
            (b"no header block at all\r\n", CRLF),
            (b"\r\nempty header block\r\n", CRLF),
            (b"", CRLF),
            (b"bin\x00\xff\r\n", CRLF),
        ];
        let dir = temp_dir("bytes");
        let mailbox = Mailbox::new(&dir).unwrap();
        for sub in SUBDIRS {
            assert!(dir.join(sub).is_dir(), "{sub}/ created");
        }
        for (content, fields) in cases {
            let (mut session, mut envelope) = session_and_envelope(content);
            let reply = mailbox.data(&ServerInfo::new("mx"), &mut session, &mut envelope).await;
            assert_eq!(reply.unwrap().to_string(), "250 2.0.0 OK");
            let files = files_in(&dir.join("new"));
            assert_eq!(files.len(), 1);
            assert_eq!(fs::read(&files[0]).unwrap(), [fields.as_bytes(), content].concat());
            fs::remove_file(&files[0]).unwrap();
            assert!(files_in(&dir.join("tmp")).is_empty(), "nothing left in tmp/");
            assert!(files_in(&dir.join("cur")).is_empty());
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn names_are_unique_and_follow_the_maildir_convention() {
        let dir = temp_dir("names");
        let mailbox = Mailbox::new(&dir).unwrap();
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let mailbox = mailbox.clone();
            tasks.push(tokio::spawn(async move {
                let (mut session, mut envelope) = session_and_envelope(b"Subject: x\r\n\r\n");
                mailbox.data(&ServerInfo::new("mx"), &mut session, &mut envelope).await.unwrap();
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let files = files_in(&dir.join("new"));
        assert_eq!(files.len(), 20);
        let pid = std::process::id().to_string();
        for file in &files {
            let name = file.file_name().unwrap().to_str().unwrap();
            let mut parts = name.splitn(3, '.');
            let secs = parts.next().unwrap();
            let middle = parts.next().unwrap();
            let host = parts.next().unwrap();
            assert!(secs.parse::<u64>().unwrap() > 1_600_000_000, "{name}");
            let (file_pid, counter) = middle.split_once('_').unwrap();
            assert_eq!(file_pid, pid);
            counter.parse::<u64>().unwrap();
            assert!(!host.is_empty() && !host.contains('/') && !host.contains(':'));
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_missing_maildir_is_an_error_not_a_panic() {
        let dir = temp_dir("gone");
        let mailbox = Mailbox::new(&dir).unwrap();
        fs::remove_dir_all(&dir).unwrap();
        let (mut session, mut envelope) = session_and_envelope(b"x\r\n");
        let result = mailbox.data(&ServerInfo::new("mx"), &mut session, &mut envelope).await;
        assert!(result.is_err());
        envelope.content = None;
        let result = mailbox.data(&ServerInfo::new("mx"), &mut session, &mut envelope).await;
        assert_eq!(result.unwrap_err().to_string(), HandlerError::NoContent.to_string());
    }

    #[test]
    fn host_names_are_escaped() {
        assert_eq!(maildir_host("a/b:c.example"), "a\\057b\\072c.example");
    }
}
