//! [`AuthResult`]: the outcome of an authentication, with aiosmtpd's four fields.

use std::fmt;

use smtp_proto::reply::Reply;

use crate::credentials::AuthData;

/// The outcome of an authentication attempt (aiosmtpd's `AuthResult`).
///
/// - `success`: the client is authenticated.
/// - `handled`: a reply was already sent to the client by whoever produced this result (only a
///   custom AUTH hook of the server can do that). Mechanisms and authenticators never write to
///   the client, so when nothing was sent the exchange still answers: a client is never left
///   without a reply.
/// - `message`: when set, the reply to send instead of the standard one (it carries its own
///   code); when not set, `235 2.7.0 Authentication successful` or
///   `535 5.7.8 Authentication credentials invalid`.
/// - `auth_data`: stored on the session on success; its login (if any) becomes the session's
///   login data.
///
/// Prefer the constructors, which cannot be combined wrongly:
///
/// ```
/// use smtp_auth::{AuthData, AuthResult, LoginPassword};
///
/// let ok = AuthResult::success(AuthData::LoginPassword(LoginPassword::new("alice", "secret")));
/// assert!(ok.success);
/// assert_eq!(ok.reply().to_string(), "235 2.7.0 Authentication successful");
/// assert_eq!(AuthResult::denied().reply().to_string(), "535 5.7.8 Authentication credentials invalid");
/// assert_eq!(AuthResult::temporary_failure().reply().code().get(), 454);
/// ```
#[derive(Clone, Debug)]
pub struct AuthResult {
    /// Whether the client is now authenticated.
    pub success: bool,
    /// Whether a reply was already sent (see the type's documentation).
    pub handled: bool,
    /// The reply to send instead of the standard one.
    pub message: Option<Reply>,
    /// What to store on the session on success.
    pub auth_data: Option<AuthData>,
}

impl AuthResult {
    /// Authenticated; `auth_data` is stored on the session.
    pub fn success(auth_data: AuthData) -> Self {
        Self { success: true, handled: false, message: None, auth_data: Some(auth_data) }
    }

    /// Authenticated, answered with `message` (e.g. `235 2.7.0 Welcome`).
    pub fn success_with_message(auth_data: AuthData, message: Reply) -> Self {
        Self { message: Some(message), ..Self::success(auth_data) }
    }

    /// Refused with the standard `535 5.7.8 Authentication credentials invalid`.
    pub fn denied() -> Self {
        Self { success: false, handled: false, message: None, auth_data: None }
    }

    /// Refused with a reply of the caller's choice (e.g. a `501` for a malformed response).
    pub fn denied_with(message: Reply) -> Self {
        Self { message: Some(message), ..Self::denied() }
    }

    /// Could not be decided now (a database is down): `454 4.7.0 Temporary authentication
    /// failure`. Does not count as a failed attempt against the client.
    pub fn temporary_failure() -> Self {
        Self::denied_with(Reply::auth_temporary_failure())
    }

    /// The reply this result asks for: `message` when set, otherwise the standard reply.
    pub fn reply(&self) -> Reply {
        match (&self.message, self.success) {
            (Some(message), _) => message.clone(),
            (None, true) => Reply::auth_successful(),
            (None, false) => Reply::auth_invalid(),
        }
    }

    /// Whether this is a refusal that counts against the client's failure budget: a refusal
    /// whose reply is permanent (5xx). Temporary failures (4xx) do not count.
    pub fn is_credential_failure(&self) -> bool {
        !self.success && self.reply().code().is_permanent()
    }

    /// The login stored as the session's login data on success.
    pub fn login(&self) -> Option<&str> {
        self.auth_data.as_ref().and_then(AuthData::login)
    }
}

impl fmt::Display for AuthResult {
    /// Like aiosmtpd's `repr`: the flags and the message, with `auth_data` shown as `...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthResult(success={}, handled={}, message=", self.success, self.handled)?;
        match &self.message {
            Some(message) => write!(f, "{:?}", message.to_string())?,
            None => f.write_str("None")?,
        }
        let auth_data = if self.auth_data.is_some() { "..." } else { "None" };
        write!(f, ", auth_data={auth_data})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::LoginPassword;

    #[test]
    fn display_hides_auth_data() {
        let data = AuthData::LoginPassword(LoginPassword::new("alice", "wonderland"));
        let cases = [
            (
                AuthResult::success(data.clone()),
                "AuthResult(success=true, handled=false, message=None, auth_data=...)",
            ),
            (
                AuthResult::temporary_failure(),
                "AuthResult(success=false, handled=false, \
                 message=\"454 4.7.0 Temporary authentication failure\", auth_data=None)",
            ),
        ];
        for (result, shown) in cases {
            assert_eq!(result.to_string(), shown);
        }
    }
}
