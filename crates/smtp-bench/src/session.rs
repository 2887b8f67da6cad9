//! One SMTP session as a script: connect, greeting, EHLO, optionally STARTTLS and AUTH PLAIN,
//! then the messages (one command at a time, or pipelined as RFC 2920 allows), then QUIT.
//! Every reply code is checked; the first wrong one ends the session.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;

use crate::args::{Credentials, Script};
use crate::conn::{Conn, SessionError, Step};
use crate::message::{DATA, MAIL, RCPT, TRANSACTION};
use crate::stats::Samples;

const EHLO: &[u8] = b"EHLO load.example.org\r\n";

/// What every session of a run shares.
#[derive(Clone)]
pub struct SessionContext {
    /// The server.
    pub target: SocketAddr,
    /// Per connect, read and write.
    pub io_timeout: Duration,
    /// Pipelining on.
    pub pipelining: bool,
    /// The message with its final dot.
    pub body: Arc<[u8]>,
    /// `AUTH PLAIN <base64>\r\n`, when authenticating.
    pub auth_line: Option<Arc<[u8]>>,
    /// The TLS client, when starting TLS.
    pub tls: Option<TlsConnector>,
}

impl SessionContext {
    /// The context for `script`.
    pub fn new(
        target: SocketAddr,
        io_timeout: Duration,
        script: &Script,
        body: Arc<[u8]>,
    ) -> Result<Self, rustls::Error> {
        let tls = match script.starttls {
            true => Some(crate::tls::connector(script.tls_resumption)?),
            false => None,
        };
        Ok(Self {
            target,
            io_timeout,
            pipelining: script.pipelining,
            body,
            auth_line: script.auth.as_ref().map(auth_plain_line),
            tls,
        })
    }
}

/// `AUTH PLAIN` with the initial response `\0user\0password` in base64 (RFC 4616).
pub fn auth_plain_line(credentials: &Credentials) -> Arc<[u8]> {
    let raw = format!("\0{}\0{}", credentials.user, credentials.password);
    let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
    format!("AUTH PLAIN {encoded}\r\n").into_bytes().into()
}

/// How a session went: messages accepted, and the error that ended it early, if any.
#[derive(Debug)]
pub struct SessionOutcome {
    /// Messages accepted.
    pub ok: u32,
    /// The error, if the session did not end with `221`.
    pub error: Option<SessionError>,
}

/// Connects and greets: the `220`, then EHLO.
pub async fn open(
    target: SocketAddr,
    io_timeout: Duration,
) -> Result<Conn<TcpStream>, SessionError> {
    let stream = match timeout(io_timeout, TcpStream::connect(target)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(source)) => return Err(SessionError::Io { step: Step::Connect, source }),
        Err(_) => return Err(SessionError::Timeout(Step::Connect)),
    };
    stream.set_nodelay(true).map_err(|source| SessionError::Io { step: Step::Connect, source })?;
    let mut conn = Conn::new(stream, io_timeout);
    conn.expect(220, Step::Greeting).await?;
    conn.send(EHLO, Step::Ehlo).await?;
    conn.expect(250, Step::Ehlo).await?;
    Ok(conn)
}

/// Runs one session sending `messages` messages, recording each accepted one's latency.
pub async fn run(ctx: &SessionContext, messages: u32, samples: &mut Samples) -> SessionOutcome {
    let mut ok = 0;
    let error = run_counted(ctx, messages, samples, &mut ok).await.err();
    SessionOutcome { ok, error }
}

