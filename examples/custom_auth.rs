//! # The AUTH framework: a mechanism of your own, PLAIN replaced, an authenticator
//!
//! SMTP AUTH (RFC 4954) has two halves in this crate:
//!
//! - a **mechanism** ([`Mechanism`]) runs the SASL exchange: it gets the client's decoded
//!   responses, answers with challenges, and finally hands credentials to the authenticator.
//!   The server offers PLAIN and LOGIN; a handler adds its own through
//!   [`Handler::mechanisms`], and one named like a built-in replaces the built-in.
//! - the **authenticator** ([`Authenticator`]) decides: an [`AuthResult`] that lets the client
//!   in (with the standard `235` or a message of your own), refuses it (`535`), or says "not
//!   now" (`454`, e.g. the user database is down).
//!
//! This program builds a server with all of that, requires AUTH before mail, then plays a
//! client: EHLO, MAIL before AUTH (refused with 530), `AUTH MECH-WITH-DASHES` through its
//! challenge, one message, QUIT. It prints the conversation (and, on standard error, the log)
//! and exits 0.
//!
//! ```sh
//! cargo run --example custom_auth      # listens on a free port of 127.0.0.1
//! ```

use std::error::Error;
use std::fmt;
use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use smtpd::auth::{
    AuthContext, AuthData, AuthRequest, AuthResult, Authenticator, LoginPassword, Mechanism,
    MechanismExchange, MemoryAuthenticator, Plain, Secret, SecretLookup, SecretRequest, ServerInfo,
    Step,
};
use smtpd::proto::reply::parse::ReplyParser;
use smtpd::proto::reply::{EnhancedStatus, Reply, ReplyCode};
use smtpd::server::handler::ServerMechanism;
use smtpd::server::{
    Envelope, Handler, HookResult, Listen, Server, ServerConfig, ServerHandle, Session,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The name of our own mechanism (RFC 4422: `A-Z 0-9 - _`, at most 20 characters).
const MECH_WITH_DASHES: &str = "MECH-WITH-DASHES";

/// The login our authenticator answers with "try again later" (454), to show that case.
const TEMPFAIL_LOGIN: &str = "tempfail";

/// The longest the client waits for the server at any step, so the program always ends.
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // Log to standard error: the server's lines and our PLAIN's "login attempt" lines.
    let colours = std::io::stderr().is_terminal();
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_ansi(colours).init();
    let report = run(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    println!("{report}");
    Ok(())
}

// ---- (a) A mechanism of our own ------------------------------------------------------------

/// `MECH-WITH-DASHES`, a toy: the server asks `login:password?`, the client answers
/// `alice:wonderland` (base64 on the wire, as every SASL response). A mechanism never sees
/// base64 or sockets: the server decodes responses and encodes challenges.
struct MechWithDashes;

impl Mechanism<Session, Envelope> for MechWithDashes {
    fn name(&self) -> &str {
        MECH_WITH_DASHES
    }

    /// One exchange per AUTH command. This one needs no state: it either has the answer or
    /// asks for it.
    fn start(&self) -> Box<dyn MechanismExchange<Session, Envelope>> {
        Box::new(MechWithDashes)
    }
}

#[async_trait]
impl MechanismExchange<Session, Envelope> for MechWithDashes {
    async fn step(
        &mut self,
        ctx: &AuthContext<'_, Session, Envelope>,
        response: Option<&[u8]>,
    ) -> Step {
        // `None`: the client sent `AUTH MECH-WITH-DASHES` without an initial response, so ask.
        let Some(response) = response else {
            return Step::Challenge(b"login:password?".to_vec());
        };
        let Some((login, password)) = split_login(response) else {
            return Step::Done(AuthResult::denied_with(Reply::auth_cant_split()));
        };
        // The authenticator decides; its result (and reply) is the exchange's result.
        let credentials = AuthData::LoginPassword(LoginPassword::new(login, password));
        Step::Done(ctx.authenticate(MECH_WITH_DASHES, &credentials, None).await)
    }
}

/// Splits `login:password` at the first colon; the login must be UTF-8.
fn split_login(response: &[u8]) -> Option<(&str, Secret)> {
    let mut parts = response.splitn(2, |&byte| byte == b':');
    let login = std::str::from_utf8(parts.next()?).ok()?;
    Some((login, Secret::new(parts.next()?)))
}

// ---- (b) PLAIN, replaced by our own --------------------------------------------------------

/// PLAIN under its own name, so it replaces the built-in: the built-in PLAIN does the
/// parsing, and every credential check it asks for goes through [`LoggingAuthenticator`],
/// which logs the login (never the password), counts the attempt, then asks the real
/// authenticator.
struct LoggedPlain {
    /// Where attempts are counted (the demo's [`Journal`]).
    journal: Arc<Journal>,
}

impl Mechanism<Session, Envelope> for LoggedPlain {
    fn name(&self) -> &str {
        "PLAIN"
    }

    fn start(&self) -> Box<dyn MechanismExchange<Session, Envelope>> {
        let inner = Mechanism::<Session, Envelope>::start(&Plain);
        Box::new(LoggedPlainExchange { inner, journal: Arc::clone(&self.journal) })
    }
}

/// One exchange of [`LoggedPlain`]: the built-in PLAIN's, with a wrapped authenticator.
struct LoggedPlainExchange {
    inner: Box<dyn MechanismExchange<Session, Envelope>>,
    journal: Arc<Journal>,
}

#[async_trait]
impl MechanismExchange<Session, Envelope> for LoggedPlainExchange {
    async fn step(
        &mut self,
        ctx: &AuthContext<'_, Session, Envelope>,
        response: Option<&[u8]>,
    ) -> Step {
        // The same context (server, session, envelope), but checks go through `logging`.
        let logging = LoggingAuthenticator { inner: ctx.authenticator, journal: &self.journal };
        let ctx = AuthContext { authenticator: &logging, ..*ctx };
        self.inner.step(&ctx, response).await
    }
}

/// Logs and counts each check, then defers to `inner`.
struct LoggingAuthenticator<'a> {
    inner: &'a dyn Authenticator<Session, Envelope>,
    journal: &'a Journal,
}

