//! The DSN's exact structure.

use std::time::{Duration, UNIX_EPOCH};

use super::*;

fn recipient(address: &str, reply: &str, action: DsnAction) -> DsnRecipient {
    DsnRecipient { recipient: address.into(), reply: reply.into(), action }
}

fn input<'a>(failed: Vec<DsnRecipient>, headers: &'a [u8]) -> DsnInput<'a> {
    DsnInput {
        reporting_host: "relay.example",
        original_sender: "alice@example.com",
        arrival: UNIX_EPOCH + Duration::from_secs(1_000_000_000),
        failed,
        original_headers: headers,
        now: UNIX_EPOCH + Duration::from_secs(1_000_003_600),
    }
}

const ORIGINAL: &[u8] =
    b"From: alice@example.com\r\nTo: bob@example.net\r\nSubject: hi\r\n\r\nsecret body\r\n";

/// Splits a DSN into its top-level header block, the boundary and the three parts (each
/// part's header block and body).
fn dissect(dsn: &str) -> (String, String, Vec<(String, String)>) {
    let (top, body) = dsn.split_once("\r\n\r\n").unwrap();
    let boundary = top.split("boundary=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let closing = format!("\r\n--{boundary}--\r\n");
    assert!(body.ends_with(&closing), "ends with the closing boundary");
    let body = &body[..body.len() - closing.len()];
    let delimiter = format!("\r\n--{boundary}\r\n");
    let mut pieces = body.split(&delimiter);
    assert_eq!(pieces.next(), Some("This is a MIME-encapsulated message.\r\n"));
    let parts = pieces
        .map(|part| {
            let (headers, content) = part.split_once("\r\n\r\n").unwrap();
            (headers.to_owned(), content.to_owned())
        })
        .collect();
    (top.to_owned(), boundary, parts)
}

fn assert_wellformed_lines(dsn: &[u8]) {
    for (n, window) in dsn.windows(2).enumerate() {
        if window[1] == b'\n' {
            assert_eq!(window[0], b'\r', "bare LF at {n}");
        }
        if window[0] == b'\r' {
            assert_eq!(window[1], b'\n', "bare CR at {n}");
        }
    }
    assert!(dsn.ends_with(b"\r\n"));
    for line in dsn.split(|&b| b == b'\n') {
        assert!(line.len() <= 999, "a line of {} octets", line.len());
    }
}

#[test]
fn a_failure_report_has_the_rfc_3464_structure() {
    let failed = vec![
        recipient(
            "bob@example.net",
            "550 5.1.1 <bob@example.net>: no such user",
            DsnAction::Failed,
        ),
        recipient("carol@example.net", "550 no such user", DsnAction::Failed),
        recipient("dave@example.org", "452 4.2.2 mailbox full", DsnAction::Delayed),
    ];
    let dsn = build_dsn(&input(failed, ORIGINAL));
    assert_wellformed_lines(&dsn);
    let dsn = String::from_utf8(dsn).unwrap();
    let (top, boundary, parts) = dissect(&dsn);

    let top_lines: Vec<&str> = top.split("\r\n").collect();
    assert_eq!(top_lines[0], "From: Mail Delivery System <MAILER-DAEMON@relay.example>");
    assert_eq!(top_lines[1], "To: <alice@example.com>");
    assert_eq!(top_lines[2], "Subject: Undelivered Mail Returned to Sender");
    assert_eq!(top_lines[3], "Date: Sun, 09 Sep 2001 02:46:40 +0000");
    assert!(top_lines[4].starts_with("Message-ID: <") && top_lines[4].ends_with("@relay.example>"));
    assert_eq!(top_lines[5], "Auto-Submitted: auto-replied");
    assert_eq!(top_lines[6], "MIME-Version: 1.0");
    assert_eq!(top_lines[7], "Content-Type: multipart/report; report-type=delivery-status;");
    assert_eq!(top_lines[8], format!(" boundary=\"{boundary}\""));
    assert_eq!(top_lines.len(), 9);
    assert!(boundary.len() > 30);

    assert_eq!(parts.len(), 3);
    let part_headers = |n: usize| -> Vec<&str> { parts[n].0.split("\r\n").collect() };
    assert_eq!(
        part_headers(0),
        [
            "Content-Type: text/plain; charset=us-ascii",
            "Content-Description: Notification",
            "Content-Transfer-Encoding: 7bit"
        ]
    );
    assert_eq!(
        part_headers(1),
        [
            "Content-Type: message/delivery-status",
            "Content-Description: Delivery report",
            "Content-Transfer-Encoding: 7bit"
        ]
    );
    assert_eq!(
        part_headers(2),
        [
            "Content-Type: text/rfc822-headers",
            "Content-Description: Undelivered Message Headers",
            "Content-Transfer-Encoding: 7bit"
        ]
    );

    let notification = &parts[0].1;
    assert!(notification.starts_with("This is the mail system at host relay.example.\r\n"));
    for expected in [
        "<bob@example.net>:\r\n    550 5.1.1 <bob@example.net>: no such user\r\n",
        "<carol@example.net>:\r\n    550 no such user\r\n",
        "<dave@example.org>:\r\n    452 4.2.2 mailbox full\r\n",
        "will keep trying",
    ] {
        assert!(notification.contains(expected), "{expected:?} in {notification}");
    }

    let report = "Reporting-MTA: dns; relay.example\r\n\
         Arrival-Date: Sun, 09 Sep 2001 01:46:40 +0000\r\n\
         \r\n\
         Final-Recipient: rfc822; bob@example.net\r\n\
         Action: failed\r\n\
         Status: 5.1.1\r\n\
         Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: no such user\r\n\
         Last-Attempt-Date: Sun, 09 Sep 2001 02:46:40 +0000\r\n\
         \r\n\
         Final-Recipient: rfc822; carol@example.net\r\n\
         Action: failed\r\n\
         Status: 5.0.0\r\n\
         Diagnostic-Code: smtp; 550 no such user\r\n\
         Last-Attempt-Date: Sun, 09 Sep 2001 02:46:40 +0000\r\n\
         \r\n\
         Final-Recipient: rfc822; dave@example.org\r\n\
         Action: delayed\r\n\
         Status: 4.2.2\r\n\
         Diagnostic-Code: smtp; 452 4.2.2 mailbox full\r\n\
         Last-Attempt-Date: Sun, 09 Sep 2001 02:46:40 +0000\r\n";
    assert_eq!(parts[1].1, report);

    assert_eq!(parts[2].1, "From: alice@example.com\r\nTo: bob@example.net\r\nSubject: hi\r\n");
    assert!(!dsn.contains("secret body"), "only the headers are returned");
}

#[test]
fn delays_only_get_their_own_subject_and_non_smtp_reasons_no_diagnostic_code() {
    let delayed = vec![recipient("dave@example.org", "connection refused", DsnAction::Delayed)];
    let dsn = String::from_utf8(build_dsn(&input(delayed, b""))).unwrap();
    let (top, _, parts) = dissect(&dsn);
    assert!(top.contains("\r\nSubject: Delayed Mail (still being retried)\r\n"));
    assert!(parts[1].1.contains("\r\nAction: delayed\r\nStatus: 4.0.0\r\nLast-Attempt-Date: "));
    assert!(!parts[1].1.contains("Diagnostic-Code"));
    assert!(parts[0].1.contains("    connection refused\r\n"));
    assert_eq!(parts[2].1, "");
}

#[test]
fn hostile_text_cannot_add_fields_or_boundaries_or_long_lines() {
    let reply =
        format!("550-5.7.1 first\r\nBcc: victim@example.com\r\n550 5.7.1 {}", "x".repeat(3000));
    let failed = vec![recipient("bob@example.net\r\nX-Injected: yes", &reply, DsnAction::Failed)];
    let headers =
        [b"Subject: a\rb\0c\n".as_slice(), b"X-Long: ", &[b'y'; 2000], b"\nX-Bare-LF: yes\n\nbody"]
            .concat();
    let mut data = input(failed, &headers);
    data.reporting_host = "relay.example\r\nX-Host: evil";
    data.original_sender = "alice@example.com>\r\nBcc: <victim@example.com";
    let dsn = build_dsn(&data);
    assert_wellformed_lines(&dsn);
    let dsn = String::from_utf8(dsn).unwrap();
    for line in dsn.split("\r\n") {
        for injected in ["Bcc:", "X-Injected:", "X-Host:"] {
            assert!(!line.starts_with(injected), "{line:?}");
        }
    }
    let (top, _, parts) = dissect(&dsn);
    assert!(
        top.starts_with("From: Mail Delivery System <MAILER-DAEMON@relay.exampleX-Host:evil>\r\n")
    );
    assert!(parts[1].1.contains("\r\nStatus: 5.7.1\r\n"));
    let returned: Vec<&str> = parts[2].1.split_terminator("\r\n").collect();
    assert_eq!(returned[0], "Subject: abc");
    assert_eq!(returned[1].len(), 998);
    assert_eq!(returned[2], "X-Bare-LF: yes");
    assert_eq!(returned.len(), 3);
}

#[test]
fn utf8_content_is_labelled_8bit() {
    let failed = vec![recipient("josé@example.es", "550 5.1.1 unknown", DsnAction::Failed)];
    let dsn =
        String::from_utf8(build_dsn(&input(failed, "Subject: café\r\n\r\n".as_bytes()))).unwrap();
    let (_, _, parts) = dissect(&dsn);
    assert!(parts[0].0.contains(
        "charset=utf-8\r\nContent-Description: Notification\r\nContent-Transfer-Encoding: 8bit"
    ));
    assert!(parts[1].0.ends_with("Content-Transfer-Encoding: 8bit"));
    assert!(parts[2].0.ends_with("Content-Transfer-Encoding: 8bit"));
}

#[test]
fn the_null_sender_never_gets_a_dsn() {
    let cases = [
        ("", None),
        ("<>", None),
        (" <> ", None),
        ("alice@example.com", Some("alice@example.com")),
        ("<alice@example.com>", Some("alice@example.com")),
    ];
    for (mail_from, expected) in cases {
        assert_eq!(dsn_recipient(mail_from), expected, "{mail_from:?}");
    }
    assert_eq!(DSN_MAIL_FROM, "");
    assert_eq!(dsn_status("550 5.1.1 x", DsnAction::Failed).to_string(), "5.1.1");
}

#[tokio::test]
async fn original_headers_are_read_from_the_start_of_the_queued_file() {
    let path = std::env::temp_dir().join(format!("rroute-dsn-{}.eml", std::process::id()));
    let mut message = ORIGINAL.to_vec();
    message.extend(std::iter::repeat_n(b'z', MAX_ORIGINAL_HEADERS * 2));
    std::fs::write(&path, &message).unwrap();
    let start = read_original_headers(&path).await.unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(start.len(), MAX_ORIGINAL_HEADERS);
    assert!(start.starts_with(ORIGINAL));
}
