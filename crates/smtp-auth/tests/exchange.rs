//! Every reply path of an AUTH exchange, as conversations (aiosmtpd-behaviour §5, §13 rows
//! 54–79, and the conformance suite's deliberate differences).

mod common;

use std::any::Any;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::{Call, Harness};
use smtp_auth::{
    AuthContext, AuthData, AuthExchange, AuthResult, CustomAuthData, ExchangeStep,
    MAX_RESPONSE_LEN, Mechanism, MechanismExchange, MechanismRegistry, Step,
};
use smtp_proto::reply::{EnhancedStatus, Reply, ReplyCode};

const OK: &str = "235 2.7.0 Authentication successful";
const INVALID: &str = "535 5.7.8 Authentication credentials invalid";
const TEMPFAIL: &str = "454 4.7.0 Temporary authentication failure";
const CANT_SPLIT: &str = "501 5.5.2 Can't split auth value";
const BAD_BASE64: &str = "501 5.5.2 Can't decode base64";
const ABORTED: &str = "501 5.7.0 Auth aborted";
const UNRECOGNIZED: &str = "504 5.5.4 Unrecognized authentication type";
const TOO_LONG: &str = "500 5.5.6 Authentication Exchange line is too long";
const USER_PROMPT: &str = "334 VXNlciBOYW1lAA==";
const PASSWORD_PROMPT: &str = "334 UGFzc3dvcmQA";

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// One conversation: the AUTH arguments, the client's lines, the replies, and what the
/// authenticator must have received.
struct Case {
    name: &'static str,
    arguments: String,
    lines: Vec<String>,
    replies: Vec<&'static str>,
    calls: Vec<Call>,
    counts_as_failure: bool,
}

fn case(name: &'static str, arguments: &str, lines: &[&str], replies: &[&'static str]) -> Case {
    let counts_as_failure = replies.last().is_some_and(|last| {
        last.starts_with('5') && !last.starts_with("504") && !last.starts_with("501 5.5.4")
    });
    Case {
        name,
        arguments: arguments.to_owned(),
        lines: lines.iter().map(|line| (*line).to_owned()).collect(),
        replies: replies.to_vec(),
        calls: Vec::new(),
        counts_as_failure,
    }
}

impl Case {
    fn calls(mut self, calls: &[(&str, &str, &[u8], Option<&str>)]) -> Self {
        self.calls = calls
            .iter()
            .map(|(mechanism, login, password, authzid)| {
                Call::new(mechanism, login, password, *authzid)
            })
            .collect();
        self
    }
}

async fn play(harness_for: impl Fn() -> Harness, cases: Vec<Case>) {
    for case in cases {
        let harness = harness_for();
        let lines: Vec<&str> = case.lines.iter().map(String::as_str).collect();
        let transcript = harness.converse(&case.arguments, &lines).await;
        assert_eq!(transcript.replies, case.replies, "{}", case.name);
        assert_eq!(harness.calls(), case.calls, "{}", case.name);
        assert_eq!(transcript.counts_as_failure, case.counts_as_failure, "{}", case.name);
    }
}

