//! Test support shared by the CRAM-MD5, SCRAM-SHA-256, XOAUTH2 and OAUTHBEARER tests: a small
//! authenticator that records what it was asked, a driver that feeds responses to an exchange,
//! and a `tracing` capture. Also the cross-mechanism test that no secret reaches the logs.

use std::io::Write;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tracing_subscriber::fmt::MakeWriter;

use crate::authenticator::{AuthRequest, Authenticator, SecretLookup, SecretRequest, ServerInfo};
use crate::credentials::{AuthData, ScramCredentials, SecretKind, StoredSecret};
use crate::mechanism::{AuthContext, Mechanism, Step};
use crate::result::AuthResult;

/// What the test authenticator saw in one `authenticate` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SeenRequest {
    pub mechanism: String,
    pub login: Option<String>,
    pub authzid: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
}

/// An authenticator with fixed users. A user's password is also their bearer token.
#[derive(Default)]
pub(crate) struct TestAuth {
    passwords: Vec<(String, String)>,
    scram: Vec<(String, ScramCredentials)>,
    /// Every lookup and every authentication answers "temporary failure".
    pub temporary: bool,
    /// `allows_authorization_identity()`.
    pub allow_authzid: bool,
    /// The `authenticate` calls, in order.
    pub seen: Mutex<Vec<SeenRequest>>,
    /// The `lookup_secret` calls (login, kind), in order.
    pub lookups: Mutex<Vec<(String, SecretKind)>>,
}

impl TestAuth {
    pub fn with_password(mut self, login: &str, password: &str) -> Self {
        self.passwords.push((login.into(), password.into()));
        self
    }

    pub fn with_scram(mut self, login: &str, credentials: ScramCredentials) -> Self {
        self.scram.push((login.into(), credentials));
        self
    }

    pub fn temporary(mut self) -> Self {
        self.temporary = true;
        self
    }

    pub fn allowing_authzid(mut self) -> Self {
        self.allow_authzid = true;
        self
    }

    pub fn seen(&self) -> Vec<SeenRequest> {
        self.seen.lock().unwrap().clone()
    }

    pub fn lookups(&self) -> Vec<(String, SecretKind)> {
        self.lookups.lock().unwrap().clone()
    }

    fn password_of(&self, login: &str) -> Option<&str> {
        self.passwords.iter().find(|(user, _)| user == login).map(|(_, password)| password.as_str())
    }
}

#[async_trait]
impl Authenticator<(), ()> for TestAuth {
    async fn authenticate(&self, request: &AuthRequest<'_, (), ()>) -> AuthResult {
        let (host, port) = match request.auth_data {
            AuthData::Bearer(token) => (token.host.clone(), token.port),
            _ => (None, None),
        };
        self.seen.lock().unwrap().push(SeenRequest {
            mechanism: request.mechanism.into(),
            login: request.auth_data.login().map(String::from),
            authzid: request.authzid.map(String::from),
            host,
            port,
        });
        if self.temporary {
            return AuthResult::temporary_failure();
        }
        match request.auth_data {
            AuthData::Bearer(token) => {
                let user = token.user.as_deref().unwrap_or("");
                match self.password_of(user) {
                    Some(password) if token.token.ct_eq(password.as_bytes()) => {
                        AuthResult::success(request.auth_data.clone())
                    }
                    _ => AuthResult::denied(),
                }
            }
            AuthData::Verified { .. } => AuthResult::success(request.auth_data.clone()),
            _ => AuthResult::denied(),
        }
    }

    async fn lookup_secret(&self, request: &SecretRequest<'_, (), ()>) -> SecretLookup {
        self.lookups.lock().unwrap().push((request.login.into(), request.kind));
        if self.temporary {
            return SecretLookup::TemporaryFailure;
        }
        match request.kind {
            SecretKind::Password => match self.password_of(request.login) {
                Some(password) => SecretLookup::Found(StoredSecret::Password(password.into())),
                None => SecretLookup::NotFound,
            },
            SecretKind::ScramSha256 => {
                match self.scram.iter().find(|(user, _)| user == request.login) {
                    Some((_, credentials)) => {
                        SecretLookup::Found(StoredSecret::ScramSha256(credentials.clone()))
                    }
                    None => SecretLookup::NotFound,
                }
            }
        }
    }

    fn allows_authorization_identity(&self) -> bool {
        self.allow_authzid
    }
}

/// The client responses of one exchange, in order (`None`: no initial response).
pub(crate) type Responses<'a> = Vec<Option<&'a [u8]>>;

/// The host name the test server announces.
pub(crate) const HOSTNAME: &str = "mx.example.org";

/// Runs one exchange of `mechanism`, feeding `responses` in order until it is done or the
/// responses run out. Returns every step's answer.
pub(crate) async fn drive(
    mechanism: &dyn Mechanism<(), ()>,
    auth: &TestAuth,
    responses: &[Option<&[u8]>],
) -> Vec<Step> {
    let server = ServerInfo::new(HOSTNAME);
    let ctx = AuthContext { server: &server, session: &(), envelope: &(), authenticator: auth };
    let mut exchange = mechanism.start();
    let mut steps = Vec::new();
    for response in responses {
        let step = exchange.step(&ctx, *response).await;
        let done = matches!(step, Step::Done(_));
        steps.push(step);
        if done {
            break;
        }
    }
    steps
}

/// The challenge of a step, or a panic naming what came instead.
pub(crate) fn challenge(step: &Step) -> &[u8] {
    match step {
        Step::Challenge(bytes) => bytes,
        Step::Done(result) => panic!("expected a challenge, got {result:?}"),
    }
}

