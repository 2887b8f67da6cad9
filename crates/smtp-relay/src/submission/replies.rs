//! The replies of the submission handler that the standard catalogue does not have.

use smtp_proto::reply::{EnhancedStatus, Reply, ReplyCode};

use crate::queue::QueueId;

/// `553 5.7.1 Sender address not owned by user <login>`: the MAIL FROM address is not one of
/// the authenticated user's (RFC 6409 §6.1 lets a submission server refuse it).
pub fn sender_not_owned(login: &str) -> Reply {
    Reply::new(
        ReplyCode::of(553),
        EnhancedStatus::of(5, 7, 1),
        format!("Sender address not owned by user {}", printable(login)),
    )
}

/// `550 5.7.1 Address literal recipients are not relayed`: a recipient like
/// `user@[192.0.2.1]` would let a user reach any host, internal ones included.
pub fn literal_refused() -> Reply {
    Reply::new(
        ReplyCode::of(550),
        EnhancedStatus::of(5, 7, 1),
        "Address literal recipients are not relayed",
    )
}

/// `550 5.1.1 No local mailboxes here; give the postmaster's domain`: a relay has no local
/// postmaster mailbox to deliver `<Postmaster>` to.
pub fn no_local_postmaster() -> Reply {
    Reply::new(
        ReplyCode::of(550),
        EnhancedStatus::of(5, 1, 1),
        "No local mailboxes here; give the postmaster's domain",
    )
}

/// `250 2.0.0 OK queued as <id>`: the message is on disk.
pub fn queued(id: &QueueId) -> Reply {
    Reply::new(ReplyCode::of(250), EnhancedStatus::of(2, 0, 0), format!("OK queued as {}", id.0))
}

/// A login as it may appear in a reply: control characters (impossible after the store's
/// checks, but cheap to exclude) become `?`.
fn printable(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_render_as_documented() {
        let cases = [
            (sender_not_owned("alice"), "553 5.7.1 Sender address not owned by user alice\r\n"),
            (sender_not_owned("a\u{7}b"), "553 5.7.1 Sender address not owned by user a?b\r\n"),
            (literal_refused(), "550 5.7.1 Address literal recipients are not relayed\r\n"),
            (queued(&QueueId("0001-ab".into())), "250 2.0.0 OK queued as 0001-ab\r\n"),
        ];
        for (reply, expected) in cases {
            assert_eq!(String::from_utf8(reply.to_bytes()).unwrap(), expected);
        }
    }
}
