//! EHLO capability lists: building (server side) and parsing (client side).
//!
//! **Server:** [`Capabilities`] builds the `250` reply to EHLO in aiosmtpd's order
//! (aiosmtpd-behaviour.md §3.2), with the extensions this project adds placed before `HELP`:
//!
//! ```text
//! 250-<hostname>
//! 250-SIZE <n>              when a size is set
//! 250-8BITMIME              when enabled
//! 250-SMTPUTF8              when enabled
//! 250-STARTTLS              when offered
//! 250-AUTH <mechanisms>     when at least one mechanism is offered
//! 250-PIPELINING            \
//! 250-ENHANCEDSTATUSCODES    | each when enabled
//! 250-CHUNKING               |
//! 250-BINARYMIME            /
//! 250-<extra extensions>    in the order added
//! 250 HELP
//! ```
//!
//! Unlike aiosmtpd, which sends `250-AUTH ` (with a trailing space and no mechanism) when every
//! mechanism is excluded, we leave the AUTH line out: an empty AUTH line advertises nothing and
//! confuses clients. The reply has no enhanced status code (RFC 2034 §3); it is an ordinary
//! [`Reply`], so a handler hook can still change its lines.
//!
//! **Client:** [`ServerCapabilities::from_reply`] reads a server's EHLO reply into typed fields,
//! with case-insensitive keywords, old-style `AUTH=LOGIN` lines, and `SIZE` without a number.
//!
//! ```
//! use smtp_proto::ehlo::{Capabilities, ServerCapabilities};
//!
//! let reply = Capabilities::new("mx.test").size(Some(33554432)).eight_bit_mime(true).to_reply();
//! assert_eq!(reply.to_bytes(), b"250-mx.test\r\n250-SIZE 33554432\r\n250-8BITMIME\r\n250 HELP\r\n");
//! let seen = ServerCapabilities::from_reply(&reply).unwrap();
//! assert_eq!(seen.size, Some(33554432));
//! ```

use std::fmt;

use crate::reply::{Reply, ReplyCode};

/// An extension line a handler adds to the EHLO reply: an esmtp-keyword (a letter or digit,
/// then letters, digits or hyphens) and optional parameters of printable ASCII, separated by
/// single spaces (RFC 5321 §4.1.1.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Extension(String);

/// The line given to [`Extension::new`] is not an EHLO extension line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an EHLO extension line (keyword, then printable parameters): {0:?}")]
pub struct InvalidExtension(pub String);

impl Extension {
    /// Validates an extension line such as `XCLIENT NAME ADDR` or `DSN`.
    pub fn new(line: &str) -> Result<Self, InvalidExtension> {
        let mut parts = line.split(' ');
        let keyword_ok = parts.next().is_some_and(is_keyword);
        let params_ok = parts.all(|param| !param.is_empty() && param.bytes().all(is_param_byte));
        if keyword_ok && params_ok {
            Ok(Self(line.to_owned()))
        } else {
            Err(InvalidExtension(line.to_owned()))
        }
    }

    /// The keyword, e.g. `XCLIENT`.
    pub fn keyword(&self) -> &str {
        self.0.split(' ').next().unwrap_or_default()
    }

    /// The whole line.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Extension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_keyword(word: &str) -> bool {
    let mut bytes = word.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn is_param_byte(byte: u8) -> bool {
    (0x21..=0x7E).contains(&byte)
}

/// What the server offers after EHLO; builds the reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capabilities {
    hostname: String,
    size: Option<u64>,
    eight_bit_mime: bool,
    smtputf8: bool,
    starttls: bool,
    auth: Vec<String>,
    pipelining: bool,
    enhanced_status_codes: bool,
    chunking: bool,
    binary_mime: bool,
    extra: Vec<Extension>,
}

impl Capabilities {
    /// Only the hostname line and `HELP`; everything else is off until enabled.
    pub fn new(hostname: impl Into<String>) -> Self {
        Self {
            hostname: hostname.into(),
            size: None,
            eight_bit_mime: false,
            smtputf8: false,
            starttls: false,
            auth: Vec::new(),
            pipelining: false,
            enhanced_status_codes: false,
            chunking: false,
            binary_mime: false,
            extra: Vec::new(),
        }
    }

    /// `SIZE <n>` (RFC 1870) when `Some`; `Some(0)` advertises "no fixed limit". aiosmtpd sends
    /// no SIZE line for a limit of 0; the server maps its setting accordingly.
    pub fn size(mut self, limit: Option<u64>) -> Self {
        self.size = limit;
        self
    }

