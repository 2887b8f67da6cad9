//! CRAM-MD5 (RFC 2195): the server sends `<random.timestamp@hostname>`, the client answers
//! `user SP hex(HMAC-MD5(password, challenge))`.
//!
//! The mechanism needs the user's plain password, asked from the authenticator with
//! [`AuthContext::lookup_secret`] (`SecretKind::Password`). Replies:
//!
//! - an initial response (`AUTH CRAM-MD5 <anything>`, even `=`): CRAM-MD5 is server-first, so
//!   RFC 4954 §4 asks for a 501: `501 5.5.2 Initial response not allowed for CRAM-MD5`;
//! - a response that is not `user SP 32-hex-digits` (user UTF-8, not empty):
//!   `501 5.5.2 Can't split auth value` ([`Reply::auth_cant_split`]);
//! - a wrong digest or an unknown user: `535 5.7.8` (the same HMAC and comparison run for an
//!   unknown user, against a dummy password);
//! - a secret store that cannot answer: `454 4.7.0`;
//! - success: [`AuthData::Verified`] with the login.
//!
//! CRAM-MD5 is off by default; register [`CramMd5::new`] to offer it. It needs the password
//! stored in the clear and MD5 is weak: prefer SCRAM-SHA-256 where clients support it.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use smtp_proto::reply::{EnhancedStatus, Reply, ReplyCode};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::authenticator::SecretLookup;
use crate::credentials::{AuthData, SecretKind, StoredSecret};
use crate::mechanism::{AuthContext, Mechanism, MechanismExchange, Step};
use crate::result::AuthResult;

/// The mechanism name.
const NAME: &str = "CRAM-MD5";

/// Length of an MD5 digest in bytes.
const DIGEST_LEN: usize = 16;

/// HMAC-MD5's block size: keys are padded (or hashed) to it.
const BLOCK_LEN: usize = 64;

/// The password the digest is checked against when the user is unknown, so that an unknown user
/// costs the same work as a wrong password.
const DUMMY_PASSWORD: &[u8] = b"cram-md5 dummy password for unknown users";

type HmacMd5 = Hmac<Md5>;

/// The CRAM-MD5 mechanism (RFC 2195). Off by default: register it to offer it.
#[derive(Clone, Copy, Debug, Default)]
pub struct CramMd5;

impl CramMd5 {
    /// The mechanism, to register with the registry.
    pub const fn new() -> Self {
        Self
    }
}

impl<S: ?Sized + Sync, E: ?Sized + Sync> Mechanism<S, E> for CramMd5 {
    fn name(&self) -> &str {
        NAME
    }

    fn start(&self) -> Box<dyn MechanismExchange<S, E>> {
        Box::new(CramMd5Exchange { state: State::Start })
    }
}

/// `HMAC-MD5(password, challenge)`: the digest a CRAM-MD5 client proves it knows the password
/// with.
///
/// ```
/// let digest = smtp_auth::cram_md5::digest(
///     b"tanstaaftanstaaf",
///     b"<1896.697170952@postoffice.reston.mci.net>",
/// );
/// assert_eq!(smtp_auth::cram_md5::to_hex(&digest), "b913a602c7eda7a495b4e6e7334d3890");
/// ```
pub fn digest(password: &[u8], challenge: &[u8]) -> [u8; DIGEST_LEN] {
    let key = block_key(password);
    let mut mac = <HmacMd5 as KeyInit>::new(hmac::digest::Key::<HmacMd5>::from_slice(&key[..]));
    mac.update(challenge);
    mac.finalize().into_bytes().into()
}