#[tokio::test]
async fn plain() {
    let good = b64(b"\0user\0pass");
    let cases = vec![
        case("initial response", &format!("PLAIN {good}"), &[], &[OK])
            .calls(&[("PLAIN", "user", b"pass", None)]),
        case("no initial response", "PLAIN", &[&good], &["334 ", OK])
            .calls(&[("PLAIN", "user", b"pass", None)]),
        case("lower-case mechanism", &format!("plain {good}"), &[], &[OK])
            .calls(&[("PLAIN", "user", b"pass", None)]),
        case("mixed-case mechanism", "Plain", &[&good], &["334 ", OK])
            .calls(&[("PLAIN", "user", b"pass", None)]),
        case("= as initial response is empty", "PLAIN =", &[], &[CANT_SPLIT]),
        case("= answering the first 334 is empty", "PLAIN", &["="], &["334 ", CANT_SPLIT]),
        case("* aborts", "PLAIN", &["*"], &["334 ", ABORTED]),
        case("* as initial response is bad base64", "PLAIN *", &[], &[BAD_BASE64]),
        case("bad base64 initial response", "PLAIN not-b64", &[], &[BAD_BASE64]),
        case("bad base64 response", "PLAIN", &["!!!not-base64!!!"], &["334 ", BAD_BASE64]),
        case("missing padding", "PLAIN AHVzZXIAcGFzcw", &[], &[BAD_BASE64]),
        case("empty line", "PLAIN", &[""], &["334 ", CANT_SPLIT]),
        case("only a login", &format!("PLAIN {}", b64(b"\0onlylogin")), &[], &[CANT_SPLIT]),
        case("two parts", &format!("PLAIN {}", b64(b"user\0pass")), &[], &[CANT_SPLIT]),
        case("four parts", &format!("PLAIN {}", b64(b"a\0user\0pass\0x")), &[], &[CANT_SPLIT]),
        case("login not UTF-8", &format!("PLAIN {}", b64(b"\0us\xffer\0pass")), &[], &[CANT_SPLIT]),
        case("wrong password", &format!("PLAIN {}", b64(b"\0user\0wrong")), &[], &[INVALID])
            .calls(&[("PLAIN", "user", b"wrong", None)]),
        case("empty password", &format!("PLAIN {}", b64(b"\0user\0")), &[], &[INVALID])
            .calls(&[("PLAIN", "user", b"", None)]),
        case("binary password", &format!("PLAIN {}", b64(b"\0user\0\xff\0")), &[], &[CANT_SPLIT]),
        case("temporary failure", &format!("PLAIN {}", b64(b"\0tempfail\0x")), &[], &[TEMPFAIL])
            .calls(&[("PLAIN", "tempfail", b"x", None)]),
        case(
            "custom success message",
            &format!("PLAIN {}", b64(b"\0custom\0x")),
            &[],
            &["235 2.7.0 Welcome custom"],
        )
        .calls(&[("PLAIN", "custom", b"x", None)]),
        case(
            "authzid equal to the login",
            &format!("PLAIN {}", b64(b"user\0user\0pass")),
            &[],
            &[OK],
        )
        .calls(&[("PLAIN", "user", b"pass", None)]),
        case(
            "another authzid is refused",
            &format!("PLAIN {}", b64(b"bob\0user\0pass")),
            &[],
            &[INVALID],
        ),
        case("unknown mechanism", "CRAM-MD5", &[], &[UNRECOGNIZED]),
        case("unknown mechanism with a response", "XPLAIN AHVzZXIAcGFzcw==", &[], &[UNRECOGNIZED]),
        case("not a mechanism name", "PL.AIN", &[], &[UNRECOGNIZED]),
        case("AUTH alone", "", &[], &["501 5.5.4 Not enough value"]),
        case("three words", "PLAIN a b", &[], &["501 5.5.4 Too many values"]),
    ];
    play(Harness::new, cases).await;
}

#[tokio::test]
async fn plain_with_authorization_identity_allowed() {
    let allowing = || {
        let mut harness = Harness::new();
        harness.authenticator =
            Arc::new(common::Recording { allow_authzid: true, ..Default::default() });
        harness
    };
    let cases = vec![
        case(
            "another authzid is passed on",
            &format!("PLAIN {}", b64(b"bob\0user\0pass")),
            &[],
            &[OK],
        )
        .calls(&[("PLAIN", "user", b"pass", Some("bob"))]),
        case(
            "authzid equal to the login is not",
            &format!("PLAIN {}", b64(b"user\0user\0pass")),
            &[],
            &[OK],
        )
        .calls(&[("PLAIN", "user", b"pass", None)]),
    ];
    play(allowing, cases).await;
}