    /// `8BITMIME` (RFC 6152); aiosmtpd offers it unless `decode_data` is set.
    pub fn eight_bit_mime(mut self, on: bool) -> Self {
        self.eight_bit_mime = on;
        self
    }

    /// `SMTPUTF8` (RFC 6531).
    pub fn smtputf8(mut self, on: bool) -> Self {
        self.smtputf8 = on;
        self
    }

    /// `STARTTLS` (RFC 3207): offer it while the connection is not yet encrypted.
    pub fn starttls(mut self, on: bool) -> Self {
        self.starttls = on;
        self
    }

    /// `AUTH <mechanisms>` in the order given (aiosmtpd's registry gives them sorted by name).
    /// An empty list leaves the AUTH line out.
    pub fn auth<I, S>(mut self, mechanisms: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.auth = mechanisms.into_iter().map(Into::into).filter(|m| !m.is_empty()).collect();
        self
    }

    /// `PIPELINING` (RFC 2920).
    pub fn pipelining(mut self, on: bool) -> Self {
        self.pipelining = on;
        self
    }

    /// `ENHANCEDSTATUSCODES` (RFC 2034).
    pub fn enhanced_status_codes(mut self, on: bool) -> Self {
        self.enhanced_status_codes = on;
        self
    }

    /// `CHUNKING` (RFC 3030, the BDAT command).
    pub fn chunking(mut self, on: bool) -> Self {
        self.chunking = on;
        self
    }

    /// `BINARYMIME` (RFC 3030).
    pub fn binary_mime(mut self, on: bool) -> Self {
        self.binary_mime = on;
        self
    }

    /// Adds an extension line before `HELP`. A line whose keyword is already in the reply
    /// (case-insensitively) is left out when the reply is built.
    pub fn extension(mut self, extension: Extension) -> Self {
        self.extra.push(extension);
        self
    }

    /// The reply lines without codes, first the hostname, last `HELP`.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![self.hostname.clone()];
        if let Some(size) = self.size {
            lines.push(format!("SIZE {size}"));
        }
        let flags = [
            (self.eight_bit_mime, "8BITMIME"),
            (self.smtputf8, "SMTPUTF8"),
            (self.starttls, "STARTTLS"),
        ];
        lines.extend(flags.iter().filter(|(on, _)| *on).map(|(_, word)| (*word).to_owned()));
        if !self.auth.is_empty() {
            lines.push(format!("AUTH {}", self.auth.join(" ")));
        }
        let ours = [
            (self.pipelining, "PIPELINING"),
            (self.enhanced_status_codes, "ENHANCEDSTATUSCODES"),
            (self.chunking, "CHUNKING"),
            (self.binary_mime, "BINARYMIME"),
        ];
        lines.extend(ours.iter().filter(|(on, _)| *on).map(|(_, word)| (*word).to_owned()));
        for extension in &self.extra {
            let taken = |line: &String| first_word(line).eq_ignore_ascii_case(extension.keyword());
            if !lines.iter().skip(1).any(taken) && !extension.keyword().eq_ignore_ascii_case("HELP")
            {
                lines.push(extension.as_str().to_owned());
            }
        }
        lines.push("HELP".to_owned());
        lines
    }

    /// The `250` reply, without an enhanced status code.
    pub fn to_reply(&self) -> Reply {
        Reply::multiline(ReplyCode::of(250), None, self.lines())
    }
}

fn first_word(line: &str) -> &str {
    line.split(' ').next().unwrap_or_default()
}

/// What a server offered in its EHLO reply (client side).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerCapabilities {
    /// The first line: the server's name and any greeting text after it.
    pub domain: String,
    /// `SIZE`: `Some(0)` means "no fixed limit" (a bare `SIZE`, `SIZE 0`, or a value that is
    /// not a number), as RFC 1870 defines 0.
    pub size: Option<u64>,
    /// `PIPELINING`.
    pub pipelining: bool,
    /// `8BITMIME`.
    pub eight_bit_mime: bool,
    /// `SMTPUTF8`.
    pub smtputf8: bool,
    /// `STARTTLS`.
    pub starttls: bool,
    /// The SASL mechanisms from `AUTH` and old-style `AUTH=` lines, upper case, each once, in
    /// the order first seen.
    pub auth: Vec<String>,
    /// `ENHANCEDSTATUSCODES`.
    pub enhanced_status_codes: bool,
    /// `CHUNKING`.
    pub chunking: bool,
    /// `BINARYMIME`.
    pub binary_mime: bool,
    /// `DSN`.
    pub dsn: bool,
    /// Every other line (e.g. `HELP`, `VRFY`, `XCLIENT NAME ADDR`), as sent.
    pub others: Vec<String>,
}

