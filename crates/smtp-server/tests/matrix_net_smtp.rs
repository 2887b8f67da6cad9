//! The interop matrix, Perl's Net::SMTP × smtpd: BDAT (RFC 3030 CHUNKING), the one real client
//! here that sends it (Net::SMTP's `bdat`/`bdatlast`; Debian 12's swaks has no BDAT option).
//! Plain, and over STARTTLS with AUTH; each checks the Maildir file byte for byte.
#![cfg(all(unix, feature = "cli"))]
#![allow(clippy::unwrap_used)]

mod matrix_support;

use std::process::Command;

use matrix_support::{LOGIN, PASSWORD, Smtpd, TempDir, Transcript, run};

/// The message in three chunks, cut where DATA would have trouble: inside a CRLF, after a
/// line holding only a dot, at a line that starts with a dot. BDAT carries them as they are.
const CHUNKS: [&[u8]; 3] = [
    b"Date: Thu, 01 Jan 2026 12:00:00 +0000\r\n\
      From: <alice@example.com>\r\n\
      To: <bob@example.net>\r\n\
      Subject: in chunks\r\n\
      \r\n\
      The next line is a lone dot, which BDAT does not treat as the end:\r\n\
      .\r\n\
      ..and this line keeps both of its dots\r",
    b"\n.a chunk that starts with a dot\r\n",
    b"the last chunk\r\n",
];

/// The client: Perl's Net::SMTP (see the script for its arguments).
const CLIENT: &str = include_str!("../../../test-support/net_smtp_bdat.pl");

/// Runs the client against `smtpd`; `auth` logs in as alice after STARTTLS.
fn send(dir: &TempDir, smtpd: &Smtpd, auth: bool) -> Transcript {
    let script = dir.write("bdat.pl", CLIENT.as_bytes());
    let mut command = Command::new("perl");
    command
        .arg(script)
        .arg(smtpd.port().to_string())
        .arg(&smtpd.cert.cert)
        .arg(if auth { "1" } else { "0" })
        .arg(if auth { LOGIN } else { "" })
        .arg(if auth { PASSWORD } else { "" });
    for (index, chunk) in CHUNKS.iter().enumerate() {
        command.arg(dir.write(&format!("chunk{index}"), chunk));
    }
    run(dir, "net-smtp", &mut command)
}

/// Asserts the conversation sent MAIL with `BODY=BINARYMIME`, every chunk with BDAT (the last
/// one with LAST) and no DATA, and that each chunk got its `250`.
fn assert_chunked(transcript: &Transcript) {
    let log = transcript.all();
    // Net::SMTP's debug lines: `Net::SMTP=GLOB(…)>>> COMMAND` (with the CR it sent).
    let lines: Vec<&str> = log.lines().map(str::trim_end).collect();
    let said = |text: &str| lines.iter().any(|line| line.ends_with(text));
    assert!(said(">>> MAIL FROM:<alice@example.com> BODY=BINARYMIME"), "{log}");
    for (index, chunk) in CHUNKS.iter().enumerate() {
        let (command, reply) = if index == CHUNKS.len() - 1 {
            (format!(">>> BDAT {} LAST", chunk.len()), "<<< 250 2.0.0 OK".to_owned())
        } else {
            let len = chunk.len();
            (format!(">>> BDAT {len}"), format!("<<< 250 2.0.0 {len} octets received"))
        };
        assert!(said(&command), "no `{command}` in:\n{log}");
        assert!(said(&reply), "no `{reply}` in:\n{log}");
    }
    assert!(!said(">>> DATA"), "{log}");
}

#[test]
fn bdat_chunks_arrive_as_sent() {
    let dir = TempDir::new("net-smtp-bdat");
    let smtpd = Smtpd::start(&dir, &[]);
    let transcript = send(&dir, &smtpd, false);
    transcript.assert_success("Net::SMTP bdat");
    assert!(transcript.all().contains("<<< 250-CHUNKING"), "{}", transcript.all());
    assert!(transcript.all().contains("<<< 250-BINARYMIME"), "{}", transcript.all());
    assert_chunked(&transcript);
    smtpd.the_message().assert_is(&CHUNKS.concat());
}

#[test]
fn bdat_over_starttls_after_auth() {
    let dir = TempDir::new("net-smtp-bdat-tls");
    let smtpd = Smtpd::start(&dir, &["--auth-required"]);
    let transcript = send(&dir, &smtpd, true);
    transcript.assert_success("Net::SMTP starttls, auth, bdat");
    let log = transcript.all();
    assert!(log.contains(">>> STARTTLS"), "{log}");
    assert!(log.contains("<<< 235 2.7.0"), "{log}");
    assert_chunked(&transcript);
    smtpd.the_message().assert_is(&CHUNKS.concat());
}