#[tokio::test]
async fn login() {
    let (user, pass) = (b64(b"user"), b64(b"pass"));
    let cases = vec![
        case("full flow", "LOGIN", &[&user, &pass], &[USER_PROMPT, PASSWORD_PROMPT, OK])
            .calls(&[("LOGIN", "user", b"pass", None)]),
        case("initial response", &format!("LOGIN {user}"), &[&pass], &[PASSWORD_PROMPT, OK])
            .calls(&[("LOGIN", "user", b"pass", None)]),
        case("lower-case mechanism", &format!("login {user}"), &[&pass], &[PASSWORD_PROMPT, OK])
            .calls(&[("LOGIN", "user", b"pass", None)]),
        case("abort at the user name", "LOGIN", &["*"], &[USER_PROMPT, ABORTED]),
        case(
            "abort at the password",
            &format!("LOGIN {user}"),
            &["*"],
            &[PASSWORD_PROMPT, ABORTED],
        ),
        case(
            "abort at the password after both prompts",
            "LOGIN",
            &[&user, "*"],
            &[USER_PROMPT, PASSWORD_PROMPT, ABORTED],
        ),
        case("bad base64 initial response", "LOGIN ab@%", &[], &[BAD_BASE64]),
        case("bad base64 user name", "LOGIN", &["@@@@"], &[USER_PROMPT, BAD_BASE64]),
        case(
            "bad base64 password",
            "LOGIN",
            &[&user, "@@@@"],
            &[USER_PROMPT, PASSWORD_PROMPT, BAD_BASE64],
        ),
        case(
            "wrong password",
            "LOGIN",
            &[&user, &b64(b"wrong")],
            &[USER_PROMPT, PASSWORD_PROMPT, INVALID],
        )
        .calls(&[("LOGIN", "user", b"wrong", None)]),
        case(
            "empty user name is passed on",
            "LOGIN",
            &["", &pass],
            &[USER_PROMPT, PASSWORD_PROMPT, INVALID],
        )
        .calls(&[("LOGIN", "", b"pass", None)]),
        case(
            "empty password is passed on",
            "LOGIN",
            &[&user, ""],
            &[USER_PROMPT, PASSWORD_PROMPT, INVALID],
        )
        .calls(&[("LOGIN", "user", b"", None)]),
        case(
            "= encoded (PQ==) at both prompts",
            "LOGIN",
            &["PQ==", "PQ=="],
            &[USER_PROMPT, PASSWORD_PROMPT, INVALID],
        )
        .calls(&[("LOGIN", "=", b"=", None)]),
        case(
            "= as the first response is an empty user",
            "LOGIN",
            &["=", &pass],
            &[USER_PROMPT, PASSWORD_PROMPT, INVALID],
        )
        .calls(&[("LOGIN", "", b"pass", None)]),
        case(
            "= later is bad base64",
            "LOGIN",
            &[&user, "="],
            &[USER_PROMPT, PASSWORD_PROMPT, BAD_BASE64],
        ),
        case("user name not UTF-8", &format!("LOGIN {}", b64(b"\xff")), &[], &[INVALID]),
        case(
            "temporary failure",
            "LOGIN",
            &[&b64(b"tempfail"), &pass],
            &[USER_PROMPT, PASSWORD_PROMPT, TEMPFAIL],
        )
        .calls(&[("LOGIN", "tempfail", b"pass", None)]),
    ];
    play(Harness::new, cases).await;
}

#[tokio::test]
async fn response_length_limit() {
    // The longest valid response: 12,288 base64 characters ("\0user\0" and a wrong password).
    let mut message = b"\0user\0".to_vec();
    message.resize(MAX_RESPONSE_LEN / 4 * 3, b'x');
    let longest = b64(&message);
    assert_eq!(longest.len(), MAX_RESPONSE_LEN);
    let password = message[6..].to_vec();
    let too_long = format!("{longest}A");

    let harness = Harness::new();
    let transcript = harness.converse("PLAIN", &[&longest]).await;
    assert_eq!(transcript.replies, ["334 ", INVALID]);
    assert_eq!(harness.calls(), [Call::new("PLAIN", "user", &password, None)]);

    let harness = Harness::new();
    let transcript = harness.converse(&format!("PLAIN {longest}"), &[]).await;
    assert_eq!(transcript.replies, [INVALID]);
    assert_eq!(harness.calls().len(), 1);

    for arguments in [format!("PLAIN {too_long}"), "PLAIN".into()] {
        let harness = Harness::new();
        let lines: &[&str] = if arguments == "PLAIN" { &[&too_long] } else { &[] };
        let transcript = harness.converse(&arguments, lines).await;
        assert_eq!(
            transcript.replies.last().map(String::as_str),
            Some(TOO_LONG),
            "{arguments:.20}"
        );
        assert!(transcript.counts_as_failure);
        assert!(harness.calls().is_empty());
    }
}

