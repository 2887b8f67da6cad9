//! Python's smtplib against a real server on 127.0.0.1: each test runs one scenario of
//! `tests/interop/smtplib_client.py`, hands it the message on standard input, and checks the
//! message that arrived at the handler byte for byte, with its envelope and session facts.
//!
//! `python3` is required: when it cannot be started the tests fail, they do not skip.
#![allow(clippy::unwrap_used)]

mod interop_support;

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use interop_support::json::{Object, Value, field, parse_object, strings};
use interop_support::{LIMIT, LOGIN, Recording, Running, auth_tls_config, certificate};
use smtp_server::ServerConfig;
use smtp_server::smtp_proto::params::Body;

/// What the script printed and how it ended.
struct ClientRun {
    report: Object,
    success: bool,
    stderr: String,
}

/// Runs the smtplib scenario against `port`, feeding it `message`; bounded by [`LIMIT`] (the
/// child is killed on expiry).
async fn smtplib(port: u16, scenario: &str, message: &[u8]) -> ClientRun {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/smtplib_client.py");
    let mut child = Command::new("python3")
        .arg(&script)
        .arg("--port")
        .arg(port.to_string())
        .arg(scenario)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| {
            panic!("python3 is required for the smtplib interop tests but could not start: {error}")
        });
    let (mut stdin, mut stdout, mut stderr) =
        (child.stdin.take().unwrap(), child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let message = message.to_vec();
    let io = tokio::task::spawn_blocking(move || {
        stdin.write_all(&message).unwrap();
        drop(stdin);
        let (mut out, mut err) = (String::new(), String::new());
        stdout.read_to_string(&mut out).unwrap();
        stderr.read_to_string(&mut err).unwrap();
        (out, err)
    });
    let (out, stderr) = match tokio::time::timeout(LIMIT, io).await {
        Ok(joined) => joined.unwrap(),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the smtplib scenario {scenario:?} did not finish in {LIMIT:?}");
        }
    };
    let status = tokio::task::spawn_blocking(move || child.wait()).await.unwrap().unwrap();
    let line = out.lines().last().unwrap_or_default();
    let report = parse_object(line)
        .unwrap_or_else(|error| panic!("unreadable report {out:?} ({error}); stderr: {stderr}"));
    ClientRun { report, success: status.success(), stderr }
}

/// Runs a scenario that must succeed.
async fn smtplib_ok(port: u16, scenario: &str, message: &[u8]) -> Object {
    let run = smtplib(port, scenario, message).await;
    assert!(run.success, "{scenario}: {:?}; stderr: {}", run.report, run.stderr);
    run.report
}

fn int(report: &Object, key: &str) -> i64 {
    match field(report, key) {
        Value::Int(value) => *value,
        other => panic!("{key}: expected an integer, got {other:?}"),
    }
}

fn boolean(report: &Object, key: &str) -> bool {
    match field(report, key) {
        Value::Bool(value) => *value,
        other => panic!("{key}: expected a boolean, got {other:?}"),
    }
}

fn strings_of(addresses: &[&str]) -> Vec<String> {
    addresses.iter().map(|a| (*a).to_owned()).collect()
}

#[tokio::test]
async fn plain_sendmail_to_two_recipients_arrives_unstuffed() {
    let certificate = certificate();
    let recording = Recording::default();
    let server = Running::start(auth_tls_config(&certificate), recording.clone(), false).await;
    // smtplib doubles the dot of every line that starts with one; the server must undo it.
    let message = b"Subject: plain\r\n\r\nline one\r\n.leading dot\r\n..two dots\r\n.\r\nlast\r\n";
    let report = smtplib_ok(server.addr.port(), "plain", message).await;
    server.stop().await;

    assert_eq!(strings(field(&report, "refused")), Vec::<String>::new());
    let esmtp = strings(field(&report, "esmtp"));
    for offered in ["8bitmime", "pipelining", "size", "starttls"] {
        assert!(esmtp.iter().any(|e| e == offered), "{offered} not in {esmtp:?}");
    }
    assert!(!esmtp.iter().any(|e| e == "auth"), "AUTH offered without TLS: {esmtp:?}");
    let arrived = recording.only();
    assert_eq!(arrived.content, message.to_vec());
    assert_eq!(arrived.mail_from, "<alice@example.com>");
    assert_eq!(arrived.rcpt_tos, strings_of(&["<bob@example.com>", "<carol@example.com>"]));
    assert_eq!((arrived.authenticated, arrived.login, arrived.implicit_tls), (false, None, None));
}