async fn run_counted(
    ctx: &SessionContext,
    messages: u32,
    samples: &mut Samples,
    ok: &mut u32,
) -> Result<(), SessionError> {
    let mut conn = open(ctx.target, ctx.io_timeout).await?;
    let Some(tls) = &ctx.tls else {
        return transact(ctx, &mut conn, messages, samples, ok).await;
    };
    conn.send(b"STARTTLS\r\n", Step::StartTls).await?;
    conn.expect(220, Step::StartTls).await?;
    let io_timeout = conn.io_timeout();
    let tcp = conn.into_stream()?;
    let name = crate::tls::server_name(ctx.target.ip());
    let stream = match timeout(io_timeout, tls.connect(name, tcp)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(source)) => return Err(SessionError::Io { step: Step::StartTls, source }),
        Err(_) => return Err(SessionError::Timeout(Step::StartTls)),
    };
    let mut conn = Conn::new(stream, io_timeout);
    conn.send(EHLO, Step::Ehlo).await?;
    conn.expect(250, Step::Ehlo).await?;
    transact(ctx, &mut conn, messages, samples, ok).await
}

/// AUTH if asked, the messages, QUIT.
async fn transact<S: AsyncRead + AsyncWrite + Unpin>(
    ctx: &SessionContext,
    conn: &mut Conn<S>,
    messages: u32,
    samples: &mut Samples,
    ok: &mut u32,
) -> Result<(), SessionError> {
    if let Some(line) = &ctx.auth_line {
        conn.send(line, Step::Auth).await?;
        conn.expect(235, Step::Auth).await?;
    }
    if ctx.pipelining {
        pipelined(ctx, conn, messages, samples, ok).await
    } else {
        lockstep(ctx, conn, messages, samples, ok).await?;
        conn.send(b"QUIT\r\n", Step::Quit).await?;
        conn.expect(221, Step::Quit).await
    }
}

/// One command, one reply.
async fn lockstep<S: AsyncRead + AsyncWrite + Unpin>(
    ctx: &SessionContext,
    conn: &mut Conn<S>,
    messages: u32,
    samples: &mut Samples,
    ok: &mut u32,
) -> Result<(), SessionError> {
    for _ in 0..messages {
        let started = Instant::now();
        conn.send(MAIL, Step::Mail).await?;
        conn.expect(250, Step::Mail).await?;
        conn.send(RCPT, Step::Rcpt).await?;
        conn.expect(250, Step::Rcpt).await?;
        conn.send(DATA, Step::Data).await?;
        conn.expect(354, Step::Data).await?;
        conn.send(&ctx.body, Step::EndOfData).await?;
        conn.expect(250, Step::EndOfData).await?;
        samples.record(started.elapsed());
        *ok += 1;
    }
    Ok(())
}

/// MAIL, RCPT and DATA in one write; then each body in one write with the next transaction's
/// three commands (or QUIT) behind it. A message's latency runs from the write that carried
/// its MAIL to the `250` after its dot.
async fn pipelined<S: AsyncRead + AsyncWrite + Unpin>(
    ctx: &SessionContext,
    conn: &mut Conn<S>,
    messages: u32,
    samples: &mut Samples,
    ok: &mut u32,
) -> Result<(), SessionError> {
    let mut out = Vec::with_capacity(ctx.body.len() + TRANSACTION.len());
    let mut started = Instant::now();
    conn.send(TRANSACTION, Step::Mail).await?;
    expect_transaction(conn).await?;
    for index in 0..messages {
        let last = index + 1 == messages;
        out.clear();
        out.extend_from_slice(&ctx.body);
        out.extend_from_slice(if last { b"QUIT\r\n" } else { TRANSACTION });
        let next_started = Instant::now();
        conn.send(&out, Step::EndOfData).await?;
        conn.expect(250, Step::EndOfData).await?;
        samples.record(started.elapsed());
        *ok += 1;
        started = next_started;
        if last {
            conn.expect(221, Step::Quit).await?;
        } else {
            expect_transaction(conn).await?;
        }
    }
    Ok(())
}

async fn expect_transaction<S: AsyncRead + AsyncWrite + Unpin>(
    conn: &mut Conn<S>,
) -> Result<(), SessionError> {
    conn.expect(250, Step::Mail).await?;
    conn.expect(250, Step::Rcpt).await?;
    conn.expect(354, Step::Data).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_plain_initial_response() {
        let credentials = Credentials { user: "alice".into(), password: "wonderland".into() };
        assert_eq!(&*auth_plain_line(&credentials), b"AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=\r\n");
    }
}
