//! The interop matrix, msmtp × smtpd: AUTH SCRAM-SHA-256 and AUTH PLAIN over STARTTLS, with
//! a configuration file written by the test (the certificate trusted with `tls_trust_file`);
//! each checks the Maildir file byte for byte.
#![cfg(all(unix, feature = "cli"))]
#![allow(clippy::unwrap_used)]

mod matrix_support;

use std::process::{Command, Stdio};

use matrix_support::{FROM, LOGIN, MESSAGE, PASSWORD, Smtpd, TO, TempDir, run, tool};

#[test]
fn scram_sha_256_and_plain_over_starttls() {
    let msmtp = tool("msmtp", "msmtp");
    for (mechanism, config_name) in [("SCRAM-SHA-256", "scram-sha-256"), ("PLAIN", "plain")] {
        let dir = TempDir::new("msmtp");
        let smtpd = Smtpd::start(&dir, &["--auth-mechanism", "SCRAM-SHA-256", "--auth-required"]);
        let config = format!(
            "account matrix\nhost 127.0.0.1\nport {port}\ndomain client.test\nfrom {FROM}\n\
             auth {config_name}\nuser {LOGIN}\npassword {PASSWORD}\ntls on\ntls_starttls on\n\
             tls_trust_file {cert}\n",
            port = smtpd.port(),
            cert = smtpd.cert.cert.display()
        );
        let config = dir.write("msmtprc", config.as_bytes());
        let message = dir.write("message.eml", MESSAGE);
        let mut command = Command::new(&msmtp);
        command
            .arg("--file")
            .arg(&config)
            .args(["--account", "matrix", "--debug", "--", TO])
            .stdin(Stdio::from(std::fs::File::open(&message).unwrap()));
        let transcript = run(&dir, "msmtp", &mut command);
        transcript.assert_success(mechanism);
        let out = transcript.all();
        assert!(out.contains("--> STARTTLS"), "{mechanism}: {out}");
        assert!(out.contains(&format!("--> AUTH {mechanism}")), "{mechanism}: {out}");
        assert!(out.contains("<-- 235 2.7.0 "), "{mechanism}: {out}");
        smtpd.the_message().assert_is(MESSAGE);
    }
}