/// A digest as 32 lower-case hex digits, as a client sends it.
pub fn to_hex(digest: &[u8; DIGEST_LEN]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(DIGEST_LEN * 2);
    for byte in digest {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

/// The HMAC key block: the password zero-padded to the block size, or its MD5 when longer
/// (RFC 2104 §2). Equivalent to keying HMAC with the password itself, without a fallible call.
fn block_key(password: &[u8]) -> Zeroizing<[u8; BLOCK_LEN]> {
    let mut block = Zeroizing::new([0u8; BLOCK_LEN]);
    if password.len() > BLOCK_LEN {
        let hashed = Zeroizing::new(<[u8; DIGEST_LEN]>::from(Md5::digest(password)));
        block.iter_mut().zip(hashed.iter()).for_each(|(slot, byte)| *slot = *byte);
    } else {
        block.iter_mut().zip(password).for_each(|(slot, byte)| *slot = *byte);
    }
    block
}

/// `501 5.5.2 Initial response not allowed for CRAM-MD5` (RFC 4954 §4: a server-first
/// mechanism given an initial response).
fn initial_response_refused() -> Reply {
    Reply::new(
        ReplyCode::of(501),
        EnhancedStatus::of(5, 5, 2),
        "Initial response not allowed for CRAM-MD5",
    )
}

/// Where an exchange stands.
#[derive(Debug)]
enum State {
    /// Nothing sent yet.
    Start,
    /// The challenge was sent; it is not secret.
    Challenged { challenge: String },
    /// The exchange answered its result.
    Finished,
}

/// One CRAM-MD5 exchange.
#[derive(Debug)]
struct CramMd5Exchange {
    state: State,
}

#[async_trait]
impl<S: ?Sized + Sync, E: ?Sized + Sync> MechanismExchange<S, E> for CramMd5Exchange {
    async fn step(&mut self, ctx: &AuthContext<'_, S, E>, response: Option<&[u8]>) -> Step {
        let state = std::mem::replace(&mut self.state, State::Finished);
        match (state, response) {
            (State::Start, None) => self.challenge(&ctx.server.hostname),
            (State::Start, Some(_)) => {
                tracing::debug!(mechanism = NAME, "initial response refused");
                Step::Done(AuthResult::denied_with(initial_response_refused()))
            }
            (State::Challenged { challenge }, Some(response)) => {
                Step::Done(verify(ctx, &challenge, response).await)
            }
            (State::Challenged { .. }, None) | (State::Finished, _) => {
                tracing::debug!(mechanism = NAME, "response out of sequence");
                Step::Done(AuthResult::denied_with(Reply::auth_cant_split()))
            }
        }
    }
}

impl CramMd5Exchange {
    /// Sends the challenge, or answers 454 when no random number can be had.
    fn challenge(&mut self, hostname: &str) -> Step {
        let Some(challenge) = make_challenge(hostname) else {
            tracing::warn!(mechanism = NAME, "no randomness for the challenge");
            return Step::Done(AuthResult::temporary_failure());
        };
        tracing::trace!(mechanism = NAME, "challenge sent");
        let bytes = challenge.clone().into_bytes();
        self.state = State::Challenged { challenge };
        Step::Challenge(bytes)
    }
}

/// `<random.timestamp@hostname>` (RFC 2195 §2, after RFC 1939's APOP). `None` when the system
/// has no randomness to give.
fn make_challenge(hostname: &str) -> Option<String> {
    let random = getrandom::u64().ok()?;
    let timestamp =
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |elapsed| elapsed.as_secs());
    let host = if hostname.is_empty() { "localhost" } else { hostname };
    Some(format!("<{random}.{timestamp}@{host}>"))
}

/// The client's answer: a login and the digest it computed.
struct CramResponse {
    login: String,
    digest: [u8; DIGEST_LEN],
}

impl fmt::Debug for CramResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CramResponse").field("login", &self.login).finish_non_exhaustive()
    }
}

/// Splits `user SP digest` at the last space; the digest is 32 hex digits in either case.
fn parse_response(response: &[u8]) -> Option<CramResponse> {
    let split = response.iter().rposition(|&byte| byte == b' ')?;
    let (login, rest) = response.split_at(split);
    let digest = parse_hex_digest(rest.get(1..)?)?;
    let login = std::str::from_utf8(login).ok()?;
    if login.is_empty() {
        return None;
    }
    Some(CramResponse { login: login.to_owned(), digest })
}

/// Exactly 32 hex digits, upper or lower case.
fn parse_hex_digest(text: &[u8]) -> Option<[u8; DIGEST_LEN]> {
    if text.len() != DIGEST_LEN * 2 {
        return None;
    }
    let mut digest = [0u8; DIGEST_LEN];
    for (slot, pair) in digest.iter_mut().zip(text.chunks_exact(2)) {
        let high = hex_value(*pair.first()?)?;
        let low = hex_value(*pair.get(1)?)?;
        *slot = (high << 4) | low;
    }
    Some(digest)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}

