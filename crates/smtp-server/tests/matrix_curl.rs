//! The interop matrix, curl × smtpd: `smtp://` with `--ssl-reqd` (STARTTLS) and `smtps://`
//! (implicit TLS), each with AUTH PLAIN and AUTH LOGIN, the certificate trusted with
//! `--cacert`; each checks the Maildir file byte for byte.
#![cfg(all(unix, feature = "cli"))]
#![allow(clippy::unwrap_used)]

mod matrix_support;

use std::process::Command;

use matrix_support::{FROM, LOGIN, MESSAGE, PASSWORD, Smtpd, TO, TempDir, run, tool};

/// How curl reaches the server.
#[derive(Clone, Copy, Debug)]
enum Tls {
    /// `smtp://` with `--ssl-reqd`.
    StartTls,
    /// `smtps://`.
    Implicit,
}

#[test]
fn starttls_and_implicit_tls_with_plain_and_login() {
    let curl = tool("curl", "curl");
    for tls in [Tls::StartTls, Tls::Implicit] {
        for mechanism in ["PLAIN", "LOGIN"] {
            let case = format!("{tls:?} AUTH {mechanism}");
            let dir = TempDir::new("curl");
            let smtps: &[&str] = match tls {
                Tls::StartTls => &["--auth-required"],
                Tls::Implicit => &["--auth-required", "--smtps"],
            };
            let smtpd = Smtpd::start(&dir, smtps);
            let message = dir.write("message.eml", MESSAGE);
            let url = match tls {
                Tls::StartTls => format!("smtp://127.0.0.1:{}/client.test", smtpd.port()),
                Tls::Implicit => format!("smtps://127.0.0.1:{}/client.test", smtpd.port()),
            };
            let mut command = Command::new(&curl);
            command
                .args(["--verbose", "--show-error", "--silent", "--max-time", "30"])
                .arg(&url)
                .args(if matches!(tls, Tls::StartTls) { &["--ssl-reqd"][..] } else { &[] })
                .arg("--cacert")
                .arg(&smtpd.cert.cert)
                .args(["--user", &format!("{LOGIN}:{PASSWORD}")])
                .args(["--login-options", &format!("AUTH={mechanism}")])
                .args(["--mail-from", FROM, "--mail-rcpt", TO])
                .arg("--upload-file")
                .arg(&message);
            let transcript = run(&dir, "curl", &mut command);
            transcript.assert_success(&case);
            let out = transcript.all();
            assert!(out.contains(&format!("> AUTH {mechanism}")), "{case}: {out}");
            assert!(out.contains("< 235 2.7.0 "), "{case}: {out}");
            assert_eq!(out.contains("> STARTTLS"), matches!(tls, Tls::StartTls), "{case}: {out}");
            smtpd.the_message().assert_is(MESSAGE);
        }
    }
}
