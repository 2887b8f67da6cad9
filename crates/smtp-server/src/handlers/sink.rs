//! [`Sink`]: accepts every message and throws it away (aiosmtpd's `Sink`).

use async_trait::async_trait;
use smtp_auth::ServerInfo;

use crate::handler::{BodySink, Handler, HookResult};
use crate::session::{Envelope, Session};

/// A handler that accepts every message (`250 2.0.0 OK`) and discards it as it arrives: the
/// body is streamed into a [`BodySink`] that keeps nothing, so a message of any size costs no
/// memory beyond the connection's read buffer. Every other command gets the default reply.
///
/// ```
/// use smtp_server::{Server, ServerConfig, handlers::Sink};
///
/// let server = Server::new(ServerConfig::default(), Sink);
/// # let _ = server;
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sink;

#[async_trait]
impl Handler for Sink {
    async fn open_body(
        &self,
        _server: &ServerInfo,
        _session: &mut Session,
        _envelope: &mut Envelope,
    ) -> HookResult<Option<Box<dyn BodySink>>> {
        Ok(Some(Box::new(Discard)))
    }
}

/// The body sink of [`Sink`]: drops every chunk and accepts the message at its end.
#[derive(Clone, Copy, Debug, Default)]
struct Discard;

#[async_trait]
impl BodySink for Discard {
    async fn write(&mut self, _chunk: &[u8]) -> HookResult<()> {
        Ok(())
    }

    async fn finish(
        self: Box<Self>,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        Handler::data(&Sink, server, session, envelope).await
    }
}

#[cfg(test)]
mod tests {
    use smtp_proto::reply::Reply;

    use super::*;
    use crate::session::PeerAddr;

    #[tokio::test]
    async fn streams_the_body_away_and_accepts() {
        let info = ServerInfo::new("mx");
        let mut session = Session::new(1, PeerAddr::Memory("t".into()));
        let mut envelope = Envelope::default();
        let mut sink = Sink.open_body(&info, &mut session, &mut envelope).await.unwrap().unwrap();
        sink.write(&[b'x'; 4096]).await.unwrap();
        let reply = sink.finish(&info, &mut session, &mut envelope).await.unwrap();
        assert_eq!(reply, Reply::ok());
        assert_eq!(reply.to_string(), "250 2.0.0 OK");
        assert_eq!(envelope.content, None);
    }
}