#[tokio::test]
async fn raw_line_ends() {
    let harness = Harness::new();
    let lines: [&[u8]; 2] = [b"dXNlcg==\n", b"  cGFzcw==\t\r\n"];
    let transcript = harness.converse_bytes("LOGIN", &lines).await;
    assert_eq!(transcript.replies, [USER_PROMPT, PASSWORD_PROMPT, OK]);
    let result = transcript.result.unwrap();
    assert!(result.success);
    assert_eq!(result.login(), Some("user"));
    assert!(!transcript.counts_as_failure);
}

#[tokio::test]
async fn excluded_builtin_is_unknown() {
    let mut registry = MechanismRegistry::with_builtins();
    assert!(registry.exclude("login"));
    let harness = Harness::with_registry(registry);
    assert_eq!(harness.converse("LOGIN", &[]).await.replies, [UNRECOGNIZED]);
    assert_eq!(harness.converse("PLAIN", &["AHVzZXIAcGFzcw=="]).await.replies, ["334 ", OK]);
}

/// A PLAIN of the application's own: accepts anything with its own greeting, never asking
/// the authenticator.
struct MyPlain;

struct MyPlainExchange;

#[async_trait]
impl MechanismExchange for MyPlainExchange {
    async fn step(&mut self, _: &AuthContext<'_, (), ()>, response: Option<&[u8]>) -> Step {
        match response {
            None => Step::Challenge(b"go ahead".to_vec()),
            Some(_) => Step::Done(AuthResult::success_with_message(
                AuthData::Verified { login: "overridden".into() },
                Reply::new(ReplyCode::of(235), EnhancedStatus::of(2, 7, 0), "Overridden"),
            )),
        }
    }
}

impl Mechanism for MyPlain {
    fn name(&self) -> &str {
        "plain"
    }

    fn start(&self) -> Box<dyn MechanismExchange> {
        Box::new(MyPlainExchange)
    }
}

#[tokio::test]
async fn overridden_plain_is_used() {
    let mut registry = MechanismRegistry::with_builtins();
    let replaced = registry.register(Arc::new(MyPlain)).unwrap();
    assert_eq!(replaced.unwrap().name(), "PLAIN");
    let harness = Harness::with_registry(registry);
    let transcript = harness.converse("PLAIN", &["AHVzZXIAd3Jvbmc="]).await;
    assert_eq!(transcript.replies, ["334 Z28gYWhlYWQ=", "235 2.7.0 Overridden"]);
    assert_eq!(transcript.result.unwrap().login(), Some("overridden"));
    assert!(harness.calls().is_empty(), "the built-in PLAIN would have asked the authenticator");
}

/// `MECH-WITH-DASHES`: challenges `hello`, accepts the response `good`, refuses anything else
/// itself, and reports a failure it "handled" without a message.
struct Dashes;

struct DashesExchange;

