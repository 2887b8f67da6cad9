//! The interop matrix, swaks × smtpd: AUTH PLAIN, LOGIN and CRAM-MD5 over STARTTLS, AUTH
//! PLAIN over implicit TLS, and PIPELINING; each checks the Maildir file byte for byte.
//!
//! (This swaks, 20201014 in Debian 12, has no BDAT/CHUNKING option, so BDAT is not here.)
#![cfg(all(unix, feature = "cli"))]
#![allow(clippy::unwrap_used)]

mod matrix_support;

use std::process::Command;

use matrix_support::{FROM, LOGIN, MESSAGE, PASSWORD, Smtpd, TO, TempDir, Transcript, run, swaks};

/// swaks sending [`MESSAGE`] from a file to `smtpd` with `flags`.
///
/// swaks ends DATA with `CRLF . CRLF` after the file's last byte, so a file ending in CRLF
/// arrives with one more empty line: the file holds the message without its final CRLF.
fn send(dir: &TempDir, smtpd: &Smtpd, flags: &[&str]) -> Transcript {
    let file = MESSAGE.strip_suffix(b"\r\n").unwrap();
    let message = dir.write("message.eml", file);
    let mut command = Command::new(swaks());
    command
        .args(["--server", "127.0.0.1", "--port", &smtpd.port().to_string()])
        .args(["--ehlo", "client.test", "--from", FROM, "--to", TO, "--timeout", "30"])
        .arg("--data")
        .arg(format!("@{}", message.display()))
        .args(["--auth-user", LOGIN, "--auth-password", PASSWORD])
        .args(flags);
    run(dir, "swaks", &mut command)
}

#[test]
fn auth_mechanisms_over_starttls() {
    for mechanism in ["PLAIN", "LOGIN", "CRAM-MD5"] {
        let dir = TempDir::new("swaks-starttls");
        let smtpd = Smtpd::start(&dir, &["--auth-mechanism", "CRAM-MD5", "--auth-required"]);
        let transcript = send(&dir, &smtpd, &["--tls", "--auth", mechanism]);
        transcript.assert_success(mechanism);
        let out = transcript.all();
        assert!(out.contains(" -> STARTTLS\n<-  220 "), "{mechanism}: {out}");
        assert!(out.contains(&format!("~> AUTH {mechanism}")), "{mechanism}: {out}");
        assert!(out.contains("<~  235 2.7.0 "), "{mechanism}: {out}");
        smtpd.the_message().assert_is(MESSAGE);
    }
}

#[test]
fn auth_plain_over_implicit_tls() {
    let dir = TempDir::new("swaks-smtps");
    let smtpd = Smtpd::start(&dir, &["--smtps", "--auth-required"]);
    let transcript = send(&dir, &smtpd, &["--tls-on-connect", "--auth", "PLAIN"]);
    transcript.assert_success("swaks --tls-on-connect");
    let out = transcript.all();
    assert!(!out.contains("STARTTLS"), "{out}");
    assert!(out.contains("<~  220 mx.test"), "the greeting came over TLS: {out}");
    assert!(out.contains("<~  235 2.7.0 "), "{out}");
    smtpd.the_message().assert_is(MESSAGE);
}

#[test]
fn pipelining() {
    let dir = TempDir::new("swaks-pipeline");
    let smtpd = Smtpd::start(&dir, &["--auth-required"]);
    let transcript = send(&dir, &smtpd, &["--tls", "--auth", "PLAIN", "--pipeline"]);
    transcript.assert_success("swaks --pipeline");
    let out = transcript.all();
    assert!(out.contains("PIPELINING"), "smtpd offers PIPELINING: {out}");
    // MAIL, RCPT and DATA went out together, before any of their replies.
    assert!(
        out.contains(&format!(" ~> MAIL FROM:<{FROM}>\n ~> RCPT TO:<{TO}>\n ~> DATA\n")),
        "{out}"
    );
    smtpd.the_message().assert_is(MESSAGE);
}