impl ServerCapabilities {
    /// Reads an EHLO reply; `None` unless its code is 250.
    pub fn from_reply(reply: &Reply) -> Option<Self> {
        if reply.code() != ReplyCode::of(250) {
            return None;
        }
        let mut lines = reply.lines();
        let mut seen =
            Self { domain: lines.next().unwrap_or_default().to_owned(), ..Self::default() };
        for line in lines {
            seen.read_line(line);
        }
        Some(seen)
    }

    /// Whether the server offered `mechanism` (case-insensitive).
    pub fn supports_auth(&self, mechanism: &str) -> bool {
        self.auth.iter().any(|offered| offered.eq_ignore_ascii_case(mechanism))
    }

    fn read_line(&mut self, line: &str) {
        let mut words = line.split_ascii_whitespace();
        let Some(keyword) = words.next() else { return };
        let upper = keyword.to_ascii_uppercase();
        match upper.as_str() {
            "SIZE" => self.size = Some(words.next().and_then(|n| n.parse().ok()).unwrap_or(0)),
            "PIPELINING" => self.pipelining = true,
            "8BITMIME" => self.eight_bit_mime = true,
            "SMTPUTF8" => self.smtputf8 = true,
            "STARTTLS" => self.starttls = true,
            "ENHANCEDSTATUSCODES" => self.enhanced_status_codes = true,
            "CHUNKING" => self.chunking = true,
            "BINARYMIME" => self.binary_mime = true,
            "DSN" => self.dsn = true,
            "AUTH" => self.add_mechanisms(words),
            _ => match upper.strip_prefix("AUTH=") {
                Some(first) => self.add_mechanisms(std::iter::once(first).chain(words)),
                None => self.others.push(line.to_owned()),
            },
        }
    }