/// The payload the custom mechanism hands on.
#[derive(Debug, PartialEq)]
struct Greeted(&'static str);

#[async_trait]
impl MechanismExchange for DashesExchange {
    async fn step(&mut self, _: &AuthContext<'_, (), ()>, response: Option<&[u8]>) -> Step {
        match response {
            None => Step::Challenge(b"hello".to_vec()),
            Some(b"good") => Step::Done(AuthResult::success(AuthData::Custom(CustomAuthData {
                mechanism: "MECH-WITH-DASHES".into(),
                login: Some("dash".into()),
                payload: Arc::new(Greeted("hello")),
            }))),
            Some(b"handled") => Step::Done(AuthResult { handled: true, ..AuthResult::denied() }),
            Some(_) => Step::Done(AuthResult::denied()),
        }
    }
}

impl Mechanism for Dashes {
    fn name(&self) -> &str {
        "MECH-WITH-DASHES"
    }

    fn start(&self) -> Box<dyn MechanismExchange> {
        Box::new(DashesExchange)
    }
}

#[tokio::test]
async fn custom_mechanism_with_dashes() {
    let mut registry = MechanismRegistry::with_builtins();
    registry.register(Arc::new(Dashes)).unwrap();
    assert_eq!(registry.ehlo_keyword().as_deref(), Some("AUTH LOGIN MECH-WITH-DASHES PLAIN"));
    let harness = Harness::with_registry(registry);

    let transcript = harness.converse("mech-with-dashes", &[&b64(b"good")]).await;
    assert_eq!(transcript.replies, ["334 aGVsbG8=", OK]);
    let result = transcript.result.unwrap();
    assert_eq!(result.login(), Some("dash"));
    let Some(AuthData::Custom(custom)) = &result.auth_data else { panic!("{result:?}") };
    let payload: &dyn Any = custom.payload.as_ref();
    assert_eq!(payload.downcast_ref::<Greeted>(), Some(&Greeted("hello")));

    let transcript = harness.converse("MECH-WITH-DASHES", &["YmFk"]).await;
    assert_eq!(transcript.replies, ["334 aGVsbG8=", INVALID]);
    assert!(transcript.counts_as_failure);

    // A handled failure without a message: nothing was sent, so the standard 535 is.
    let transcript = harness.converse("MECH-WITH-DASHES", &[&b64(b"handled")]).await;
    assert_eq!(transcript.replies, ["334 aGVsbG8=", INVALID]);
    assert!(transcript.result.unwrap().handled);

    // The initial response skips the challenge.
    let transcript = harness.converse(&format!("MECH-WITH-DASHES {}", b64(b"good")), &[]).await;
    assert_eq!(transcript.replies, [OK]);
    assert!(harness.calls().is_empty());
}

#[tokio::test]
async fn driven_out_of_order() {
    let harness = Harness::new();
    let authenticator: &dyn smtp_auth::Authenticator = harness.authenticator.as_ref();
    let ctx = AuthContext { server: &harness.server, session: &(), envelope: &(), authenticator };

    // A line before the exchange began.
    let mut exchange = AuthExchange::start(&harness.registry, "PLAIN", None).unwrap();
    let step = exchange.next(&ctx, Some(b"AHVzZXIAcGFzcw==")).await;
    assert_eq!(step.reply().to_string(), "451 4.3.0 Error: internal server error");
    assert!(step.is_done() && !step.is_credential_failure());

    // A call after the end.
    let mut exchange = AuthExchange::start(&harness.registry, "PLAIN", Some("=")).unwrap();
    assert_eq!(exchange.next(&ctx, None).await.reply().to_string(), CANT_SPLIT);
    let step = exchange.next(&ctx, Some(b"AHVzZXIAcGFzcw==")).await;
    assert_eq!(step.reply().to_string(), "451 4.3.0 Error: internal server error");

    // `None` while a challenge waits for its answer.
    let mut exchange = AuthExchange::start(&harness.registry, "LOGIN", None).unwrap();
    assert!(!exchange.next(&ctx, None).await.is_done());
    assert!(exchange.next(&ctx, None).await.is_done());
    assert!(harness.calls().is_empty());
}

#[tokio::test]
async fn exchange_describes_itself_without_secrets() {
    let harness = Harness::new();
    let authenticator: &dyn smtp_auth::Authenticator = harness.authenticator.as_ref();
    let ctx = AuthContext { server: &harness.server, session: &(), envelope: &(), authenticator };
    let mut exchange = AuthExchange::start(&harness.registry, "login", Some("dXNlcg==")).unwrap();
    assert_eq!(exchange.to_string(), "AUTH LOGIN (step 0)");
    let step = exchange.next(&ctx, None).await;
    assert!(matches!(step, ExchangeStep::Challenge(_)));
    assert_eq!(exchange.mechanism().as_str(), "LOGIN");
    assert_eq!(exchange.steps(), 1);
    let shown = format!("{exchange:?} {exchange}");
    assert!(
        shown.contains("LOGIN") && !shown.contains("dXNlcg") && !shown.contains("user"),
        "{shown}"
    );
}
