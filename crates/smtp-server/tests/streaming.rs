//! Streaming bodies ([`Handler::open_body`] and [`BodySink`]): what the sink receives, in how
//! many pieces, and which of `finish` and `abort` ends it — for DATA and BDAT, a message over
//! the size limit, a client that leaves mid-DATA, and a sink that fails.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use common::{TestClient, WAIT, config};
use smtp_server::handler::{BodySink, Handler, HookResult};
use smtp_server::smtp_auth::ServerInfo;
use smtp_server::smtp_proto::reply::Reply;
use smtp_server::{Envelope, ServerConfig, Session};
use tokio::io::DuplexStream;

/// What happened to one sink, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Event {
    /// `write` with this piece.
    Write(Vec<u8>),
    /// `finish`, with whether `envelope.content` was `None` and the recipients.
    Finish { content_was_none: bool, rcpt_tos: Vec<String> },
    /// `abort`.
    Abort,
}

type Log = Arc<Mutex<Vec<Event>>>;

/// One sink's log, checked by the tests.
#[derive(Debug)]
struct SinkRecord(Vec<Event>);

impl SinkRecord {
    fn writes(&self) -> Vec<&[u8]> {
        self.0
            .iter()
            .filter_map(|event| match event {
                Event::Write(chunk) => Some(chunk.as_slice()),
                _ => None,
            })
            .collect()
    }

    fn body(&self) -> Vec<u8> {
        self.writes().concat()
    }

    /// The events after the writes: exactly one `finish` or `abort`, and nothing after it.
    fn ending(&self) -> &Event {
        let endings: Vec<&Event> =
            self.0.iter().filter(|event| !matches!(event, Event::Write(_))).collect();
        assert_eq!(endings.len(), 1, "one ending expected: {:?}", endings);
        assert_eq!(self.0.last(), endings.first().copied(), "writes after the ending");
        endings[0]
    }
}

/// A sink that logs everything; it fails its writes when `fail` is set.
struct RecordingSink {
    log: Log,
    fail: bool,
}

#[async_trait]
impl BodySink for RecordingSink {
    async fn write(&mut self, chunk: &[u8]) -> HookResult<()> {
        self.log.lock().unwrap().push(Event::Write(chunk.to_vec()));
        if self.fail {
            return Err("the disk is full".into());
        }
        Ok(())
    }

    async fn finish(
        self: Box<Self>,
        _server: &ServerInfo,
        _session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        self.log.lock().unwrap().push(Event::Finish {
            content_was_none: envelope.content.is_none() && envelope.original_content.is_none(),
            rcpt_tos: envelope.rcpt_tos.iter().map(ToString::to_string).collect(),
        });
        Ok(Reply::ok())
    }

    async fn abort(self: Box<Self>) {
        self.log.lock().unwrap().push(Event::Abort);
    }
}

/// A streaming handler: one [`RecordingSink`] per message; the first `failing` sinks fail.
#[derive(Clone, Default)]
struct Streaming {
    sinks: Arc<Mutex<Vec<Log>>>,
    failing: Arc<AtomicUsize>,
    buffered_data_calls: Arc<AtomicUsize>,
}

impl Streaming {
    fn failing_first(count: usize) -> Self {
        let handler = Self::default();
        handler.failing.store(count, Ordering::SeqCst);
        handler
    }

    fn records(&self) -> Vec<SinkRecord> {
        let sinks = self.sinks.lock().unwrap();
        sinks.iter().map(|log| SinkRecord(log.lock().unwrap().clone())).collect()
    }

    fn only(&self) -> SinkRecord {
        let mut records = self.records();
        assert_eq!(records.len(), 1, "one sink expected: {records:?}");
        records.remove(0)
    }
}

#[async_trait]
impl Handler for Streaming {
    async fn open_body(
        &self,
        _server: &ServerInfo,
        _session: &mut Session,
        _envelope: &mut Envelope,
    ) -> HookResult<Option<Box<dyn BodySink>>> {
        let log = Log::default();
        self.sinks.lock().unwrap().push(Arc::clone(&log));
        let fail = self
            .failing
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        Ok(Some(Box::new(RecordingSink { log, fail })))
    }

    async fn data(&self, _: &ServerInfo, _: &mut Session, _: &mut Envelope) -> HookResult {
        self.buffered_data_calls.fetch_add(1, Ordering::SeqCst);
        Ok(Reply::ok())
    }
}