#[async_trait]
impl Authenticator<Session, Envelope> for LoggingAuthenticator<'_> {
    async fn authenticate(&self, request: &AuthRequest<'_, Session, Envelope>) -> AuthResult {
        self.journal.plain_attempts.fetch_add(1, Ordering::Relaxed);
        // Log the login only, never the password (`AuthData` would print it as `...` anyway).
        let login = request.auth_data.login().unwrap_or_default();
        tracing::info!(session = request.session.id, login, "PLAIN login attempt");
        self.inner.authenticate(request).await
    }

    // A wrapper passes every question on, so PLAIN behaves exactly as with `inner`.
    async fn lookup_secret(&self, request: &SecretRequest<'_, Session, Envelope>) -> SecretLookup {
        self.inner.lookup_secret(request).await
    }

    fn allows_authorization_identity(&self) -> bool {
        self.inner.allows_authorization_identity()
    }
}

// ---- (c) The authenticator -----------------------------------------------------------------

/// Checks passwords against users kept in memory (a real one would ask a database), welcomes
/// the user by name, and answers "try again later" for [`TEMPFAIL_LOGIN`].
struct DemoAuthenticator {
    users: MemoryAuthenticator,
}

#[async_trait]
impl Authenticator<Session, Envelope> for DemoAuthenticator {
    async fn authenticate(&self, request: &AuthRequest<'_, Session, Envelope>) -> AuthResult {
        if request.auth_data.login() == Some(TEMPFAIL_LOGIN) {
            // `454 4.7.0 Temporary authentication failure`; not counted as a failed attempt.
            return AuthResult::temporary_failure();
        }
        let checked = self.users.authenticate(request).await;
        match checked.auth_data {
            Some(auth_data) if checked.success => {
                let welcome = welcome(auth_data.login().unwrap_or("stranger"));
                AuthResult::success_with_message(auth_data, welcome)
            }
            // Refused: the standard `535 5.7.8 Authentication credentials invalid`.
            _ => checked,
        }
    }
}

