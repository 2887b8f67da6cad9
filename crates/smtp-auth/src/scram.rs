//! SCRAM-SHA-256 (RFC 5802, RFC 7677), server side, without channel binding.
//!
//! The exchange (each line a step; the client may send its first message as the initial
//! response, otherwise the server first sends an empty challenge):
//!
//! ```text
//! C: n,,n=user,r=<client nonce>
//! S: r=<client nonce><server nonce>,s=<base64 salt>,i=<iterations>
//! C: c=biws,r=<client nonce><server nonce>,p=<base64 proof>
//! S: v=<base64 server signature>
//! C: (empty)
//! S: 235 2.7.0 Authentication successful
//! ```
//!
//! The user's [`ScramCredentials`] come from [`AuthContext::lookup_secret`]
//! (`SecretKind::ScramSha256`); store them with [`derive_credentials`] or
//! [`generate_credentials`]. Replies:
//!
//! - a message that does not follow RFC 5802's grammar (at any step), a mandatory extension
//!   (`m=`), or anything but an empty response to the server signature:
//!   `501 5.5.2 Can't split auth value` ([`Reply::auth_cant_split`]);
//! - channel binding asked for (`p=` in the GS2 header):
//!   `535 5.7.8 Channel binding not supported (SCRAM-SHA-256-PLUS is not offered)`;
//! - an authorization identity (`a=`) other than the user, when the authenticator does not
//!   allow them: `535 5.7.8`; when it does, the verified login and the authorization identity
//!   are passed to [`AuthContext::authenticate`] after the proof checks out, and its answer is
//!   the result;
//! - a wrong proof, an unknown user, a nonce or channel-binding echo that does not match:
//!   `535 5.7.8` (RFC 4954: a failed exchange is answered with 535; no `e=` server error is sent).
//!   An unknown user goes through the same steps as a known one, with a salt that is stable per
//!   user name, and fails at the proof;
//! - the secret store cannot answer, or no random nonce can be had: `454 4.7.0`;
//! - success: [`AuthData::Verified`] with the login.
//!
//! User names are compared as sent (no SASLprep).

mod keys;
mod messages;

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use smtp_proto::reply::{EnhancedStatus, Reply, ReplyCode};
use zeroize::Zeroizing;

pub use keys::{
    MIN_ITERATIONS, RandomnessUnavailable, SALT_LEN, derive_credentials, generate_credentials,
};

use crate::authenticator::SecretLookup;
use crate::credentials::{AuthData, ScramCredentials, SecretKind, StoredSecret};
use crate::mechanism::{AuthContext, Mechanism, MechanismExchange, Step};
use crate::result::AuthResult;
use keys::{KEY_LEN, ct_eq, fake_credentials, hmac_sha256, sha256};
pub(crate) use messages::decode_saslname;
use messages::{ClientFirst, ClientFirstError, parse_client_final, parse_client_first};

/// The mechanism name.
const NAME: &str = "SCRAM-SHA-256";

/// Random bytes in a server nonce (base64-encoded to 24 characters).
const NONCE_BYTES: usize = 18;

/// Where the server's part of the nonce comes from. The default is [`RandomNonce`]; tests
/// inject a fixed one to reproduce a known transcript.
pub trait ServerNonce: Send + Sync {
    /// A fresh nonce: printable ASCII without `,` (RFC 5802 `printable`). `None` when none can
    /// be made now (the exchange answers `454 4.7.0`).
    fn generate(&self) -> Option<String>;
}

/// 18 random bytes from the operating system, base64-encoded.
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomNonce;

impl ServerNonce for RandomNonce {
    fn generate(&self) -> Option<String> {
        let mut bytes = [0u8; NONCE_BYTES];
        getrandom::fill(&mut bytes).ok()?;
        Some(STANDARD.encode(bytes))
    }
}

/// The SCRAM-SHA-256 mechanism (RFC 7677). Off by default: register it to offer it.
#[derive(Clone)]
pub struct ScramSha256 {
    nonces: Arc<dyn ServerNonce>,
}

impl ScramSha256 {
    /// The mechanism with random server nonces.
    pub fn new() -> Self {
        Self { nonces: Arc::new(RandomNonce) }
    }

