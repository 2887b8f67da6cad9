//! # A sink in a few lines, plus a client sending to it
//!
//! The server part is what you need to receive mail: a handler (what to do with a message), a
//! [`ServerConfig`] (every setting has a default) and the addresses to listen on. This handler
//! accepts every message, prints one line about it and forgets it, like aiosmtpd's
//! `examples/basic/server.py` with its `Sink`.
//!
//! So that the example checks itself, the same program then plays the client: it connects,
//! sends one message, prints the conversation, stops the server gracefully and exits 0.
//!
//! ```sh
//! cargo run --example basic_server                          # listens on 127.0.0.1:8025
//! cargo run --example basic_server -- --listen 127.0.0.1:0  # port 0: any free port
//! ```

use std::error::Error;
use std::fmt;
use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::Duration;

use smtpd::proto::reply::Reply;
use smtpd::proto::reply::parse::ReplyParser;
use smtpd::server::handlers::Message;
use smtpd::server::{HookError, Listen, Server, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// Where the server listens unless `--listen ADDR` says otherwise (aiosmtpd's port).
const DEFAULT_LISTEN: &str = "127.0.0.1:8025";

/// The longest the client waits for the server at any step, so the program always ends.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// The message the client sends: header lines, an empty line, the body (CRLF line endings).
const MESSAGE: &str = "From: alice@example.com\r\n\
                       To: bob@example.com\r\n\
                       Subject: Hello from basic_server\r\n\
                       \r\n\
                       Hi Bob, this went through smtpd.\r\n";

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let report = run(listen_address()?).await?;
    println!("{report}");
    Ok(())
}

/// Starts the server on `listen`, sends it one message, stops it gracefully; returns what
/// happened.
async fn run(listen: SocketAddr) -> Result<Report, Box<dyn Error>> {
    // ---- The server -------------------------------------------------------------------------
    // `Message` parses each accepted message and awaits our closure with it and its envelope.
    // Ours prints a line and passes a summary to the client half of this demo (a channel).
    // Returning `Ok(())` makes the server answer `250 2.0.0 OK` after the final dot.
    let (arrived, arrivals) = mpsc::channel();
    let handler = Message::new(move |message, envelope| {
        let arrival = Arrival {
            from: envelope.mail_from.map(|path| path.to_string()).unwrap_or_default(),
            to: envelope.rcpt_tos.iter().map(ToString::to_string).collect(),
            subject: message.subject().unwrap_or_default().to_owned(),
        };
        println!("server: received {arrival}");
        let passed_on = arrived.send(arrival).map_err(|_| HookError::from("receiver gone"));
        async move { passed_on }
    });
    let server = Server::new(ServerConfig::default(), handler);
    let handle = server.start([Listen::Tcp(listen)]).await?;
    let address = handle.local_addr().ok_or("the server has no TCP listener")?;
    println!("server: listening on {address}");

    // ---- The client -------------------------------------------------------------------------
    let transcript = send_one_message(address).await;

    // ---- Graceful shutdown: stop accepting, let sessions finish, return when all is done. ---
    handle.shutdown().await;
    Ok(Report { address, transcript: transcript?, arrivals: arrivals.try_iter().collect() })
}

/// Reads `--listen ADDR` from the command line, or takes [`DEFAULT_LISTEN`].
fn listen_address() -> Result<SocketAddr, Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let listen = match (args.next().as_deref(), args.next(), args.next()) {
        (None, _, _) => DEFAULT_LISTEN.to_owned(),
        (Some("--listen"), Some(address), None) => address,
        _ => return Err("usage: basic_server [--listen ADDR]  (e.g. 127.0.0.1:0)".into()),
    };
    Ok(listen.parse()?)
}

/// What the handler saw of one message.
#[derive(Debug, PartialEq, Eq)]
struct Arrival {
    /// The envelope sender (MAIL FROM), as a path: `<alice@example.com>`.
    from: String,
    /// The envelope recipients (RCPT TO), as paths.
    to: Vec<String>,
    /// The `Subject:` header.
    subject: String,
}

impl fmt::Display for Arrival {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "from {} to {} {:?}", self.from, self.to.join(", "), self.subject)
    }
}

/// One step of the conversation: what the client sent (nothing for the greeting) and the
/// server's reply.
#[derive(Debug)]
struct Exchange {
    /// The client's line(s), without the final CRLF.
    sent: Option<String>,
    /// The server's answer.
    reply: Reply,
}

/// What [`run`] did: where the server listened, the conversation, the messages that arrived.
#[derive(Debug)]
struct Report {
    /// The server's real address (with the real port when port 0 was asked for).
    address: SocketAddr,
    /// The client's conversation, greeting first.
    transcript: Vec<Exchange>,
    /// What the server's handler received.
    arrivals: Vec<Arrival>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "conversation with {}:", self.address)?;
        for exchange in &self.transcript {
            for line in exchange.sent.iter().flat_map(|sent| sent.lines()) {
                writeln!(f, "  C: {line}")?;
            }
            for line in exchange.reply.to_string().lines() {
                writeln!(f, "  S: {line}")?;
            }
        }
        write!(f, "messages received: {}", self.arrivals.len())
    }
}

