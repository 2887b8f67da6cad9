//! OAuth 2.0 bearer-token mechanisms: Google's XOAUTH2 and RFC 7628's OAUTHBEARER.
//!
//! Both carry a bearer token in one client message, hand it to the authenticator as
//! [`AuthData::Bearer`], and fail in two round trips: the server sends a JSON error as a
//! challenge, the client acknowledges it (XOAUTH2: an empty response; OAUTHBEARER: a single
//! `0x01`), and only then does the failure reply (`535 5.7.8`, or the authenticator's own reply)
//! follow. Without an initial response the server first sends an empty challenge.
//!
//! Replies of both mechanisms:
//!
//! - a client message that does not follow the mechanism's format, or a wrong acknowledgement of
//!   the error challenge: `501 5.5.2 Can't split auth value` ([`Reply::auth_cant_split`]);
//! - a temporary failure of the authenticator (`454 4.7.0`): passed on at once, without an error
//!   challenge (the token may well be valid);
//! - any other failure: the error challenge, then the authenticator's failure reply;
//! - success: the authenticator's result.
//!
//! Both are off by default: register [`XOAuth2::new`] or [`OAuthBearer::new`] to offer them.

mod oauthbearer;
mod xoauth2;

use std::sync::Arc;

use async_trait::async_trait;
use smtp_proto::reply::Reply;

pub use oauthbearer::OAuthBearer;
pub use xoauth2::XOAuth2;

use crate::credentials::{AuthData, BearerToken, Secret};
use crate::mechanism::{AuthContext, MechanismExchange, Step};
use crate::result::AuthResult;

/// The key/value separator of both mechanisms (`^A`).
const SEPARATOR: u8 = 0x01;

/// Which of the two mechanisms an exchange speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dialect {
    /// Google's XOAUTH2.
    XOAuth2,
    /// RFC 7628 OAUTHBEARER.
    OAuthBearer,
}

impl Dialect {
    fn name(self) -> &'static str {
        match self {
            Self::XOAuth2 => xoauth2::NAME,
            Self::OAuthBearer => oauthbearer::NAME,
        }
    }

    fn parse(self, message: &[u8]) -> Option<BearerToken> {
        match self {
            Self::XOAuth2 => xoauth2::parse(message),
            Self::OAuthBearer => oauthbearer::parse(message),
        }
    }

    fn error_challenge(self, details: &ErrorDetails) -> Vec<u8> {
        match self {
            Self::XOAuth2 => xoauth2::error_challenge(details),
            Self::OAuthBearer => oauthbearer::error_challenge(details),
        }
    }

    fn is_acknowledgement(self, response: &[u8]) -> bool {
        match self {
            Self::XOAuth2 => response.is_empty(),
            Self::OAuthBearer => response == [SEPARATOR],
        }
    }
}

/// What the error challenge tells a client about where to get a better token.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct ErrorDetails {
    /// The OAuth scope a token needs.
    scope: Option<String>,
    /// The OpenID discovery document's URL (OAUTHBEARER only).
    openid_configuration: Option<String>,
}

/// Where an exchange stands.
#[derive(Debug)]
enum State {
    /// Nothing received yet.
    Start,
    /// No initial response came; the empty challenge was sent.
    AwaitingResponse,
    /// The error challenge was sent; this failure follows the client's acknowledgement.
    ErrorSent(AuthResult),
    /// The exchange answered its result.
    Finished,
}

/// One XOAUTH2 or OAUTHBEARER exchange. Holds no token: the token lives only while the
/// authenticator is asked.
#[derive(Debug)]
struct BearerExchange {
    dialect: Dialect,
    details: Arc<ErrorDetails>,
    state: State,
}

impl BearerExchange {
    fn new(dialect: Dialect, details: Arc<ErrorDetails>) -> Self {
        Self { dialect, details, state: State::Start }
    }

    fn malformed(&self, stage: &'static str) -> Step {
        tracing::debug!(mechanism = self.dialect.name(), stage, "malformed message");
        Step::Done(AuthResult::denied_with(Reply::auth_cant_split()))
    }

    /// Hands the token to the authenticator; a permanent failure becomes the error challenge.
    async fn check<S: ?Sized + Sync, E: ?Sized + Sync>(
        &mut self,
        ctx: &AuthContext<'_, S, E>,
        message: &[u8],
    ) -> Step {
        let name = self.dialect.name();
        let Some(token) = self.dialect.parse(message) else {
            return self.malformed("client response");
        };
        let data = AuthData::Bearer(token);
        let result = ctx.authenticate(name, &data, None).await;
        if result.success || !result.reply().code().is_permanent() {
            tracing::debug!(mechanism = name, login = ?data.login(), success = result.success, "finished");
            return Step::Done(result);
        }
        tracing::debug!(mechanism = name, login = ?data.login(), "token refused, error challenge sent");
        self.state = State::ErrorSent(result);
        Step::Challenge(self.dialect.error_challenge(&self.details))
    }
}

#[async_trait]
impl<S: ?Sized + Sync, E: ?Sized + Sync> MechanismExchange<S, E> for BearerExchange {
    async fn step(&mut self, ctx: &AuthContext<'_, S, E>, response: Option<&[u8]>) -> Step {
        match (std::mem::replace(&mut self.state, State::Finished), response) {
            (State::Start, None) => {
                self.state = State::AwaitingResponse;
                Step::Challenge(Vec::new())
            }
            (State::Start | State::AwaitingResponse, Some(message)) => {
                self.check(ctx, message).await
            }
            (State::ErrorSent(result), Some(ack)) if self.dialect.is_acknowledgement(ack) => {
                Step::Done(result)
            }
            (State::ErrorSent(_), _) => self.malformed("error acknowledgement"),
            (State::AwaitingResponse, None) | (State::Finished, _) => self.malformed("sequence"),
        }
    }
}

