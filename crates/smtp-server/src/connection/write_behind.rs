//! The stream under a TLS connection: it holds back what the handshake writes, so that the
//! TLS 1.3 session ticket can leave with the first reply instead of in a segment of its own.
//!
//! rustls writes its `NewSessionTicket` as soon as it has read the client's `Finished`, and the
//! handshake ends by flushing it: one segment that carries nothing else, which the client's
//! kernel must receive and acknowledge. When the client's first command (the EHLO that follows
//! STARTTLS) came with its `Finished`, the server is about to answer it, and the ticket can
//! travel with that reply.
//!
//! - **During the handshake** every write is held and flushes send nothing; a read that finds
//!   nothing to read sends what is held first, so the server's flight leaves in one write
//!   exactly when the handshake starts waiting for the client's answer, and no handshake can
//!   stall.
//! - **After it** ([`finish_handshake`]) what is still held leaves with the next write, in the
//!   same system call, or at a flush or the shutdown, but only after TLS 1.3 and when a write
//!   is certain to come at once: the greeting, or the reply to a command line that came with
//!   the client's `Finished`. Otherwise it is sent at once, because a client may need it before
//!   it says anything more (the server's `Finished` after a TLS 1.2 handshake, or, for a client
//!   with Nagle's algorithm on, the acknowledgement of its `Finished` that the ticket carries).

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio_rustls::server::TlsStream;

/// Bytes held back beyond which a write no longer joins them (the first reply after a
/// handshake is far smaller; a larger write goes out after them, in a call of its own).
const JOIN_MAX: usize = 16 * 1024;

/// What the server does right after a TLS handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Next {
    /// Greets (implicit TLS): a write follows at once.
    Greeting,
    /// Waits for a command (after STARTTLS).
    Command,
}

/// Ends a successful handshake: what it left held waits for the next write when that write is
/// certain to follow at once (TLS 1.3, and the greeting or a command line already received);
/// otherwise it is sent now.
pub(super) async fn finish_handshake<S: AsyncWrite + Unpin>(
    tls: &mut TlsStream<WriteBehind<S>>,
    next: Next,
) -> io::Result<()> {
    let (stream, connection) = tls.get_mut();
    stream.handshake_done();
    let write_follows = match next {
        Next::Greeting => true,
        Next::Command => {
            connection.reader().into_first_chunk().is_ok_and(|bytes| bytes.contains(&b'\n'))
        }
    };
    let tls13 = connection.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3);
    if tls13 && write_follows { Ok(()) } else { stream.send_held().await }
}

/// `inner`, with writes held back as the [module](self) describes.
#[derive(Debug)]
pub(in crate::connection) struct WriteBehind<S> {
    inner: S,
    held: Vec<u8>,
    /// The handshake runs: every write is held and flushes send nothing.
    handshaking: bool,
}

impl<S> WriteBehind<S> {
    /// Wraps `inner` for a handshake.
    pub(super) fn new(inner: S) -> Self {
        Self { inner, held: Vec::new(), handshaking: true }
    }

    /// The handshake is over: what is held leaves with the next write, flush or shutdown.
    pub(super) fn handshake_done(&mut self) {
        self.handshaking = false;
    }

    /// The wrapped stream.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(in crate::connection) fn get_ref(&self) -> &S {
        &self.inner
    }

    /// What is held, for a caller that sends it another way (and drains what it sent).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(in crate::connection) fn held_mut(&mut self) -> &mut Vec<u8> {
        &mut self.held
    }
}