/// The client: greeting, EHLO, one message, QUIT. Each command must get the expected code.
async fn send_one_message(server: SocketAddr) -> Result<Vec<Exchange>, Box<dyn Error>> {
    let mut client = Client::connect(server).await?;
    let mut transcript = vec![client.expect(None, 220).await?];
    // After DATA's 354 the message goes out as-is, ended by a line holding only a dot. (A body
    // line starting with "." would need another "." in front: RFC 5321 §4.5.2.)
    let body = format!("{MESSAGE}.");
    let steps = [
        ("EHLO client.example", 250),
        ("MAIL FROM:<alice@example.com>", 250),
        ("RCPT TO:<bob@example.com>", 250),
        ("DATA", 354),
        (body.as_str(), 250),
        ("QUIT", 221),
    ];
    for (line, code) in steps {
        transcript.push(client.expect(Some(line), code).await?);
    }
    Ok(transcript)
}

/// A minimal SMTP client over TCP: writes lines, reads replies with the crate's own parser.
struct Client {
    stream: TcpStream,
    /// Bytes read but not yet parsed.
    unread: Vec<u8>,
    parser: ReplyParser,
}

impl Client {
    /// Connects to `server`.
    async fn connect(server: SocketAddr) -> Result<Self, Box<dyn Error>> {
        let stream = timeout(STEP_TIMEOUT, TcpStream::connect(server)).await??;
        Ok(Self { stream, unread: Vec::new(), parser: ReplyParser::new() })
    }

    /// Sends `line` (when given) with CRLF, reads the reply and checks its code.
    async fn expect(&mut self, line: Option<&str>, code: u16) -> Result<Exchange, Box<dyn Error>> {
        if let Some(line) = line {
            timeout(STEP_TIMEOUT, self.stream.write_all(format!("{line}\r\n").as_bytes()))
                .await??;
        }
        let reply = self.read_reply().await?;
        if reply.code().get() != code {
            return Err(format!("{line:?} got \"{reply}\", expected {code}").into());
        }
        Ok(Exchange { sent: line.map(str::to_owned), reply })
    }

    /// Reads until one complete reply (of one or more lines) has arrived.
    async fn read_reply(&mut self) -> Result<Reply, Box<dyn Error>> {
        loop {
            let parsed = self.parser.parse(&self.unread)?;
            self.unread.drain(..parsed.consumed);
            if let Some(reply) = parsed.reply {
                return Ok(reply);
            }
            if timeout(STEP_TIMEOUT, self.stream.read_buf(&mut self.unread)).await?? == 0 {
                return Err("the server closed the connection".into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_message_is_accepted_delivered_and_the_server_stops() {
        let report = run("127.0.0.1:0".parse().unwrap()).await.unwrap();

        // Port 0 was replaced by the real port.
        assert_eq!(report.address.ip().to_string(), "127.0.0.1");
        assert_ne!(report.address.port(), 0);

        // The conversation, step by step: what was sent and the reply's code and first line.
        let steps: Vec<(Option<&str>, u16, &str)> = report
            .transcript
            .iter()
            .map(|e| (e.sent.as_deref(), e.reply.code().get(), e.reply.text()))
            .collect();
        let body = format!("{MESSAGE}.");
        let ServerConfig { hostname, ident, .. } = ServerConfig::default();
        let greeting = format!("{hostname} {ident}");
        let expected: Vec<(Option<&str>, u16, &str)> = vec![
            (None, 220, &greeting),
            (Some("EHLO client.example"), 250, &hostname),
            (Some("MAIL FROM:<alice@example.com>"), 250, "OK"),
            (Some("RCPT TO:<bob@example.com>"), 250, "OK"),
            (Some("DATA"), 354, "End data with <CR><LF>.<CR><LF>"),
            (Some(&body), 250, "OK"),
            (Some("QUIT"), 221, "Bye"),
        ];
        assert_eq!(steps, expected);
        // The final dot's reply in full.
        assert_eq!(report.transcript[5].reply.to_string(), "250 2.0.0 OK");

        // The handler got exactly the message that was sent.
        let arrived = Arrival {
            from: "<alice@example.com>".into(),
            to: vec!["<bob@example.com>".into()],
            subject: "Hello from basic_server".into(),
        };
        assert_eq!(report.arrivals, [arrived]);

        // The printed report shows both sides.
        let printed = report.to_string();
        assert!(printed.contains("  C: Subject: Hello from basic_server\n"), "{printed}");
        assert!(printed.contains("  S: 221 2.0.0 Bye\n"), "{printed}");
        assert!(printed.ends_with("messages received: 1"), "{printed}");

        // After the graceful shutdown nothing listens any more.
        assert!(TcpStream::connect(report.address).await.is_err());
    }
}