/// The result of a step, or a panic naming what came instead.
pub(crate) fn result(step: &Step) -> &AuthResult {
    match step {
        Step::Done(result) => result,
        Step::Challenge(bytes) => {
            panic!("expected a result, got challenge {:?}", String::from_utf8_lossy(bytes))
        }
    }
}

/// The final reply of an exchange as text (`"535 5.7.8 ..."`), or a panic if it is not done.
pub(crate) fn final_reply(steps: &[Step]) -> String {
    let last = steps.last().expect("at least one step");
    result(last).reply().to_string()
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
pub(crate) struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Installs a TRACE-level subscriber writing into the returned buffer, for this thread, until
/// the guard is dropped.
pub(crate) fn capture_traces() -> (LogBuffer, tracing::subscriber::DefaultGuard) {
    let buffer = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(buffer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    (buffer, guard)
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;

    use super::*;
    use crate::cram_md5::{self, CramMd5};
    use crate::oauth::{OAuthBearer, XOAuth2};
    use crate::scram::{self, ScramSha256};

    const CRAM_PASSWORD: &str = "tanstaaftanstaaf";
    const TOKEN: &str = "ya29.s3cr3tT0ken";
    const SCRAM_FINAL: &[u8] = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                                 p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";

    struct RfcNonce;

    impl scram::ServerNonce for RfcNonce {
        fn generate(&self) -> Option<String> {
            Some("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0".into())
        }
    }

    /// Runs a CRAM-MD5 exchange answering with `password`'s digest; returns the final step.
    async fn cram(auth: &TestAuth, password: &str) -> Step {
        let server = ServerInfo::new(HOSTNAME);
        let ctx = AuthContext { server: &server, session: &(), envelope: &(), authenticator: auth };
        let mut exchange = Mechanism::<(), ()>::start(&CramMd5::new());
        let sent = exchange.step(&ctx, None).await;
        let digest = cram_md5::digest(password.as_bytes(), challenge(&sent));
        let answer = format!("tim {}", cram_md5::to_hex(&digest));
        exchange.step(&ctx, Some(answer.as_bytes())).await
    }

    #[tokio::test]
    async fn no_secret_reaches_the_trace_log() {
        let salt = STANDARD.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let stored = scram::derive_credentials(b"pencil", &salt, 4096);
        let auth = TestAuth::default()
            .with_password("tim", CRAM_PASSWORD)
            .with_password("alice", TOKEN)
            .with_scram("user", stored.clone());
        let xoauth2 = format!("user=alice\x01auth=Bearer {TOKEN}\x01\x01");
        let xoauth2_wrong = "user=alice\x01auth=Bearer ya29.wr0ngT0ken\x01\x01";
        let bearer = format!("n,a=alice,\x01host=mx\x01auth=Bearer {TOKEN}\x01\x01");
        let bearer_wrong = "n,a=alice,\x01auth=Bearer ya29.wr0ngT0ken\x01\x01";
        let scram_first: &[u8] = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
        let scram_wrong = b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                            p=AHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";

        let (log, guard) = capture_traces();
        let mut outcomes = vec![
            result(&cram(&auth, CRAM_PASSWORD).await).success,
            result(&cram(&auth, "wr0ngpassw0rd").await).success,
        ];
        let scram = ScramSha256::with_nonce_source(RfcNonce);
        let runs: [(&dyn Mechanism<(), ()>, Responses); 6] = [
            (&scram, vec![Some(scram_first), Some(SCRAM_FINAL), Some(b"")]),
            (&scram, vec![Some(scram_first), Some(scram_wrong)]),
            (&XOAuth2::new(), vec![None, Some(xoauth2.as_bytes())]),
            (&XOAuth2::new(), vec![Some(xoauth2_wrong.as_bytes()), Some(b"")]),
            (&OAuthBearer::new(), vec![Some(bearer.as_bytes())]),
            (&OAuthBearer::new(), vec![Some(bearer_wrong.as_bytes()), Some(b"\x01")]),
        ];
        for (mechanism, responses) in runs {
            let steps = drive(mechanism, &auth, &responses).await;
            outcomes.push(result(steps.last().unwrap()).success);
        }
        drop(guard);
        assert_eq!(outcomes, [true, false, true, false, true, false, true, false]);

        let text = log.text();
        for name in ["CRAM-MD5", "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER", "TRACE", "DEBUG"] {
            assert!(text.contains(name), "the log has no {name} event:\n{text}");
        }
        let secrets = [
            CRAM_PASSWORD.to_owned(),
            "wr0ngpassw0rd".to_owned(),
            "pencil".to_owned(),
            TOKEN.to_owned(),
            "wr0ngT0ken".to_owned(),
            "dHzbZapWIk4jUhN".to_owned(),
            "AHzbZapWIk4jUhN".to_owned(),
            "6rriTRBi23WpRR".to_owned(),
            STANDARD.encode(stored.stored_key.expose()),
            STANDARD.encode(stored.server_key.expose()),
            STANDARD.encode(&xoauth2),
            STANDARD.encode(xoauth2_wrong),
            STANDARD.encode(&bearer),
            STANDARD.encode(SCRAM_FINAL),
            STANDARD.encode(scram_first),
        ];
        for secret in secrets {
            assert!(!text.contains(&secret), "the log shows {secret}:\n{text}");
        }
        // No CRAM-MD5 digest either: no run of 32 hex digits.
        let hex_run = text.as_bytes().windows(32).any(|w| w.iter().all(u8::is_ascii_hexdigit));
        assert!(!hex_run, "{text}");
    }
}
