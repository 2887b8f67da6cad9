//! Delivery status notifications: RFC 3464 reports in an RFC 6522 `multipart/report`.
//!
//! [`build_dsn`] writes the whole message: a human-readable explanation, the
//! `message/delivery-status` part (one block per recipient with the status read from the last
//! reply), and the original message's headers (`text/rfc822-headers`). Every line ends in CRLF
//! and is at most 998 octets; text that came from the network (replies, addresses, the
//! original headers) is flattened so it cannot add header fields or MIME boundaries.
//!
//! A DSN is sent with the null reverse path (`MAIL FROM:<>`, [`DSN_MAIL_FROM`]) so it can
//! never bounce back, and a message whose sender was the null path never gets one: the queue
//! asks [`dsn_recipient`] first.
//!
//! The message is 7-bit unless the original headers, a recipient address or a reply carry
//! UTF-8 (an SMTPUTF8 message); such parts are labelled `8bit` and the caller must send the
//! DSN with `BODY=8BITMIME` (or SMTPUTF8).

pub(crate) mod date;
mod status;
mod text;

use std::path::Path;
use std::time::SystemTime;

use smtp_proto::reply::EnhancedStatus;
use tokio::io::AsyncReadExt;

use text::{push_field, push_paragraph};

/// The envelope sender of a DSN: the null reverse path `<>` (empty, as in
/// [`crate::transport::DeliveryRequest::mail_from`]).
pub const DSN_MAIL_FROM: &str = "";

/// How much of the original message is searched for its header block.
pub const MAX_ORIGINAL_HEADERS: usize = 64 * 1024;

/// What the report says happened to a recipient (RFC 3464 §2.3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DsnAction {
    /// Delivery failed for good (refused, or the queue lifetime ran out).
    Failed,
    /// Delivery is late and still being retried.
    Delayed,
}

impl DsnAction {
    fn as_str(self) -> &'static str {
        match self {
            Self::Failed => "failed",
            Self::Delayed => "delayed",
        }
    }
}

/// One recipient the report is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DsnRecipient {
    /// The recipient address, without brackets.
    pub recipient: String,
    /// The last reply (`550 5.1.1 no such user`) or, when no server answered, what went
    /// wrong (`connection refused`).
    pub reply: String,
    /// Failed or delayed.
    pub action: DsnAction,
}

/// Everything a DSN is made from.
#[derive(Clone, Debug)]
pub struct DsnInput<'a> {
    /// This relay's host name (`Reporting-MTA`, the `From` domain, the `Message-ID` domain).
    pub reporting_host: &'a str,
    /// The original message's envelope sender: the DSN goes to this address.
    pub original_sender: &'a str,
    /// When the original message was accepted.
    pub arrival: SystemTime,
    /// The recipients to report on (failed or delayed), in order.
    pub failed: Vec<DsnRecipient>,
    /// The start of the original message (its header block is taken from it, up to the first
    /// empty line and at most [`MAX_ORIGINAL_HEADERS`] octets).
    pub original_headers: &'a [u8],
    /// The time of the report (`Date`, `Last-Attempt-Date`).
    pub now: SystemTime,
}

/// Where a DSN for a message with reverse path `mail_from` goes: `None` for the null sender
/// (empty or `<>`), which must never get one (RFC 5321 §4.5.5, §6.1).
pub fn dsn_recipient(mail_from: &str) -> Option<&str> {
    let address = mail_from.trim();
    let address = address.strip_prefix('<').and_then(|a| a.strip_suffix('>')).unwrap_or(address);
    (!address.is_empty()).then_some(address)
}

/// The RFC 3463 status a DSN reports for `reply`: its enhanced status code, else `x.0.0`
/// from its class, else `5.0.0` (failed) or `4.0.0` (delayed).
pub fn dsn_status(reply: &str, action: DsnAction) -> EnhancedStatus {
    status::status_for(reply, action)
}

/// Reads the start of a queued message file (at most [`MAX_ORIGINAL_HEADERS`] octets) for
/// [`DsnInput::original_headers`].
pub async fn read_original_headers(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = tokio::fs::File::open(path).await?;
    let mut start = Vec::new();
    let limit = u64::try_from(MAX_ORIGINAL_HEADERS).unwrap_or(u64::MAX);
    file.take(limit).read_to_end(&mut start).await?;
    Ok(start)
}

