//! The AUTH steps of the conformance suite (`shared/conformance/cases/auth.cases`, profile
//! `auth`: user alice, password wonderland) replayed against the exchange and the
//! [`MemoryAuthenticator`], with the project's deliberate differences.

#![allow(clippy::unwrap_used)]

use smtp_auth::memory::MemoryAuthenticator;
use smtp_auth::{AuthCommand, AuthContext, AuthExchange, MechanismRegistry, ServerInfo};

/// Plays `AUTH <arguments>` and `lines`; returns the replies.
async fn play(arguments: &str, lines: &[&str]) -> Vec<String> {
    let registry = MechanismRegistry::with_builtins();
    let authenticator = MemoryAuthenticator::new().with_user_spec("alice:wonderland").unwrap();
    let server = ServerInfo::new("mx.test");
    let ctx =
        AuthContext { server: &server, session: &(), envelope: &(), authenticator: &authenticator };
    let exchange = AuthCommand::parse(arguments)
        .and_then(|command| AuthExchange::from_command(&registry, &command));
    let mut exchange = match exchange {
        Ok(exchange) => exchange,
        Err(reply) => return vec![reply.to_string()],
    };
    let mut replies = Vec::new();
    let mut step = exchange.next(&ctx, None).await;
    let mut lines = lines.iter();
    loop {
        replies.push(step.reply().to_string());
        if step.is_done() {
            assert_eq!(lines.len(), 0, "{arguments}: lines left over");
            return replies;
        }
        let line = format!("{}\r\n", lines.next().unwrap());
        step = exchange.next(&ctx, Some(line.as_bytes())).await;
    }
}

#[tokio::test]
async fn auth_cases() {
    let long = format!("PLAIN AGFsaWNlAHh4{}", "eHh4".repeat(250));
    let cases: &[(&str, &str, &[&str], &[&str])] = &[
        ("plain-ir-ok", "PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", &[], &["235 2.7.0"]),
        ("plain-ir-authzid-same", "PLAIN YWxpY2UAYWxpY2UAd29uZGVybGFuZA==", &[], &["235 2.7.0"]),
        ("plain-ir-wrong-password", "PLAIN AGFsaWNlAHdyb25n", &[], &["535 5.7.8"]),
        ("plain-ir-unknown-user", "PLAIN AGJvYgB3b25kZXJsYW5k", &[], &["535 5.7.8"]),
        ("plain-ir-password-case", "PLAIN AGFsaWNlAFdvbmRlcmxhbmQ=", &[], &["535 5.7.8"]),
        ("plain-ir-empty-password", "PLAIN AGFsaWNlAA==", &[], &["535 5.7.8"]),
        ("plain-ir-two-fields", "PLAIN YWxpY2UAd29uZGVybGFuZA==", &[], &["501 5.5.2"]),
        ("plain-ir-bad-base64", "PLAIN !!!not-base64!!!", &[], &["501 5.5.2"]),
        ("plain-equals-initial-response", "PLAIN =", &[], &["501 5.5.2 Can't split auth value"]),
        ("plain-no-ir-ok", "PLAIN", &["AGFsaWNlAHdvbmRlcmxhbmQ="], &["334 ", "235 2.7.0"]),
        ("plain-no-ir-wrong", "PLAIN", &["AGFsaWNlAHdyb25n"], &["334 ", "535 5.7.8"]),
        ("plain-no-ir-abort", "PLAIN", &["*"], &["334 ", "501 5.7.0"]),
        ("plain-no-ir-equals", "PLAIN", &["="], &["334 ", "501 5.5.2"]),
        (
            "login-no-ir-ok",
            "LOGIN",
            &["YWxpY2U=", "d29uZGVybGFuZA=="],
            &["334", "334", "235 2.7.0"],
        ),
        ("login-ir-ok", "LOGIN YWxpY2U=", &["d29uZGVybGFuZA=="], &["334", "235 2.7.0"]),
        ("login-wrong-password", "LOGIN", &["YWxpY2U=", "d3Jvbmc="], &["334", "334", "535 5.7.8"]),
        ("login-abort-at-username", "LOGIN", &["*"], &["334", "501 5.7.0"]),
        ("login-abort-at-password", "LOGIN YWxpY2U=", &["*"], &["334", "501 5.7.0"]),
        ("login-bad-base64-username", "LOGIN", &["@@@@"], &["334", "501 5.5.2"]),
        ("login-ir-bad-base64", "LOGIN @@@@", &[], &["501 5.5.2"]),
        ("login-empty-username", "LOGIN", &["", "d29uZGVybGFuZA=="], &["334", "334", "535 5.7.8"]),
        ("unknown-mechanism", "CRAM-MD5", &[], &["504 5.5.4"]),
        ("mechanism-lowercase-accepted", "plain AGFsaWNlAHdvbmRlcmxhbmQ=", &[], &["235 2.7.0"]),
        ("no-mechanism", "", &[], &["501"]),
        ("long-initial-response", &long, &[], &["535 5.7.8"]),
        ("plain-authzid-other-denied", "PLAIN Ym9iAGFsaWNlAHdvbmRlcmxhbmQ=", &[], &["535"]),
    ];
    for (name, arguments, lines, expected) in cases {
        let replies = play(arguments, lines).await;
        assert_eq!(replies.len(), expected.len(), "{name}: {replies:?}");
        for (reply, expected) in replies.iter().zip(expected.iter()) {
            assert!(reply.starts_with(expected), "{name}: {reply:?}, wanted {expected:?}");
        }
    }
}
