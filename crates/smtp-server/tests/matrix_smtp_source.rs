//! The interop matrix, Postfix's `smtp-source` × smtpd, for load: 200 messages of 1 KiB over
//! 10 parallel sessions; every one arrives in the Maildir with the shape smtp-source gives
//! it, and smtpd keeps answering afterwards.
//!
//! smtp-source comes from the `postfix` package unpacked (not installed) into
//! `<target>/tools/postfix` by `cargo xtask ci`, or by this test on first use.
#![cfg(all(unix, feature = "cli"))]
#![allow(clippy::unwrap_used)]

mod matrix_support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::Command;

use matrix_support::{LIMIT, Smtpd, Stored, TempDir, postfix_root, run};

const MESSAGES: usize = 200;
const BODY_SIZE: usize = 1024;

#[test]
fn two_hundred_messages_over_ten_sessions_all_arrive() {
    let postfix = postfix_root();
    let dir = TempDir::new("smtp-source");
    let mut smtpd = Smtpd::start(&dir, &[]);
    let mut command = Command::new(postfix.join("usr/sbin/smtp-source"));
    command
        .env("LD_LIBRARY_PATH", postfix.join("usr/lib/postfix"))
        .args(["-c", "-l", &BODY_SIZE.to_string(), "-m", &MESSAGES.to_string(), "-s", "10"])
        .args(["-f", "a@example.com", "-t", "b@example.com"])
        .arg(smtpd.addr.to_string());
    let transcript = run(&dir, "smtp-source", &mut command);
    transcript.assert_success("smtp-source");
    // -c counts the messages it sent, each number over the last (after a CR).
    let counted = transcript.stdout.split_whitespace().last();
    assert_eq!(counted, Some(MESSAGES.to_string().as_str()), "{}", transcript.all());

    let messages = smtpd.wait_for_messages(MESSAGES);
    for file in &messages {
        let stored = Stored::split(file);
        assert!(stored.peer.starts_with("127.0.0.1:"), "{stored:?}");
        assert_eq!(
            (stored.mail_from.as_str(), stored.rcpt_to.as_str()),
            ("a@example.com", "b@example.com")
        );
        assert_smtp_source_shape(&stored.message);
    }

    // smtpd still answers, and still runs.
    assert!(smtpd.is_running(), "smtpd exited under load");
    let stream = TcpStream::connect(smtpd.addr).unwrap();
    stream.set_read_timeout(Some(LIMIT)).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    let mut reply = |send: &str| {
        writer.write_all(send.as_bytes()).unwrap();
        let mut last = String::new();
        loop {
            last.clear();
            reader.read_line(&mut last).unwrap();
            if last.as_bytes().get(3) != Some(&b'-') {
                return last.clone();
            }
        }
    };
    assert!(reply("").starts_with("220 mx.test"));
    assert!(reply("EHLO client.test\r\n").starts_with("250 "));
    assert!(reply("NOOP\r\n").starts_with("250 "));
    assert!(reply("QUIT\r\n").starts_with("221 "));
}

/// smtp-source's message: `From:`, `To:`, `Date:` and `Message-Id:` headers, then
/// `BODY_SIZE` octets of `X` lines (the first character of each line its number), CRLF
/// line ends throughout.
fn assert_smtp_source_shape(message: &[u8]) {
    let text = std::str::from_utf8(message).unwrap();
    let (header, body) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("{text:?}"));
    let names: Vec<&str> = header.split("\r\n").map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(names, ["From", "To", "Date", "Message-Id"], "{text:?}");
    assert!(header.starts_with("From: <a@example.com>\r\nTo: <b@example.com>\r\n"), "{text:?}");
    assert!(body.ends_with("\r\n") && !body.contains("\r\n\r\n"), "{body:?}");
    assert!(!body.replace("\r\n", "").contains(['\r', '\n']), "bare CR or LF: {body:?}");
    let octets = body.replace("\r\n", "").len();
    assert!((BODY_SIZE - 80..=BODY_SIZE).contains(&octets), "{octets} octets: {body:?}");
    for line in body.trim_end().split("\r\n") {
        let xs = line.trim_start_matches(|c: char| c.is_ascii_digit());
        assert!(!xs.is_empty() && xs.chars().all(|c| c == 'X'), "{line:?}");
    }
}
