//! SMTP replies: the [`Reply`] value, its [`ReplyCode`] and [`EnhancedStatus`], the wire format,
//! named constructors for the standard replies ([`standard`]) and an incremental parser for
//! replies coming back from a server ([`parse`]).
//!
//! A reply is built once, as a value, and formatted in one place:
//!
//! ```
//! use smtp_proto::reply::{EnhancedStatus, Reply, ReplyCode};
//!
//! let reply = Reply::new(ReplyCode::of(550), EnhancedStatus::of(5, 7, 1), "Relay denied");
//! assert_eq!(reply.to_string(), "550 5.7.1 Relay denied");
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

pub mod parse;
pub mod standard;

/// A three-digit SMTP reply code (RFC 5321 §4.2), in the range 200–599.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// Validates a reply code: the first digit 2–5, the second 0–5, the third 0–9.
    pub const fn new(code: u16) -> Option<Self> {
        let first = code / 100;
        let second = (code / 10) % 10;
        if first >= 2 && first <= 5 && second <= 5 { Some(Self(code)) } else { None }
    }

    /// Makes a code that is known to be valid at compile time.
    ///
    /// # Panics
    /// When `code` is not a valid reply code; only meant for constants.
    pub const fn of(code: u16) -> Self {
        match Self::new(code) {
            Some(code) => code,
            None => panic!("invalid SMTP reply code"),
        }
    }

    /// The numeric value.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The first digit: 2 (positive completion), 3 (intermediate), 4 (transient negative) or 5
    /// (permanent negative).
    pub const fn class(self) -> u8 {
        (self.0 / 100) as u8
    }

    /// 2xx.
    pub const fn is_positive(self) -> bool {
        self.class() == 2
    }

    /// 3xx.
    pub const fn is_intermediate(self) -> bool {
        self.class() == 3
    }

    /// 4xx.
    pub const fn is_transient(self) -> bool {
        self.class() == 4
    }

    /// 5xx.
    pub const fn is_permanent(self) -> bool {
        self.class() == 5
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An enhanced mail system status code, `class.subject.detail` (RFC 3463, RFC 2034).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct EnhancedStatus {
    class: u8,
    subject: u16,
    detail: u16,
}

impl EnhancedStatus {
    /// Makes `class.subject.detail` from values known to be valid, for constants.
    ///
    /// # Panics
    /// When a part is out of range (see [`EnhancedStatus::new`]).
    pub const fn of(class: u8, subject: u16, detail: u16) -> Self {
        match Self::new(class, subject, detail) {
            Some(status) => status,
            None => panic!("invalid enhanced status code"),
        }
    }

    /// Makes `class.subject.detail`: `class` must be 2, 4 or 5, `subject` and `detail` at most
    /// 999 (three digits); `None` otherwise.
    pub const fn new(class: u8, subject: u16, detail: u16) -> Option<Self> {
        if (class == 2 || class == 4 || class == 5) && subject <= 999 && detail <= 999 {
            Some(Self { class, subject, detail })
        } else {
            None
        }
    }

    /// Parses `x.y.z` exactly (no surrounding text).
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.');
        let class = parse_digits(parts.next()?, 1)?;
        let subject = parse_digits(parts.next()?, 3)?;
        let detail = parse_digits(parts.next()?, 3)?;
        if parts.next().is_some() {
            return None;
        }
        Self::new(u8::try_from(class).ok()?, subject, detail)
    }

    /// The class digit (2, 4 or 5).
    pub const fn class(self) -> u8 {
        self.class
    }

    /// The subject number.
    pub const fn subject(self) -> u16 {
        self.subject
    }

    /// The detail number.
    pub const fn detail(self) -> u16 {
        self.detail
    }
}

fn parse_digits(text: &str, max_len: usize) -> Option<u16> {
    if text.is_empty() || text.len() > max_len || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl fmt::Display for EnhancedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// One SMTP reply: a code, an optional enhanced status code, and one or more lines of text.
///
/// Text lines never contain CR or LF: the constructors replace them with spaces, so a reply can
/// never inject a second reply into the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    code: ReplyCode,
    enhanced: Option<EnhancedStatus>,
    first: Cow<'static, str>,
    /// The lines after the first (never an empty list), shared between clones: a server
    /// that hands out copies of one long reply (its EHLO capabilities) copies one pointer
    /// instead of every line. A clone that is changed gets lines of its own.
    rest: Option<Arc<Vec<Cow<'static, str>>>>,
}

