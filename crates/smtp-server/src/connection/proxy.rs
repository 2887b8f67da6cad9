//! The PROXY protocol header (v1 or v2) a proxy sends before anything else, read within
//! `proxy_protocol_timeout`. Anything wrong closes the connection without a reply.

use std::time::Duration;

use bytes::BytesMut;
use smtp_proto::proxy::{Fed, ProxyError, ProxyHeader, ProxyHeaderReader};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Why there is no usable header.
#[derive(Debug, thiserror::Error)]
pub(super) enum ProxyFailure {
    /// The bytes are not a valid header.
    #[error("invalid PROXY header: {0}")]
    Invalid(#[from] ProxyError),
    /// The header did not arrive in time.
    #[error("no PROXY header within the time limit")]
    Timeout,
    /// Reading failed.
    #[error("reading the PROXY header failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Reads the header; returns it and the bytes read after it (the start of the SMTP stream).
pub(super) async fn read_header<S>(
    stream: &mut S,
    limit: Duration,
) -> Result<(ProxyHeader, BytesMut), ProxyFailure>
where
    S: AsyncRead + Unpin,
{
    let read = async {
        let mut reader = ProxyHeaderReader::new();
        let mut buffer = [0u8; 512];
        loop {
            let count = stream.read(&mut buffer).await?;
            let Some(input) = buffer.get(..count).filter(|input| !input.is_empty()) else {
                return Err(ProxyFailure::Invalid(reader.connection_closed()));
            };
            if let Fed::Done { header, consumed } = reader.feed(input)? {
                let rest = input.get(consumed..).unwrap_or_default();
                return Ok((header, BytesMut::from(rest)));
            }
        }
    };
    tokio::time::timeout(limit, read).await.map_err(|_| ProxyFailure::Timeout)?
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;

    use super::*;

    #[tokio::test]
    async fn header_then_smtp_bytes() {
        let (mut client, mut server) = tokio::io::duplex(1024);
        client.write_all(b"PROXY TCP4 192.0.2.1 198.51.100.2 12345 25\r\nEH").await.unwrap();
        let (header, rest) = read_header(&mut server, Duration::from_secs(1)).await.unwrap();
        assert_eq!(
            header.client_address().and_then(|a| a.ip()).map(|a| a.to_string()),
            Some("192.0.2.1:12345".to_owned())
        );
        assert_eq!(&rest[..], b"EH");
    }

    #[tokio::test(start_paused = true)]
    async fn refusals() {
        let (mut client, mut server) = tokio::io::duplex(1024);
        client.write_all(b"EHLO c\r\n").await.unwrap();
        let invalid = read_header(&mut server, Duration::from_secs(1)).await;
        assert!(matches!(invalid, Err(ProxyFailure::Invalid(_))), "{invalid:?}");

        let (_client, mut server) = tokio::io::duplex(1024);
        let silent = read_header(&mut server, Duration::from_secs(3)).await;
        assert!(matches!(silent, Err(ProxyFailure::Timeout)), "{silent:?}");

        let (client, mut server) = tokio::io::duplex(1024);
        drop(client);
        let closed = read_header(&mut server, Duration::from_secs(3)).await;
        assert!(matches!(closed, Err(ProxyFailure::Invalid(_))), "{closed:?}");
    }
}
