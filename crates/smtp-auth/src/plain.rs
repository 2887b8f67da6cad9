//! The PLAIN mechanism (RFC 4616).
//!
//! The client sends one message, `authzid NUL authcid NUL passwd`, either as the initial
//! response or after an empty challenge (`334 `). Anything that does not split into exactly
//! three parts — an empty message, `\0onlylogin`, four parts — is answered with
//! `501 5.5.2 Can't split auth value`, and so is a login or authzid that is not UTF-8 (logins
//! are text; a byte string that is not cannot name a user).
//!
//! An authorization identity (`authzid`) that is empty or equal to the login is the common case
//! and means "act as myself". Any other authzid is refused with 535 unless the authenticator
//! says it understands authorization identities
//! ([`Authenticator::allows_authorization_identity`](crate::Authenticator::allows_authorization_identity)),
//! in which case it receives it in [`AuthRequest::authzid`](crate::AuthRequest::authzid).
//! aiosmtpd ignores the authzid, which lets anyone who can log in claim any identity to code
//! that trusts it.

use async_trait::async_trait;
use smtp_proto::reply::Reply;

use crate::credentials::{AuthData, LoginPassword, Secret};
use crate::mechanism::{AuthContext, Mechanism, MechanismExchange, Step};
use crate::result::AuthResult;

/// The mechanism name.
pub const PLAIN: &str = "PLAIN";

/// The built-in PLAIN mechanism.
#[derive(Clone, Copy, Debug, Default)]
pub struct Plain;

impl<S: ?Sized + Sync, E: ?Sized + Sync> Mechanism<S, E> for Plain {
    fn name(&self) -> &str {
        PLAIN
    }

    fn start(&self) -> Box<dyn MechanismExchange<S, E>> {
        Box::new(PlainExchange { challenged: false })
    }
}

/// One PLAIN exchange: at most one empty challenge, then the decision.
#[derive(Debug)]
struct PlainExchange {
    challenged: bool,
}

#[async_trait]
impl<S: ?Sized + Sync, E: ?Sized + Sync> MechanismExchange<S, E> for PlainExchange {
    async fn step(&mut self, ctx: &AuthContext<'_, S, E>, response: Option<&[u8]>) -> Step {
        let message = match response {
            Some(message) => message,
            None if !self.challenged => {
                self.challenged = true;
                return Step::Challenge(Vec::new());
            }
            // Only the first step can lack a response; treat a second `None` as empty.
            None => b"",
        };
        Step::Done(decide(ctx, message).await)
    }
}

/// The three parts of a PLAIN message. The password is already in a zeroising [`Secret`].
struct PlainMessage<'a> {
    authzid: &'a str,
    login: &'a str,
    password: Secret,
}

/// Splits `authzid NUL authcid NUL passwd`; `None` unless there are exactly three parts and the
/// two identities are UTF-8.
fn split(message: &[u8]) -> Option<PlainMessage<'_>> {
    let mut parts = message.split(|&byte| byte == 0);
    let (authzid, login, password) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some(PlainMessage {
        authzid: std::str::from_utf8(authzid).ok()?,
        login: std::str::from_utf8(login).ok()?,
        password: Secret::new(password),
    })
}

async fn decide<S: ?Sized + Sync, E: ?Sized + Sync>(
    ctx: &AuthContext<'_, S, E>,
    message: &[u8],
) -> AuthResult {
    let Some(parts) = split(message) else {
        tracing::debug!(mechanism = PLAIN, "PLAIN message does not split into three parts");
        return AuthResult::denied_with(Reply::auth_cant_split());
    };
    let authzid =
        (!parts.authzid.is_empty() && parts.authzid != parts.login).then_some(parts.authzid);
    if authzid.is_some() && !ctx.authenticator.allows_authorization_identity() {
        tracing::debug!(mechanism = PLAIN, "authorization identity refused");
        return AuthResult::denied();
    }
    let auth_data = AuthData::LoginPassword(LoginPassword::new(parts.login, parts.password));
    ctx.authenticate(PLAIN, &auth_data, authzid).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_needs_exactly_three_utf8_identities() {
        let good = [
            (&b"\0alice\0wonderland"[..], "", "alice", &b"wonderland"[..]),
            (b"bob\0alice\0pw", "bob", "alice", b"pw"),
            (b"\0\0", "", "", b""),
            (b"\0alice\0\xff\xfe", "", "alice", b"\xff\xfe"),
            ("\0j\u{fc}rgen\0pw".as_bytes(), "", "j\u{fc}rgen", b"pw"),
        ];
        for (message, authzid, login, password) in good {
            let parts = split(message).unwrap();
            assert_eq!(parts.authzid, authzid);
            assert_eq!(parts.login, login);
            assert_eq!(parts.password.expose(), password);
        }
        let bad: [&[u8]; 7] = [
            b"",
            b"\0onlylogin",
            b"alice\0wonderland",
            b"a\0b\0c\0d",
            b"\0\0\0",
            b"\0al\xffice\0pw",
            b"\xff\0alice\0pw",
        ];
        for message in bad {
            assert!(split(message).is_none(), "{message:?}");
        }
    }
}