    fn add_mechanisms<'a>(&mut self, names: impl Iterator<Item = &'a str>) {
        for name in names.filter(|name| !name.is_empty()) {
            if !self.supports_auth(name) {
                self.auth.push(name.to_ascii_uppercase());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Capabilities {
        Capabilities::new("mx.test").size(Some(33_554_432))
    }

    fn wire(lines: &[&str]) -> Vec<u8> {
        let count = lines.len();
        let mut out = Vec::new();
        for (index, line) in lines.iter().enumerate() {
            let separator = if index + 1 == count { ' ' } else { '-' };
            out.extend_from_slice(format!("250{separator}{line}\r\n").as_bytes());
        }
        out
    }

    #[test]
    fn aiosmtpd_examples_byte_for_byte() {
        let cases: Vec<(Capabilities, &[&str])> = vec![
            (base().eight_bit_mime(true), &["mx.test", "SIZE 33554432", "8BITMIME", "HELP"]),
            (
                base().eight_bit_mime(true).smtputf8(true),
                &["mx.test", "SIZE 33554432", "8BITMIME", "SMTPUTF8", "HELP"],
            ),
            (base().smtputf8(true), &["mx.test", "SIZE 33554432", "SMTPUTF8", "HELP"]),
            (
                base().eight_bit_mime(true).auth(["LOGIN", "PLAIN"]),
                &["mx.test", "SIZE 33554432", "8BITMIME", "AUTH LOGIN PLAIN", "HELP"],
            ),
            (
                base().eight_bit_mime(true).starttls(true),
                &["mx.test", "SIZE 33554432", "8BITMIME", "STARTTLS", "HELP"],
            ),
            (Capabilities::new("mx.test").eight_bit_mime(true), &["mx.test", "8BITMIME", "HELP"]),
        ];
        for (capabilities, lines) in cases {
            let reply = capabilities.to_reply();
            assert_eq!(reply.to_bytes(), wire(lines), "{lines:?}");
            assert_eq!(reply.enhanced(), None);
        }
    }

    #[test]
    fn our_extensions_and_extras_come_before_help() {
        let everything = base()
            .eight_bit_mime(true)
            .smtputf8(true)
            .starttls(true)
            .auth(Vec::<String>::new())
            .pipelining(true)
            .enhanced_status_codes(true)
            .chunking(true)
            .binary_mime(true)
            .extension(Extension::new("XCLIENT NAME ADDR").unwrap())
            .extension(Extension::new("pipelining").unwrap())
            .extension(Extension::new("HELP").unwrap())
            .extension(Extension::new("DSN").unwrap());
        let expected = [
            "mx.test",
            "SIZE 33554432",
            "8BITMIME",
            "SMTPUTF8",
            "STARTTLS",
            "PIPELINING",
            "ENHANCEDSTATUSCODES",
            "CHUNKING",
            "BINARYMIME",
            "XCLIENT NAME ADDR",
            "DSN",
            "HELP",
        ];
        assert_eq!(everything.lines(), expected);
        assert_eq!(everything.to_reply().to_bytes(), wire(&expected));
        assert_eq!(Capabilities::new("mx.test").lines(), ["mx.test", "HELP"]);
    }

    #[test]
    fn extension_lines_are_validated() {
        for good in ["DSN", "X-FOO", "9X", "XCLIENT NAME ADDR", "XFOO A=1", "SIZE 10"] {
            let extension = Extension::new(good);
            assert!(extension.is_ok(), "{good}");
        }
        assert_eq!(Extension::new("XCLIENT NAME").unwrap().keyword(), "XCLIENT");
        for bad in ["", "-X", "X_Y", "X  Y", "X ", " X", "X\r\n250 Y", "X\tY", "X é"] {
            assert_eq!(Extension::new(bad), Err(InvalidExtension(bad.to_owned())), "{bad:?}");
        }
    }

    #[test]
    fn client_reads_server_replies() {
        let text = "250-mail.example.com Hello there\r\n250-size\r\n250-Pipelining\r\n\
                    250-8bitmime\r\n250-AUTH=LOGIN\r\n250-AUTH login Plain CRAM-MD5\r\n\
                    250-auth=xoauth2 PLAIN\r\n250-DSN\r\n250-VRFY\r\n250-XCLIENT NAME ADDR\r\n\
                    250 HELP";
        let reply = Reply::parse_text(text).unwrap();
        let seen = ServerCapabilities::from_reply(&reply).unwrap();
        let expected = ServerCapabilities {
            domain: "mail.example.com Hello there".to_owned(),
            size: Some(0),
            pipelining: true,
            eight_bit_mime: true,
            auth: ["LOGIN", "PLAIN", "CRAM-MD5", "XOAUTH2"].map(str::to_owned).to_vec(),
            dsn: true,
            others: ["VRFY", "XCLIENT NAME ADDR", "HELP"].map(str::to_owned).to_vec(),
            ..ServerCapabilities::default()
        };
        assert_eq!(seen, expected);
        assert!(seen.supports_auth("cram-md5") && !seen.supports_auth("GSSAPI"));

        for (line, size) in [("SIZE 1000", Some(1000)), ("SIZE x", Some(0)), ("SIZE 0", Some(0))] {
            let reply = Reply::multiline(ReplyCode::of(250), None, ["mx", line]);
            assert_eq!(ServerCapabilities::from_reply(&reply).unwrap().size, size, "{line}");
        }
        let refused = Reply::parse_text("550 5.7.1 go away").unwrap();
        assert_eq!(ServerCapabilities::from_reply(&refused), None);
        let bare = Reply::parse_text("250 mx.example").unwrap();
        let seen = ServerCapabilities::from_reply(&bare).unwrap();
        assert_eq!(
            seen,
            ServerCapabilities { domain: "mx.example".to_owned(), ..Default::default() }
        );
    }

    #[test]
    fn build_then_parse_round_trip() {
        let mut flags = [false; 8];
        for pattern in 0u32..256 {
            for (bit, flag) in flags.iter_mut().enumerate() {
                *flag = pattern & (1 << bit) != 0;
            }
            let [eight_bit, utf8, tls, pipelining, esc, chunking, binary, auth] = flags;
            let mechanisms: &[&str] = if auth { &["LOGIN", "PLAIN"] } else { &[] };
            let built = Capabilities::new("mx.test")
                .size(if pattern % 3 == 0 { None } else { Some(u64::from(pattern)) })
                .eight_bit_mime(eight_bit)
                .smtputf8(utf8)
                .starttls(tls)
                .auth(mechanisms.iter().copied())
                .pipelining(pipelining)
                .enhanced_status_codes(esc)
                .chunking(chunking)
                .binary_mime(binary);
            let wire = built.to_reply().to_bytes();
            let reply = Reply::parse_text(std::str::from_utf8(&wire).unwrap()).unwrap();
            let seen = ServerCapabilities::from_reply(&reply).unwrap();
            let expected = ServerCapabilities {
                domain: "mx.test".to_owned(),
                size: if pattern % 3 == 0 { None } else { Some(u64::from(pattern)) },
                pipelining,
                eight_bit_mime: eight_bit,
                smtputf8: utf8,
                starttls: tls,
                auth: mechanisms.iter().map(|m| (*m).to_owned()).collect(),
                enhanced_status_codes: esc,
                chunking,
                binary_mime: binary,
                dsn: false,
                others: vec!["HELP".to_owned()],
            };
            assert_eq!(seen, expected, "pattern {pattern}");
        }
    }
}
