//! The MAIL and RCPT command lines, and the checks made before anything is sent: addresses
//! must be RFC 5321 paths (never a CR, LF or parameter smuggled in an address), SMTPUTF8 and
//! SIZE must fit what the server offered.

use smtp_proto::address::{AddressLimits, parse_forward_path, parse_reverse_path};
use smtp_proto::ehlo::ServerCapabilities;
use smtp_proto::reply::{EnhancedStatus, Reply, ReplyCode};

use crate::transport::DeliveryRequest;

/// Built locally: the message needs SMTPUTF8 and the server does not offer it (RFC 6531 §3.4).
pub fn smtputf8_not_offered() -> Reply {
    Reply::new(
        ReplyCode::of(553),
        EnhancedStatus::of(5, 6, 7),
        "The destination does not support SMTPUTF8, which this message needs",
    )
}

/// Built locally: the message is larger than the server's `SIZE` (RFC 1870).
pub fn too_big(limit: u64) -> Reply {
    Reply::new(
        ReplyCode::of(552),
        EnhancedStatus::of(5, 3, 4),
        format!("Message too big for the destination (SIZE {limit})"),
    )
}

/// Built locally: the sender is not a valid reverse path; nothing was sent.
pub fn bad_sender() -> Reply {
    Reply::new(ReplyCode::of(553), EnhancedStatus::of(5, 1, 7), "Bad sender address syntax")
}

/// Built locally: the recipient is not a valid forward path; nothing was sent for it.
pub fn bad_recipient() -> Reply {
    Reply::new(ReplyCode::of(553), EnhancedStatus::of(5, 1, 3), "Bad recipient address syntax")
}

/// Whether `address` (without brackets) is one reverse path and nothing else.
pub fn valid_sender(address: &str) -> bool {
    let bracketed = format!("<{address}>");
    matches!(parse_reverse_path(&bracketed, &AddressLimits::default()), Ok((_, rest)) if rest.is_empty())
}

/// Whether `address` (without brackets) is one forward path and nothing else.
pub fn valid_recipient(address: &str) -> bool {
    let bracketed = format!("<{address}>");
    matches!(parse_forward_path(&bracketed, &AddressLimits::default()), Ok((_, rest)) if rest.is_empty())
}

/// Refuses the whole request before MAIL when the server cannot take the message.
pub fn check_fit(request: &DeliveryRequest, offered: &ServerCapabilities) -> Result<(), Reply> {
    if request.smtputf8 && !offered.smtputf8 {
        return Err(smtputf8_not_offered());
    }
    if let Some(limit) = offered.size.filter(|&limit| limit > 0 && request.size > limit) {
        return Err(too_big(limit));
    }
    if !valid_sender(&request.mail_from) {
        return Err(bad_sender());
    }
    Ok(())
}

/// `MAIL FROM:<sender>` with `SIZE=` when offered, `BODY=8BITMIME` for 8-bit content when
/// offered, `SMTPUTF8` when needed. 8-bit content to a server without 8BITMIME is sent
/// anyway, without `BODY=` (most servers take it; converting to 7 bit is not our job).
pub fn mail_line(request: &DeliveryRequest, offered: &ServerCapabilities) -> String {
    let mut line = format!("MAIL FROM:<{}>", request.mail_from);
    if offered.size.is_some() {
        line.push_str(&format!(" SIZE={}", request.size));
    }
    if request.eight_bit && offered.eight_bit_mime {
        line.push_str(" BODY=8BITMIME");
    }
    if request.smtputf8 {
        line.push_str(" SMTPUTF8");
    }
    line
}

/// `RCPT TO:<recipient>`.
pub fn rcpt_line(recipient: &str) -> String {
    format!("RCPT TO:<{recipient}>")
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::transport::{Destination, MessageBody, TlsPolicy};

    fn request(eight_bit: bool, smtputf8: bool) -> DeliveryRequest {
        DeliveryRequest {
            destination: Destination {
                host: "mx.example".into(),
                port: 25,
                tls_name: "mx.example".into(),
                tls: TlsPolicy::Off,
            },
            credentials: None,
            mail_from: "alice@example.com".into(),
            recipients: vec!["bob@example.net".into()],
            body: MessageBody::Memory(Bytes::from_static(b"x\r\n")),
            size: 1234,
            smtputf8,
            eight_bit,
        }
    }

    fn offered(size: Option<u64>, eight_bit_mime: bool, smtputf8: bool) -> ServerCapabilities {
        ServerCapabilities { size, eight_bit_mime, smtputf8, ..ServerCapabilities::default() }
    }

    #[test]
    fn mail_parameters_follow_what_is_offered_and_needed() {
        let table = [
            (request(false, false), offered(None, true, true), "MAIL FROM:<alice@example.com>"),
            (
                request(false, false),
                offered(Some(0), false, false),
                "MAIL FROM:<alice@example.com> SIZE=1234",
            ),
            (
                request(true, false),
                offered(None, true, false),
                "MAIL FROM:<alice@example.com> BODY=8BITMIME",
            ),
            (request(true, false), offered(None, false, false), "MAIL FROM:<alice@example.com>"),
            (
                request(true, true),
                offered(Some(99_999), true, true),
                "MAIL FROM:<alice@example.com> SIZE=1234 BODY=8BITMIME SMTPUTF8",
            ),
        ];
        for (request, offered, want) in table {
            assert_eq!(mail_line(&request, &offered), want);
        }
        let mut null = request(false, false);
        null.mail_from.clear();
        assert_eq!(mail_line(&null, &offered(None, false, false)), "MAIL FROM:<>");
        assert_eq!(rcpt_line("bob@example.net"), "RCPT TO:<bob@example.net>");
    }

    #[test]
    fn requests_that_do_not_fit_are_refused_before_mail() {
        let code =
            |r: Result<(), Reply>| r.err().map(|reply| (reply.code().get(), reply.enhanced()));
        assert_eq!(code(check_fit(&request(false, false), &offered(None, false, false))), None);
        assert_eq!(
            code(check_fit(&request(false, true), &offered(None, false, false))),
            Some((553, Some(EnhancedStatus::of(5, 6, 7))))
        );
        assert_eq!(
            code(check_fit(&request(false, false), &offered(Some(1000), false, false))),
            Some((552, Some(EnhancedStatus::of(5, 3, 4))))
        );
        assert_eq!(code(check_fit(&request(false, false), &offered(Some(0), false, false))), None);
        let mut smuggler = request(false, false);
        smuggler.mail_from = "a@b.example> BODY=8BITMIME".into();
        assert_eq!(
            code(check_fit(&smuggler, &offered(None, false, false))),
            Some((553, Some(EnhancedStatus::of(5, 1, 7))))
        );
    }

    #[test]
    fn addresses_are_checked_before_they_are_sent() {
        for (address, sender_ok, recipient_ok) in [
            ("bob@example.net", true, true),
            ("", true, false),
            ("Postmaster", false, true),
            ("bob@example.net>\r\nRCPT TO:<eve@evil.example", false, false),
            ("bob@example.net> NOTIFY=NEVER", false, false),
            ("bob @example.net", false, false),
            ("\"b o b\"@example.net", true, true),
            ("bob@[192.0.2.1]", true, true),
        ] {
            assert_eq!(valid_sender(address), sender_ok, "sender {address:?}");
            assert_eq!(valid_recipient(address), recipient_ok, "recipient {address:?}");
        }
    }
}
