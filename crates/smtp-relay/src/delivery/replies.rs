//! The replies the relay itself writes into a recipient's status (not sent on the wire; they
//! end up in the queue, the log and the DSN), and the one-line text form of any reply.

use smtp_proto::reply::{EnhancedStatus, Reply, ReplyCode};

use crate::route::RouteError;

/// `556 5.1.10`: the domain publishes a null MX (RFC 7505 §4.2).
pub(crate) fn null_mx(domain: &str) -> Reply {
    Reply::new(
        ReplyCode::of(556),
        EnhancedStatus::of(5, 1, 10),
        format!("{domain} does not accept mail (null MX)"),
    )
}

/// `550 5.1.2`: the domain does not exist or has no mail server.
pub(crate) fn no_such_domain(domain: &str) -> Reply {
    Reply::new(
        ReplyCode::of(550),
        EnhancedStatus::of(5, 1, 2),
        format!("no mail server for {domain}"),
    )
}

/// `451 4.4.3`: the DNS lookup failed for now.
pub(crate) fn dns_temporary(domain: &str, reason: &str) -> Reply {
    Reply::new(
        ReplyCode::of(451),
        EnhancedStatus::of(4, 4, 3),
        format!("DNS lookup for {domain} failed: {reason}"),
    )
}

/// The reply standing for a routing failure.
pub(crate) fn route_failure(error: &RouteError) -> Reply {
    match error {
        RouteError::NullMx { domain } => null_mx(domain),
        RouteError::NoSuchDomain { domain } => no_such_domain(domain),
        RouteError::Temporary { domain, reason } => dns_temporary(domain, reason),
    }
}

/// `451 4.4.4`: the router answered with no host to try.
pub(crate) fn no_destination(domain: &str) -> Reply {
    Reply::new(
        ReplyCode::of(451),
        EnhancedStatus::of(4, 4, 4),
        format!("no host to deliver {domain} mail to"),
    )
}

/// `550 5.1.3`: a recipient without a domain cannot be routed.
pub(crate) fn no_domain() -> Reply {
    Reply::new(ReplyCode::of(550), EnhancedStatus::of(5, 1, 3), "recipient address has no domain")
}

/// `554 5.4.7`: the message stayed queued for its whole lifetime (RFC 3463 X.4.7).
pub(crate) fn expired() -> Reply {
    Reply::new(ReplyCode::of(554), EnhancedStatus::of(5, 4, 7), "delivery time expired")
}

/// `451 4.4.0`: the transport gave no result for a recipient it was asked to deliver.
pub(crate) fn missing_result() -> Reply {
    Reply::new(ReplyCode::of(451), EnhancedStatus::of(4, 4, 0), "no result for this recipient")
}

/// A reply as one line of text: `code [enhanced] line line …`.
pub(crate) fn one_line(reply: &Reply) -> String {
    let mut text = reply.code().to_string();
    if let Some(enhanced) = reply.enhanced() {
        text.push(' ');
        text.push_str(&enhanced.to_string());
    }
    for line in reply.lines().filter(|line| !line.is_empty()) {
        text.push(' ');
        text.push_str(line);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_render_as_one_line_without_injected_line_breaks() {
        let mut multi = Reply::new(ReplyCode::of(550), EnhancedStatus::of(5, 1, 1), "no such");
        multi.push_line("user here");
        let cases = [
            (multi, "550 5.1.1 no such user here"),
            (Reply::new(ReplyCode::of(451), None, "later"), "451 later"),
            (null_mx("x.example"), "556 5.1.10 x.example does not accept mail (null MX)"),
            (no_such_domain("evil\r\n250 ok"), "550 5.1.2 no mail server for evil  250 ok"),
            (expired(), "554 5.4.7 delivery time expired"),
        ];
        for (reply, expected) in cases {
            assert_eq!(one_line(&reply), expected);
        }
    }
}
