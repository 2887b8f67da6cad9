//! [`RelayHandler`]: the submission side of the relay — who may send, as whom, to where, and
//! the durable queue behind every 250.
//!
//! The server it runs in always has `auth_required` and `auth_require_tls` on (see
//! [`crate::relay`]), so MAIL before AUTH is `530 5.7.0` and AUTH is offered only under TLS.
//! The handler adds:
//!
//! - **sender ownership**: `MAIL FROM` must be an address the authenticated user may use
//!   ([`UserStore::may_send_as`]), else `553 5.7.1 Sender address not owned by user <login>`;
//!   a failing user store gives `451 4.3.0`;
//! - **recipient policy**: address literals (`user@[192.0.2.1]`) are refused with
//!   `550 5.7.1` unless allowed (they would let users reach internal hosts), and `<Postmaster>`
//!   without a domain with `550 5.1.1` (a relay has no local mailboxes);
//! - **the queue**: the body streams into [`QueueStore::begin`]'s writer behind a `Received:`
//!   header; the 250 (`250 2.0.0 OK queued as <id>`) is sent only once the commit has fsynced
//!   the message, and the scheduler is woken for it at once.

mod received;
mod replies;
mod sink;

pub use received::{TraceFields, WithProtocol, received_header};
pub use replies::{literal_refused, no_local_postmaster, queued, sender_not_owned};
pub use sink::QueueSink;

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use smtp_auth::ServerInfo;
use smtp_proto::address::{ForwardPath, ReversePath};
use smtp_proto::params::{MailParams, RcptParams};
use smtp_proto::reply::Reply;
use smtp_server::handler::{BodySink, Handler, HookResult, defaults};
use smtp_server::{Envelope, Session};

use crate::delivery::SchedulerHandle;
use crate::queue::QueueStore;
use crate::users::UserStore;

/// Which recipients the relay takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LiteralRecipients {
    /// Refuse `user@[address]` with `550 5.7.1` (the default).
    #[default]
    Refuse,
    /// Accept them (a relay for a closed network whose users may reach any host).
    Allow,
}

/// The relay's submission handler (details in the module documentation).
#[derive(Clone)]
pub struct RelayHandler {
    users: UserStore,
    queue: Arc<dyn QueueStore>,
    scheduler: SchedulerHandle,
    literals: LiteralRecipients,
}

impl std::fmt::Debug for RelayHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayHandler").field("literals", &self.literals).finish_non_exhaustive()
    }
}

impl RelayHandler {
    /// A handler checking senders against `users`, queueing into `queue`, waking `scheduler`.
    pub fn new(
        users: UserStore,
        queue: Arc<dyn QueueStore>,
        scheduler: SchedulerHandle,
        literals: LiteralRecipients,
    ) -> Self {
        Self { users, queue, scheduler, literals }
    }
}

#[async_trait]
impl Handler for RelayHandler {
    async fn mail(
        &self,
        _server: &ServerInfo,
        session: &mut Session,
        _envelope: &mut Envelope,
        address: &ReversePath<'_>,
        params: &MailParams<'_>,
    ) -> HookResult {
        let Some(login) = session.login_data.as_deref() else {
            // The server refuses MAIL before AUTH itself; this is the second lock.
            return Ok(Reply::auth_required());
        };
        let sender = sink::reverse_path_text(address);
        if self.users.may_send_as(login, &sender).await? {
            defaults::mail(params)
        } else {
            tracing::info!(user = login, sender = %sender, "refused a sender the user does not own");
            Ok(sender_not_owned(login))
        }
    }

    async fn rcpt(
        &self,
        _server: &ServerInfo,
        _session: &mut Session,
        _envelope: &mut Envelope,
        address: &ForwardPath<'_>,
        params: &RcptParams<'_>,
    ) -> HookResult {
        match address {
            ForwardPath::Postmaster => Ok(no_local_postmaster()),
            ForwardPath::Mailbox(mailbox)
                if self.literals == LiteralRecipients::Refuse
                    && mailbox.domain().is_some_and(|domain| domain.literal().is_some()) =>
            {
                Ok(literal_refused())
            }
            ForwardPath::Mailbox(_) => defaults::rcpt(params),
        }
    }

    async fn open_body(
        &self,
        server: &ServerInfo,
        session: &mut Session,
        _envelope: &mut Envelope,
    ) -> HookResult<Option<Box<dyn BodySink>>> {
        let arrived = SystemTime::now();
        let (id, mut incoming) = self.queue.begin().await?;
        let header = received_header(&TraceFields {
            helo: session.host_name.as_deref(),
            client: &session.client,
            by: &server.hostname,
            with: WithProtocol::of(session),
            id: &id,
            at: arrived,
        });
        if let Err(error) = incoming.write(header.as_bytes()).await {
            incoming.abort().await;
            return Err(error.into());
        }
        Ok(Some(Box::new(QueueSink::new(id, incoming, self.scheduler.clone(), arrived))))
    }
}