/// A body of about `size` octets in 100-octet lines; every seventh line starts with a dot.
/// Returns (the body as meant, the body dot-stuffed for DATA).
fn body_of(size: usize) -> (Vec<u8>, Vec<u8>) {
    let (mut body, mut stuffed) = (Vec::with_capacity(size), Vec::with_capacity(size + size / 50));
    let mut number = 0usize;
    while body.len() < size {
        let dot = if number.is_multiple_of(7) { "." } else { "" };
        let line = format!("{dot}line {number:08}: {}\r\n", "x".repeat(80));
        body.extend_from_slice(line.as_bytes());
        if !dot.is_empty() {
            stuffed.push(b'.');
        }
        stuffed.extend_from_slice(line.as_bytes());
        number += 1;
    }
    (body, stuffed)
}

/// Sends a large body, failing the test if the server stops reading it (the pipe holds only
/// 1 MiB, so a server that stalls would otherwise block the test forever).
async fn send_body(client: &mut TestClient<DuplexStream>, bytes: &[u8]) {
    tokio::time::timeout(WAIT, client.send_raw(bytes)).await.expect("the server stopped reading");
}

/// A started, greeted client with one recipient in the envelope.
async fn in_transaction(
    server_config: ServerConfig,
    handler: Streaming,
) -> TestClient<DuplexStream> {
    let mut c = TestClient::start(server_config, handler).await;
    c.expect(220).await;
    c.ehlo().await;
    c.cmd("MAIL FROM:<alice@example.com>", 250).await;
    c.cmd("RCPT TO:<bob@example.com>", 250).await;
    c
}