#[tokio::test]
async fn auth_over_starttls_with_each_mechanism() {
    let certificate = certificate();
    let recording = Recording::default();
    let server = Running::start(auth_tls_config(&certificate), recording.clone(), false).await;
    let mechanisms = [
        ("starttls-plain", "PLAIN"),
        ("starttls-login", "LOGIN"),
        ("starttls-cram-md5", "CRAM-MD5"),
    ];
    let mut sent = Vec::new();
    for (scenario, mechanism) in mechanisms {
        let message =
            format!("Subject: via {mechanism}\r\n\r\nauthenticated\r\n.\r\n").into_bytes();
        let report = smtplib_ok(server.addr.port(), scenario, &message).await;
        assert!(!boolean(&report, "auth_before_tls"), "{scenario}: AUTH offered before TLS");
        let offered = strings(field(&report, "auth_offered"));
        assert!(offered.iter().any(|m| m == mechanism), "{scenario}: {offered:?}");
        assert_eq!(int(&report, "auth_code"), 235, "{scenario}");
        sent.push(message);
    }
    server.stop().await;

    let arrived = recording.arrived();
    assert_eq!(arrived.len(), mechanisms.len(), "{arrived:#?}");
    for ((message, (scenario, _)), arrived) in sent.iter().zip(mechanisms).zip(arrived) {
        assert_eq!(arrived.content, *message, "{scenario}");
        assert_eq!(arrived.mail_from, "<alice@example.com>", "{scenario}");
        assert_eq!(arrived.rcpt_tos, strings_of(&["<bob@example.com>"]), "{scenario}");
        assert!(arrived.authenticated, "{scenario}");
        assert_eq!(arrived.login.as_deref(), Some(LOGIN), "{scenario}");
        assert_eq!(arrived.implicit_tls, Some(false), "{scenario}: not under STARTTLS");
    }
}

#[tokio::test]
async fn a_wrong_password_is_refused_and_nothing_is_delivered() {
    let certificate = certificate();
    let recording = Recording::default();
    let config = ServerConfig { auth_required: true, ..auth_tls_config(&certificate) };
    let server = Running::start(config, recording.clone(), false).await;
    let report = smtplib_ok(server.addr.port(), "wrong-password", b"Subject: x\r\n\r\nx\r\n").await;
    server.stop().await;

    assert_eq!(int(&report, "auth_code"), 535);
    assert_eq!(int(&report, "send_code"), 530, "MAIL after a failed AUTH");
    assert_eq!(recording.arrived(), Vec::new());
}

#[tokio::test]
async fn smtputf8_addresses_and_headers_arrive_intact() {
    let certificate = certificate();
    let recording = Recording::default();
    let config = ServerConfig { enable_smtputf8: true, ..auth_tls_config(&certificate) };
    let server = Running::start(config, recording.clone(), false).await;
    let message = "From: Jörg <jörg@example.com>\r\nTo: zoë@example.com\r\nSubject: Grüße\r\n\r\n\
                   8-bit body: ünïcödé ✉\r\n"
        .as_bytes();
    let report = smtplib_ok(server.addr.port(), "smtputf8", message).await;
    server.stop().await;

    assert!(boolean(&report, "smtputf8"));
    let arrived = recording.only();
    assert!(arrived.smtp_utf8);
    assert_eq!(arrived.mail_from, "<jörg@example.com>");
    assert_eq!(arrived.rcpt_tos, strings_of(&["<zoë@example.com>"]));
    assert_eq!(arrived.content, message.to_vec());
}

#[tokio::test]
async fn eight_bit_bytes_arrive_intact_with_body_8bitmime() {
    let certificate = certificate();
    let recording = Recording::default();
    let server = Running::start(auth_tls_config(&certificate), recording.clone(), false).await;
    // UTF-8 text, then Latin-1 bytes that are not UTF-8 at all, and every high octet once.
    let mut message = "Subject: 8bit\r\n\r\nnaïve café\r\n".as_bytes().to_vec();
    message.extend_from_slice(b"caf\xe9 \xff\xfe\r\n");
    message.extend((0x80..=0xffu8).collect::<Vec<u8>>());
    message.extend_from_slice(b"\r\n");
    let report = smtplib_ok(server.addr.port(), "8bit", &message).await;
    server.stop().await;

    assert!(boolean(&report, "eightbitmime"));
    let arrived = recording.only();
    assert_eq!(arrived.body, Some(Body::EightBitMime));
    assert_eq!(arrived.content, message);
}