/// The `\x01`-separated `key=value` pairs of a client message, after any header. `None` when a
/// pair has no `=`, a key is not letters, or a key repeats.
fn parse_pairs(body: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let mut pairs: Vec<(&[u8], &[u8])> = Vec::new();
    for pair in body.split(|&byte| byte == SEPARATOR) {
        let equals = pair.iter().position(|&byte| byte == b'=')?;
        let (key, value) = pair.split_at(equals);
        let value = value.get(1..)?;
        let valid_key = !key.is_empty() && key.iter().all(u8::is_ascii_alphabetic);
        if !valid_key || pairs.iter().any(|(seen, _)| *seen == key) {
            return None;
        }
        pairs.push((key, value));
    }
    Some(pairs)
}

/// The value of `key` among `pairs`.
fn find<'a>(pairs: &[(&[u8], &'a [u8])], key: &[u8]) -> Option<&'a [u8]> {
    pairs.iter().find(|(name, _)| *name == key).map(|(_, value)| *value)
}

/// `Bearer <token>` (RFC 6750 §2.1: the scheme in any case, one space, a `b64token`).
fn parse_bearer(value: &[u8]) -> Option<Secret> {
    let scheme = value.get(..7)?;
    if !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    let token = value.get(7..)?;
    let body_len = token.iter().rposition(|&byte| byte != b'=').map_or(0, |last| last + 1);
    let (body, padding) = token.split_at(body_len);
    let valid = !body.is_empty()
        && body.iter().all(|&byte| byte.is_ascii_alphanumeric() || b"-._~+/".contains(&byte))
        && padding.iter().all(|&byte| byte == b'=');
    valid.then(|| Secret::new(token))
}

/// A JSON string literal for `text`.
fn json_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            control if u32::from(control) < 0x20 => {
                quoted.push_str(&format!("\\u{:04x}", u32::from(control)));
            }
            other => quoted.push(other),
        }
    }
    quoted.push('"');
    quoted
}

/// A JSON object of string members, in order.
fn json_object(members: &[(&str, &str)]) -> Vec<u8> {
    let body: Vec<String> = members
        .iter()
        .map(|(key, value)| format!("{}:{}", json_string(key), json_string(value)))
        .collect();
    format!("{{{}}}", body.join(",")).into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_values() {
        let accepted: [&[u8]; 5] = [
            b"Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
            b"bearer abc",
            b"BEARER a-._~+/b==",
            b"Bearer x",
            b"Bearer x=",
        ];
        for value in accepted {
            assert_eq!(parse_bearer(value).unwrap().expose(), &value[7..]);
        }
        let refused: [&[u8]; 8] = [
            b"",
            b"Bearer",
            b"Bearer ",
            b"Bearer  abc",
            b"Basic abc",
            b"Bearer a b",
            b"Bearer ==",
            b"Bearer a=b",
        ];
        for value in refused {
            assert!(parse_bearer(value).is_none(), "{value:?}");
        }
    }

    #[test]
    fn pairs() {
        let parsed = parse_pairs(b"host=server.example.com\x01port=587\x01auth=Bearer x=").unwrap();
        assert_eq!(find(&parsed, b"port"), Some(&b"587"[..]));
        assert_eq!(find(&parsed, b"auth"), Some(&b"Bearer x="[..]));
        assert_eq!(find(&parsed, b"user"), None);
        for body in [&b"host"[..], b"=x", b"ho-st=x", b"a=1\x01a=2", b"a=1\x01"] {
            assert!(parse_pairs(body).is_none(), "{body:?}");
        }
    }

    #[tokio::test]
    async fn debug_of_exchange_states_shows_no_token() {
        use crate::mech_test_support::{HOSTNAME, TestAuth};
        let auth = TestAuth::default().with_password("alice", "ya29.right");
        let server = crate::ServerInfo::new(HOSTNAME);
        let ctx =
            AuthContext { server: &server, session: &(), envelope: &(), authenticator: &auth };
        let messages: [(Dialect, &[u8]); 2] = [
            (Dialect::XOAuth2, b"user=alice\x01auth=Bearer ya29.s3cr3t\x01\x01"),
            (Dialect::OAuthBearer, b"n,a=alice,\x01auth=Bearer ya29.s3cr3t\x01\x01"),
        ];
        for (dialect, message) in messages {
            let mut exchange = BearerExchange::new(dialect, Arc::default());
            let step = MechanismExchange::<(), ()>::step(&mut exchange, &ctx, Some(message)).await;
            assert!(matches!(step, Step::Challenge(_)));
            let shown = format!("{exchange:?}");
            assert!(shown.contains("ErrorSent") && !shown.contains("s3cr3t"), "{shown}");
        }
    }

    #[test]
    fn json() {
        assert_eq!(
            json_object(&[("status", "401"), ("scope", "a \"b\" \\c\n")]),
            b"{\"status\":\"401\",\"scope\":\"a \\\"b\\\" \\\\c\\u000a\"}"
        );
        assert_eq!(json_object(&[]), b"{}");
    }
}