fn clean_line(text: Cow<'static, str>) -> Cow<'static, str> {
    if text.bytes().any(|b| b == b'\r' || b == b'\n') {
        Cow::Owned(text.replace(['\r', '\n'], " "))
    } else {
        text
    }
}

impl Reply {
    /// A single-line reply.
    pub fn new(
        code: ReplyCode,
        enhanced: impl Into<Option<EnhancedStatus>>,
        text: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self { code, enhanced: enhanced.into(), first: clean_line(text.into()), rest: None }
    }

    /// A multi-line reply. An empty `lines` gives one empty line.
    pub fn multiline<I, S>(
        code: ReplyCode,
        enhanced: impl Into<Option<EnhancedStatus>>,
        lines: I,
    ) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'static, str>>,
    {
        let mut lines = lines.into_iter().map(|line| clean_line(line.into()));
        let first = lines.next().unwrap_or(Cow::Borrowed(""));
        let rest: Vec<_> = lines.collect();
        let rest = (!rest.is_empty()).then(|| Arc::new(rest));
        Self { code, enhanced: enhanced.into(), first, rest }
    }

    /// Appends a line of text.
    pub fn push_line(&mut self, text: impl Into<Cow<'static, str>>) {
        let rest = self.rest.get_or_insert_with(Arc::default);
        Arc::make_mut(rest).push(clean_line(text.into()));
    }

    /// The reply code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The enhanced status code, when the reply carries one.
    pub fn enhanced(&self) -> Option<EnhancedStatus> {
        self.enhanced
    }

    /// Returns the same reply with `enhanced` as its enhanced status code.
    pub fn with_enhanced(mut self, enhanced: Option<EnhancedStatus>) -> Self {
        self.enhanced = enhanced;
        self
    }

    /// The text lines, without codes.
    pub fn lines(&self) -> impl Iterator<Item = &str> + '_ {
        std::iter::once(self.first.as_ref()).chain(self.rest_lines().iter().map(AsRef::as_ref))
    }

    /// The first text line.
    pub fn text(&self) -> &str {
        &self.first
    }

    /// Number of text lines (at least one).
    pub fn line_count(&self) -> usize {
        1 + self.rest_lines().len()
    }

    /// The lines after the first.
    fn rest_lines(&self) -> &[Cow<'static, str>] {
        self.rest.as_deref().map_or(&[], Vec::as_slice)
    }

    /// Appends the wire form (every line CRLF-terminated, `250-` for all but the last line) to
    /// `out`. The enhanced status code, when present, is repeated on every line (RFC 2034 §4).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        // What every line starts with: the code, a separator (`-`, or a space on the last
        // line) and the enhanced status code; built once, then copied per line.
        let mut head = [0u8; 4];
        let mut enhanced_text = [0u8; ENHANCED_MAX];
        let code = self.code.get();
        head[0] = b'0' + (code / 100) as u8;
        head[1] = b'0' + (code / 10 % 10) as u8;
        head[2] = b'0' + (code % 10) as u8;
        let enhanced_len =
            self.enhanced.map_or(0, |status| write_enhanced_into(status, &mut enhanced_text));
        let head_len = 4 + enhanced_len;
        let rest = self.rest_lines();
        let text_len: usize = rest.iter().map(|line| line.len()).sum::<usize>() + self.first.len();
        out.reserve(self.line_count() * (head_len + 3) + text_len);
        let last = rest.len();
        for (index, text) in std::iter::once(&self.first).chain(rest).enumerate() {
            head[3] = if index == last { b' ' } else { b'-' };
            out.extend_from_slice(&head);
            out.extend_from_slice(&enhanced_text[..enhanced_len]);
            if !text.is_empty() {
                if self.enhanced.is_some() {
                    out.push(b' ');
                }
                out.extend_from_slice(text.as_bytes());
            }
            out.extend_from_slice(b"\r\n");
        }
    }

    /// The wire form as bytes (see [`Reply::write_to`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.first.len());
        self.write_to(&mut out);
        out
    }
}

/// The longest enhanced status code: `5.65535.65535`.
const ENHANCED_MAX: usize = 13;