#[tokio::test]
async fn a_five_mib_message_arrives_in_several_chunks_and_whole() {
    let handler = Streaming::default();
    let mut c = in_transaction(config(), handler.clone()).await;
    let (body, stuffed) = body_of(5 * 1024 * 1024);
    c.cmd("DATA", 354).await;
    send_body(&mut c, &stuffed).await;
    c.send_raw(b".\r\n").await;
    c.expect_text("250 2.0.0 OK").await;
    c.cmd("QUIT", 221).await;

    let record = handler.only();
    let writes = record.writes();
    assert!(writes.len() > 2, "{} writes", writes.len());
    assert!(writes.iter().all(|chunk| !chunk.is_empty()));
    assert!(record.body() == body, "the concatenated chunks differ from the sent body");
    let finish =
        Event::Finish { content_was_none: true, rcpt_tos: vec!["<bob@example.com>".into()] };
    assert_eq!(record.ending(), &finish);
    assert_eq!(handler.buffered_data_calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn bdat_chunks_go_through_the_sink_unchanged() {
    let handler = Streaming::default();
    let mut c = in_transaction(config(), handler.clone()).await;
    // BDAT octets are never unstuffed: leading dots and a lone dot line stay as sent.
    let (_, stuffed) = body_of(300 * 1024);
    let pieces = [&stuffed[..100_000], &stuffed[100_000..270_000], &stuffed[270_000..]];
    for (index, piece) in pieces.iter().enumerate() {
        let last = if index == pieces.len() - 1 { " LAST" } else { "" };
        c.send_raw(format!("BDAT {}{last}\r\n", piece.len()).as_bytes()).await;
        send_body(&mut c, piece).await;
        let reply = c.read_reply().await.unwrap();
        let expected = if last.is_empty() {
            format!("250 2.0.0 {} octets received\r\n", piece.len())
        } else {
            "250 2.0.0 OK\r\n".to_owned()
        };
        assert_eq!(reply, expected);
    }
    c.cmd("QUIT", 221).await;

    let record = handler.only();
    assert!(record.writes().len() > 2, "{} writes", record.writes().len());
    assert!(record.body() == stuffed, "the concatenated chunks differ from the BDAT octets");
    assert!(matches!(record.ending(), Event::Finish { content_was_none: true, .. }));
}

#[tokio::test]
async fn a_message_over_the_size_limit_aborts_the_sink_and_gets_552() {
    let handler = Streaming::default();
    let limit = 200_000;
    let server_config = ServerConfig { data_size_limit: Some(limit), ..config() };
    let mut c = in_transaction(server_config, handler.clone()).await;
    let (_, stuffed) = body_of(600_000);
    c.cmd("DATA", 354).await;
    send_body(&mut c, &stuffed).await;
    c.send_raw(b".\r\n").await;
    c.expect_text("552 5.3.4 Error: Too much mail data").await;
    // The session goes on with a fresh transaction.
    c.cmd("RCPT TO:<bob@example.com>", 503).await;
    c.cmd("QUIT", 221).await;

    let record = handler.only();
    assert_eq!(record.ending(), &Event::Abort);
    let written = record.body().len() as u64;
    assert!(written <= limit, "{written} octets reached the sink past the {limit} limit");
}

/// How a test abandons a message in progress.
#[derive(Clone, Copy, Debug)]
enum Abandon {
    /// DATA, part of the body, then the client disconnects.
    LeaveMidData,
    /// BDAT, part of its chunk, then the client disconnects.
    LeaveMidChunk,
    /// A whole BDAT chunk (not LAST), then the client disconnects.
    LeaveBetweenChunks,
    /// A whole BDAT chunk (not LAST), then RSET.
    RsetBetweenChunks,
    /// A whole BDAT chunk (not LAST), then QUIT.
    QuitBetweenChunks,
}

#[tokio::test]
async fn an_abandoned_message_aborts_the_sink() {
    let cases = [
        Abandon::LeaveMidData,
        Abandon::LeaveMidChunk,
        Abandon::LeaveBetweenChunks,
        Abandon::RsetBetweenChunks,
        Abandon::QuitBetweenChunks,
    ];
    for case in cases {
        let handler = Streaming::default();
        let mut c = in_transaction(config(), handler.clone()).await;
        let (_, stuffed) = body_of(200_000);
        match case {
            Abandon::LeaveMidData => {
                c.cmd("DATA", 354).await;
                send_body(&mut c, &stuffed).await;
            }
            Abandon::LeaveMidChunk => {
                c.send_raw(format!("BDAT {}\r\n", stuffed.len() * 2).as_bytes()).await;
                send_body(&mut c, &stuffed).await;
            }
            Abandon::LeaveBetweenChunks
            | Abandon::RsetBetweenChunks
            | Abandon::QuitBetweenChunks => {
                c.send_raw(format!("BDAT {}\r\n", stuffed.len()).as_bytes()).await;
                send_body(&mut c, &stuffed).await;
                c.expect(250).await;
            }
        }
        if let Abandon::RsetBetweenChunks | Abandon::QuitBetweenChunks = case {
            if let Abandon::RsetBetweenChunks = case {
                c.cmd("RSET", 250).await;
            }
            c.cmd("QUIT", 221).await;
            c.finished().await;
        } else {
            let server_task = c.server_task.take().unwrap();
            drop(c);
            tokio::time::timeout(WAIT, server_task)
                .await
                .expect("the session did not end")
                .unwrap();
        }

        let record = handler.only();
        assert_eq!(record.ending(), &Event::Abort, "{case:?}");
        assert!(!record.writes().is_empty(), "{case:?}: some of the body should be streamed first");
    }
}

#[tokio::test]
async fn a_failing_sink_gets_451_and_the_next_transaction_works() {
    let handler = Streaming::failing_first(1);
    let mut c = in_transaction(config(), handler.clone()).await;
    let (body, stuffed) = body_of(150_000);
    c.cmd("DATA", 354).await;
    send_body(&mut c, &stuffed).await;
    c.send_raw(b".\r\n").await;
    c.expect_text("451 4.3.0 Error: internal server error").await;
    // The envelope is gone; a new transaction on the same session is delivered.
    c.cmd("DATA", 503).await;
    c.cmd("MAIL FROM:<alice@example.com>", 250).await;
    c.cmd("RCPT TO:<carol@example.com>", 250).await;
    c.cmd("DATA", 354).await;
    send_body(&mut c, &stuffed).await;
    c.send_raw(b".\r\n").await;
    c.expect_text("250 2.0.0 OK").await;
    c.cmd("QUIT", 221).await;

    let records = handler.records();
    assert_eq!(records.len(), 2, "{records:?}");
    // The failing sink saw one write (nothing after its error) and was aborted.
    assert_eq!(records[0].writes().len(), 1, "writes after a failure");
    assert_eq!(records[0].ending(), &Event::Abort);
    assert!(records[1].body() == body);
    let finish =
        Event::Finish { content_was_none: true, rcpt_tos: vec!["<carol@example.com>".into()] };
    assert_eq!(records[1].ending(), &finish);
}
