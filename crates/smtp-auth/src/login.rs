//! The LOGIN mechanism (draft-murchison-sasl-login, as clients actually speak it).
//!
//! The server asks `User Name\0` (`334 VXNlciBOYW1lAA==`) unless the client gave the user name
//! as the initial response, then `Password\0` (`334 UGFzc3dvcmQA`), and hands the pair to the
//! authenticator. An empty user name or password is passed on, as aiosmtpd does: refusing it
//! is the authenticator's call. A user name that is not UTF-8 cannot name a user: it is
//! refused with `535` at once, without asking for a password.

use async_trait::async_trait;

use crate::credentials::{AuthData, LoginPassword, Secret};
use crate::mechanism::{AuthContext, Mechanism, MechanismExchange, Step};
use crate::result::AuthResult;

/// The mechanism name.
pub const LOGIN: &str = "LOGIN";

/// The first challenge, asking for the user name.
pub const USER_NAME_CHALLENGE: &[u8] = b"User Name\0";

/// The second challenge, asking for the password.
pub const PASSWORD_CHALLENGE: &[u8] = b"Password\0";

/// The built-in LOGIN mechanism.
#[derive(Clone, Copy, Debug, Default)]
pub struct Login;

impl<S: ?Sized + Sync, E: ?Sized + Sync> Mechanism<S, E> for Login {
    fn name(&self) -> &str {
        LOGIN
    }

    fn start(&self) -> Box<dyn MechanismExchange<S, E>> {
        Box::new(LoginExchange::AwaitingUser)
    }
}

/// Where one LOGIN exchange stands.
#[derive(Debug)]
enum LoginExchange {
    /// Nothing received yet.
    AwaitingUser,
    /// The user name is known; the password prompt was sent.
    AwaitingPassword {
        /// The user name.
        login: String,
    },
    /// The exchange is over.
    Finished,
}

#[async_trait]
impl<S: ?Sized + Sync, E: ?Sized + Sync> MechanismExchange<S, E> for LoginExchange {
    async fn step(&mut self, ctx: &AuthContext<'_, S, E>, response: Option<&[u8]>) -> Step {
        match std::mem::replace(self, Self::Finished) {
            Self::AwaitingUser => self.take_user(response),
            Self::AwaitingPassword { login } => {
                let password = Secret::new(response.unwrap_or_default());
                let auth_data = AuthData::LoginPassword(LoginPassword::new(login, password));
                Step::Done(ctx.authenticate(LOGIN, &auth_data, None).await)
            }
            Self::Finished => Step::Done(AuthResult::denied()),
        }
    }
}

impl LoginExchange {
    fn take_user(&mut self, response: Option<&[u8]>) -> Step {
        let Some(user) = response else {
            *self = Self::AwaitingUser;
            return Step::Challenge(USER_NAME_CHALLENGE.to_vec());
        };
        match std::str::from_utf8(user) {
            Ok(login) => {
                *self = Self::AwaitingPassword { login: login.to_owned() };
                Step::Challenge(PASSWORD_CHALLENGE.to_vec())
            }
            Err(_) => {
                tracing::debug!(mechanism = LOGIN, "LOGIN user name is not UTF-8");
                Step::Done(AuthResult::denied())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authenticator::ServerInfo;
    use crate::memory::MemoryAuthenticator;

    /// The client's response, the challenge expected back, or the success expected.
    type ScriptLine = (Option<&'static [u8]>, Option<&'static [u8]>, Option<bool>);

    #[tokio::test]
    async fn prompts_then_asks_the_authenticator_once() {
        let authenticator = MemoryAuthenticator::new().with_user("user", "pass");
        let server = ServerInfo::new("mx.test");
        let ctx = AuthContext {
            server: &server,
            session: &(),
            envelope: &(),
            authenticator: &authenticator,
        };
        let mut exchange = Mechanism::<(), ()>::start(&Login);
        let script: [ScriptLine; 3] = [
            (None, Some(USER_NAME_CHALLENGE), None),
            (Some(b"user"), Some(PASSWORD_CHALLENGE), None),
            (Some(b"pass"), None, Some(true)),
        ];
        for (response, challenge, success) in script {
            match exchange.step(&ctx, response).await {
                Step::Challenge(sent) => assert_eq!(Some(sent.as_slice()), challenge),
                Step::Done(result) => {
                    assert_eq!(Some(result.success), success);
                    assert_eq!(result.login(), Some("user"));
                }
            }
        }
        // Once over, the exchange only refuses.
        let Step::Done(result) = exchange.step(&ctx, Some(b"pass")).await else { panic!() };
        assert!(!result.success);
    }
}
