//! [`Sink`]: accepts every message and throws it away (aiosmtpd's `Sink`).

use crate::handler::Handler;

/// A handler with no hooks of its own: every command gets the default reply and every
/// message is accepted (`250 2.0.0 OK`) and discarded.
///
/// ```
/// use smtp_server::{Server, ServerConfig, handlers::Sink};
///
/// let server = Server::new(ServerConfig::default(), Sink);
/// # let _ = server;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sink;

impl Handler for Sink {}

#[cfg(test)]
mod tests {
    use smtp_auth::ServerInfo;
    use smtp_proto::reply::Reply;

    use super::*;
    use crate::session::{Envelope, PeerAddr, Session};

    #[tokio::test]
    async fn accepts_and_keeps_nothing() {
        let mut session = Session::new(1, PeerAddr::Memory("t".into()));
        let mut envelope =
            Envelope { content: Some(bytes::Bytes::from_static(b"x\r\n")), ..Envelope::default() };
        let reply = Sink.data(&ServerInfo::new("mx"), &mut session, &mut envelope).await.unwrap();
        assert_eq!(reply, Reply::ok());
        assert_eq!(reply.to_string(), "250 2.0.0 OK");
    }
}
