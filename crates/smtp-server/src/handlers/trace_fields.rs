//! The header fields aiosmtpd's `Mailbox` and `Message` handlers add to a message: `X-Peer`,
//! `X-MailFrom` and `X-RcptTo`, and where they go.
//!
//! The fields are whole lines ending with the message's own line ending (the first one in the
//! message; CRLF when it has none or only bare CRs), inserted at the top of the header block.
//! Nothing else in the message changes. One exception protects the fields from the message: a
//! message whose first line starts with a space or tab (a folded line) would turn that line
//! into a continuation of `X-RcptTo`, letting the client extend the field; the fields then go
//! in front of the first line that does not start with white space instead, and when there is
//! no such line they are left out.

use smtp_proto::address::{ForwardPath, ReversePath};

use crate::session::{Envelope, Session};

/// The three field values, sanitised (no control characters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TraceFields {
    peer: String,
    mail_from: String,
    rcpt_tos: String,
}

/// Where the fields go in one message, and their bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Insertion {
    /// The byte offset in the message.
    pub at: usize,
    /// The field lines, each ending with the message's line ending.
    pub lines: Vec<u8>,
}

impl TraceFields {
    /// The fields for this session and envelope: `X-Peer` is the real client (behind PROXY
    /// protocol, the client's address from the header), `X-MailFrom` the sender without angle
    /// brackets (`<>` for the null path), `X-RcptTo` the recipients joined with `, `.
    pub(crate) fn new(session: &Session, envelope: &Envelope) -> Self {
        let mail_from = match &envelope.mail_from {
            Some(ReversePath::Mailbox(mailbox)) => mailbox.to_string(),
            Some(ReversePath::Null) | None => "<>".to_owned(),
        };
        let rcpt_tos: Vec<String> = envelope.rcpt_tos.iter().map(recipient).collect();
        Self {
            peer: sanitise(&session.client.to_string()),
            mail_from: sanitise(&mail_from),
            rcpt_tos: sanitise(&rcpt_tos.join(", ")),
        }
    }

    /// Where and what to insert into `content`; `None` when there is no safe place.
    pub(crate) fn insertion(&self, content: &[u8]) -> Option<Insertion> {
        let at = insertion_point(content)?;
        let ending = line_ending(content);
        let mut lines = Vec::with_capacity(self.peer.len() + self.mail_from.len() + 64);
        for (name, value) in
            [("X-Peer", &self.peer), ("X-MailFrom", &self.mail_from), ("X-RcptTo", &self.rcpt_tos)]
        {
            lines.extend_from_slice(name.as_bytes());
            lines.extend_from_slice(b": ");
            lines.extend_from_slice(value.as_bytes());
            lines.extend_from_slice(ending);
        }
        Some(Insertion { at, lines })
    }

    /// `content` with the fields inserted (a copy).
    pub(crate) fn apply(&self, content: &[u8]) -> Vec<u8> {
        match self.insertion(content) {
            Some(Insertion { at, lines }) => {
                let (head, tail) = content.split_at(at);
                let mut out = Vec::with_capacity(content.len() + lines.len());
                out.extend_from_slice(head);
                out.extend_from_slice(&lines);
                out.extend_from_slice(tail);
                out
            }
            None => content.to_vec(),
        }
    }
}

/// A recipient as aiosmtpd stores it: without angle brackets.
fn recipient(path: &ForwardPath<'_>) -> String {
    match path {
        ForwardPath::Postmaster => "Postmaster".to_owned(),
        ForwardPath::Mailbox(mailbox) => mailbox.to_string(),
    }
}

/// Replaces control characters (a Unix socket path may hold a newline) with `?`, so a value can
/// never end its header line early.
fn sanitise(value: &str) -> String {
    value.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

/// The message's line ending: LF when its first line ends with a bare LF, otherwise CRLF.
fn line_ending(content: &[u8]) -> &'static [u8] {
    match content.iter().position(|&b| b == b'\n') {
        Some(0) => b"\n",
        Some(lf) if content.get(lf - 1) != Some(&b'\r') => b"\n",
        _ => b"\r\n",
    }
}