/// Checks the client's response against the stored password.
async fn verify<S: ?Sized + Sync, E: ?Sized + Sync>(
    ctx: &AuthContext<'_, S, E>,
    challenge: &str,
    response: &[u8],
) -> AuthResult {
    let Some(answer) = parse_response(response) else {
        tracing::debug!(mechanism = NAME, "malformed response");
        return AuthResult::denied_with(Reply::auth_cant_split());
    };
    let (password, known) = match ctx.lookup_secret(NAME, &answer.login, SecretKind::Password).await
    {
        SecretLookup::Found(StoredSecret::Password(password)) => (password, true),
        SecretLookup::TemporaryFailure => {
            tracing::debug!(mechanism = NAME, "secret store unavailable");
            return AuthResult::temporary_failure();
        }
        _ => (crate::credentials::Secret::new(DUMMY_PASSWORD), false),
    };
    let expected = Zeroizing::new(digest(password.expose(), challenge.as_bytes()));
    let matches = expected.ct_eq(&answer.digest) & subtle::Choice::from(u8::from(known));
    if bool::from(matches) {
        tracing::debug!(mechanism = NAME, login = %answer.login, "authenticated");
        AuthResult::success(AuthData::Verified { login: answer.login })
    } else {
        tracing::debug!(mechanism = NAME, login = %answer.login, "denied");
        AuthResult::denied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mech_test_support::{Responses, TestAuth, challenge, drive, final_reply, result};

    const RFC_CHALLENGE: &[u8] = b"<1896.697170952@postoffice.reston.mci.net>";

    #[test]
    fn rfc_2195_known_answer() {
        let digest = digest(b"tanstaaftanstaaf", RFC_CHALLENGE);
        assert_eq!(to_hex(&digest), "b913a602c7eda7a495b4e6e7334d3890");
    }

    #[test]
    fn rfc_2202_hmac_md5_vectors_including_long_keys() {
        // RFC 2202 §2, cases 2, 6 (80-byte key: hashed first) and 7.
        let cases: [(&[u8], &[u8], &str); 3] = [
            (b"Jefe", b"what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738"),
            (
                &[0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd",
            ),
            (
                &[0xaa; 80],
                b"Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
                "6f630fad67cda0ee1fb1f562db3aa53e",
            ),
        ];
        for (key, data, expected) in cases {
            assert_eq!(to_hex(&digest(key, data)), expected);
        }
    }

    #[test]
    fn parses_responses_in_either_case_and_refuses_malformed_ones() {
        let lower = parse_response(b"tim b913a602c7eda7a495b4e6e7334d3890").unwrap();
        let upper = parse_response(b"tim B913A602C7EDA7A495B4E6E7334D3890").unwrap();
        assert_eq!(lower.login, "tim");
        assert_eq!(lower.digest, upper.digest);
        let spaced = parse_response(b"tim smith b913a602c7eda7a495b4e6e7334d3890").unwrap();
        assert_eq!(spaced.login, "tim smith");
        let malformed: [&[u8]; 8] = [
            b"",
            b"tim",
            b"b913a602c7eda7a495b4e6e7334d3890",
            b" b913a602c7eda7a495b4e6e7334d3890",
            b"tim b913a602c7eda7a495b4e6e7334d389",
            b"tim b913a602c7eda7a495b4e6e7334d38900",
            b"tim g913a602c7eda7a495b4e6e7334d3890",
            b"\xfftim b913a602c7eda7a495b4e6e7334d3890",
        ];
        for response in malformed {
            assert!(parse_response(response).is_none(), "{response:?}");
        }
    }

    #[tokio::test]
    async fn debug_does_not_show_the_digest_or_password() {
        let auth = TestAuth::default().with_password("tim", "tanstaaftanstaaf");
        let server = crate::ServerInfo::new("mx.example.org");
        let ctx =
            AuthContext { server: &server, session: &(), envelope: &(), authenticator: &auth };
        let mut exchange = CramMd5Exchange { state: State::Start };
        let _ = MechanismExchange::<(), ()>::step(&mut exchange, &ctx, None).await;
        let shown = format!("{exchange:?}");
        assert!(shown.contains("Challenged") && !shown.contains("tanstaaf"), "{shown}");
        let answer = parse_response(b"tim b913a602c7eda7a495b4e6e7334d3890").unwrap();
        let shown = format!("{answer:?}");
        assert!(shown.contains("tim"));
        assert!(!shown.contains("b913") && !shown.contains("185"), "{shown}");
    }

    /// The challenge of a fresh exchange and the client answer for `login` / `password`.
    fn answer(challenge_text: &[u8], login: &str, password: &str) -> Vec<u8> {
        format!("{login} {}", to_hex(&digest(password.as_bytes(), challenge_text))).into_bytes()
    }

    #[tokio::test]
    async fn challenge_has_the_rfc_shape_and_varies() {
        let auth = TestAuth::default();
        let first = drive(&CramMd5::new(), &auth, &[None]).await;
        let second = drive(&CramMd5::new(), &auth, &[None]).await;
        let text = String::from_utf8(challenge(&first[0]).to_vec()).unwrap();
        assert!(text.starts_with('<') && text.ends_with("@mx.example.org>"), "{text}");
        let inner = &text[1..text.find('@').unwrap()];
        let (random, timestamp) = inner.split_once('.').unwrap();
        assert!(random.parse::<u64>().is_ok() && timestamp.parse::<u64>().unwrap() > 1_600_000_000);
        assert_ne!(challenge(&first[0]), challenge(&second[0]));
    }

    #[tokio::test]
    async fn every_outcome() {
        let mechanism = CramMd5::new();
        let auth = TestAuth::default().with_password("tim", "tanstaaftanstaaf");
        let cases: [(&str, &str, &str); 4] = [
            ("tim", "tanstaaftanstaaf", "235 2.7.0 Authentication successful"),
            ("tim", "wrong", "535 5.7.8 Authentication credentials invalid"),
            ("nobody", "tanstaaftanstaaf", "535 5.7.8 Authentication credentials invalid"),
            ("nobody", "cram-md5 dummy password for unknown users", "535 5.7.8"),
        ];
        for (login, password, expected) in cases {
            let mut exchange = Mechanism::<(), ()>::start(&mechanism);
            let server = crate::ServerInfo::new("mx.example.org");
            let ctx =
                AuthContext { server: &server, session: &(), envelope: &(), authenticator: &auth };
            let sent = exchange.step(&ctx, None).await;
            let reply = answer(challenge(&sent), login, password);
            let done = exchange.step(&ctx, Some(&reply)).await;
            let outcome = result(&done);
            assert!(outcome.reply().to_string().starts_with(expected), "{login}/{password}");
            if outcome.success {
                assert_eq!(outcome.login(), Some(login));
                assert!(matches!(outcome.auth_data, Some(AuthData::Verified { .. })));
            }
        }
        let looked_up: Vec<_> = auth.lookups().into_iter().map(|(login, _)| login).collect();
        assert_eq!(looked_up, ["tim", "tim", "nobody", "nobody"]);
        assert!(auth.lookups().iter().all(|(_, kind)| *kind == SecretKind::Password));
    }

    #[tokio::test]
    async fn upper_case_digest_is_accepted() {
        let mechanism = CramMd5::new();
        let auth = TestAuth::default().with_password("tim", "tanstaaftanstaaf");
        let server = crate::ServerInfo::new("mx.example.org");
        let ctx =
            AuthContext { server: &server, session: &(), envelope: &(), authenticator: &auth };
        let mut exchange = Mechanism::<(), ()>::start(&mechanism);
        let sent = exchange.step(&ctx, None).await;
        let reply = answer(challenge(&sent), "tim", "tanstaaftanstaaf").to_ascii_uppercase();
        let reply = [b"tim".as_slice(), &reply[3..]].concat();
        assert!(result(&exchange.step(&ctx, Some(&reply)).await).success);
    }

    #[tokio::test]
    async fn refusals_and_failures() {
        let good = TestAuth::default().with_password("tim", "tanstaaftanstaaf");
        let cases: [(&TestAuth, Responses, &str); 5] = [
            (&good, vec![Some(b"tim")], "501 5.5.2 Initial response not allowed for CRAM-MD5"),
            (&good, vec![Some(b"")], "501 5.5.2 Initial response not allowed for CRAM-MD5"),
            (&good, vec![None, Some(b"tim")], "501 5.5.2 Can't split auth value"),
            (&good, vec![None, Some(b"")], "501 5.5.2 Can't split auth value"),
            (&good, vec![None, None], "501 5.5.2 Can't split auth value"),
        ];
        for (auth, responses, expected) in cases {
            let steps = drive(&CramMd5::new(), auth, &responses).await;
            assert_eq!(steps.len(), responses.len());
            assert_eq!(final_reply(&steps), expected, "{responses:?}");
        }
        let down = TestAuth::default().temporary();
        let digest = b"tim b913a602c7eda7a495b4e6e7334d3890";
        let steps = drive(&CramMd5::new(), &down, &[None, Some(digest)]).await;
        assert_eq!(final_reply(&steps), "454 4.7.0 Temporary authentication failure");
        assert!(!result(&steps[1]).is_credential_failure());
    }
}
