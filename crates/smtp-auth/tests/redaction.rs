//! No secret leaves the crate in readable form: not in `tracing` output at TRACE level, not in
//! `Debug` or `Display` of any credential type, result or exchange.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use smtp_auth::memory::MemoryAuthenticator;
use smtp_auth::{
    AuthCommand, AuthContext, AuthData, AuthExchange, AuthRequest, AuthResult, Authenticator,
    BearerToken, CustomAuthData, ExchangeStep, LoginPassword, MechanismRegistry, ScramCredentials,
    Secret, SecretLookup, SecretRequest, ServerInfo, StoredSecret,
};
use tracing::Level;

const LOGIN: &str = "alice";
const PASSWORD: &str = "S3cr3t-Wonderland";
const WRONG: &str = "Wr0ng-Guess-Passw0rd";

/// A writer into a shared buffer, for the `tracing` subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Plays AUTH `arguments` and `lines`, returning the replies.
async fn play(
    registry: &MechanismRegistry,
    authenticator: &MemoryAuthenticator,
    arguments: &str,
    lines: &[String],
) -> Vec<String> {
    let server = ServerInfo::new("mx.test");
    let ctx = AuthContext { server: &server, session: &(), envelope: &(), authenticator };
    let command = AuthCommand::parse(arguments).unwrap();
    let mut exchange = AuthExchange::from_command(registry, &command).unwrap();
    let mut replies = Vec::new();
    let mut lines = lines.iter();
    let mut step = exchange.next(&ctx, None).await;
    loop {
        replies.push(step.reply().to_string());
        if let ExchangeStep::Done { .. } = step {
            return replies;
        }
        let line = lines.next().unwrap();
        step = exchange.next(&ctx, Some(line.as_bytes())).await;
    }
}

fn b64(text: &str) -> String {
    STANDARD.encode(text)
}

/// Every base64 blob a client sent or could have sent in these exchanges.
fn blobs() -> Vec<String> {
    let mut blobs = Vec::new();
    for password in [PASSWORD, WRONG] {
        blobs.push(b64(&format!("\0{LOGIN}\0{password}")));
        blobs.push(b64(password));
    }
    blobs.push(b64(LOGIN));
    blobs
}

#[test]
fn trace_output_carries_no_credentials() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let authenticator = MemoryAuthenticator::new().with_user(LOGIN, PASSWORD);
    let registry = MechanismRegistry::with_builtins();

    tracing::subscriber::with_default(subscriber, || {
        runtime.block_on(async {
            for (password, outcome) in [(PASSWORD, "235"), (WRONG, "535")] {
                let plain = b64(&format!("\0{LOGIN}\0{password}"));
                let replies = play(&registry, &authenticator, &format!("PLAIN {plain}"), &[]).await;
                assert!(replies[0].starts_with(outcome), "{replies:?}");
                let replies = play(&registry, &authenticator, "PLAIN", &[plain]).await;
                assert!(replies[1].starts_with(outcome), "{replies:?}");
                let (user, pass) = (b64(LOGIN), b64(password));
                let replies =
                    play(&registry, &authenticator, "LOGIN", &[user.clone(), pass.clone()]).await;
                assert!(replies[2].starts_with(outcome), "{replies:?}");
                let replies =
                    play(&registry, &authenticator, &format!("LOGIN {user}"), &[pass]).await;
                assert!(replies[1].starts_with(outcome), "{replies:?}");
            }
            let replies = play(&registry, &authenticator, "LOGIN", &["*".into()]).await;
            assert!(replies[1].starts_with("501"));
        });
    });

    let log = captured.text();
    // The events are there: the check below is not vacuous.
    for expected in ["PLAIN", "LOGIN", "exchange finished", "success", "refused", "step"] {
        assert!(log.contains(expected), "missing {expected:?} in:\n{log}");
    }
    for secret in [PASSWORD, WRONG].into_iter().map(str::to_owned).chain(blobs()) {
        assert!(!log.contains(&secret), "{secret:?} leaked into:\n{log}");
    }
    // Nor the challenges' base64.
    for challenge in ["VXNlciBOYW1lAA==", "UGFzc3dvcmQA"] {
        assert!(!log.contains(challenge), "{challenge} in:\n{log}");
    }
}

