//! Google's XOAUTH2: `user=<user>^Aauth=Bearer <token>^A^A`.
//!
//! On failure the error challenge is `{"status":"401","schemes":"bearer"}`, with `"scope"` when
//! one is configured ([`XOAuth2::with_scope`]); the client answers it with an empty response.

use std::sync::Arc;

use super::{
    BearerExchange, Dialect, ErrorDetails, SEPARATOR, find, json_object, parse_bearer, parse_pairs,
};
use crate::credentials::BearerToken;
use crate::mechanism::{Mechanism, MechanismExchange};

/// The mechanism name.
pub(super) const NAME: &str = "XOAUTH2";

/// Google's XOAUTH2 mechanism. Off by default: register it to offer it.
#[derive(Clone, Debug, Default)]
pub struct XOAuth2 {
    details: ErrorDetails,
}

impl XOAuth2 {
    /// The mechanism; its error challenge names no scope.
    pub fn new() -> Self {
        Self::default()
    }

    /// Names the OAuth `scope` a token needs in the error challenge (Google sends
    /// `https://mail.google.com/`).
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.details.scope = Some(scope.into());
        self
    }
}

impl<S: ?Sized + Sync, E: ?Sized + Sync> Mechanism<S, E> for XOAuth2 {
    fn name(&self) -> &str {
        NAME
    }

    fn start(&self) -> Box<dyn MechanismExchange<S, E>> {
        Box::new(BearerExchange::new(Dialect::XOAuth2, Arc::new(self.details.clone())))
    }
}

/// `user=<user>^Aauth=Bearer <token>^A^A` (in any order; other keys are ignored). The user must
/// be UTF-8 and not empty.
pub(super) fn parse(message: &[u8]) -> Option<BearerToken> {
    let body = message.strip_suffix(&[SEPARATOR, SEPARATOR])?;
    let pairs = parse_pairs(body)?;
    let user = std::str::from_utf8(find(&pairs, b"user")?).ok().filter(|user| !user.is_empty())?;
    let token = parse_bearer(find(&pairs, b"auth")?)?;
    Some(BearerToken { user: Some(user.to_owned()), token, host: None, port: None })
}

/// `{"status":"401","schemes":"bearer"[,"scope":"…"]}`.
pub(super) fn error_challenge(details: &ErrorDetails) -> Vec<u8> {
    let mut members = vec![("status", "401"), ("schemes", "bearer")];
    if let Some(scope) = &details.scope {
        members.push(("scope", scope));
    }
    json_object(&members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mech_test_support::{
        Responses, SeenRequest, TestAuth, challenge, drive, final_reply, result,
    };

    const GOOD: &[u8] = b"user=alice@example.com\x01auth=Bearer ya29.tok3n\x01\x01";
    const WRONG: &[u8] = b"user=alice@example.com\x01auth=Bearer ya29.wrong\x01\x01";

    fn auth() -> TestAuth {
        TestAuth::default().with_password("alice@example.com", "ya29.tok3n")
    }

    #[test]
    fn parses_google_format() {
        let token = parse(GOOD).unwrap();
        assert_eq!(token.user.as_deref(), Some("alice@example.com"));
        assert_eq!(token.token.expose(), b"ya29.tok3n");
        let reordered = parse(b"auth=bearer t\x01user=bob\x01x=y\x01\x01").unwrap();
        assert_eq!((reordered.user.as_deref(), reordered.token.expose()), (Some("bob"), &b"t"[..]));
        let malformed: [&[u8]; 9] = [
            b"",
            b"\x01\x01",
            b"user=alice\x01auth=Bearer t\x01",
            b"user=alice\x01auth=Bearer t",
            b"user=alice\x01\x01",
            b"auth=Bearer t\x01\x01",
            b"user=\x01auth=Bearer t\x01\x01",
            b"user=alice\x01auth=Basic t\x01\x01",
            b"user=\xff\x01auth=Bearer t\x01\x01",
        ];
        for message in malformed {
            assert!(parse(message).is_none(), "{message:?}");
        }
    }

    #[tokio::test]
    async fn success_with_and_without_initial_response() {
        for responses in [vec![Some(GOOD)], vec![None, Some(GOOD)]] {
            let auth = auth();
            let steps = drive(&XOAuth2::new(), &auth, &responses).await;
            if responses.len() == 2 {
                assert_eq!(challenge(&steps[0]), b"");
            }
            let done = result(steps.last().unwrap());
            assert!(done.success);
            assert_eq!(done.login(), Some("alice@example.com"));
            let seen = auth.seen();
            assert_eq!(
                seen,
                [SeenRequest {
                    mechanism: "XOAUTH2".into(),
                    login: Some("alice@example.com".into()),
                    authzid: None,
                    host: None,
                    port: None,
                }]
            );
        }
    }

    #[tokio::test]
    async fn failure_takes_an_error_challenge_and_an_empty_acknowledgement() {
        let mechanism = XOAuth2::new().with_scope("https://mail.google.com/");
        let steps = drive(&mechanism, &auth(), &[Some(WRONG), Some(b"")]).await;
        assert_eq!(
            challenge(&steps[0]),
            br#"{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}"#
        );
        assert_eq!(final_reply(&steps), "535 5.7.8 Authentication credentials invalid");
        let plain = drive(&XOAuth2::new(), &auth(), &[Some(WRONG), Some(b"")]).await;
        assert_eq!(challenge(&plain[0]), br#"{"status":"401","schemes":"bearer"}"#);
        assert!(result(&plain[1]).is_credential_failure());
    }

    #[tokio::test]
    async fn other_failures() {
        let cant_split = "501 5.5.2 Can't split auth value";
        let cases: [(TestAuth, Responses, &str); 6] = [
            (auth(), vec![Some(b"user=alice")], cant_split),
            (auth(), vec![Some(b"")], cant_split),
            (auth(), vec![Some(WRONG), Some(b"\x01")], cant_split),
            (auth(), vec![Some(WRONG), None], cant_split),
            (auth(), vec![None, None], cant_split),
            (auth().temporary(), vec![Some(GOOD)], "454 4.7.0 Temporary authentication failure"),
        ];
        for (auth, responses, expected) in cases {
            let steps = drive(&XOAuth2::new(), &auth, &responses).await;
            assert_eq!(steps.len(), responses.len(), "{responses:?}");
            assert_eq!(final_reply(&steps), expected, "{responses:?}");
        }
    }
}
