//! OAUTHBEARER (RFC 7628 §3.1): `n,a=<user>,^Ahost=<host>^Aport=<port>^Aauth=Bearer <token>^A^A`.
//!
//! The GS2 header's flag must be `n` or `y` (a channel-binding request `p=` is malformed: the
//! mechanism has no channel binding); its authorization identity, when present, becomes the
//! token's user. `host=` and `port=` are optional, `auth=` is required, other keys are ignored.
//! On failure the error challenge is RFC 7628 §3.2.2's
//! `{"status":"invalid_token"[,"scope":"…"][,"openid-configuration":"…"]}`; the client must
//! answer it with a single `0x01`.

use std::sync::Arc;

use super::{
    BearerExchange, Dialect, ErrorDetails, SEPARATOR, find, json_object, parse_bearer, parse_pairs,
};
use crate::credentials::BearerToken;
use crate::mechanism::{Mechanism, MechanismExchange};
use crate::scram::decode_saslname;

/// The mechanism name.
pub(super) const NAME: &str = "OAUTHBEARER";

/// The OAUTHBEARER mechanism (RFC 7628). Off by default: register it to offer it.
#[derive(Clone, Debug, Default)]
pub struct OAuthBearer {
    details: ErrorDetails,
}

impl OAuthBearer {
    /// The mechanism; its error challenge carries only the status.
    pub fn new() -> Self {
        Self::default()
    }

    /// Names the OAuth `scope` a token needs in the error challenge.
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.details.scope = Some(scope.into());
        self
    }

    /// Names the OpenID discovery document (`openid-configuration`) in the error challenge.
    pub fn with_openid_configuration(mut self, url: impl Into<String>) -> Self {
        self.details.openid_configuration = Some(url.into());
        self
    }
}

impl<S: ?Sized + Sync, E: ?Sized + Sync> Mechanism<S, E> for OAuthBearer {
    fn name(&self) -> &str {
        NAME
    }

    fn start(&self) -> Box<dyn MechanismExchange<S, E>> {
        Box::new(BearerExchange::new(Dialect::OAuthBearer, Arc::new(self.details.clone())))
    }
}

/// `gs2-header ^A *(key=value ^A) ^A` with a required `auth=Bearer <token>`.
pub(super) fn parse(message: &[u8]) -> Option<BearerToken> {
    let text_end = message.iter().position(|&byte| byte == SEPARATOR)?;
    let (header, rest) = message.split_at(text_end);
    let user = parse_gs2_header(std::str::from_utf8(header).ok()?)?;
    let body = rest.strip_prefix(&[SEPARATOR])?.strip_suffix(&[SEPARATOR, SEPARATOR])?;
    let pairs = parse_pairs(body)?;
    if !pairs.iter().all(|(_, value)| value.iter().all(|&byte| is_value_byte(byte))) {
        return None;
    }
    let host = match find(&pairs, b"host") {
        Some(host) => Some(std::str::from_utf8(host).ok()?.to_owned()),
        None => None,
    };
    let port = match find(&pairs, b"port") {
        Some(port) => Some(std::str::from_utf8(port).ok()?.parse::<u16>().ok()?),
        None => None,
    };
    let token = parse_bearer(find(&pairs, b"auth")?)?;
    Some(BearerToken { user, token, host, port })
}

/// `n,,` / `y,,` / `n,a=<saslname>,`: the authorization identity, if any. `None` (outer) when
/// malformed.
fn parse_gs2_header(header: &str) -> Option<Option<String>> {
    let rest = header.strip_prefix("n,").or_else(|| header.strip_prefix("y,"))?;
    let authzid = rest.strip_suffix(',')?;
    match authzid {
        "" => Some(None),
        _ => Some(Some(decode_saslname(authzid.strip_prefix("a=")?)?)),
    }
}

/// RFC 7628 `value`: `VCHAR / SP / HTAB / CR / LF`.
fn is_value_byte(byte: u8) -> bool {
    matches!(byte, 0x21..=0x7e | b' ' | b'\t' | b'\r' | b'\n')
}

