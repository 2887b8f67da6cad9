//! The tower adapter: deliver through a [`tower_service::Service`], so timeouts, concurrency
//! limits, rate limits and retries are tower layers stacked on delivery.
//!
//! [`ServiceHandler`] implements [`Handler`]: the DATA step becomes a [`DataRequest`] sent
//! through the service, whose response is the reply; every other hook is the inner handler's
//! (default [`Sink`], i.e. aiosmtpd's defaults).
//!
//! ```
//! use std::time::Duration;
//!
//! use smtp_server::smtp_proto::reply::Reply;
//! use smtp_server::tower::{DataRequest, ServiceHandler};
//! use smtp_server::{HookError, Server, ServerConfig};
//! use tower::ServiceBuilder;
//!
//! let delivery = ServiceBuilder::new()
//!     .concurrency_limit(16)
//!     .timeout(Duration::from_secs(30))
//!     .service_fn(|request: DataRequest| async move {
//!         let size = request.envelope.content.as_ref().map_or(0, |c| c.len());
//!         println!("{size} octets from {}", request.session.client);
//!         Ok::<_, HookError>(Reply::ok())
//!     });
//! let server = Server::new(ServerConfig::default(), ServiceHandler::new(delivery));
//! # let _ = server;
//! ```
//!
//! **Design.** The service is cloned for every message, then driven to readiness
//! (`poll_ready`) and called on the clone: the tower contract for shared services. Clones of
//! a `ConcurrencyLimit` share one semaphore, and each clone takes a permit in `poll_ready`
//! that its response future holds to the end, so the limit counts messages in delivery across
//! all sessions. (A service behind one mutex would limit nothing while the lock is held only
//! for `poll_ready` + `call`, and would serialise everything if held to the end.) A service
//! that cannot be cloned can be wrapped in `tower::buffer::Buffer`.
//!
//! The handler never streams ([`Handler::open_body`] keeps its default), so the request
//! carries the whole message; in LMTP mode every recipient gets the service's one reply.

use std::fmt;

use async_trait::async_trait;
use futures_util::future::poll_fn;
use smtp_auth::ServerInfo;
use smtp_proto::address::{ForwardPath, Mailbox, ReversePath};
use smtp_proto::params::{MailParams, RcptParams};
use smtp_proto::proxy::ProxyHeader;
use smtp_proto::reply::Reply;
use tower_service::Service;

use crate::handler::{AuthHookOutcome, AuthIo, Handler, HookError, HookResult, ServerMechanism};
use crate::handlers::Sink;
use crate::session::{Envelope, PeerAddr, Session, TlsInfo};

/// One message for the delivery service.
#[derive(Clone, Debug)]
pub struct DataRequest {
    /// The server's identity.
    pub server: ServerInfo,
    /// What is known about the connection.
    pub session: SessionSummary,
    /// The envelope, with the message in `content` (a cheap copy: the bytes are shared).
    pub envelope: Envelope,
}

impl DataRequest {
    /// The request for the message in `envelope` (what the handler sends; also for testing a
    /// service on its own).
    pub fn new(server: &ServerInfo, session: &Session, envelope: &Envelope) -> Self {
        Self {
            server: server.clone(),
            session: SessionSummary::from(session),
            envelope: envelope.clone(),
        }
    }
}

/// The parts of a [`Session`] a delivery service may need (a session itself cannot be copied:
/// its extensions belong to the connection).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionSummary {
    /// The connection's number in logs.
    pub id: u64,
    /// The other end of the connection (the proxy, behind PROXY protocol).
    pub peer: PeerAddr,
    /// The real client.
    pub client: PeerAddr,
    /// TLS details, when the session is protected.
    pub tls: Option<TlsInfo>,
    /// The name the client greeted with.
    pub host_name: Option<String>,
    /// Whether the client has authenticated.
    pub authenticated: bool,
    /// The login of the authenticated user.
    pub login_data: Option<String>,
}

impl From<&Session> for SessionSummary {
    fn from(session: &Session) -> Self {
        Self {
            id: session.id,
            peer: session.peer.clone(),
            client: session.client.clone(),
            tls: session.tls.clone(),
            host_name: session.host_name.clone(),
            authenticated: session.authenticated,
            login_data: session.login_data.clone(),
        }
    }
}

/// A [`Handler`] that delivers through a tower service and takes every other hook from `H`.
#[derive(Clone)]
pub struct ServiceHandler<S, H = Sink> {
    service: S,
    inner: H,
}

impl<S> ServiceHandler<S> {
    /// Delivers through `service`; every other command gets the default reply.
    pub fn new(service: S) -> Self {
        Self { service, inner: Sink }
    }
}

impl<S, H> ServiceHandler<S, H> {
    /// Delivers through `service`; every hook but DATA is `inner`'s.
    pub fn with_handler(service: S, inner: H) -> Self {
        Self { service, inner }
    }

    /// The handler of the other hooks.
    pub fn inner(&self) -> &H {
        &self.inner
    }
}

impl<S, H: fmt::Debug> fmt::Debug for ServiceHandler<S, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceHandler").field("inner", &self.inner).finish_non_exhaustive()
    }
}

