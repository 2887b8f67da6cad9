//! The [`Authenticator`]: the application's credential check.
//!
//! The authenticator is generic over the server's session and envelope types (`S`, `E`), so it
//! sees them as they are, by shared reference: it can read them, never change them. The server
//! crate instantiates it with its own `Session` and `Envelope`; tests in this crate use `()`.

use async_trait::async_trait;

use crate::credentials::{AuthData, SecretKind, StoredSecret};
use crate::result::AuthResult;

/// What the server tells an authenticator about itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerInfo {
    /// The host name the server announces.
    pub hostname: String,
}

impl ServerInfo {
    /// Server information with the given host name.
    pub fn new(hostname: impl Into<String>) -> Self {
        Self { hostname: hostname.into() }
    }
}

/// One credential check: aiosmtpd's `(server, session, envelope, mechanism, auth_data)`.
#[derive(Debug)]
pub struct AuthRequest<'a, S: ?Sized, E: ?Sized> {
    /// The server.
    pub server: &'a ServerInfo,
    /// The session (read only).
    pub session: &'a S,
    /// The envelope (read only).
    pub envelope: &'a E,
    /// The mechanism name, upper case (`"PLAIN"`).
    pub mechanism: &'a str,
    /// The credentials the mechanism produced.
    pub auth_data: &'a AuthData,
    /// The authorization identity the client asked for, when it differs from the login (PLAIN's
    /// `authzid`). Only passed when [`Authenticator::allows_authorization_identity`] is true;
    /// otherwise such a request is refused before the authenticator is asked.
    pub authzid: Option<&'a str>,
}

/// A request for a user's stored secret (CRAM-MD5, SCRAM).
#[derive(Debug)]
pub struct SecretRequest<'a, S: ?Sized, E: ?Sized> {
    /// The server.
    pub server: &'a ServerInfo,
    /// The session (read only).
    pub session: &'a S,
    /// The envelope (read only).
    pub envelope: &'a E,
    /// The mechanism asking.
    pub mechanism: &'a str,
    /// The login whose secret is wanted.
    pub login: &'a str,
    /// The kind of secret wanted.
    pub kind: SecretKind,
}

/// The answer to a [`SecretRequest`].
#[derive(Debug)]
#[non_exhaustive]
pub enum SecretLookup {
    /// The user exists and has a secret of the kind asked for.
    Found(StoredSecret),
    /// No such user, or no secret of that kind. The mechanism goes on with a dummy secret so the
    /// client cannot tell an unknown user from a wrong password.
    NotFound,
    /// The store could not be asked (answered with `454 4.7.0`).
    TemporaryFailure,
}

/// Verifies credentials. Awaited by the mechanisms; may query a database.
///
/// ```
/// use async_trait::async_trait;
/// use smtp_auth::{AuthData, AuthRequest, AuthResult, Authenticator};
///
/// /// Accepts one user whose password is "let-me-in".
/// struct OneUser;
///
/// #[async_trait]
/// impl<S: ?Sized + Sync, E: ?Sized + Sync> Authenticator<S, E> for OneUser {
///     async fn authenticate(&self, request: &AuthRequest<'_, S, E>) -> AuthResult {
///         match request.auth_data {
///             AuthData::LoginPassword(lp) if lp.login == "alice" && lp.password.ct_eq(b"let-me-in") => {
///                 AuthResult::success(request.auth_data.clone())
///             }
///             _ => AuthResult::denied(),
///         }
///     }
/// }
/// ```
#[async_trait]
pub trait Authenticator<S: ?Sized + Sync = (), E: ?Sized + Sync = ()>: Send + Sync {
    /// Decides whether `request.auth_data` authenticates the client.
    async fn authenticate(&self, request: &AuthRequest<'_, S, E>) -> AuthResult;

    /// Returns a user's stored secret, for mechanisms that verify a proof (CRAM-MD5, SCRAM).
    /// The default has none, so those mechanisms refuse everyone.
    async fn lookup_secret(&self, request: &SecretRequest<'_, S, E>) -> SecretLookup {
        let _ = request;
        SecretLookup::NotFound
    }

    /// Whether a client may ask to act as another identity (PLAIN's `authzid` differing from
    /// the login). Default: no, such attempts are refused with 535.
    fn allows_authorization_identity(&self) -> bool {
        false
    }
}
