//! Criterion benchmarks for whole in-process SMTP sessions: `Server::serve_connection` with the
//! `Sink` handler over a `tokio::io::duplex` pipe, on a current-thread runtime.
//!
//! - `session/one_message`: greeting, EHLO, MAIL + RCPT + DATA (pipelined), a 1 KiB body, QUIT
//!   (pipelined after the final dot); sessions per second.
//! - `session/pipelined_100`: one session carrying 100 such messages, each message's final dot
//!   sent together with the next MAIL, RCPT and DATA; messages per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smtpd::server::handlers::Sink;
use smtpd::server::{PeerAddr, Server, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::runtime::Runtime;

/// Bytes the in-memory pipe buffers in each direction.
const PIPE: usize = 64 * 1024;
/// Messages in the pipelined session.
const MESSAGES: u64 = 100;

const EHLO: &[u8] = b"EHLO client.example.org\r\n";
const ENVELOPE: &[u8] = b"MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n";
const QUIT: &[u8] = b"QUIT\r\n";

/// A 1 KiB message (headers and text lines), ending in the final dot.
fn message() -> Vec<u8> {
    let mut body = b"From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\n\
Subject: benchmark\r\nMessage-ID: <bench@example.org>\r\n\r\n"
        .to_vec();
    let line = b"The quick brown fox jumps over the lazy dog, again and again.\r\n";
    while body.len() + line.len() <= 1024 {
        body.extend_from_slice(line);
    }
    body.resize(1022, b'x');
    body.extend_from_slice(b"\r\n.\r\n");
    body
}

/// The client end of a session: writes commands, reads complete replies.
struct Client {
    stream: DuplexStream,
    input: Vec<u8>,
}

impl Client {
    /// Starts a session with `server` in a task of the current runtime.
    fn connect(server: &Server) -> Self {
        let (client, server_end) = tokio::io::duplex(PIPE);
        let server = server.clone();
        tokio::spawn(async move {
            server.serve_connection(server_end, PeerAddr::Memory(String::from("bench"))).await;
        });
        Self { stream: client, input: Vec::with_capacity(PIPE) }
    }

    async fn send(&mut self, bytes: &[u8]) {
        if let Err(error) = self.stream.write_all(bytes).await {
            panic!("the server stopped reading: {error}");
        }
    }

    /// Reads until `count` complete replies have arrived (leaving any later ones buffered);
    /// returns the last reply's code.
    async fn replies(&mut self, count: usize) -> u16 {
        let mut seen = 0;
        let mut last = 0;
        let mut start = 0;
        loop {
            while seen < count {
                let rest = self.input.get(start..).unwrap_or_default();
                let Some(end) = rest.iter().position(|&byte| byte == b'\n') else { break };
                if rest.get(3) == Some(&b' ') {
                    seen += 1;
                    last = reply_code(rest);
                }
                start += end + 1;
            }
            if seen == count {
                self.input.drain(..start);
                return last;
            }
            match self.stream.read_buf(&mut self.input).await {
                Ok(0) => panic!("session ended after {seen} of {count} replies"),
                Err(error) => panic!("read failed after {seen} of {count} replies: {error}"),
                Ok(_) => {}
            }
        }
    }

    /// Waits for the server to close its end.
    async fn closed(&mut self) {
        self.input.clear();
        while matches!(self.stream.read_buf(&mut self.input).await, Ok(read) if read > 0) {}
    }
}

/// The code at the start of a reply line (0 when there is none).
fn reply_code(line: &[u8]) -> u16 {
    line.iter().take(3).fold(0, |code, &digit| code * 10 + u16::from(digit.wrapping_sub(b'0') % 10))
}

/// One session: one message, QUIT. Returns the codes that matter, for the setup check.
async fn one_message(server: &Server, message: &[u8]) -> [u16; 5] {
    let mut client = Client::connect(server);
    let greeting = client.replies(1).await;
    client.send(EHLO).await;
    let ehlo = client.replies(1).await;
    client.send(ENVELOPE).await;
    let data = client.replies(3).await;
    let mut tail = message.to_vec();
    tail.extend_from_slice(QUIT);
    client.send(&tail).await;
    let accepted = client.replies(1).await;
    let quit = client.replies(1).await;
    client.closed().await;
    [greeting, ehlo, data, accepted, quit]
}

/// One session carrying [`MESSAGES`] messages. Returns how many were accepted.
async fn pipelined(server: &Server, message: &[u8]) -> u64 {
    let mut client = Client::connect(server);
    client.replies(1).await;
    client.send(EHLO).await;
    client.replies(1).await;
    client.send(ENVELOPE).await;
    client.replies(3).await;
    let mut next = message.to_vec();
    next.extend_from_slice(ENVELOPE);
    let mut accepted = 0;
    for _ in 1..MESSAGES {
        client.send(&next).await;
        client.replies(1).await;
        accepted += u64::from(client.replies(1).await == 250);
        client.replies(2).await;
    }
    let mut last = message.to_vec();
    last.extend_from_slice(QUIT);
    client.send(&last).await;
    accepted += u64::from(client.replies(1).await == 250);
    client.replies(1).await;
    client.closed().await;
    accepted
}

fn runtime() -> Runtime {
    match tokio::runtime::Builder::new_current_thread().enable_time().build() {
        Ok(runtime) => runtime,
        Err(error) => panic!("no tokio runtime: {error}"),
    }
}

fn session(c: &mut Criterion) {
    let runtime = runtime();
    let message = message();
    let server = Server::new(ServerConfig::default(), Sink);
    let codes = runtime.block_on(one_message(&server, &message));
    assert_eq!(codes, [220, 250, 354, 250, 221]);
    assert_eq!(runtime.block_on(pipelined(&server, &message)), MESSAGES);

    let mut group = c.benchmark_group("session");
    group.throughput(Throughput::Elements(1));
    group.bench_function("one_message", |b| {
        b.iter(|| runtime.block_on(one_message(black_box(&server), &message)))
    });
    group.throughput(Throughput::Elements(MESSAGES));
    group.bench_function("pipelined_100", |b| {
        b.iter(|| runtime.block_on(pipelined(black_box(&server), &message)))
    });
    group.finish();
}

criterion_group!(benches, session);
criterion_main!(benches);