#[tokio::test]
async fn debug_and_display_carry_no_secret() {
    let secret = Secret::from(PASSWORD);
    let credentials = LoginPassword::new(LOGIN, PASSWORD);
    let token = BearerToken {
        user: Some(LOGIN.into()),
        token: Secret::from(PASSWORD),
        host: Some("mx.test".into()),
        port: Some(587),
    };
    let anonymous_token = BearerToken { user: None, ..token.clone() };
    let scram = ScramCredentials {
        salt: PASSWORD.as_bytes().to_vec(),
        iterations: 4096,
        stored_key: Secret::from(PASSWORD),
        server_key: Secret::from(PASSWORD),
    };
    let custom = CustomAuthData {
        mechanism: "MECH-WITH-DASHES".into(),
        login: Some(LOGIN.into()),
        payload: Arc::new(PASSWORD.to_owned()),
    };
    let data = [
        AuthData::LoginPassword(credentials.clone()),
        AuthData::Bearer(token.clone()),
        AuthData::Bearer(anonymous_token.clone()),
        AuthData::Verified { login: LOGIN.into() },
        AuthData::Custom(custom.clone()),
    ];
    let mut shown = vec![
        format!("{secret:?}"),
        secret.to_string(),
        format!("{credentials:?}"),
        credentials.to_string(),
        format!("{token:?}"),
        token.to_string(),
        format!("{anonymous_token:?}"),
        anonymous_token.to_string(),
        format!("{scram:?}"),
        format!("{custom:?}"),
        format!("{:?}", StoredSecret::Password(secret.clone())),
        format!("{:?}", StoredSecret::ScramSha256(scram.clone())),
        format!("{:?}", SecretLookup::Found(StoredSecret::Password(secret.clone()))),
    ];
    for data in &data {
        shown.push(format!("{data:?}"));
        shown.push(data.to_string());
        let result = AuthResult::success(data.clone());
        shown.push(format!("{result:?}"));
        shown.push(result.to_string());
    }

    // The requests an authenticator sees, and the authenticator itself.
    let server = ServerInfo::new("mx.test");
    let request = AuthRequest {
        server: &server,
        session: &(),
        envelope: &(),
        mechanism: "PLAIN",
        auth_data: &data[0],
        authzid: None,
    };
    shown.push(format!("{request:?}"));
    let secret_request = SecretRequest {
        server: &server,
        session: &(),
        envelope: &(),
        mechanism: "CRAM-MD5",
        login: LOGIN,
        kind: smtp_auth::SecretKind::Password,
    };
    shown.push(format!("{secret_request:?}"));
    let authenticator = MemoryAuthenticator::new().with_user(LOGIN, PASSWORD);
    shown.push(format!("{authenticator:?}"));
    let found = Authenticator::<(), ()>::lookup_secret(&authenticator, &secret_request).await;
    shown.push(format!("{found:?}"));
    let result = Authenticator::<(), ()>::authenticate(&authenticator, &request).await;
    assert!(result.success);
    shown.push(format!("{result:?}"));
    shown.push(result.to_string());

    // The AUTH command and an exchange mid-way.
    let plain = b64(&format!("\0{LOGIN}\0{PASSWORD}"));
    let arguments = format!("PLAIN {plain}");
    let command = AuthCommand::parse(&arguments).unwrap();
    shown.push(format!("{command:?}"));
    let exchange: AuthExchange =
        AuthExchange::from_command(&MechanismRegistry::with_builtins(), &command).unwrap();
    shown.push(format!("{exchange:?}"));
    shown.push(exchange.to_string());

    let secret_base64 = b64(PASSWORD);
    for text in &shown {
        assert!(!text.contains(PASSWORD), "{text}");
        assert!(!text.contains(&plain) && !text.contains(&secret_base64), "{text}");
        assert!(!text.contains("83, 51, 99"), "secret bytes as a list: {text}");
    }
    // Logins are not secret and stay visible where a type has one.
    assert!(shown[2].contains(LOGIN) && shown[4].contains(LOGIN), "{shown:?}");
}
