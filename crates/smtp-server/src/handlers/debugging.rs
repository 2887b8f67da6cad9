//! [`Debugging`]: prints every message (aiosmtpd's `Debugging`).
//!
//! Output, per message:
//!
//! ```text
//! ---------- MESSAGE FOLLOWS ----------
//! mail options: ['SIZE=100', 'BODY=8BITMIME']     (only when there are MAIL parameters)
//! rcpt options: [['NOTIFY=NEVER'], []]            (only when a recipient had parameters)
//!                                                 (blank, after either line)
//! Subject: hello
//! X-Peer: 192.0.2.1:40000                         (at the first empty line)
//!
//! body
//! ------------ END MESSAGE ------------
//! ```
//!
//! Lines are split at CRLF, CR or LF and printed with LF, decoded as UTF-8 (invalid bytes
//! become U+FFFD); a message without an empty line gets no `X-Peer`, as in aiosmtpd. The peer
//! is the real client (`session.client`) written as `address:port`, where aiosmtpd prints a
//! Python tuple.
//!
//! **Writing.** The whole report is formatted in memory, then written with one `write_all`
//! and a flush, under a lock, on tokio's blocking pool (`spawn_blocking`). So a slow reader of
//! the output (a pipe, a terminal paused with Ctrl-S) never stalls the runtime, and messages
//! delivered at the same time never interleave: `tokio::io::stdout` would not give that, as it
//! may split one write into several chunks that concurrent writers interleave.

use std::fmt;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use smtp_auth::ServerInfo;
use smtp_proto::reply::Reply;

use super::error::HandlerError;
use crate::handler::{Handler, HookResult};
use crate::session::{Envelope, Session};

/// The first line of every report.
const HEADER: &str = "---------- MESSAGE FOLLOWS ----------";
/// The last line of every report.
const FOOTER: &str = "------------ END MESSAGE ------------";

/// A writer shared by every session of a server.
type SharedWriter = Arc<Mutex<Box<dyn Write + Send>>>;

/// Prints each message with its MAIL options and peer, then answers `250 2.0.0 OK`.
#[derive(Clone)]
pub struct Debugging {
    out: SharedWriter,
}

impl Debugging {
    /// Prints to standard output (aiosmtpd's default).
    pub fn stdout() -> Self {
        Self::new(std::io::stdout())
    }

    /// Prints to standard error.
    pub fn stderr() -> Self {
        Self::new(std::io::stderr())
    }

    /// Prints to `writer` (a file, a buffer in tests). It is written from tokio's blocking
    /// pool, one whole report at a time.
    pub fn new(writer: impl Write + Send + 'static) -> Self {
        Self { out: Arc::new(Mutex::new(Box::new(writer))) }
    }
}

impl fmt::Debug for Debugging {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Debugging").finish_non_exhaustive()
    }
}

#[async_trait]
impl Handler for Debugging {
    async fn data(
        &self,
        _server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        let content = envelope.content.as_deref().ok_or(HandlerError::NoContent)?;
        let report = report(&session.client.to_string(), envelope, content);
        let out = Arc::clone(&self.out);
        tokio::task::spawn_blocking(move || {
            let mut out = out.lock().unwrap_or_else(PoisonError::into_inner);
            out.write_all(report.as_bytes())?;
            out.flush()
        })
        .await
        .map_err(HandlerError::from)?
        .map_err(HandlerError::from)?;
        Ok(Reply::ok())
    }
}

/// The whole report for one message.
fn report(peer: &str, envelope: &Envelope, content: &[u8]) -> String {
    let mut out = String::with_capacity(content.len() + 256);
    push_line(&mut out, HEADER);
    let mut separator = false;
    if !envelope.mail_options.is_empty() {
        push_line(&mut out, &format!("mail options: {}", py_list(&envelope.mail_options)));
        separator = true;
    }
    if envelope.rcpt_options.iter().any(|options| !options.is_empty()) {
        let lists: Vec<String> = envelope.rcpt_options.iter().map(|o| py_list(o)).collect();
        push_line(&mut out, &format!("rcpt options: [{}]", lists.join(", ")));
        separator = true;
    }
    if separator {
        push_line(&mut out, "");
    }
    let mut in_headers = true;
    for line in split_lines(content) {
        if in_headers && line.is_empty() {
            push_line(&mut out, &format!("X-Peer: {peer}"));
            in_headers = false;
        }
        push_line(&mut out, &String::from_utf8_lossy(line));
    }
    push_line(&mut out, FOOTER);
    out
}

/// Appends `line` and a LF.
fn push_line(out: &mut String, line: &str) {
    out.push_str(line);
    out.push('\n');
}

