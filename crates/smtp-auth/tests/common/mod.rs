//! A conversation helper: plays `AUTH <arguments>` and the client's lines against a registry
//! and a recording authenticator, and returns the server's replies as they would go on the wire.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use smtp_auth::{
    AuthCommand, AuthContext, AuthData, AuthExchange, AuthRequest, AuthResult, Authenticator,
    ExchangeStep, MechanismRegistry, ServerInfo,
};
use smtp_proto::reply::{EnhancedStatus, Reply, ReplyCode};

/// What one call of the authenticator received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The mechanism name.
    pub mechanism: String,
    /// The login.
    pub login: String,
    /// The password, exposed for the assertion.
    pub password: Vec<u8>,
    /// The authorization identity passed on.
    pub authzid: Option<String>,
}

impl Call {
    /// A call the tests expect.
    pub fn new(mechanism: &str, login: &str, password: &[u8], authzid: Option<&str>) -> Self {
        Self {
            mechanism: mechanism.into(),
            login: login.into(),
            password: password.to_vec(),
            authzid: authzid.map(str::to_owned),
        }
    }
}

/// aiosmtpd's conversation profile N: `user`/`pass` is accepted, login `tempfail` gets 454,
/// login `custom` succeeds with `235 2.7.0 Welcome custom`. Records every call.
#[derive(Default)]
pub struct Recording {
    /// Whether PLAIN's authzid is passed on instead of refused.
    pub allow_authzid: bool,
    /// Every call, in order.
    pub calls: Mutex<Vec<Call>>,
}

/// `235 2.7.0 Welcome custom`.
pub fn welcome_custom() -> Reply {
    Reply::new(ReplyCode::of(235), EnhancedStatus::of(2, 7, 0), "Welcome custom")
}

#[async_trait]
impl Authenticator for Recording {
    async fn authenticate(&self, request: &AuthRequest<'_, (), ()>) -> AuthResult {
        let AuthData::LoginPassword(credentials) = request.auth_data else {
            return AuthResult::denied();
        };
        self.calls.lock().unwrap().push(Call {
            mechanism: request.mechanism.to_owned(),
            login: credentials.login.clone(),
            password: credentials.password.expose().to_vec(),
            authzid: request.authzid.map(str::to_owned),
        });
        match credentials.login.as_str() {
            "user" if credentials.password.ct_eq(b"pass") => {
                AuthResult::success(request.auth_data.clone())
            }
            "tempfail" => AuthResult::temporary_failure(),
            "custom" => {
                AuthResult::success_with_message(request.auth_data.clone(), welcome_custom())
            }
            _ => AuthResult::denied(),
        }
    }

    fn allows_authorization_identity(&self) -> bool {
        self.allow_authzid
    }
}

/// The end of a conversation.
#[derive(Debug)]
pub struct Transcript {
    /// Every reply sent, in wire form without CRLF.
    pub replies: Vec<String>,
    /// The final result, when the exchange finished.
    pub result: Option<AuthResult>,
    /// Whether the final step counts as a credential failure.
    pub counts_as_failure: bool,
}

/// A registry and an authenticator to talk to.
pub struct Harness {
    /// The mechanisms.
    pub registry: MechanismRegistry,
    /// The authenticator.
    pub authenticator: Arc<Recording>,
    /// The server.
    pub server: ServerInfo,
}

impl Harness {
    /// The built-in mechanisms and profile N's authenticator.
    pub fn new() -> Self {
        Self::with_registry(MechanismRegistry::with_builtins())
    }

    /// `registry` and profile N's authenticator.
    pub fn with_registry(registry: MechanismRegistry) -> Self {
        Self {
            registry,
            authenticator: Arc::new(Recording::default()),
            server: ServerInfo::new("mx.test"),
        }
    }

    /// Calls the authenticator received so far.
    pub fn calls(&self) -> Vec<Call> {
        self.authenticator.calls.lock().unwrap().clone()
    }

    /// Plays `AUTH <arguments>` then `lines` (each answering a 334). Panics if lines are left
    /// over when the exchange ends, or run out while it waits.
    pub async fn converse(&self, arguments: &str, lines: &[&str]) -> Transcript {
        let owned: Vec<Vec<u8>> =
            lines.iter().map(|line| format!("{line}\r\n").into_bytes()).collect();
        let borrowed: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
        self.converse_bytes(arguments, &borrowed).await
    }

    /// [`Harness::converse`] with raw client lines (line ends included as given).
    pub async fn converse_bytes(&self, arguments: &str, lines: &[&[u8]]) -> Transcript {
        let mut replies = Vec::new();
        let refused = |reply: Reply, mut replies: Vec<String>| {
            replies.push(reply.to_string());
            Transcript { replies, result: None, counts_as_failure: false }
        };
        let command = match AuthCommand::parse(arguments) {
            Ok(command) => command,
            Err(reply) => return refused(reply, replies),
        };
        let mut exchange = match AuthExchange::from_command(&self.registry, &command) {
            Ok(exchange) => exchange,
            Err(reply) => return refused(reply, replies),
        };
        let authenticator: &dyn Authenticator = self.authenticator.as_ref();
        let ctx = AuthContext { server: &self.server, session: &(), envelope: &(), authenticator };
        let mut remaining = lines.iter();
        let mut step = exchange.next(&ctx, None).await;
        loop {
            replies.push(step.reply().to_string());
            match step {
                ExchangeStep::Challenge(_) => {
                    assert!(!step.is_credential_failure());
                    let line = remaining.next().expect("the exchange waits for another line");
                    step = exchange.next(&ctx, Some(line)).await;
                }
                ExchangeStep::Done { .. } => break,
            }
        }
        assert_eq!(remaining.len(), 0, "lines left over after {replies:?}");
        assert!(exchange.is_finished());
        let counts_as_failure = step.is_credential_failure();
        let ExchangeStep::Done { reply, result } = step else { unreachable!() };
        assert_eq!(reply, result.reply());
        Transcript { replies, result: Some(result), counts_as_failure }
    }
}