/// The start of the first line that does not begin with a space or tab (an empty remainder
/// counts), or `None` when every line is folded and the last has no line ending.
fn insertion_point(content: &[u8]) -> Option<usize> {
    let mut start = 0;
    loop {
        match content.get(start) {
            None => return Some(start),
            Some(b' ' | b'\t') => {}
            Some(_) => return Some(start),
        }
        let rest = content.get(start..)?;
        start += rest.iter().position(|&b| b == b'\n')? + 1;
    }
}

#[cfg(test)]
mod tests {
    use smtp_proto::address::{AddressLimits, parse_forward_path, parse_reverse_path};

    use super::*;
    use crate::session::PeerAddr;

    fn fields() -> TraceFields {
        let session = Session::new(1, PeerAddr::Tcp("192.0.2.1:2525".parse().unwrap()));
        let limits = AddressLimits::default();
        let envelope = Envelope {
            mail_from: Some(parse_reverse_path("<a@x.example>", &limits).unwrap().0.into_owned()),
            rcpt_tos: vec![
                parse_forward_path("<b@y.example>", &limits).unwrap().0.into_owned(),
                parse_forward_path("<postmaster>", &limits).unwrap().0.into_owned(),
            ],
            ..Envelope::default()
        };
        TraceFields::new(&session, &envelope)
    }

    const CRLF_FIELDS: &str = "X-Peer: 192.0.2.1:2525\r\nX-MailFrom: a@x.example\r\nX-RcptTo: b@y.example, Postmaster\r\n";
    const LF_FIELDS: &str =
        "X-Peer: 192.0.2.1:2525\nX-MailFrom: a@x.example\nX-RcptTo: b@y.example, Postmaster\n";

    #[test]
    fn fields_go_where_they_cannot_change_the_message() {
        let crlf = |s: &str| format!("{CRLF_FIELDS}{s}");
        let lf = |s: &str| format!("{LF_FIELDS}{s}");
        let cases: Vec<(&str, String)> = vec![
            ("Subject: hi\r\n\r\nbody\r\n", crlf("Subject: hi\r\n\r\nbody\r\n")),
            ("Subject: hi\n\nbody\n", lf("Subject: hi\n\nbody\n")),
            // No header/body separator, no headers at all, no line ending at all.
            ("just a body line\r\n", crlf("just a body line\r\n")),
            (
                "\r\nbody after an empty header block\r\n",
                crlf("\r\nbody after an empty header block\r\n"),
            ),
            ("\nbody\n", lf("\nbody\n")),
            ("no line ending", crlf("no line ending")),
            ("", crlf("")),
            // Bare CRs are not line endings for this purpose: CRLF.
            ("a\rb\r", crlf("a\rb\r")),
            // A leading folded line must not become part of X-RcptTo.
            (
                " folded\r\nSubject: x\r\n\r\nb",
                format!(" folded\r\n{CRLF_FIELDS}Subject: x\r\n\r\nb"),
            ),
            ("\tfolded\r\n\r\nbody", format!("\tfolded\r\n{CRLF_FIELDS}\r\nbody")),
            (" folded\r\n", format!(" folded\r\n{CRLF_FIELDS}")),
            // No safe place at all: the message is left alone.
            (" only folded", " only folded".to_owned()),
            (" a\r\n\tb", " a\r\n\tb".to_owned()),
        ];
        let fields = fields();
        for (message, want) in cases {
            let got = fields.apply(message.as_bytes());
            assert_eq!(String::from_utf8(got).unwrap(), want, "message {message:?}");
        }
    }

    #[test]
    fn values_cannot_break_their_line() {
        let session = Session::new(1, PeerAddr::Unix(Some("/tmp/evil\r\nBcc: x".into())));
        let fields = TraceFields::new(&session, &Envelope::default());
        let got = String::from_utf8(fields.apply(b"\r\n")).unwrap();
        assert_eq!(got, "X-Peer: unix:/tmp/evil??Bcc: x\r\nX-MailFrom: <>\r\nX-RcptTo: \r\n\r\n");
    }
}