impl<S: AsyncWrite + Unpin> WriteBehind<S> {
    /// Sends everything held now.
    pub(super) async fn send_held(&mut self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.poll_send_held(cx)).await?;
        self.inner.flush().await
    }

    /// Writes what is held until all of it went (then gives its memory back).
    fn poll_send_held(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.held.is_empty() {
            let written = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.held))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.held.drain(..written);
        }
        self.held = Vec::new();
        Poll::Ready(Ok(()))
    }

    /// A write during the handshake, or while something is held: `bufs` join the held bytes
    /// (after the handshake, when there is room, and all of it is sent in one call); otherwise
    /// the held bytes go first.
    fn poll_write_after_held(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let len: usize = bufs.iter().map(|buf| buf.len()).sum();
        if self.handshaking {
            bufs.iter().for_each(|buf| self.held.extend_from_slice(buf));
            return Poll::Ready(Ok(len));
        }
        if self.held.len() + len > JOIN_MAX {
            ready!(self.poll_send_held(cx))?;
            return Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        }
        bufs.iter().for_each(|buf| self.held.extend_from_slice(buf));
        // The bytes are ours now: what the socket does not take yet goes at the next write,
        // flush or shutdown.
        match self.poll_send_held(cx) {
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Ready(Ok(())) | Poll::Pending => Poll::Ready(Ok(len)),
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for WriteBehind<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let read = Pin::new(&mut this.inner).poll_read(cx, buf);
        if read.is_pending() && this.handshaking && !this.held.is_empty() {
            // The handshake is about to wait for the client, which waits for what is held.
            if let Poll::Ready(Err(error)) = this.poll_send_held(cx) {
                return Poll::Ready(Err(error));
            }
        }
        read
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteBehind<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.held.is_empty() && !this.handshaking {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        }
        this.poll_write_after_held(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.held.is_empty() && !this.handshaking {
            return Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        }
        this.poll_write_after_held(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        // Held writes are gathered into one buffer whatever the inner stream does.
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.handshaking {
            return Poll::Ready(Ok(()));
        }
        ready!(this.poll_send_held(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_send_held(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::time::Duration;

    use rustls::HandshakeKind;
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

    use super::*;
    use crate::connection::tests::data_segments_in as segments_in;

    /// Whatever the client end can read without waiting.
    async fn available(client: &mut DuplexStream) -> Vec<u8> {
        let mut got = vec![0; 4096];
        match tokio::time::timeout(Duration::from_millis(20), client.read(&mut got)).await {
            Ok(read) => got.truncate(read.unwrap()),
            Err(_) => got.clear(),
        }
        got
    }

    /// Reads from `stream` with nothing to read: held bytes go.
    async fn read_would_wait(stream: &mut WriteBehind<DuplexStream>) {
        let mut read = [0u8; 16];
        let pending = tokio::time::timeout(Duration::from_millis(20), stream.read(&mut read));
        assert!(pending.await.is_err());
    }

    #[tokio::test]
    async fn handshake_writes_leave_when_a_read_has_to_wait() {
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let mut stream = WriteBehind::new(server);
        stream.write_all(b"server flight").await.unwrap();
        stream.flush().await.unwrap();
        assert_eq!(available(&mut client).await, b"");
        read_would_wait(&mut stream).await;
        assert_eq!(available(&mut client).await, b"server flight");

        // A read that finds bytes does not send what was written since.
        client.write_all(b"finished").await.unwrap();
        stream.write_all(b"ticket").await.unwrap();
        let mut read = [0u8; 16];
        assert_eq!(stream.read(&mut read).await.unwrap(), 8);
        stream.flush().await.unwrap();
        assert_eq!(available(&mut client).await, b"");

        // After the handshake reads leave it alone; the next write or flush takes it.
        stream.handshake_done();
        read_would_wait(&mut stream).await;
        assert_eq!(available(&mut client).await, b"");
        stream.flush().await.unwrap();
        assert_eq!(available(&mut client).await, b"ticket");
    }

    /// A stream whose handshake is over with `ticket` held, and the client's end.
    async fn ticket_held(ticket: &[u8], room: usize) -> (DuplexStream, WriteBehind<DuplexStream>) {
        let (client, server) = tokio::io::duplex(room);
        let mut stream = WriteBehind::new(server);
        stream.write_all(ticket).await.unwrap();
        stream.handshake_done();
        (client, stream)
    }

    #[tokio::test]
    async fn after_the_handshake_held_bytes_join_the_next_write() {
        let (mut client, mut stream) = ticket_held(b"ticket|", 1 << 16).await;

        // A read that finds the command leaves the ticket where it is.
        client.write_all(b"EHLO").await.unwrap();
        let mut read = [0u8; 16];
        assert_eq!(stream.read(&mut read).await.unwrap(), 4);
        assert_eq!(available(&mut client).await, b"");

        // The reply takes it along, and the buffer is given back.
        let bufs = [IoSlice::new(b"250-a\r\n"), IoSlice::new(b"250 b\r\n")];
        assert_eq!(stream.write_vectored(&bufs).await.unwrap(), 14);
        assert_eq!(available(&mut client).await, b"ticket|250-a\r\n250 b\r\n");
        assert_eq!(stream.held.capacity(), 0);

        // Nothing held: writes pass straight through.
        stream.write_all(b"221 bye\r\n").await.unwrap();
        assert_eq!(available(&mut client).await, b"221 bye\r\n");
    }

    #[tokio::test]
    async fn a_large_write_follows_the_held_bytes_and_shutdown_sends_them() {
        let (mut client, mut stream) = ticket_held(b"ticket", 1 << 20).await;
        let large = vec![b'x'; JOIN_MAX];
        assert_eq!(stream.write(&large).await.unwrap(), JOIN_MAX);
        assert!(stream.held.is_empty());
        let mut got = Vec::new();
        while got.len() < 6 + JOIN_MAX {
            got.extend(available(&mut client).await);
        }
        assert_eq!(&got[..6], b"ticket");

        // A failed handshake's alert, then a shutdown.
        let (mut client, server) = tokio::io::duplex(1 << 16);
        let mut stream = WriteBehind::new(server);
        stream.write_all(b"alert").await.unwrap();
        stream.send_held().await.unwrap();
        assert_eq!(available(&mut client).await, b"alert");
        stream.write_all(b"close").await.unwrap();
        stream.shutdown().await.unwrap();
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"close");
    }

    /// Reads until a reply's last line (`NNN text`) has arrived.
    fn reply(reader: &mut impl BufRead) -> String {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            assert!(reader.read_line(&mut line).unwrap() > 0, "closed after {text:?}");
            text.push_str(&line);
            if line.as_bytes().get(3) == Some(&b' ') {
                return text;
            }
        }
    }

    /// A blocking client's TLS stream right after STARTTLS (`220` read), with the segments it
    /// had received by then.
    fn starttls(
        addr: SocketAddr,
        config: &Arc<rustls::ClientConfig>,
    ) -> (rustls::StreamOwned<rustls::ClientConnection, std::net::TcpStream>, u32) {
        let tcp = std::net::TcpStream::connect(addr).unwrap();
        let mut plain = BufReader::new(tcp.try_clone().unwrap());
        assert!(reply(&mut plain).starts_with("220 "));
        (&tcp).write_all(b"EHLO client.example\r\nSTARTTLS\r\n").unwrap();
        assert!(reply(&mut plain).contains("STARTTLS"));
        assert!(reply(&mut plain).starts_with("220 "));
        let before = segments_in(&tcp);
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let connection = rustls::ClientConnection::new(config.clone(), name).unwrap();
        (rustls::StreamOwned::new(connection, tcp), before)
    }

    /// STARTTLS, and EHLO sent with the client's `Finished` (rustls holds it until the
    /// handshake is done, then sends both in one write). Returns the segments the client
    /// received from the `220` to the `250`, and how the handshake went.
    fn starttls_with_ehlo(
        addr: SocketAddr,
        config: &Arc<rustls::ClientConfig>,
    ) -> (u32, Option<HandshakeKind>) {
        let (mut tls, before) = starttls(addr, config);
        tls.conn.writer().write_all(b"EHLO client.example\r\n").unwrap();
        while tls.conn.is_handshaking() {
            tls.conn.complete_io(&mut tls.sock).unwrap();
        }
        tls.flush().unwrap();
        let mut got = Vec::new();
        let mut chunk = [0u8; 1024];
        while !got.ends_with(b"\r\n") || !got.split(|&b| b == b'\n').any(|l| l.starts_with(b"250 "))
        {
            let read = tls.read(&mut chunk).unwrap();
            assert!(read > 0, "closed after {got:?}");
            got.extend_from_slice(&chunk[..read]);
        }
        (segments_in(&tls.sock) - before, tls.conn.handshake_kind())
    }

    /// A server with STARTTLS on 127.0.0.1, and a TLS 1.3 client configuration that trusts it.
    async fn tls_server() -> (crate::ServerHandle, Arc<rustls::ClientConfig>) {
        tls_server_on(crate::server::Listen::Tcp).await
    }

    /// A server listening on 127.0.0.1 as `listen` says, and a TLS 1.3 client configuration
    /// that trusts it.
    async fn tls_server_on(
        listen: impl FnOnce(SocketAddr) -> crate::server::Listen,
    ) -> (crate::ServerHandle, Arc<rustls::ClientConfig>) {
        use rustls::pki_types::pem::PemObject as _;
        let certified = crate::tls::self_signed("localhost").unwrap();
        let config = crate::ServerConfig {
            hostname: "localhost".into(),
            tls: Some(certified.config.clone()),
            ..crate::ServerConfig::default()
        };
        let server = crate::Server::new(config, crate::handlers::Sink);
        let handle = server.start(vec![listen("127.0.0.1:0".parse().unwrap())]).await.unwrap();
        let mut roots = rustls::RootCertStore::empty();
        let cert = rustls::pki_types::CertificateDer::from_pem_slice(certified.cert_pem.as_bytes());
        roots.add(cert.unwrap()).unwrap();
        let client = rustls::ClientConfig::builder_with_provider(Arc::new(crate::tls::provider()))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        (handle, Arc::new(client))
    }

    /// Full and resumed TLS 1.3 handshakes after STARTTLS, the EHLO right behind the client's
    /// `Finished`: the client receives the server's flight, then the session ticket and the
    /// `250` together (a ticket in a segment of its own makes three), and the ticket works (the
    /// second handshake resumes).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_session_ticket_leaves_with_the_first_reply_after_starttls() {
        let (handle, client) = tls_server().await;
        let addr = handle.local_addr().unwrap();
        let sessions = tokio::task::spawn_blocking(move || {
            [starttls_with_ehlo(addr, &client), starttls_with_ehlo(addr, &client)]
        })
        .await
        .unwrap();
        assert_eq!(sessions[0], (2, Some(HandshakeKind::Full)));
        assert_eq!(sessions[1], (2, Some(HandshakeKind::Resumed)));
        handle.shutdown().await;
    }

    /// A client that says nothing after its `Finished` (one with Nagle's algorithm on cannot
    /// send EHLO before that segment is acknowledged) is not kept waiting: the ticket leaves as
    /// soon as the server waits for a command, acknowledging the `Finished` with it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_quiet_client_gets_the_ticket_without_asking() {
        let (handle, client) = tls_server().await;
        let addr = handle.local_addr().unwrap();
        let received = tokio::task::spawn_blocking(move || {
            let (mut tls, before) = starttls(addr, &client);
            while tls.conn.is_handshaking() {
                tls.conn.complete_io(&mut tls.sock).unwrap();
            }
            // The flight, then the ticket, with nothing sent after the handshake.
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            let mut received = segments_in(&tls.sock) - before;
            while received < 2 && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
                received = segments_in(&tls.sock) - before;
            }
            received
        })
        .await
        .unwrap();
        assert_eq!(received, 2);
        handle.shutdown().await;
    }

    /// Under implicit TLS the greeting follows the handshake at once: the client receives the
    /// server's flight, then the ticket and the `220` together (segments with data counted:
    /// the server's kernel may acknowledge the ClientHello on its own first).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_session_ticket_leaves_with_the_greeting_under_implicit_tls() {
        let (handle, client) = tls_server_on(crate::server::Listen::ImplicitTls).await;
        let addr = handle.local_addr().unwrap();
        let (segments, greeting) = tokio::task::spawn_blocking(move || {
            let tcp = std::net::TcpStream::connect(addr).unwrap();
            let before = segments_in(&tcp);
            let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
            let connection = rustls::ClientConnection::new(client, name).unwrap();
            let mut tls = BufReader::new(rustls::StreamOwned::new(connection, tcp));
            let greeting = reply(&mut tls);
            (segments_in(&tls.get_ref().sock) - before, greeting)
        })
        .await
        .unwrap();
        assert!(greeting.starts_with("220 localhost"), "{greeting}");
        assert_eq!(segments, 2);
        handle.shutdown().await;
    }
}