/// Python's `bytes.splitlines()`: lines split at CRLF, CR or LF, without the endings; no
/// empty last line for a trailing ending.
fn split_lines(content: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = content;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let Some(end) = rest.iter().position(|&b| b == b'\r' || b == b'\n') else {
            return Some(std::mem::take(&mut rest));
        };
        let (line, tail) = rest.split_at(end);
        let skip = if tail.starts_with(b"\r\n") { 2 } else { 1 };
        rest = tail.get(skip..).unwrap_or_default();
        Some(line)
    })
}

/// A Python list of strings as `repr` prints it: `['A', 'B']`.
fn py_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|item| py_str(item)).collect();
    format!("[{}]", items.join(", "))
}

/// A Python string as `repr` prints it.
fn py_str(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::session::PeerAddr;

    /// A writer whose bytes the test can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    async fn print(
        mail_options: &[&str],
        rcpt_options: Vec<Vec<String>>,
        content: &[u8],
    ) -> String {
        let captured = Captured::default();
        let handler = Debugging::new(captured.clone());
        let mut session = Session::new(7, PeerAddr::Tcp("192.0.2.1:40000".parse().unwrap()));
        let mut envelope = Envelope {
            mail_options: mail_options.iter().map(|&o| o.to_owned()).collect(),
            rcpt_options,
            content: Some(Bytes::copy_from_slice(content)),
            ..Envelope::default()
        };
        let reply = handler.data(&ServerInfo::new("mx"), &mut session, &mut envelope).await;
        assert_eq!(reply.unwrap().to_string(), "250 2.0.0 OK");
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[tokio::test]
    async fn prints_exactly_what_aiosmtpd_prints() {
        // (MAIL options, RCPT options, content, the printed report)
        type Case = (&'static [&'static str], Vec<Vec<String>>, &'static [u8], &'static str);
        let cases: Vec<Case> = vec![
            (
                &[],
                vec![vec![]],
                b"Subject: hi\r\nFrom: a@x\r\n\r\nline 1\r\n\r\nline 3\r\n",
                "---------- MESSAGE FOLLOWS ----------\nSubject: hi\nFrom: a@x\n\
                 X-Peer: 192.0.2.1:40000\n\nline 1\n\nline 3\n------------ END MESSAGE ------------\n",
            ),
            (
                &["SIZE=100", "BODY=8BITMIME"],
                vec![],
                b"Subject: hi\n\nbody",
                "---------- MESSAGE FOLLOWS ----------\nmail options: ['SIZE=100', 'BODY=8BITMIME']\n\n\
                 Subject: hi\nX-Peer: 192.0.2.1:40000\n\nbody\n------------ END MESSAGE ------------\n",
            ),
            (
                &[],
                vec![vec!["NOTIFY=NEVER".into()], vec![]],
                b"no separator\rbare cr\r\n",
                "---------- MESSAGE FOLLOWS ----------\nrcpt options: [['NOTIFY=NEVER'], []]\n\n\
                 no separator\nbare cr\n------------ END MESSAGE ------------\n",
            ),
            (
                &[],
                vec![],
                b"",
                "---------- MESSAGE FOLLOWS ----------\n------------ END MESSAGE ------------\n",
            ),
            (
                &["X='Q'"],
                vec![],
                b"\xffbad utf-8\r\n\r\n",
                "---------- MESSAGE FOLLOWS ----------\nmail options: [\"X='Q'\"]\n\n\
                 \u{fffd}bad utf-8\nX-Peer: 192.0.2.1:40000\n\n------------ END MESSAGE ------------\n",
            ),
        ];
        for (mail_options, rcpt_options, content, want) in cases {
            let got = print(mail_options, rcpt_options, content).await;
            assert_eq!(got, want, "content {:?}", String::from_utf8_lossy(content));
        }
    }

    #[test]
    fn python_string_repr() {
        for (text, want) in [
            ("plain", "'plain'"),
            ("it's", "\"it's\""),
            ("'\"", "'\\'\"'"),
            ("a\\b\tc\u{1}", "'a\\\\b\\tc\\x01'"),
        ] {
            assert_eq!(py_str(text), want);
        }
    }

    #[tokio::test]
    async fn a_failing_writer_is_an_error() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("closed"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let handler = Debugging::new(Broken);
        let mut session = Session::new(1, PeerAddr::Memory("t".into()));
        let mut envelope = Envelope { content: Some(Bytes::new()), ..Envelope::default() };
        let result = handler.data(&ServerInfo::new("mx"), &mut session, &mut envelope).await;
        assert!(result.unwrap_err().to_string().contains("closed"));
    }
}