/// `{"status":"invalid_token"[,"scope":"…"][,"openid-configuration":"…"]}` (RFC 7628 §3.2.2).
pub(super) fn error_challenge(details: &ErrorDetails) -> Vec<u8> {
    let mut members = vec![("status", "invalid_token")];
    if let Some(scope) = &details.scope {
        members.push(("scope", scope));
    }
    if let Some(url) = &details.openid_configuration {
        members.push(("openid-configuration", url));
    }
    json_object(&members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mech_test_support::{
        Responses, SeenRequest, TestAuth, challenge, drive, final_reply, result,
    };

    /// RFC 7628 §4.1's example, with the token of the test user.
    const GOOD: &[u8] =
        b"n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==\x01\x01";
    const WRONG: &[u8] = b"n,a=user@example.com,\x01auth=Bearer wrong\x01\x01";

    fn auth() -> TestAuth {
        TestAuth::default()
            .with_password("user@example.com", "vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==")
    }

    #[test]
    fn parses_rfc_7628_messages() {
        let token = parse(GOOD).unwrap();
        assert_eq!(token.user.as_deref(), Some("user@example.com"));
        assert_eq!((token.host.as_deref(), token.port), (Some("server.example.com"), Some(143)));
        assert_eq!(token.token.expose(), b"vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg==");
        let bare = parse(b"y,,\x01auth=Bearer t\x01\x01").unwrap();
        assert_eq!((bare.user, bare.host, bare.port), (None, None, None));
        let escaped = parse(b"n,a=a=2Cb=3D,\x01auth=Bearer t\x01x=any value\x01\x01").unwrap();
        assert_eq!(escaped.user.as_deref(), Some("a,b="));
        let malformed: [&[u8]; 14] = [
            b"",
            b"\x01",
            b"\x01\x01",
            b"n,,\x01\x01",
            b"n,,\x01auth=Bearer t\x01",
            b"n,,auth=Bearer t\x01\x01",
            b"p=tls-unique,,\x01auth=Bearer t\x01\x01",
            b"n,b=x,\x01auth=Bearer t\x01\x01",
            b"n,a=x=41,\x01auth=Bearer t\x01\x01",
            b"n,,\x01host=x\x01\x01",
            b"n,,\x01port=99999\x01auth=Bearer t\x01\x01",
            b"n,,\x01port=\x01auth=Bearer t\x01\x01",
            b"n,,\x01host=a\x00b\x01auth=Bearer t\x01\x01",
            b"n,,\x01auth=Bearer t\x01auth=Bearer u\x01\x01",
        ];
        for message in malformed {
            assert!(parse(message).is_none(), "{message:?}");
        }
    }

    #[tokio::test]
    async fn success_with_and_without_initial_response() {
        for responses in [vec![Some(GOOD)], vec![None, Some(GOOD)]] {
            let auth = auth();
            let steps = drive(&OAuthBearer::new(), &auth, &responses).await;
            if responses.len() == 2 {
                assert_eq!(challenge(&steps[0]), b"");
            }
            let done = result(steps.last().unwrap());
            assert!(done.success);
            assert_eq!(done.login(), Some("user@example.com"));
            assert_eq!(
                auth.seen(),
                [SeenRequest {
                    mechanism: "OAUTHBEARER".into(),
                    login: Some("user@example.com".into()),
                    authzid: None,
                    host: Some("server.example.com".into()),
                    port: Some(143),
                }]
            );
        }
    }

    #[tokio::test]
    async fn failure_takes_an_error_challenge_and_a_0x01_acknowledgement() {
        let mechanism = OAuthBearer::new()
            .with_scope("mail")
            .with_openid_configuration("https://example.com/.well-known/openid-configuration");
        let steps = drive(&mechanism, &auth(), &[Some(WRONG), Some(b"\x01")]).await;
        assert_eq!(
            challenge(&steps[0]),
            br#"{"status":"invalid_token","scope":"mail","openid-configuration":"https://example.com/.well-known/openid-configuration"}"#
        );
        assert_eq!(final_reply(&steps), "535 5.7.8 Authentication credentials invalid");
        let plain = drive(&OAuthBearer::new(), &auth(), &[Some(WRONG), Some(b"\x01")]).await;
        assert_eq!(challenge(&plain[0]), br#"{"status":"invalid_token"}"#);
    }

    #[tokio::test]
    async fn other_failures_including_go_sasl_acknowledgement_bug() {
        // go-sasl checked the acknowledgement with `&&` and indexed an empty response: here an
        // empty, a longer or a missing acknowledgement is a clean 501.
        let cant_split = "501 5.5.2 Can't split auth value";
        let cases: [(TestAuth, Responses, &str); 8] = [
            (auth(), vec![Some(WRONG), Some(b"")], cant_split),
            (auth(), vec![Some(WRONG), Some(b"\x01\x01")], cant_split),
            (auth(), vec![Some(WRONG), Some(b"x")], cant_split),
            (auth(), vec![Some(WRONG), None], cant_split),
            (auth(), vec![Some(b"\x01")], cant_split),
            (auth(), vec![Some(b"")], cant_split),
            (auth(), vec![None, Some(b"n,,")], cant_split),
            (auth().temporary(), vec![Some(GOOD)], "454 4.7.0 Temporary authentication failure"),
        ];
        for (auth, responses, expected) in cases {
            let steps = drive(&OAuthBearer::new(), &auth, &responses).await;
            assert_eq!(steps.len(), responses.len(), "{responses:?}");
            assert_eq!(final_reply(&steps), expected, "{responses:?}");
        }
    }
}
