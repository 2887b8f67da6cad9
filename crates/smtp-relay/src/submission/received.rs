//! The `Received:` trace header the relay puts on top of every queued message (RFC 5321
//! §4.4, with the RFC 3848 `with` keywords).

use std::net::IpAddr;
use std::time::SystemTime;

use smtp_server::{PeerAddr, Session};

use crate::dsn::date::rfc5322;
use crate::queue::QueueId;

/// The `with` protocol of RFC 3848: ESMTP or SMTP, `S` for TLS, `A` for AUTH.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WithProtocol {
    /// HELO.
    Smtp,
    /// EHLO, plain text, no AUTH.
    Esmtp,
    /// EHLO under TLS.
    Esmtps,
    /// EHLO with AUTH, no TLS.
    Esmtpa,
    /// EHLO under TLS with AUTH (what every relay submission is).
    Esmtpsa,
}

impl WithProtocol {
    /// The keyword for a session.
    pub fn of(session: &Session) -> Self {
        match (session.extended_smtp, session.tls.is_some(), session.authenticated) {
            (false, _, _) => Self::Smtp,
            (true, false, false) => Self::Esmtp,
            (true, true, false) => Self::Esmtps,
            (true, false, true) => Self::Esmtpa,
            (true, true, true) => Self::Esmtpsa,
        }
    }

    /// The keyword as written in the header.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Smtp => "SMTP",
            Self::Esmtp => "ESMTP",
            Self::Esmtps => "ESMTPS",
            Self::Esmtpa => "ESMTPA",
            Self::Esmtpsa => "ESMTPSA",
        }
    }
}

/// What the header says.
#[derive(Clone, Debug)]
pub struct TraceFields<'a> {
    /// The name the client gave in HELO/EHLO.
    pub helo: Option<&'a str>,
    /// The client's address.
    pub client: &'a PeerAddr,
    /// This relay's host name.
    pub by: &'a str,
    /// How the message came in.
    pub with: WithProtocol,
    /// The queue id.
    pub id: &'a QueueId,
    /// When it arrived.
    pub at: SystemTime,
}

/// `Received: from <helo> (<client ip>)\r\n\tby <host> with <proto> id <id>;\r\n\t<date>\r\n`.
/// Text from the client is reduced to visible ASCII without parentheses, so it can neither
/// break the header nor fake a comment.
pub fn received_header(fields: &TraceFields<'_>) -> String {
    let helo = fields.helo.map_or_else(|| "unknown".to_owned(), clean);
    format!(
        "Received: from {helo} ({client})\r\n\tby {by} with {with} id {id};\r\n\t{date}\r\n",
        client = client_ip(fields.client),
        by = clean(fields.by),
        with = fields.with.as_str(),
        id = fields.id.0,
        date = rfc5322(fields.at),
    )
}

/// The client's IP address in RFC 5321 `TCP-info` form (`[192.0.2.1]`, `[IPv6:2001:db8::1]`).
fn client_ip(peer: &PeerAddr) -> String {
    match peer {
        PeerAddr::Tcp(addr) => match addr.ip() {
            IpAddr::V4(ip) => format!("[{ip}]"),
            IpAddr::V6(ip) => match ip.to_ipv4_mapped() {
                Some(v4) => format!("[{v4}]"),
                None => format!("[IPv6:{ip}]"),
            },
        },
        other => clean(&other.to_string()),
    }
}

/// Visible ASCII only, parentheses and other characters replaced by `?`; `unknown` if empty.
fn clean(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .take(255)
        .map(|c| if c.is_ascii_graphic() && c != '(' && c != ')' { c } else { '?' })
        .collect();
    if cleaned.is_empty() { "unknown".to_owned() } else { cleaned }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn the_header_names_helo_ip_host_protocol_id_and_date() {
        let id = QueueId("00060d2f-1a2b3c4d".into());
        let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let v4 = PeerAddr::Tcp(SocketAddr::from(([192, 0, 2, 7], 4000)));
        let v6 = PeerAddr::Tcp("[2001:db8::1]:25".parse().unwrap());
        let mapped = PeerAddr::Tcp("[::ffff:192.0.2.9]:25".parse().unwrap());
        let cases: [(Option<&str>, &PeerAddr, WithProtocol, &str); 4] = [
            (
                Some("client.example"),
                &v4,
                WithProtocol::Esmtpsa,
                "Received: from client.example ([192.0.2.7])\r\n\tby relay.example with ESMTPSA id 00060d2f-1a2b3c4d;\r\n\tTue, 14 Nov 2023 22:13:20 +0000\r\n",
            ),
            (
                Some("a(b) c"),
                &v6,
                WithProtocol::Esmtps,
                "Received: from a?b??c ([IPv6:2001:db8::1])\r\n\tby relay.example with ESMTPS id 00060d2f-1a2b3c4d;\r\n\tTue, 14 Nov 2023 22:13:20 +0000\r\n",
            ),
            (
                None,
                &mapped,
                WithProtocol::Smtp,
                "Received: from unknown ([192.0.2.9])\r\n\tby relay.example with SMTP id 00060d2f-1a2b3c4d;\r\n\tTue, 14 Nov 2023 22:13:20 +0000\r\n",
            ),
            (
                Some(""),
                &v4,
                WithProtocol::Esmtp,
                "Received: from unknown ([192.0.2.7])\r\n\tby relay.example with ESMTP id 00060d2f-1a2b3c4d;\r\n\tTue, 14 Nov 2023 22:13:20 +0000\r\n",
            ),
        ];
        for (helo, client, with, expected) in cases {
            let fields = TraceFields { helo, client, by: "relay.example", with, id: &id, at };
            assert_eq!(received_header(&fields), expected);
        }
    }

    #[test]
    fn the_protocol_follows_ehlo_tls_and_auth() {
        let mut session = Session::new(1, PeerAddr::Memory("t".into()));
        assert_eq!(WithProtocol::of(&session), WithProtocol::Smtp);
        session.extended_smtp = true;
        assert_eq!(WithProtocol::of(&session), WithProtocol::Esmtp);
        session.authenticated = true;
        assert_eq!(WithProtocol::of(&session), WithProtocol::Esmtpa);
        session.tls = Some(smtp_server::TlsInfo {
            implicit: false,
            protocol: None,
            cipher_suite: None,
            server_name: None,
            alpn: None,
        });
        assert_eq!(WithProtocol::of(&session), WithProtocol::Esmtpsa);
        session.authenticated = false;
        assert_eq!(WithProtocol::of(&session), WithProtocol::Esmtps);
    }
}