    /// The mechanism with server nonces from `source` (for known-answer tests).
    pub fn with_nonce_source(source: impl ServerNonce + 'static) -> Self {
        Self { nonces: Arc::new(source) }
    }
}

impl Default for ScramSha256 {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ScramSha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramSha256").finish_non_exhaustive()
    }
}

impl<S: ?Sized + Sync, E: ?Sized + Sync> Mechanism<S, E> for ScramSha256 {
    fn name(&self) -> &str {
        NAME
    }

    fn start(&self) -> Box<dyn MechanismExchange<S, E>> {
        Box::new(ScramExchange { nonces: Arc::clone(&self.nonces), state: State::Start })
    }
}

/// `535 5.7.8 Channel binding not supported (SCRAM-SHA-256-PLUS is not offered)`.
fn channel_binding_refused() -> Reply {
    Reply::new(
        ReplyCode::of(535),
        EnhancedStatus::of(5, 7, 8),
        "Channel binding not supported (SCRAM-SHA-256-PLUS is not offered)",
    )
}

/// What the server remembers between its first message and the client's final one.
struct Pending {
    client_first: ClientFirst,
    server_first: String,
    combined_nonce: String,
    credentials: ScramCredentials,
    known_user: bool,
}

/// Where an exchange stands. `Debug` shows the step and the login, never keys.
enum State {
    /// Nothing received yet.
    Start,
    /// No initial response came; the empty challenge was sent.
    AwaitingClientFirst,
    /// The server-first-message was sent.
    ServerFirstSent(Box<Pending>),
    /// The proof checked out and the server signature was sent.
    ServerFinalSent { login: String, authzid: Option<String> },
    /// The exchange answered its result.
    Finished,
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Start => f.write_str("Start"),
            Self::AwaitingClientFirst => f.write_str("AwaitingClientFirst"),
            Self::ServerFirstSent(pending) => f
                .debug_struct("ServerFirstSent")
                .field("login", &pending.client_first.login)
                .finish_non_exhaustive(),
            Self::ServerFinalSent { login, authzid } => f
                .debug_struct("ServerFinalSent")
                .field("login", login)
                .field("authzid", authzid)
                .finish(),
            Self::Finished => f.write_str("Finished"),
        }
    }
}

/// One SCRAM-SHA-256 exchange.
struct ScramExchange {
    nonces: Arc<dyn ServerNonce>,
    state: State,
}

impl fmt::Debug for ScramExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramExchange").field("state", &self.state).finish_non_exhaustive()
    }
}

/// A malformed message: `501 5.5.2 Can't split auth value`.
fn malformed(stage: &'static str) -> Step {
    tracing::debug!(mechanism = NAME, stage, "malformed message");
    Step::Done(AuthResult::denied_with(Reply::auth_cant_split()))
}

#[async_trait]
impl<S: ?Sized + Sync, E: ?Sized + Sync> MechanismExchange<S, E> for ScramExchange {
    async fn step(&mut self, ctx: &AuthContext<'_, S, E>, response: Option<&[u8]>) -> Step {
        match (std::mem::replace(&mut self.state, State::Finished), response) {
            (State::Start, None) => {
                self.state = State::AwaitingClientFirst;
                Step::Challenge(Vec::new())
            }
            (State::Start | State::AwaitingClientFirst, Some(message)) => {
                self.client_first(ctx, message).await
            }
            (State::ServerFirstSent(pending), Some(message)) => {
                self.client_final(*pending, message)
            }
            (State::ServerFinalSent { login, authzid }, Some([])) => {
                finish(ctx, login, authzid).await
            }
            (State::ServerFinalSent { .. }, Some(_)) => malformed("acknowledgement"),
            (_, None) | (State::Finished, Some(_)) => malformed("sequence"),
        }
    }
}

