//! The SASL server [`Mechanism`] trait: a small state machine that never sees base64 or sockets.
//!
//! A mechanism is a factory ([`Mechanism::start`]) for one exchange ([`MechanismExchange`]).
//! Each step gets the client's decoded response — `None` for "no initial response", `Some(b"")`
//! for an empty one (the client sent `=`) — and answers with a challenge to send (the exchange
//! base64-encodes it into a `334` line) or the final [`AuthResult`].

use async_trait::async_trait;

use crate::authenticator::{AuthRequest, Authenticator, SecretLookup, SecretRequest, ServerInfo};
use crate::credentials::{AuthData, SecretKind};
use crate::result::AuthResult;

/// What a mechanism sees of the world during an exchange.
pub struct AuthContext<'a, S: ?Sized, E: ?Sized> {
    /// The server.
    pub server: &'a ServerInfo,
    /// The session (read only).
    pub session: &'a S,
    /// The envelope (read only).
    pub envelope: &'a E,
    /// The application's authenticator.
    pub authenticator: &'a dyn Authenticator<S, E>,
}

impl<S: ?Sized + Sync, E: ?Sized + Sync> AuthContext<'_, S, E> {
    /// Asks the authenticator about `auth_data`.
    pub async fn authenticate(
        &self,
        mechanism: &str,
        auth_data: &AuthData,
        authzid: Option<&str>,
    ) -> AuthResult {
        let request = AuthRequest {
            server: self.server,
            session: self.session,
            envelope: self.envelope,
            mechanism,
            auth_data,
            authzid,
        };
        self.authenticator.authenticate(&request).await
    }

    /// Asks the authenticator for `login`'s stored secret of `kind`.
    pub async fn lookup_secret(
        &self,
        mechanism: &str,
        login: &str,
        kind: SecretKind,
    ) -> SecretLookup {
        let request = SecretRequest {
            server: self.server,
            session: self.session,
            envelope: self.envelope,
            mechanism,
            login,
            kind,
        };
        self.authenticator.lookup_secret(&request).await
    }
}

/// The answer of one exchange step.
#[derive(Debug)]
pub enum Step {
    /// Send this challenge (raw bytes; the exchange base64-encodes them) and wait for a response.
    Challenge(Vec<u8>),
    /// The exchange is over.
    Done(AuthResult),
}

/// A SASL server mechanism: a factory of exchanges. Registered under [`Mechanism::name`].
pub trait Mechanism<S: ?Sized + Sync = (), E: ?Sized + Sync = ()>: Send + Sync {
    /// The mechanism name as advertised (RFC 4422: `A-Z 0-9 - _`, at most 20 characters).
    fn name(&self) -> &str;

    /// Starts one exchange.
    fn start(&self) -> Box<dyn MechanismExchange<S, E>>;
}

/// One running exchange of a mechanism.
#[async_trait]
pub trait MechanismExchange<S: ?Sized + Sync = (), E: ?Sized + Sync = ()>: Send {
    /// Takes the client's decoded response (`None`: no initial response was given, only possible
    /// on the first step) and answers with a challenge or the result.
    async fn step(&mut self, ctx: &AuthContext<'_, S, E>, response: Option<&[u8]>) -> Step;
}
