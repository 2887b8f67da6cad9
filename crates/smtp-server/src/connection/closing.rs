//! The end of a connection in as few packets as the transport allows: the last replies (the
//! `221`, a `421`), the TLS `close_notify` and the TCP FIN leave in one segment.
//!
//! Written the ordinary way, a QUIT costs three segments (the `221`, then the FIN; over TLS
//! the `221` record, the `close_notify` record, then the FIN), each of which the client's
//! kernel receives and acknowledges. On a TCP socket the final bytes are instead handed to
//! the kernel with `MSG_MORE`, which holds them back, and the write side is shut down at once,
//! which sends them with the FIN in one segment. Other streams (Unix sockets, in-memory pipes,
//! a stream behind a PROXY header) take the ordinary path, as does every stream on systems
//! other than Linux (`MSG_MORE` is Linux's).

#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) use linux::write_last_and_shut_down;

/// Elsewhere: always the ordinary path.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(super) fn write_last_and_shut_down<S>(
    _stream: &mut S,
    _last: &mut Vec<u8>,
) -> std::io::Result<bool> {
    Ok(false)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod linux {
    use std::any::Any;
    use std::io::{self, Write};

    use socket2::SockRef;
    use tokio::net::TcpStream;
    use tokio_rustls::server::TlsStream;

    use crate::connection::write_behind::WriteBehind;

    /// Tries to write `last` and shut the write side down in one step; `last` is drained of what
    /// was written. `Ok(true)`: the stream is shut down (with `last`, whole, before the FIN).
    /// `Ok(false)`: not a stream this knows, or the socket would block; what is left of `last`
    /// (and, over TLS, of the encrypted records, which stay with the TLS connection) must be
    /// flushed and the stream shut down the ordinary way.
    pub(in crate::connection) fn write_last_and_shut_down<S: Any>(
        stream: &mut S,
        last: &mut Vec<u8>,
    ) -> io::Result<bool> {
        let stream: &mut dyn Any = stream;
        if let Some(tcp) = stream.downcast_mut::<TcpStream>() {
            return tcp_last(tcp, last);
        }
        if let Some(tls) = stream.downcast_mut::<TlsStream<WriteBehind<TcpStream>>>() {
            return tls_last(tls, last);
        }
        Ok(false)
    }

    /// Plain TCP: `last` with `MSG_MORE`, then the FIN.
    fn tcp_last(tcp: &TcpStream, last: &mut Vec<u8>) -> io::Result<bool> {
        let mut socket = HeldBack(SockRef::from(tcp));
        match write_all_now(&mut socket, last)? {
            true => shut_down(&socket.0),
            false => Ok(false),
        }
    }

    /// TLS over TCP: what the handshake left (a session ticket), `last` as an application-data
    /// record and the `close_notify` alert, all written with `MSG_MORE`, then the FIN.
    fn tls_last(
        tls: &mut TlsStream<WriteBehind<TcpStream>>,
        last: &mut Vec<u8>,
    ) -> io::Result<bool> {
        let (stream, connection) = tls.get_mut();
        let mut held = std::mem::take(stream.held_mut());
        let mut socket = HeldBack(SockRef::from(stream.get_ref()));
        let held_sent = write_all_now(&mut socket, &mut held);
        if !matches!(held_sent, Ok(true)) {
            // The rest stays first in line for the ordinary close.
            *stream.held_mut() = held;
            return held_sent;
        }
        connection.writer().write_all(last)?;
        last.clear();
        connection.send_close_notify();
        while connection.wants_write() {
            match connection.write_tls(&mut socket) {
                Ok(_) => {}
                // What is left stays with the TLS connection; the ordinary close flushes it.
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(error) => return Err(error),
            }
        }
        shut_down(&socket.0)
    }

    /// Writes as much of `bytes` as the socket takes without blocking, draining what went; `true`
    /// when all of it went.
    fn write_all_now(socket: &mut HeldBack<'_>, bytes: &mut Vec<u8>) -> io::Result<bool> {
        while !bytes.is_empty() {
            match socket.write(bytes) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => {
                    bytes.drain(..written);
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(error) => return Err(error),
            }
        }
        Ok(true)
    }

    /// Shuts the write side down: the kernel sends what it holds back, with the FIN.
    fn shut_down(socket: &SockRef<'_>) -> io::Result<bool> {
        match socket.shutdown(std::net::Shutdown::Write) {
            Ok(()) => Ok(true),
            // The client already went away: nothing more can be delivered anyway.
            Err(error) if error.kind() == io::ErrorKind::NotConnected => Ok(true),
            Err(error) => Err(error),
        }
    }

    /// A socket written with `MSG_MORE`: the kernel holds small writes back until the next
    /// write without it, or the shutdown.
    struct HeldBack<'a>(SockRef<'a>);

    impl Write for HeldBack<'_> {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            loop {
                match self.0.send_with_flags(bytes, libc::MSG_MORE | libc::MSG_NOSIGNAL) {
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    result => return result,
                }
            }
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Read;
    use std::sync::Arc;

    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
    use tokio::io::AsyncWriteExt;
    use tokio::net::{TcpListener, TcpStream};

    use super::write_last_and_shut_down;
    use crate::connection::tests::segments_in;

    /// A connected pair: a blocking client and the server's tokio stream.
    async fn pair() -> (std::net::TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (client, server)
    }

    fn read_to_end(mut client: std::net::TcpStream) -> (Vec<u8>, std::net::TcpStream) {
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        (got, client)
    }

    #[tokio::test]
    async fn tcp_sends_the_last_reply_with_the_fin_in_one_segment() {
        // The ordinary way, for comparison: the reply, then the FIN.
        let (client, mut server) = pair().await;
        let before = segments_in(&client);
        server.write_all(b"221 2.0.0 Bye\r\n").await.unwrap();
        server.shutdown().await.unwrap();
        let (got, client) = tokio::task::spawn_blocking(|| read_to_end(client)).await.unwrap();
        assert_eq!(got, b"221 2.0.0 Bye\r\n");
        assert_eq!(segments_in(&client) - before, 2);

        let (client, mut server) = pair().await;
        let before = segments_in(&client);
        let mut last = b"221 2.0.0 Bye\r\n".to_vec();
        assert!(write_last_and_shut_down(&mut server, &mut last).unwrap());
        assert!(last.is_empty());
        let (got, client) = tokio::task::spawn_blocking(|| read_to_end(client)).await.unwrap();
        assert_eq!(got, b"221 2.0.0 Bye\r\n");
        assert_eq!(segments_in(&client) - before, 1);
    }

    #[tokio::test]
    async fn tls_sends_the_last_reply_close_notify_and_fin_together() {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let der = certified.cert.der().clone();
        let key = PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der());
        let server_config = crate::tls::server_config(vec![der.clone()], PrivateKeyDer::from(key));
        let mut server_config = (*server_config.unwrap()).clone();
        // No ticket after the handshake: nothing else is on its way to the client.
        server_config.send_tls13_tickets = 0;
        let mut roots = rustls::RootCertStore::empty();
        roots.add(CertificateDer::from(der.to_vec())).unwrap();
        let client_config =
            rustls::ClientConfig::builder_with_provider(Arc::new(crate::tls::provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_root_certificates(roots)
                .with_no_client_auth();

        let (client, server) = pair().await;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
        let client_tcp = client.try_clone().unwrap();
        let handshake = tokio::task::spawn_blocking(move || {
            let name = ServerName::try_from("localhost").unwrap();
            let connection = rustls::ClientConnection::new(Arc::new(client_config), name);
            let mut tls = rustls::StreamOwned::new(connection.unwrap(), client_tcp);
            while tls.conn.is_handshaking() {
                tls.conn.complete_io(&mut tls.sock).unwrap();
            }
            tls
        });
        // The server's own handshake (its stream is the one the fast path knows).
        let limit = std::time::Duration::from_secs(10);
        let mut server = crate::connection::handshake(
            &acceptor,
            server,
            limit,
            crate::connection::Next::Command,
        )
        .await
        .unwrap();
        let mut tls = handshake.await.unwrap();
        let before = segments_in(&client);

        let mut last = b"221 2.0.0 Bye\r\n".to_vec();
        assert!(write_last_and_shut_down(&mut server, &mut last).unwrap());
        let got = tokio::task::spawn_blocking(move || {
            let mut got = Vec::new();
            // A clean end: close_notify arrived (without it rustls reports UnexpectedEof).
            tls.read_to_end(&mut got).unwrap();
            got
        })
        .await
        .unwrap();
        assert_eq!(got, b"221 2.0.0 Bye\r\n");
        // One segment (the ordinary way takes three: the record, close_notify, the FIN); a
        // delayed acknowledgement of the client's Finished may still come on its own.
        let segments = segments_in(&client) - before;
        assert!(segments <= 2, "{segments} segments");
    }
}