/// `235 2.7.0 Welcome, <login>`: our success reply (not in the standard catalogue).
fn welcome(login: &str) -> Reply {
    Reply::new(ReplyCode::of(235), EnhancedStatus::of(2, 7, 0), format!("Welcome, {login}"))
}

// ---- The handler: brings the mechanisms, records who sent what ----------------------------

/// What the server side recorded, for the program (and its tests) to look at.
#[derive(Debug, Default)]
struct Journal {
    /// How many credential checks went through our PLAIN.
    plain_attempts: AtomicUsize,
    /// The accepted messages.
    deliveries: Mutex<Vec<Delivery>>,
}

/// One accepted message and who sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Delivery {
    /// The authenticated login (`session.login_data`).
    login: String,
    /// The envelope sender, as a path: `<alice@example.com>`.
    from: String,
    /// The envelope recipients, as paths.
    to: Vec<String>,
}

/// The application's hooks; every hook not written here keeps its default.
struct DemoHandler {
    journal: Arc<Journal>,
}

#[async_trait]
impl Handler for DemoHandler {
    /// Our mechanisms, asked for once at start: one new, and PLAIN, which replaces the
    /// built-in. EHLO then offers `AUTH LOGIN MECH-WITH-DASHES PLAIN`.
    fn mechanisms(&self) -> Vec<ServerMechanism> {
        vec![Arc::new(MechWithDashes), Arc::new(LoggedPlain { journal: Arc::clone(&self.journal) })]
    }

    /// The message is complete. With `auth_required` the server answered MAIL, RCPT and DATA
    /// with 530 until the client authenticated, so here `session.login_data` names the user.
    async fn data(
        &self,
        _server: &ServerInfo,
        session: &mut Session,
        envelope: &mut Envelope,
    ) -> HookResult {
        // An error becomes `451 4.3.0` for the client and a log line for the operator.
        let login = session.login_data.clone().ok_or("a message without a login")?;
        let delivery = Delivery {
            login,
            from: envelope.mail_from.as_ref().map(ToString::to_string).unwrap_or_default(),
            to: envelope.rcpt_tos.iter().map(ToString::to_string).collect(),
        };
        tracing::info!(?delivery, "message accepted");
        self.journal.deliveries.lock().unwrap_or_else(PoisonError::into_inner).push(delivery);
        Ok(Reply::ok())
    }
}

// ---- The server ----------------------------------------------------------------------------

/// Starts the demo server on `listen`. Users: alice/wonderland and bob/builder.
async fn start(listen: SocketAddr) -> Result<(ServerHandle, Arc<Journal>), Box<dyn Error>> {
    let journal = Arc::new(Journal::default());
    let users =
        MemoryAuthenticator::new().with_user("alice", "wonderland").with_user("bob", "builder");
    let config = ServerConfig {
        // No MAIL, RCPT, DATA (nor HELP, VRFY) before AUTH: `530 5.7.0`.
        auth_required: true,
        // AUTH carries passwords. Real deployments keep the default (`true`: AUTH only under
        // TLS) and set `tls`; this demo talks over loopback without a certificate.
        auth_require_tls: false,
        authenticator: Some(Arc::new(DemoAuthenticator { users })),
        ..ServerConfig::default()
    };
    let server = Server::new(config, DemoHandler { journal: Arc::clone(&journal) });
    Ok((server.start([Listen::Tcp(listen)]).await?, journal))
}