/// Builds the DSN message (headers and body, CRLF line ends, lines of at most 998 octets).
pub fn build_dsn(input: &DsnInput<'_>) -> Vec<u8> {
    let host = host_name(input.reporting_host);
    let notification = notification_part(input, &host);
    let report = report_part(input, &host);
    let headers = text::header_block(input.original_headers, MAX_ORIGINAL_HEADERS);
    let boundary = boundary_for(&[&notification, &report, &headers]);

    let mut out = Vec::with_capacity(notification.len() + report.len() + headers.len() + 1024);
    push_field(&mut out, "From", &format!("Mail Delivery System <MAILER-DAEMON@{host}>"));
    push_field(&mut out, "To", &format!("<{}>", input.original_sender));
    push_field(&mut out, "Subject", subject(&input.failed));
    push_field(&mut out, "Date", &date::rfc5322(input.now));
    push_field(&mut out, "Message-ID", &format!("<{}@{host}>", random_token()));
    push_field(&mut out, "Auto-Submitted", "auto-replied");
    push_field(&mut out, "MIME-Version", "1.0");
    out.extend_from_slice(b"Content-Type: multipart/report; report-type=delivery-status;\r\n");
    out.extend_from_slice(format!(" boundary=\"{boundary}\"\r\n\r\n").as_bytes());
    out.extend_from_slice(b"This is a MIME-encapsulated message.\r\n");
    let parts = [
        (text_type(&notification, "text/plain"), "Notification", notification),
        ("message/delivery-status".to_owned(), "Delivery report", report),
        ("text/rfc822-headers".to_owned(), "Undelivered Message Headers", headers),
    ];
    for (content_type, description, body) in parts {
        out.extend_from_slice(format!("\r\n--{boundary}\r\n").as_bytes());
        push_field(&mut out, "Content-Type", &content_type);
        push_field(&mut out, "Content-Description", description);
        push_field(&mut out, "Content-Transfer-Encoding", encoding(&body));
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&body);
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

fn subject(recipients: &[DsnRecipient]) -> &'static str {
    if recipients.iter().all(|r| r.action == DsnAction::Delayed) && !recipients.is_empty() {
        "Delayed Mail (still being retried)"
    } else {
        "Undelivered Mail Returned to Sender"
    }
}

/// The human-readable part.
fn notification_part(input: &DsnInput<'_>, host: &str) -> Vec<u8> {
    let mut out = Vec::new();
    push_paragraph(&mut out, &format!("This is the mail system at host {host}."), 0);
    out.extend_from_slice(b"\r\n");
    let sections = [
        (
            DsnAction::Failed,
            "Your message could not be delivered to the recipients below. The reasons are \
             given after each address; the headers of your message are attached.",
        ),
        (
            DsnAction::Delayed,
            "Your message has not been delivered yet to the recipients below. The mail \
             system will keep trying; you do not need to send it again.",
        ),
    ];
    for (action, explanation) in sections {
        let recipients: Vec<_> = input.failed.iter().filter(|r| r.action == action).collect();
        if recipients.is_empty() {
            continue;
        }
        push_paragraph(&mut out, explanation, 0);
        out.extend_from_slice(b"\r\n");
        for recipient in recipients {
            push_paragraph(&mut out, &format!("<{}>:", recipient.recipient), 4);
            out.extend_from_slice(b"    ");
            push_paragraph(&mut out, &recipient.reply, 4);
            out.extend_from_slice(b"\r\n");
        }
    }
    out
}

/// The `message/delivery-status` part (RFC 3464 §2.2, §2.3).
fn report_part(input: &DsnInput<'_>, host: &str) -> Vec<u8> {
    let mut out = Vec::new();
    push_field(&mut out, "Reporting-MTA", &format!("dns; {host}"));
    push_field(&mut out, "Arrival-Date", &date::rfc5322(input.arrival));
    let attempt = date::rfc5322(input.now);
    for recipient in &input.failed {
        out.extend_from_slice(b"\r\n");
        push_field(&mut out, "Final-Recipient", &format!("rfc822; {}", recipient.recipient));
        push_field(&mut out, "Action", recipient.action.as_str());
        let status = status::status_for(&recipient.reply, recipient.action);
        push_field(&mut out, "Status", &status.to_string());
        if status::summarize(&recipient.reply).code.is_some() {
            push_field(&mut out, "Diagnostic-Code", &format!("smtp; {}", recipient.reply));
        }
        push_field(&mut out, "Last-Attempt-Date", &attempt);
    }
    out
}

/// The reporting host as a safe domain: letters, digits, `.`, `-`, `[`, `]`, `:` only.
fn host_name(host: &str) -> String {
    let clean: String = host
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'))
        .collect();
    if clean.is_empty() { "localhost".to_owned() } else { clean }
}

fn text_type(body: &[u8], base: &str) -> String {
    let charset = if body.is_ascii() { "us-ascii" } else { "utf-8" };
    format!("{base}; charset={charset}")
}

fn encoding(body: &[u8]) -> &'static str {
    if body.is_ascii() { "7bit" } else { "8bit" }
}

/// A boundary that occurs in none of the parts.
fn boundary_for(parts: &[&[u8]]) -> String {
    loop {
        let boundary = format!("=_dsn_{}", random_token());
        let clash =
            parts.iter().any(|part| part.windows(boundary.len()).any(|w| w == boundary.as_bytes()));
        if !clash {
            return boundary;
        }
    }
}

/// 32 random hex digits (the time and a counter when the system has no randomness).
fn random_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos =
            SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let count = u128::from(COUNTER.fetch_add(1, Ordering::Relaxed));
        bytes = (nanos ^ (count << 64)).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