impl ScramExchange {
    /// Handles the client-first-message: looks the user up and sends the server-first-message.
    async fn client_first<S: ?Sized + Sync, E: ?Sized + Sync>(
        &mut self,
        ctx: &AuthContext<'_, S, E>,
        message: &[u8],
    ) -> Step {
        let client_first = match parse_client_first(message) {
            Ok(parsed) => parsed,
            Err(ClientFirstError::ChannelBindingNotSupported) => {
                tracing::debug!(mechanism = NAME, "channel binding refused");
                return Step::Done(AuthResult::denied_with(channel_binding_refused()));
            }
            Err(ClientFirstError::ExtensionNotSupported) => {
                return malformed("mandatory extension");
            }
            Err(ClientFirstError::Malformed) => return malformed("client-first"),
        };
        let login = &client_first.login;
        if client_first.authzid.as_ref().is_some_and(|authzid| authzid != login)
            && !ctx.authenticator.allows_authorization_identity()
        {
            tracing::debug!(mechanism = NAME, %login, "authorization identity refused");
            return Step::Done(AuthResult::denied());
        }
        let (credentials, known_user) =
            match ctx.lookup_secret(NAME, login, SecretKind::ScramSha256).await {
                SecretLookup::Found(StoredSecret::ScramSha256(credentials)) => (credentials, true),
                SecretLookup::TemporaryFailure => {
                    tracing::debug!(mechanism = NAME, "secret store unavailable");
                    return Step::Done(AuthResult::temporary_failure());
                }
                _ => match fake_credentials(login) {
                    Ok(credentials) => (credentials, false),
                    Err(_) => return Step::Done(AuthResult::temporary_failure()),
                },
            };
        let Some(server_nonce) =
            self.nonces.generate().filter(|nonce| messages::is_valid_nonce(nonce))
        else {
            tracing::warn!(mechanism = NAME, "no valid server nonce");
            return Step::Done(AuthResult::temporary_failure());
        };
        let combined_nonce = format!("{}{server_nonce}", client_first.nonce);
        let server_first = format!(
            "r={combined_nonce},s={},i={}",
            STANDARD.encode(&credentials.salt),
            credentials.iterations
        );
        tracing::trace!(mechanism = NAME, %login, "server-first-message sent");
        let challenge = server_first.clone().into_bytes();
        self.state = State::ServerFirstSent(Box::new(Pending {
            client_first,
            server_first,
            combined_nonce,
            credentials,
            known_user,
        }));
        Step::Challenge(challenge)
    }

    /// Handles the client-final-message: checks the echoes and the proof, and sends the server
    /// signature.
    fn client_final(&mut self, pending: Pending, message: &[u8]) -> Step {
        let Some(client_final) = parse_client_final(message) else {
            return malformed("client-final");
        };
        let login = pending.client_first.login;
        if client_final.channel_binding != pending.client_first.gs2_header.as_bytes()
            || client_final.nonce != pending.combined_nonce
        {
            tracing::debug!(mechanism = NAME, %login, "nonce or channel binding echo differs");
            return Step::Done(AuthResult::denied());
        }
        let auth_message = format!(
            "{},{},{}",
            pending.client_first.bare, pending.server_first, client_final.without_proof
        );
        let credentials = &pending.credentials;
        let signature = Zeroizing::new(hmac_sha256(
            credentials.stored_key.expose(),
            &[auth_message.as_bytes()],
        ));
        let mut client_key = Zeroizing::new([0u8; KEY_LEN]);
        for ((key, proof), signature) in
            client_key.iter_mut().zip(client_final.proof.iter()).zip(signature.iter())
        {
            *key = proof ^ signature;
        }
        let valid = ct_eq(&sha256(&client_key[..]), credentials.stored_key.expose())
            & subtle::Choice::from(u8::from(pending.known_user));
        if !bool::from(valid) {
            tracing::debug!(mechanism = NAME, %login, "invalid proof");
            return Step::Done(AuthResult::denied());
        }
        let server_signature =
            hmac_sha256(credentials.server_key.expose(), &[auth_message.as_bytes()]);
        tracing::trace!(mechanism = NAME, %login, "proof verified, server signature sent");
        let challenge = format!("v={}", STANDARD.encode(server_signature)).into_bytes();
        let authzid = pending.client_first.authzid.filter(|authzid| *authzid != login);
        self.state = State::ServerFinalSent { login, authzid };
        Step::Challenge(challenge)
    }
}