/// Writes `status` at the start of `out` and returns its length.
fn write_enhanced_into(status: EnhancedStatus, out: &mut [u8; ENHANCED_MAX]) -> usize {
    let (mut subject, mut detail) = (itoa_buf(), itoa_buf());
    let mut len = 0;
    let parts: [&[u8]; 5] = [
        &[b'0' + status.class],
        b".",
        format_u16(status.subject, &mut subject),
        b".",
        format_u16(status.detail, &mut detail),
    ];
    for part in parts {
        out[len..len + part.len()].copy_from_slice(part);
        len += part.len();
    }
    len
}

fn itoa_buf() -> [u8; 5] {
    [0; 5]
}

fn format_u16(mut value: u16, buf: &mut [u8; 5]) -> &[u8] {
    let mut pos = buf.len();
    loop {
        pos -= 1;
        buf[pos] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    &buf[pos..]
}

/// The wire form without the final CRLF (lines are still separated by CRLF).
impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.to_bytes();
        let text = String::from_utf8_lossy(&bytes[..bytes.len() - 2]);
        f.write_str(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_their_lines_until_one_is_changed() {
        let capabilities = ["mx.example", "PIPELINING", "SIZE 1000", "HELP"].map(String::from);
        let original = Reply::multiline(ReplyCode::of(250), None, capabilities);
        let copy = original.clone();
        let (Some(a), Some(b)) = (&original.rest, &copy.rest) else { panic!("no shared lines") };
        assert!(Arc::ptr_eq(a, b));

        let mut changed = copy.clone();
        changed.push_line("AUTH PLAIN");
        assert_eq!(changed.line_count(), 5);
        assert_eq!(original.line_count(), 4);
        assert_eq!(copy, original);
        assert_eq!(
            original.to_bytes(),
            b"250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 HELP\r\n"
        );
        assert!(changed.to_bytes().ends_with(b"250-HELP\r\n250 AUTH PLAIN\r\n"));

        // A single line has nothing to share; one pushed line makes it multi-line.
        let mut single = Reply::new(ReplyCode::of(250), None, "OK");
        assert!(single.rest.is_none());
        assert_eq!(Reply::multiline(ReplyCode::of(250), None, ["OK"]), single);
        single.push_line("more");
        assert_eq!(single.to_bytes(), b"250-OK\r\n250 more\r\n");
    }

    #[test]
    fn reply_codes_are_validated() {
        assert!(ReplyCode::new(250).is_some());
        assert!(ReplyCode::new(199).is_none());
        assert!(ReplyCode::new(600).is_none());
        assert!(ReplyCode::new(260).is_none());
        assert_eq!(ReplyCode::of(421).class(), 4);
    }

    #[test]
    fn enhanced_status_parses_and_formats() {
        let status = EnhancedStatus::parse("5.7.8").expect("valid");
        assert_eq!(status.to_string(), "5.7.8");
        assert_eq!(
            EnhancedStatus::parse("2.123.999").map(|s| s.to_string()).as_deref(),
            Some("2.123.999")
        );
        assert!(EnhancedStatus::parse("3.0.0").is_none());
        assert!(EnhancedStatus::parse("5.7").is_none());
        assert!(EnhancedStatus::parse("5.7.8.1").is_none());
        assert!(EnhancedStatus::parse("5.1000.0").is_none());
        assert!(EnhancedStatus::parse("5.+1.0").is_none());
    }

    #[test]
    fn single_and_multi_line_wire_forms() {
        let reply = Reply::new(
            ReplyCode::of(535),
            EnhancedStatus::of(5, 7, 8),
            "Authentication credentials invalid",
        );
        assert_eq!(reply.to_bytes(), b"535 5.7.8 Authentication credentials invalid\r\n");

        let ehlo = Reply::multiline(ReplyCode::of(250), None, ["mx.test", "SIZE 100", "HELP"]);
        assert_eq!(ehlo.to_bytes(), b"250-mx.test\r\n250-SIZE 100\r\n250 HELP\r\n");

        let challenge = Reply::new(ReplyCode::of(334), None, "");
        assert_eq!(challenge.to_bytes(), b"334 \r\n");

        let bare = Reply::new(ReplyCode::of(250), EnhancedStatus::of(2, 0, 0), "");
        assert_eq!(bare.to_bytes(), b"250 2.0.0\r\n");
    }

    #[test]
    fn line_breaks_in_text_cannot_inject_replies() {
        let reply = Reply::new(ReplyCode::of(250), None, "OK\r\n250 injected");
        assert_eq!(reply.to_bytes(), b"250 OK  250 injected\r\n");
        assert_eq!(reply.line_count(), 1);
    }
}
