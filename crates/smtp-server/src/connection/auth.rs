//! AUTH (RFC 4954; aiosmtpd §5 with the deliberate differences): the checks, the handler's
//! custom hook, the [`AuthExchange`] over the connection, and the failure budget.

use std::sync::Arc;

use async_trait::async_trait;
use smtp_auth::{
    AuthCommand, AuthContext, AuthExchange, AuthRequest, AuthResult, Authenticator, ExchangeStep,
};
use smtp_proto::command::CommandLine;
use smtp_proto::reply::Reply;
use tokio::io::{AsyncRead, AsyncWrite};

use super::auth_io::{HookIo, SaslLine, SecretLine, read_sasl_line};
use super::hook::guarded;
use super::io::ReadError;
use super::state::{Connection, Flow, reader_limit};
use crate::handler::{AuthHookOutcome, HookError};
use crate::session::{Envelope, Session};

/// The authenticator used when none is configured: every attempt is refused (535).
struct DenyAll;

#[async_trait]
impl Authenticator<Session, Envelope> for DenyAll {
    async fn authenticate(&self, _request: &AuthRequest<'_, Session, Envelope>) -> AuthResult {
        AuthResult::denied()
    }
}

/// How an exchange ended.
enum Outcome {
    /// The exchange's final step.
    Finished { reply: Reply, result: AuthResult },
    /// A mechanism or authenticator failed (error or panic): the exception reply.
    Failed(Reply),
    /// The connection ended.
    Ended(ReadError),
}

impl<S> Connection<S>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    /// `AUTH <mechanism> [initial-response]`.
    pub(super) async fn auth(&mut self, line: &CommandLine<'_>) -> Flow {
        if let Some(reply) = self.auth_refusal() {
            return self.reply(reply);
        }
        let command = match AuthCommand::parse(line.arg.unwrap_or_default()) {
            Ok(command) => command,
            Err(reply) => return self.reply(reply),
        };
        let Some((name, _)) = self.shared.mechanisms.entry(command.mechanism) else {
            return self.reply(Reply::auth_unrecognized_mechanism());
        };
        let mechanism = name.as_str().to_owned();
        let shared = Arc::clone(&self.shared);
        let mut io = HookIo::new(&mut self.io, &mut self.lines);
        let hook = shared.handler.auth(
            &shared.info,
            &mut self.session,
            &mut self.envelope,
            &mut io,
            &mechanism,
            command.initial_response,
        );
        let outcome = guarded(shared.handler.as_ref(), "auth", hook).await;
        if let Some(error) = io.ended.take() {
            self.end_on_read_error(error).await;
            return Flow::Close;
        }
        match outcome {
            Ok(AuthHookOutcome::UseMechanism) => {
                self.run_exchange(&mechanism, command.initial_response).await
            }
            Ok(AuthHookOutcome::Handled(Some(reply))) | Err(reply) => self.reply(reply),
            Ok(AuthHookOutcome::Handled(None)) => Flow::Continue,
        }
    }

    /// The reply refusing AUTH in this state, if any (in aiosmtpd's order).
    fn auth_refusal(&self) -> Option<Reply> {
        let config = &self.shared.config;
        if !self.greeted() {
            Some(Reply::send_ehlo_first())
        } else if !self.session.extended_smtp {
            Some(Reply::command_unavailable("AUTH"))
        } else if config.auth_require_tls && !self.is_tls() {
            Some(Reply::auth_encryption_required())
        } else if self.session.authenticated {
            Some(Reply::already_authenticated())
        } else if self.envelope.has_sender() {
            Some(Reply::auth_during_transaction())
        } else {
            None
        }
    }

    /// Drives the registered mechanism, then records the outcome.
    async fn run_exchange(&mut self, mechanism: &str, initial_response: Option<&str>) -> Flow {
        self.lines.set_limit(self.shared.config.sasl_line_limit);
        let outcome = self.exchange(mechanism, initial_response).await;
        self.lines.set_limit(reader_limit(&self.shared));
        match outcome {
            Outcome::Finished { reply, result } => self.finish_auth(reply, result).await,
            Outcome::Failed(reply) => self.reply(reply),
            Outcome::Ended(error) => {
                self.end_on_read_error(error).await;
                Flow::Close
            }
        }
    }

    /// Runs the exchange: each challenge is sent and answered by one client line.
    async fn exchange(&mut self, mechanism: &str, initial_response: Option<&str>) -> Outcome {
        let shared = Arc::clone(&self.shared);
        let mut exchange =
            match AuthExchange::start(&shared.mechanisms, mechanism, initial_response) {
                Ok(exchange) => exchange,
                Err(reply) => return Outcome::Failed(reply),
            };
        let deny_all = DenyAll;
        let authenticator: &dyn Authenticator<Session, Envelope> =
            shared.config.authenticator.as_deref().unwrap_or(&deny_all);
        let mut response: Option<SecretLine> = None;
        loop {
            let ctx = AuthContext {
                server: &shared.info,
                session: &*self.session,
                envelope: &self.envelope,
                authenticator,
            };
            let line = response.as_ref().map(SecretLine::as_bytes);
            let step = exchange.next(&ctx, line);
            let step = guarded(shared.handler.as_ref(), "auth_exchange", async {
                Ok::<_, HookError>(step.await)
            })
            .await;
            match step {
                Err(reply) => return Outcome::Failed(reply),
                Ok(ExchangeStep::Done { reply, result }) => {
                    return Outcome::Finished { reply, result };
                }
                Ok(ExchangeStep::Challenge(challenge)) => self.io.push(&challenge),
            }
            response = match read_sasl_line(&mut self.io, &mut self.lines).await {
                Ok(SaslLine::Line(line)) => Some(line),
                Ok(SaslLine::TooLong) => {
                    let reply = Reply::auth_line_too_long();
                    let result = AuthResult::denied_with(reply.clone());
                    return Outcome::Finished { reply, result };
                }
                Err(error) => return Outcome::Ended(error),
            };
        }
    }

    /// Records a success, or counts a failure (with its delay and the closing budget).
    async fn finish_auth(&mut self, reply: Reply, result: AuthResult) -> Flow {
        if result.success {
            tracing::info!(login = result.login(), "authenticated");
            self.session.authenticated = true;
            self.session.login_data = result.login().map(str::to_owned);
            self.session.auth_data = result.auth_data;
            return self.reply(reply);
        }
        if !result.is_credential_failure() {
            return self.reply(reply);
        }
        let config = &self.shared.config;
        let failures = self.counters.auth_failed();
        let max_failures = config.max_auth_failures;
        let delay = config.auth_failure_delay.saturating_mul(failures);
        tracing::info!(failures, "AUTH failed");
        tokio::time::sleep(delay).await;
        self.io.push(&reply);
        if failures >= max_failures {
            tracing::warn!(failures, "too many AUTH failures; closing");
            self.io.push(&Reply::too_many_auth_failures());
            return Flow::Close;
        }
        Flow::Continue
    }
}