/// Starts the server, runs the client's conversation, stops the server gracefully.
async fn run(listen: SocketAddr) -> Result<Report, Box<dyn Error>> {
    let (handle, journal) = start(listen).await?;
    let address = handle.local_addr().ok_or("the server has no TCP listener")?;
    let transcript = demo_conversation(address).await;
    handle.shutdown().await;
    Ok(Report {
        address,
        transcript: transcript?,
        plain_attempts: journal.plain_attempts.load(Ordering::Relaxed),
        deliveries: journal.deliveries.lock().unwrap_or_else(PoisonError::into_inner).clone(),
    })
}

// ---- The client ----------------------------------------------------------------------------

/// EHLO, MAIL too early, AUTH MECH-WITH-DASHES, one message, QUIT.
async fn demo_conversation(server: SocketAddr) -> Result<Vec<Exchange>, Box<dyn Error>> {
    let mut client = Client::connect(server).await?;
    let mut transcript = vec![client.expect(None, 220).await?];
    let answer = BASE64.encode("alice:wonderland"); // the answer to `login:password?`
    let body = "Subject: hello\r\n\r\nSent after AUTH MECH-WITH-DASHES.\r\n.";
    let steps = [
        ("EHLO client.example", 250),
        ("MAIL FROM:<alice@example.com>", 530),
        ("AUTH MECH-WITH-DASHES", 334),
        (answer.as_str(), 235),
        ("MAIL FROM:<alice@example.com>", 250),
        ("RCPT TO:<bob@example.com>", 250),
        ("DATA", 354),
        (body, 250),
        ("QUIT", 221),
    ];
    for (line, code) in steps {
        transcript.push(client.expect(Some(line), code).await?);
    }
    Ok(transcript)
}

/// One step of the conversation: what the client sent (nothing for the greeting) and the
/// server's reply.
#[derive(Debug)]
struct Exchange {
    /// The client's line(s), without the final CRLF.
    sent: Option<String>,
    /// The server's answer.
    reply: Reply,
}

/// A minimal SMTP client over TCP: writes lines, reads replies with the crate's own parser.
struct Client {
    stream: TcpStream,
    /// Bytes read but not yet parsed.
    unread: Vec<u8>,
    parser: ReplyParser,
}

impl Client {
    /// Connects to `server`.
    async fn connect(server: SocketAddr) -> Result<Self, Box<dyn Error>> {
        let stream = timeout(STEP_TIMEOUT, TcpStream::connect(server)).await??;
        Ok(Self { stream, unread: Vec::new(), parser: ReplyParser::new() })
    }

    /// Sends `line` (when given) with CRLF, reads the reply and checks its code.
    async fn expect(&mut self, line: Option<&str>, code: u16) -> Result<Exchange, Box<dyn Error>> {
        if let Some(line) = line {
            timeout(STEP_TIMEOUT, self.stream.write_all(format!("{line}\r\n").as_bytes()))
                .await??;
        }
        let reply = self.read_reply().await?;
        if reply.code().get() != code {
            return Err(format!("{line:?} got \"{reply}\", expected {code}").into());
        }
        Ok(Exchange { sent: line.map(str::to_owned), reply })
    }

    /// Reads until one complete reply (of one or more lines) has arrived.
    async fn read_reply(&mut self) -> Result<Reply, Box<dyn Error>> {
        loop {
            let parsed = self.parser.parse(&self.unread)?;
            self.unread.drain(..parsed.consumed);
            if let Some(reply) = parsed.reply {
                return Ok(reply);
            }
            if timeout(STEP_TIMEOUT, self.stream.read_buf(&mut self.unread)).await?? == 0 {
                return Err("the server closed the connection".into());
            }
        }
    }
}