/// The client acknowledged the server signature: the login is verified. An authorization
/// identity (already allowed in principle) is left to the authenticator.
async fn finish<S: ?Sized + Sync, E: ?Sized + Sync>(
    ctx: &AuthContext<'_, S, E>,
    login: String,
    authzid: Option<String>,
) -> Step {
    tracing::debug!(mechanism = NAME, %login, authzid = authzid.is_some(), "proof acknowledged");
    let data = AuthData::Verified { login };
    Step::Done(match authzid.as_deref() {
        None => AuthResult::success(data),
        Some(authzid) => ctx.authenticate(NAME, &data, Some(authzid)).await,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mech_test_support::{
        Responses, SeenRequest, TestAuth, challenge, drive, final_reply, result,
    };

    /// A server nonce source that always answers the same.
    struct FixedNonce(&'static str);

    impl ServerNonce for FixedNonce {
        fn generate(&self) -> Option<String> {
            Some(self.0.to_owned()).filter(|nonce| !nonce.is_empty())
        }
    }

    const RFC_SERVER_NONCE: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    const RFC_SALT: &str = "W22ZaJ0SNY7soEsUEjb6gQ==";

    fn rfc_credentials() -> ScramCredentials {
        derive_credentials(b"pencil", &STANDARD.decode(RFC_SALT).unwrap(), 4096)
    }

    fn rfc_auth() -> TestAuth {
        TestAuth::default().with_scram("user", rfc_credentials())
    }

    fn rfc_mechanism() -> ScramSha256 {
        ScramSha256::with_nonce_source(FixedNonce(RFC_SERVER_NONCE))
    }

    /// What a client computes: the client-final-message for `password`, given its first
    /// message's bare part and the server-first-message.
    fn client_final(password: &[u8], gs2: &str, bare: &str, server_first: &str) -> String {
        let mut nonce = "";
        let (mut salt, mut iterations) = (Vec::new(), 0);
        for attribute in server_first.split(',') {
            match attribute.split_at(2) {
                ("r=", value) => nonce = value,
                ("s=", value) => salt = STANDARD.decode(value).unwrap(),
                ("i=", value) => iterations = value.parse().unwrap(),
                _ => {}
            }
        }
        let mut salted = [0u8; KEY_LEN];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, &salt, iterations, &mut salted);
        let client_key = hmac_sha256(&salted, &[b"Client Key"]);
        let without_proof = format!("c={},r={nonce}", STANDARD.encode(gs2));
        let auth_message = format!("{bare},{server_first},{without_proof}");
        let signature = hmac_sha256(&sha256(&client_key), &[auth_message.as_bytes()]);
        let proof: Vec<u8> = client_key.iter().zip(signature).map(|(k, s)| k ^ s).collect();
        format!("{without_proof},p={}", STANDARD.encode(proof))
    }

    #[tokio::test]
    async fn rfc_7677_transcript_byte_for_byte() {
        let auth = rfc_auth();
        let mechanism = rfc_mechanism();
        let steps = drive(
            &mechanism,
            &auth,
            &[
                None,
                Some(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"),
                Some(
                    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                      p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                ),
                Some(b""),
            ],
        )
        .await;
        assert_eq!(challenge(&steps[0]), b"");
        assert_eq!(
            challenge(&steps[1]),
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        );
        assert_eq!(challenge(&steps[2]), b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
        let done = result(&steps[3]);
        assert!(done.success);
        assert_eq!(done.login(), Some("user"));
        assert!(matches!(done.auth_data, Some(AuthData::Verified { .. })));
        assert_eq!(auth.lookups(), [("user".to_owned(), SecretKind::ScramSha256)]);
        assert!(auth.seen().is_empty(), "no authzid: the authenticator is not asked");
    }

    #[tokio::test]
    async fn initial_response_and_a_computing_client() {
        let auth = rfc_auth();
        let mechanism = ScramSha256::new();
        let server = crate::ServerInfo::new("mx.example.org");
        let ctx =
            AuthContext { server: &server, session: &(), envelope: &(), authenticator: &auth };
        for (password, expected) in [(&b"pencil"[..], true), (b"pen", false)] {
            let mut exchange = Mechanism::<(), ()>::start(&mechanism);
            let first = exchange.step(&ctx, Some(b"y,,n=user,r=clientnonce")).await;
            let server_first = String::from_utf8(challenge(&first).to_vec()).unwrap();
            assert!(server_first.starts_with("r=clientnonce") && server_first.len() > 40);
            let last = client_final(password, "y,,", "n=user,r=clientnonce", &server_first);
            let second = exchange.step(&ctx, Some(last.as_bytes())).await;
            if expected {
                assert!(challenge(&second).starts_with(b"v="));
                assert!(result(&exchange.step(&ctx, Some(b"")).await).success);
            } else {
                assert_eq!(
                    result(&second).reply().to_string(),
                    "535 5.7.8 Authentication credentials invalid"
                );
            }
        }
    }

    #[tokio::test]
    async fn unknown_user_takes_the_same_steps_with_a_stable_salt() {
        let auth = rfc_auth();
        let mechanism = rfc_mechanism();
        let mut salts = Vec::new();
        for _ in 0..2 {
            let server = crate::ServerInfo::new("mx.example.org");
            let ctx =
                AuthContext { server: &server, session: &(), envelope: &(), authenticator: &auth };
            let mut exchange = Mechanism::<(), ()>::start(&mechanism);
            let first = exchange.step(&ctx, Some(b"n,,n=nobody,r=abc")).await;
            let server_first = String::from_utf8(challenge(&first).to_vec()).unwrap();
            let salt = server_first.split(',').nth(1).unwrap().to_owned();
            assert!(server_first.ends_with(",i=4096"), "{server_first}");
            assert_eq!(STANDARD.decode(&salt[2..]).unwrap().len(), SALT_LEN);
            salts.push(salt);
            let last = client_final(b"pencil", "n,,", "n=nobody,r=abc", &server_first);
            let done = exchange.step(&ctx, Some(last.as_bytes())).await;
            assert_eq!(
                result(&done).reply().to_string(),
                "535 5.7.8 Authentication credentials invalid"
            );
        }
        assert_eq!(salts[0], salts[1]);
    }

    #[tokio::test]
    async fn failures_at_each_stage() {
        let rfc_final: &[u8] = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                                 p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
        let first: &[u8] = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
        let cant_split = "501 5.5.2 Can't split auth value";
        let invalid = "535 5.7.8 Authentication credentials invalid";
        let cases: Vec<(Responses, &str)> = vec![
            (vec![Some(b"garbage")], cant_split),
            (vec![None, None], cant_split),
            (vec![None, Some(b"n,,n=user")], cant_split),
            (vec![Some(b"")], cant_split),
            (vec![Some(b"n,,m=x,n=user,r=abc")], cant_split),
            (vec![Some(b"p=tls-unique,,n=user,r=abc")], "535 5.7.8 Channel binding not supported"),
            (vec![Some(b"n,a=admin,n=user,r=abc")], invalid),
            (vec![Some(first), Some(b"c=biws")], cant_split),
            (vec![Some(first), None], cant_split),
            (vec![Some(first), Some(b"")], cant_split),
            (
                vec![Some(first), Some(b"c=biws,r=rOprNGfwEbeRWgbNEkqO,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")],
                invalid,
            ),
            (
                vec![Some(first), Some(b"c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")],
                invalid,
            ),
            (
                vec![Some(first), Some(b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQQ=")],
                cant_split,
            ),
            (
                vec![Some(first), Some(b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=AHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")],
                invalid,
            ),
            (vec![Some(first), Some(rfc_final), Some(b"v=x")], cant_split),
            (vec![Some(first), Some(rfc_final), None], cant_split),
        ];
        for (responses, expected) in cases {
            let auth = rfc_auth();
            let steps = drive(&rfc_mechanism(), &auth, &responses).await;
            assert_eq!(steps.len(), responses.len(), "{responses:?}");
            assert!(
                final_reply(&steps).starts_with(expected),
                "{responses:?}: {}",
                final_reply(&steps)
            );
            assert!(!result(steps.last().unwrap()).success);
        }
    }

    #[tokio::test]
    async fn temporary_failures() {
        let steps =
            drive(&rfc_mechanism(), &rfc_auth().temporary(), &[Some(b"n,,n=user,r=abc")]).await;
        assert_eq!(final_reply(&steps), "454 4.7.0 Temporary authentication failure");
        let no_nonce = ScramSha256::with_nonce_source(FixedNonce(""));
        let steps = drive(&no_nonce, &rfc_auth(), &[Some(b"n,,n=user,r=abc")]).await;
        assert_eq!(final_reply(&steps), "454 4.7.0 Temporary authentication failure");
        let bad_nonce = ScramSha256::with_nonce_source(FixedNonce("a,b"));
        let steps = drive(&bad_nonce, &rfc_auth(), &[Some(b"n,,n=user,r=abc")]).await;
        assert_eq!(final_reply(&steps), "454 4.7.0 Temporary authentication failure");
    }

    /// A full exchange by a client that knows the password `pencil`, with GS2 header `gs2`;
    /// returns the last step.
    async fn authzid_client(auth: &TestAuth, gs2: &str) -> Step {
        let mechanism = ScramSha256::new();
        let server = crate::ServerInfo::new("mx.example.org");
        let ctx = AuthContext { server: &server, session: &(), envelope: &(), authenticator: auth };
        let mut exchange = Mechanism::<(), ()>::start(&mechanism);
        let first = format!("{gs2}n=user,r=abc");
        let step = exchange.step(&ctx, Some(first.as_bytes())).await;
        let Step::Challenge(server_first) = step else { return step };
        let server_first = String::from_utf8(server_first).unwrap();
        let last = client_final(b"pencil", gs2, "n=user,r=abc", &server_first);
        assert!(challenge(&exchange.step(&ctx, Some(last.as_bytes())).await).starts_with(b"v="));
        exchange.step(&ctx, Some(b"")).await
    }

    #[tokio::test]
    async fn authorization_identity() {
        let refusing = rfc_auth();
        let refused = authzid_client(&refusing, "n,a=admin,").await;
        assert_eq!(
            result(&refused).reply().to_string(),
            "535 5.7.8 Authentication credentials invalid"
        );
        assert!(refusing.lookups().is_empty(), "refused before any lookup");
        let same = authzid_client(&refusing, "n,a=user,").await;
        assert!(result(&same).success);
        assert!(refusing.seen().is_empty());

        let allowing = rfc_auth().allowing_authzid();
        let allowed = authzid_client(&allowing, "n,a=admin,").await;
        assert!(result(&allowed).success);
        let seen = allowing.seen();
        assert_eq!(
            seen,
            [SeenRequest {
                mechanism: NAME.into(),
                login: Some("user".into()),
                authzid: Some("admin".into()),
                host: None,
                port: None,
            }]
        );
    }

    #[tokio::test]
    async fn debug_of_exchange_states_shows_no_keys() {
        let auth = rfc_auth();
        let mechanism = rfc_mechanism();
        let server = crate::ServerInfo::new("mx.example.org");
        let ctx =
            AuthContext { server: &server, session: &(), envelope: &(), authenticator: &auth };
        let mut exchange =
            ScramExchange { nonces: Arc::new(FixedNonce(RFC_SERVER_NONCE)), state: State::Start };
        let credentials = rfc_credentials();
        let secrets = [
            STANDARD.encode(credentials.stored_key.expose()),
            STANDARD.encode(credentials.server_key.expose()),
            format!("{:?}", credentials.stored_key.expose()),
            "dHzbZapWIk4jUhN".to_owned(),
            "6rriTRBi23WpRR".to_owned(),
            "pencil".to_owned(),
        ];
        let responses: [&[u8]; 3] = [
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
            b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
            b"",
        ];
        let mut shown = vec![format!("{exchange:?}"), format!("{mechanism:?}")];
        for response in responses {
            let _ = MechanismExchange::<(), ()>::step(&mut exchange, &ctx, Some(response)).await;
            shown.push(format!("{exchange:?}"));
        }
        assert!(shown[2].contains("ServerFirstSent") && shown[3].contains("ServerFinalSent"));
        for text in shown {
            for secret in &secrets {
                assert!(!text.contains(secret.as_str()), "{text} shows {secret}");
            }
        }
    }
}