#[async_trait]
impl<S, H> Handler for ServiceHandler<S, H>
where
    S: Service<DataRequest, Response = Reply> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
    S::Error: Into<HookError>,
    H: Handler,
{
    async fn helo(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
        hostname: &str,
    ) -> HookResult {
        self.inner.helo(server, session, envelope, hostname).await
    }

    async fn ehlo(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
        hostname: &str,
        capabilities: Reply,
    ) -> HookResult {
        self.inner.ehlo(server, session, envelope, hostname, capabilities).await
    }

    async fn mail(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
        address: &ReversePath<'_>,
        params: &MailParams<'_>,
    ) -> HookResult {
        self.inner.mail(server, session, envelope, address, params).await
    }

    async fn rcpt(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
        address: &ForwardPath<'_>,
        params: &RcptParams<'_>,
    ) -> HookResult {
        self.inner.rcpt(server, session, envelope, address, params).await
    }

    async fn data(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        let request = DataRequest::new(server, session, envelope);
        let mut service = self.service.clone();
        poll_fn(|cx| service.poll_ready(cx)).await.map_err(Into::into)?;
        service.call(request).await.map_err(Into::into)
    }

    async fn rset(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        self.inner.rset(server, session, envelope).await
    }

    async fn noop(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
        argument: Option<&str>,
    ) -> HookResult {
        self.inner.noop(server, session, envelope, argument).await
    }

    async fn quit(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        self.inner.quit(server, session, envelope).await
    }

    async fn vrfy(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
        address: &Mailbox<'_>,
    ) -> HookResult {
        self.inner.vrfy(server, session, envelope, address).await
    }

    async fn auth(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
        io: &mut dyn AuthIo,
        mechanism: &str,
        initial_response: Option<&str>,
    ) -> HookResult<AuthHookOutcome> {
        self.inner.auth(server, session, envelope, io, mechanism, initial_response).await
    }

    fn mechanisms(&self) -> Vec<ServerMechanism> {
        self.inner.mechanisms()
    }

    async fn proxy(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        header: &ProxyHeader,
    ) -> bool {
        self.inner.proxy(server, session, header).await
    }

    async fn starttls(&self, server: &ServerInfo, session: &mut Session) -> bool {
        self.inner.starttls(server, session).await
    }

    async fn exception(&self, error: &HookError) -> Reply {
        self.inner.exception(error).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use ::tower::{ServiceBuilder, service_fn};
    use bytes::Bytes;
    use smtp_proto::reply::{EnhancedStatus, ReplyCode};

    use super::*;

    fn session() -> Session {
        Session::new(9, PeerAddr::Memory("tower".into()))
    }

    fn envelope() -> Envelope {
        Envelope {
            content: Some(Bytes::from_static(b"Subject: t\r\n\r\nx\r\n")),
            ..Envelope::default()
        }
    }

    #[tokio::test]
    async fn data_goes_through_the_service_and_other_hooks_to_the_inner_handler() {
        let handler = ServiceHandler::new(service_fn(|request: DataRequest| async move {
            let size = request.envelope.content.map_or(0, |c| c.len());
            let text = format!("queued {size} from {}", request.session.client);
            Ok::<_, HookError>(Reply::new(ReplyCode::of(250), EnhancedStatus::of(2, 6, 0), text))
        }));
        let info = ServerInfo::new("mx");
        let (mut session, mut envelope) = (session(), envelope());
        let reply = handler.data(&info, &mut session, &mut envelope).await.unwrap();
        assert_eq!(reply.to_string(), "250 2.6.0 queued 17 from memory:tower");
        let reply = handler.noop(&info, &mut session, &mut envelope, None).await.unwrap();
        assert_eq!(reply, Reply::ok());
        let reply = handler.quit(&info, &mut session, &mut envelope).await.unwrap();
        assert_eq!(reply, Reply::bye());
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_service_times_out_as_a_hook_error() {
        let service = ServiceBuilder::new().timeout(Duration::from_secs(1)).service_fn(
            |_: DataRequest| async move {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok::<_, HookError>(Reply::ok())
            },
        );
        let handler = ServiceHandler::new(service);
        let (mut session, mut envelope) = (session(), envelope());
        let error = handler.data(&ServerInfo::new("mx"), &mut session, &mut envelope).await;
        let error = error.unwrap_err();
        assert!(error.is::<::tower::timeout::error::Elapsed>(), "{error}");
        assert_eq!(handler.exception(&error).await, Reply::internal_error());
    }

    #[tokio::test(start_paused = true)]
    async fn a_concurrency_limit_limits_deliveries_across_sessions() {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (counter, peak) = (Arc::clone(&in_flight), Arc::clone(&most));
        let service =
            ServiceBuilder::new().concurrency_limit(2).service_fn(move |_: DataRequest| {
                let (counter, peak) = (Arc::clone(&counter), Arc::clone(&peak));
                async move {
                    let now = counter.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    counter.fetch_sub(1, Ordering::SeqCst);
                    Ok::<_, HookError>(Reply::ok())
                }
            });
        let handler = Arc::new(ServiceHandler::new(service));
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let handler = Arc::clone(&handler);
            tasks.push(tokio::spawn(async move {
                let (mut session, mut envelope) = (session(), envelope());
                handler.data(&ServerInfo::new("mx"), &mut session, &mut envelope).await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), Reply::ok());
        }
        assert_eq!(most.load(Ordering::SeqCst), 2, "two at a time, never more");
        assert_eq!(in_flight.load(Ordering::SeqCst), 0);
    }
}
