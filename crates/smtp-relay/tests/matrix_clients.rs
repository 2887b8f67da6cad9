//! The interop matrix against the relayer (`Relay::start` in-process, example.net routed to a
//! recording upstream): swaks AUTH PLAIN over STARTTLS; msmtp AUTH PLAIN and LOGIN over
//! STARTTLS (and SCRAM-SHA-256, which the relayer does not offer: msmtp must stop cleanly);
//! curl `smtp://` with `--ssl-reqd` and `smtps://`, each with AUTH PLAIN and LOGIN; Perl's
//! Net::SMTP with AUTH over STARTTLS sending the message in BDAT chunks. Each
//! delivered case checks the relayer's `250 2.0.0 OK queued as <id>` and the message the
//! upstream received, byte for byte under the relayer's `Received:` field.
#![allow(clippy::unwrap_used)]

mod matrix_support;
mod relay_support;

use std::process::{Command, Stdio};

use matrix_support::{MESSAGE, MatrixRelay, TO, USER, run_async, tool, write_private};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swaks_auth_plain_over_starttls() {
    let swaks = tool("swaks", "swaks");
    let relay = MatrixRelay::start("matrix-swaks").await;
    // swaks ends DATA with CRLF . CRLF after the file: the file lacks the final CRLF.
    let file = MESSAGE.strip_suffix(b"\r\n").unwrap();
    let message = write_private(relay.dir.path(), "message.eml", file);
    let password = format!("{}\n", matrix_support::SECRET);
    let password = write_private(relay.dir.path(), "password", password.as_bytes());
    let mut command = Command::new(swaks);
    command
        .env("HOME", relay.dir.path())
        .args(["--server", "127.0.0.1", "--port", &relay.submission.port().to_string()])
        .args(["--ehlo", "client.test", "--from", USER, "--to", TO, "--timeout", "30"])
        .arg("--data")
        .arg(format!("@{}", message.display()))
        // No --auth-password: swaks asks for it on standard input. (Its netrc lookup reads
        // the home directory of the user id, not $HOME, so a test cannot point it elsewhere.)
        .args(["--tls", "--auth", "PLAIN", "--auth-user", USER])
        .stdin(Stdio::from(std::fs::File::open(&password).unwrap()));
    let transcript = run_async(relay.dir.path(), "swaks", command).await;
    transcript.assert_queued("swaks");
    assert!(transcript.output.contains("~> AUTH PLAIN"), "{}", transcript.output);
    relay.assert_relayed(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn msmtp_plain_and_login_over_starttls() {
    let msmtp = tool("msmtp", "msmtp");
    let relay = MatrixRelay::start("matrix-msmtp").await;
    let message = write_private(relay.dir.path(), "message.eml", MESSAGE);
    let cases = [
        ("PLAIN", "plain", true),
        ("LOGIN", "login", true),
        ("SCRAM-SHA-256", "scram-sha-256", false),
    ];
    let mut delivered = 0;
    for (mechanism, config_name, offered) in cases {
        let config = format!(
            "account matrix\nhost 127.0.0.1\nport {port}\ndomain client.test\nfrom {USER}\n\
             auth {config_name}\nuser {USER}\npassword {SECRET}\ntls on\ntls_starttls on\n\
             tls_trust_file {cert}\n",
            port = relay.submission.port(),
            SECRET = matrix_support::SECRET,
            cert = relay.cert().display()
        );
        let config = write_private(relay.dir.path(), "msmtprc", config.as_bytes());
        let mut command = Command::new(&msmtp);
        command
            .arg("--file")
            .arg(&config)
            .args(["--account", "matrix", "--debug", "--", TO])
            .stdin(Stdio::from(std::fs::File::open(&message).unwrap()));
        let transcript = run_async(relay.dir.path(), "msmtp", command).await;
        if offered {
            transcript.assert_queued(mechanism);
            assert!(
                transcript.output.contains(&format!("--> AUTH {mechanism}")),
                "{}",
                transcript.output
            );
            delivered += 1;
            relay.assert_relayed(delivered).await;
        } else {
            // Passwords are stored hashed, so the relayer cannot offer SCRAM: msmtp says so
            // and sends nothing.
            assert!(!transcript.status.success(), "{}", transcript.output);
            assert!(transcript.output.contains("does not support"), "{}", transcript.output);
            assert!(!transcript.output.contains("--> MAIL FROM"), "{}", transcript.output);
        }
    }
    assert_eq!(relay.upstream.messages().len(), delivered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_starttls_and_implicit_tls_with_plain_and_login() {
    let curl = tool("curl", "curl");
    let relay = MatrixRelay::start("matrix-curl").await;
    let netrc = relay.netrc();
    let message = write_private(relay.dir.path(), "message.eml", MESSAGE);
    let mut delivered = 0;
    for (scheme, addr) in [("smtp", relay.submission), ("smtps", relay.smtps)] {
        for mechanism in ["PLAIN", "LOGIN"] {
            let case = format!("{scheme} AUTH {mechanism}");
            let mut command = Command::new(&curl);
            command
                .args(["--verbose", "--show-error", "--silent", "--max-time", "30"])
                .arg(format!("{scheme}://localhost:{}/client.test", addr.port()))
                .args(["--resolve", &format!("localhost:{}:127.0.0.1", addr.port())])
                .args(if scheme == "smtp" { &["--ssl-reqd"][..] } else { &[] })
                .arg("--cacert")
                .arg(relay.cert())
                .arg("--netrc-file")
                .arg(&netrc)
                .args(["--login-options", &format!("AUTH={mechanism}")])
                .args(["--mail-from", USER, "--mail-rcpt", TO])
                .arg("--upload-file")
                .arg(&message);
            let transcript = run_async(relay.dir.path(), "curl", command).await;
            transcript.assert_queued(&case);
            let out = &transcript.output;
            assert!(out.contains(&format!("> AUTH {mechanism}")), "{case}: {out}");
            assert_eq!(out.contains("> STARTTLS"), scheme == "smtp", "{case}: {out}");
            delivered += 1;
            relay.assert_relayed(delivered).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn net_smtp_bdat_over_starttls() {
    let relay = MatrixRelay::start("matrix-net-smtp").await;
    let client = include_str!("../../../test-support/net_smtp_bdat.pl");
    let script = write_private(relay.dir.path(), "bdat.pl", client.as_bytes());
    // Three chunks: cut inside the CRLF after the lone-dot line, and inside a header line.
    let lone_dot = MESSAGE.windows(5).position(|w| w == b"\r\n.\r\n").unwrap() + 4;
    let chunks = [&MESSAGE[..20], &MESSAGE[20..lone_dot], &MESSAGE[lone_dot..]];
    let mut command = Command::new("perl");
    command.arg(script).arg(relay.submission.port().to_string()).arg(relay.cert()).args([
        "1",
        USER,
        matrix_support::SECRET,
    ]);
    for (index, chunk) in chunks.iter().enumerate() {
        command.arg(write_private(relay.dir.path(), &format!("chunk{index}"), chunk));
    }
    let transcript = run_async(relay.dir.path(), "net-smtp", command).await;
    transcript.assert_queued("Net::SMTP bdat");
    let lines: Vec<&str> = transcript.output.lines().map(str::trim_end).collect();
    let said = |text: &str| lines.iter().any(|line| line.ends_with(text));
    assert!(said(">>> STARTTLS"), "{}", transcript.output);
    assert!(said(&format!(">>> BDAT {}", chunks[0].len())), "{}", transcript.output);
    assert!(said(&format!(">>> BDAT {}", chunks[1].len())), "{}", transcript.output);
    assert!(said(&format!(">>> BDAT {} LAST", chunks[2].len())), "{}", transcript.output);
    relay.assert_relayed(1).await;
}
