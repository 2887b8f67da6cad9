//! [`RelayAuthenticator`]: PLAIN and LOGIN checked against the [`UserStore`].

use async_trait::async_trait;
use smtp_auth::{AuthData, AuthRequest, AuthResult, Authenticator};
use smtp_server::{Envelope, Session};

use super::UserStore;

/// Checks PLAIN and LOGIN credentials against a [`UserStore`].
///
/// - right password: success with [`AuthData::Verified`] naming the login (the session's
///   `login_data`), so the password does not stay in memory for the rest of the session;
/// - wrong password or unknown user: `535 5.7.8`;
/// - the store failed (busy, I/O, damaged): `454 4.7.0`, with a warning in the log (the error
///   only, never the credentials);
/// - any other kind of credentials (tokens, CRAM-MD5, SCRAM): refused, the store holds only
///   one-way hashes.
#[derive(Clone, Debug)]
pub struct RelayAuthenticator {
    store: UserStore,
}

impl RelayAuthenticator {
    /// Authenticates against `store`.
    pub fn new(store: UserStore) -> Self {
        Self { store }
    }

    /// The store.
    pub fn store(&self) -> &UserStore {
        &self.store
    }
}

#[async_trait]
impl Authenticator<Session, Envelope> for RelayAuthenticator {
    async fn authenticate(&self, request: &AuthRequest<'_, Session, Envelope>) -> AuthResult {
        let AuthData::LoginPassword(credentials) = request.auth_data else {
            return AuthResult::denied();
        };
        match self.store.verify(&credentials.login, credentials.password.clone()).await {
            Ok(true) => {
                AuthResult::success(AuthData::Verified { login: credentials.login.clone() })
            }
            Ok(false) => AuthResult::denied(),
            Err(error) => {
                tracing::warn!(%error, "user store unavailable; answering AUTH with 454");
                AuthResult::temporary_failure()
            }
        }
    }
}