/// What [`run`] did.
#[derive(Debug)]
struct Report {
    /// The server's address.
    address: SocketAddr,
    /// The client's conversation, greeting first.
    transcript: Vec<Exchange>,
    /// Credential checks that went through our PLAIN (none in this conversation).
    plain_attempts: usize,
    /// The messages the handler accepted.
    deliveries: Vec<Delivery>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "conversation with {}:", self.address)?;
        for exchange in &self.transcript {
            for line in exchange.sent.iter().flat_map(|sent| sent.lines()) {
                writeln!(f, "  C: {line}")?;
            }
            for line in exchange.reply.to_string().lines() {
                writeln!(f, "  S: {line}")?;
            }
        }
        writeln!(f, "PLAIN attempts: {}", self.plain_attempts)?;
        for delivery in &self.deliveries {
            writeln!(
                f,
                "delivered for {}: {} -> {:?}",
                delivery.login, delivery.from, delivery.to
            )?;
        }
        write!(f, "messages delivered: {}", self.deliveries.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serialises the tests of this file (see the log test).
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    #[tokio::test]
    async fn the_demo_authenticates_with_its_own_mechanism_and_delivers() {
        let _turn = TURN.lock().await;
        let report = run("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let replies: Vec<String> = report.transcript.iter().map(|e| e.reply.to_string()).collect();

        // EHLO offers the built-in LOGIN, our mechanism and PLAIN (ours), sorted.
        assert!(replies[1].contains("250-AUTH LOGIN MECH-WITH-DASHES PLAIN\r\n"), "{}", replies[1]);
        // MAIL before AUTH.
        assert_eq!(replies[2], "530 5.7.0 Authentication required");
        // Our challenge, base64-encoded by the server.
        assert_eq!(replies[3], format!("334 {}", BASE64.encode("login:password?")));
        // The authenticator's own success message.
        assert_eq!(replies[4], "235 2.7.0 Welcome, alice");
        assert_eq!(replies[8], "250 2.0.0 OK");
        assert_eq!(replies[9], "221 2.0.0 Bye");

        // The data hook recorded the login of the session.
        let delivery = Delivery {
            login: "alice".into(),
            from: "<alice@example.com>".into(),
            to: vec!["<bob@example.com>".into()],
        };
        assert_eq!(report.deliveries, [delivery]);
        // MECH-WITH-DASHES does not go through our PLAIN.
        assert_eq!(report.plain_attempts, 0);

        let printed = report.to_string();
        assert!(printed.contains("  C: AUTH MECH-WITH-DASHES\n  S: 334 "), "{printed}");
        assert!(printed.ends_with("messages delivered: 1"), "{printed}");
    }

    /// A log destination the test can read.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn our_plain_logs_the_login_and_never_the_password() {
        // The test runtime has one thread, so the server's tasks log to this subscriber too.
        let log = Captured::default();
        let writer = log.clone();
        let subscriber =
            tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        // tracing caches, per log call site, whether anyone listens; a test running in parallel
        // without a subscriber can make that cache say "nobody" while this one captures. So the
        // tests of this file take turns.
        let _turn = TURN.lock().await;
        let _guard = tracing::subscriber::set_default(subscriber);

        let (handle, _journal) = start("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let mut client = Client::connect(handle.local_addr().unwrap()).await.unwrap();
        client.expect(None, 220).await.unwrap();
        client.expect(Some("EHLO client.example"), 250).await.unwrap();
        let auth = format!("AUTH PLAIN {}", BASE64.encode("\0bob\0builder"));
        client.expect(Some(&auth), 235).await.unwrap();
        handle.shutdown().await;

        let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        assert!(log.contains("PLAIN login attempt session=1 login=\"bob\""), "{log}");
        assert!(!log.contains("builder"), "{log}");
    }

    /// One AUTH attempt on a fresh connection.
    struct Attempt {
        /// The AUTH line and any responses, each expecting a reply code.
        lines: Vec<(String, u16)>,
        /// The reply to the last line.
        reply: &'static str,
        /// Whether our PLAIN was asked to check credentials.
        through_plain: bool,
        /// Who may send mail afterwards (`None`: MAIL still gets 530).
        login: Option<&'static str>,
    }

    fn b64(text: &str) -> String {
        BASE64.encode(text)
    }

    #[tokio::test]
    async fn auth_outcomes_plain_override_and_the_login_on_delivery() {
        let _turn = TURN.lock().await;
        let welcome_bob = "235 2.7.0 Welcome, bob";
        let attempts = [
            // PLAIN with an initial response: our PLAIN, our welcome.
            Attempt {
                lines: vec![(format!("AUTH PLAIN {}", b64("\0bob\0builder")), 235)],
                reply: welcome_bob,
                through_plain: true,
                login: Some("bob"),
            },
            // PLAIN after an empty challenge.
            Attempt {
                lines: vec![("AUTH PLAIN".into(), 334), (b64("\0alice\0wonderland"), 235)],
                reply: "235 2.7.0 Welcome, alice",
                through_plain: true,
                login: Some("alice"),
            },
            // The authenticator cannot decide now: 454, still not authenticated.
            Attempt {
                lines: vec![(format!("AUTH PLAIN {}", b64("\0tempfail\0x")), 454)],
                reply: "454 4.7.0 Temporary authentication failure",
                through_plain: true,
                login: None,
            },
            // A wrong password.
            Attempt {
                lines: vec![(format!("AUTH PLAIN {}", b64("\0bob\0wrong")), 535)],
                reply: "535 5.7.8 Authentication credentials invalid",
                through_plain: true,
                login: None,
            },
            // The built-in LOGIN is kept and uses the same authenticator, not our PLAIN.
            Attempt {
                lines: vec![("AUTH LOGIN".into(), 334), (b64("bob"), 334), (b64("builder"), 235)],
                reply: welcome_bob,
                through_plain: false,
                login: Some("bob"),
            },
            // Our mechanism with an initial response, named in lower case.
            Attempt {
                lines: vec![(format!("AUTH mech-with-dashes {}", b64("bob:builder")), 235)],
                reply: welcome_bob,
                through_plain: false,
                login: Some("bob"),
            },
            // Our mechanism, temporary failure.
            Attempt {
                lines: vec![(format!("AUTH MECH-WITH-DASHES {}", b64("tempfail:x")), 454)],
                reply: "454 4.7.0 Temporary authentication failure",
                through_plain: false,
                login: None,
            },
            // Our mechanism, an answer without a colon.
            Attempt {
                lines: vec![(format!("AUTH MECH-WITH-DASHES {}", b64("bob")), 501)],
                reply: "501 5.5.2 Can't split auth value",
                through_plain: false,
                login: None,
            },
        ];

        let (handle, journal) = start("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let server = handle.local_addr().unwrap();
        for attempt in attempts {
            let plain_before = journal.plain_attempts.load(Ordering::Relaxed);
            let mut client = Client::connect(server).await.unwrap();
            client.expect(None, 220).await.unwrap();
            client.expect(Some("EHLO client.example"), 250).await.unwrap();
            let mut last = None;
            for (line, code) in &attempt.lines {
                last = Some(client.expect(Some(line), *code).await.unwrap().reply);
            }
            assert_eq!(last.unwrap().to_string(), attempt.reply);
            let plain_used = journal.plain_attempts.load(Ordering::Relaxed) > plain_before;
            assert_eq!(plain_used, attempt.through_plain, "{}", attempt.reply);

            let mail = Some("MAIL FROM:<sender@example.com>");
            let Some(login) = attempt.login else {
                client.expect(mail, 530).await.unwrap();
                continue;
            };
            client.expect(mail, 250).await.unwrap();
            client.expect(Some("RCPT TO:<rcpt@example.com>"), 250).await.unwrap();
            client.expect(Some("DATA"), 354).await.unwrap();
            client.expect(Some("Subject: t\r\n\r\nbody\r\n."), 250).await.unwrap();
            let deliveries = journal.deliveries.lock().unwrap();
            assert_eq!(deliveries.last().map(|d| d.login.as_str()), Some(login));
        }
        // Every successful attempt delivered exactly one message.
        assert_eq!(journal.deliveries.lock().unwrap().len(), 4);
        handle.shutdown().await;
    }
}
