//! The RFC 3463 status code a DSN reports, read from the last SMTP reply.

use smtp_proto::reply::EnhancedStatus;

use super::DsnAction;

/// What a reply text says: its code, and its enhanced status when it has one whose class
/// matches the code's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ReplySummary {
    /// The three-digit code, when the text starts with one.
    pub(crate) code: Option<u16>,
    /// The enhanced status after the code.
    pub(crate) enhanced: Option<EnhancedStatus>,
}

/// Reads `550 5.1.1 text`, `550-5.1.1 text` or `550 text`; anything else has no code.
pub(crate) fn summarize(reply: &str) -> ReplySummary {
    let code = reply
        .get(..3)
        .filter(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse::<u16>().ok())
        .filter(|code| (200..=599).contains(code))
        .filter(|_| matches!(reply.as_bytes().get(3), None | Some(b' ' | b'-' | b'\r' | b'\n')));
    let enhanced = code.and_then(|code| {
        let token = reply.get(4..)?.split_whitespace().next()?;
        EnhancedStatus::parse(token).filter(|status| u16::from(status.class()) == code / 100)
    });
    ReplySummary { code, enhanced }
}

/// The status for a recipient: the reply's enhanced status, else `x.0.0` from the reply's
/// class (4 or 5), else `5.0.0` for a failure and `4.0.0` for a delay (also for a 2xx reply,
/// which cannot explain a failure).
pub(crate) fn status_for(reply: &str, action: DsnAction) -> EnhancedStatus {
    let summary = summarize(reply);
    if let Some(status) = summary.enhanced.filter(|status| status.class() != 2) {
        return status;
    }
    match summary.code.map(|code| code / 100) {
        Some(4) => EnhancedStatus::of(4, 0, 0),
        Some(5) => EnhancedStatus::of(5, 0, 0),
        _ => match action {
            DsnAction::Failed => EnhancedStatus::of(5, 0, 0),
            DsnAction::Delayed => EnhancedStatus::of(4, 0, 0),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_come_from_the_enhanced_code_then_the_class_then_the_action() {
        use DsnAction::{Delayed, Failed};
        let cases = [
            ("550 5.1.1 no such user", Failed, "5.1.1"),
            ("550-5.1.1 first line\r\n550 5.1.1 last", Failed, "5.1.1"),
            ("556 5.1.10 null MX", Failed, "5.1.10"),
            ("550 no such user", Failed, "5.0.0"),
            ("550", Failed, "5.0.0"),
            ("452 4.2.2 mailbox full", Delayed, "4.2.2"),
            ("421 try later", Delayed, "4.0.0"),
            // An expired message keeps the last temporary status (as Postfix reports it).
            ("451 4.4.1 no answer", Failed, "4.4.1"),
            // An enhanced code of the wrong class is ignored.
            ("550 4.1.1 confused", Failed, "5.0.0"),
            ("550 5.1 short", Failed, "5.0.0"),
            ("5505 5.1.1 not a code", Failed, "5.0.0"),
            ("connection refused", Failed, "5.0.0"),
            ("connection refused", Delayed, "4.0.0"),
            ("", Delayed, "4.0.0"),
            ("250 2.0.0 ok?", Failed, "5.0.0"),
        ];
        for (reply, action, expected) in cases {
            assert_eq!(status_for(reply, action).to_string(), expected, "{reply:?}");
        }
        assert_eq!(summarize("550 x").code, Some(550));
        assert_eq!(summarize("999 x").code, None);
        assert_eq!(summarize("55a x").code, None);
    }
}
