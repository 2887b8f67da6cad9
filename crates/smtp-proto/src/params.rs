//! ESMTP parameters of MAIL FROM and RCPT TO (RFC 5321 §4.1.2 `esmtp-param`).
//!
//! The known parameters are typed: `SIZE` (RFC 1870), `BODY` (RFC 6152, RFC 3030), `SMTPUTF8`
//! (RFC 6531), `AUTH` (RFC 4954 §5), `RET`, `ENVID`, `NOTIFY`, `ORCPT` (RFC 3461). Unknown but
//! well-formed parameters (`X-FOO=1`) are kept, in order, for the handler to judge; whether a
//! known parameter's extension is *offered* (DSN, for instance) is also the server's call.
//!
//! ```
//! use smtp_proto::command::ParseContext;
//! use smtp_proto::params::{Body, MailParams};
//!
//! let ctx = ParseContext { extended: true, ..ParseContext::default() };
//! let params = MailParams::parse("SIZE=1000 body=8bitmime X-FOO=1", &ctx).unwrap();
//! assert_eq!(params.size, Some(1000));
//! assert_eq!(params.body, Some(Body::EightBitMime));
//! assert_eq!(params.unknown[0].keyword, "X-FOO");
//! ```
//!
//! Errors are [`ParamError`]s; [`ParamError::into_reply`] turns one into the reply to send,
//! given the command's syntax text (a malformed parameter is answered with the MAIL or RCPT
//! syntax reply, as aiosmtpd does).

use std::borrow::Cow;

use crate::address::{self, Mailbox};
use crate::command::ParseContext;
use crate::reply::Reply;

/// The longest ENVID value (RFC 3461 §4.4).
pub const MAX_ENVID_LEN: usize = 100;
/// The longest ORCPT value (RFC 3461 §4.2).
pub const MAX_ORCPT_LEN: usize = 500;

/// One parameter as sent: `KEYWORD` or `KEYWORD=value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EsmtpParam<'a> {
    /// The keyword, as sent (compare case-insensitively).
    pub keyword: &'a str,
    /// The value, when there was an `=`; never empty.
    pub value: Option<&'a str>,
}

/// The `BODY` parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// `7BIT`.
    SevenBit,
    /// `8BITMIME` (RFC 6152).
    EightBitMime,
    /// `BINARYMIME` (RFC 3030; needs BDAT).
    BinaryMime,
}

/// The `RET` parameter (RFC 3461 §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    /// `FULL`: return the whole message in a DSN.
    Full,
    /// `HDRS`: return only the headers.
    Hdrs,
}

/// The `AUTH` parameter of MAIL (RFC 4954 §5).
#[derive(Clone, Debug)]
pub enum AuthParam<'a> {
    /// `AUTH=<>`: the submitter is unknown or not trusted.
    Unknown,
    /// The authorised submitter's mailbox, xtext-decoded.
    Mailbox(Mailbox<'a>),
}

/// A `DSN` event that `NOTIFY` can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyEvent {
    /// `SUCCESS`.
    Success,
    /// `FAILURE`.
    Failure,
    /// `DELAY`.
    Delay,
}

/// A non-empty set of [`NotifyEvent`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotifySet {
    success: bool,
    failure: bool,
    delay: bool,
}

impl NotifySet {
    /// A set holding only `event`.
    pub fn of(event: NotifyEvent) -> Self {
        Self { success: false, failure: false, delay: false }.with(event)
    }

    /// The set plus `event`.
    pub fn with(mut self, event: NotifyEvent) -> Self {
        match event {
            NotifyEvent::Success => self.success = true,
            NotifyEvent::Failure => self.failure = true,
            NotifyEvent::Delay => self.delay = true,
        }
        self
    }

    /// Whether `event` is in the set.
    pub fn contains(self, event: NotifyEvent) -> bool {
        match event {
            NotifyEvent::Success => self.success,
            NotifyEvent::Failure => self.failure,
            NotifyEvent::Delay => self.delay,
        }
    }
}

/// The `NOTIFY` parameter (RFC 3461 §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notify {
    /// `NEVER` (cannot be combined with anything else).
    Never,
    /// A list of events.
    On(NotifySet),
}

/// An `ORCPT` parameter (RFC 3461 §4.2): `addr-type ; xtext`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Orcpt<'a> {
    /// The address type, e.g. `rfc822` (compare case-insensitively).
    pub addr_type: &'a str,
    /// The original recipient, xtext-encoded.
    pub address: XText<'a>,
}

/// A validated xtext value (RFC 3461 §4): printable ASCII, with `+XX` hex escapes. The
/// decoded text is valid UTF-8 without control characters (checked when it is made), so
/// decoding cannot fail and cannot smuggle CR/LF into a DSN or a log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XText<'a>(&'a str);

/// Why a value is not valid xtext.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum XTextError {
    /// A character outside `!`..`~`, a raw `=`, or a `+` not followed by two hex digits.
    #[error("invalid xtext syntax")]
    Syntax,
    /// The decoded value holds a control character or is not UTF-8.
    #[error("xtext decodes to a control character or invalid UTF-8")]
    Decoded,
}

impl<'a> XText<'a> {
    /// Validates `text` as xtext. Hex digits may be upper or lower case.
    pub fn parse(text: &'a str) -> Result<Self, XTextError> {
        let mut decoded = Vec::new();
        let mut bytes = text.bytes();
        while let Some(byte) = bytes.next() {
            match byte {
                b'+' => {
                    let high = bytes.next().and_then(hex_value).ok_or(XTextError::Syntax)?;
                    let low = bytes.next().and_then(hex_value).ok_or(XTextError::Syntax)?;
                    decoded.push(high << 4 | low);
                }
                b'=' => return Err(XTextError::Syntax),
                b'!'..=b'~' => decoded.push(byte),
                _ => return Err(XTextError::Syntax),
            }
        }
        match std::str::from_utf8(&decoded) {
            Ok(text) if !text.chars().any(char::is_control) => {}
            _ => return Err(XTextError::Decoded),
        }
        Ok(Self(text))
    }

    /// The value as sent.
    pub fn as_str(&self) -> &'a str {
        self.0
    }

    /// The decoded value (borrowed when there is no `+` escape).
    pub fn decode(&self) -> Cow<'a, str> {
        if !self.0.contains('+') {
            return Cow::Borrowed(self.0);
        }
        let mut decoded = Vec::with_capacity(self.0.len());
        let mut bytes = self.0.bytes();
        while let Some(byte) = bytes.next() {
            if byte == b'+' {
                let high = bytes.next().and_then(hex_value).unwrap_or(0);
                let low = bytes.next().and_then(hex_value).unwrap_or(0);
                decoded.push(high << 4 | low);
            } else {
                decoded.push(byte);
            }
        }
        Cow::Owned(String::from_utf8_lossy(&decoded).into_owned())
    }
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        _ => None,
    }
}

/// The parameters of `MAIL FROM`.
#[derive(Clone, Debug, Default)]
pub struct MailParams<'a> {
    /// `SIZE=n` (RFC 1870). A number too big for `u64` saturates to `u64::MAX`, which is over
    /// any limit (aiosmtpd answers 552 for it too).
    pub size: Option<u64>,
    /// `BODY=`.
    pub body: Option<Body>,
    /// `SMTPUTF8` was given (RFC 6531).
    pub smtputf8: bool,
    /// `AUTH=` (RFC 4954 §5).
    pub auth: Option<AuthParam<'a>>,
    /// `RET=` (RFC 3461).
    pub ret: Option<Ret>,
    /// `ENVID=` (RFC 3461).
    pub envid: Option<XText<'a>>,
    /// Well-formed parameters this module does not know, in the order sent.
    pub unknown: Vec<EsmtpParam<'a>>,
}

/// The parameters of `RCPT TO`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RcptParams<'a> {
    /// `NOTIFY=` (RFC 3461).
    pub notify: Option<Notify>,
    /// `ORCPT=` (RFC 3461).
    pub orcpt: Option<Orcpt<'a>>,
    /// Well-formed parameters this module does not know, in the order sent.
    pub unknown: Vec<EsmtpParam<'a>>,
}

/// Why the parameters were refused. [`ParamError::into_reply`] gives the reply.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    /// A parameter not shaped `KEYWORD` or `KEYWORD=value` (or an empty value).
    #[error("malformed ESMTP parameter")]
    Malformed,
    /// The same keyword twice (upper-cased).
    #[error("duplicate parameter {0}")]
    Duplicate(String),
    /// `SIZE` without a value, or not all digits.
    #[error("SIZE is not a number")]
    Size,
    /// `BODY` is not 7BIT, 8BITMIME or BINARYMIME.
    #[error("unknown BODY value")]
    Body,
    /// `SMTPUTF8=value`.
    #[error("SMTPUTF8 with a value")]
    SmtpUtf8Argument,
    /// `SMTPUTF8` while it is not offered.
    #[error("SMTPUTF8 while not offered")]
    SmtpUtf8Disabled,
    /// `AUTH=` not `<>` nor an xtext mailbox.
    #[error("invalid AUTH parameter")]
    Auth,
    /// `RET=` not FULL or HDRS.
    #[error("invalid RET parameter")]
    Ret,
    /// `ENVID=` not xtext, or too long.
    #[error("invalid ENVID parameter")]
    EnvId,
    /// `NOTIFY=` not NEVER nor a list of SUCCESS, FAILURE, DELAY.
    #[error("invalid NOTIFY parameter")]
    Notify,
    /// `ORCPT=` not `addr-type;xtext`, or too long.
    #[error("invalid ORCPT parameter")]
    Orcpt,
}

impl ParamError {
    /// The reply: the command's syntax reply (`501 5.5.4 Syntax: <syntax>`) for malformed
    /// parameters and SIZE, otherwise `501 5.5.4 Error: ...` with the specific text.
    pub fn into_reply(self, syntax: &str) -> Reply {
        let text = match self {
            Self::Malformed | Self::Size => return Reply::syntax(syntax),
            Self::Duplicate(keyword) => {
                return Reply::invalid_argument(format!("Error: duplicate parameter {keyword}"));
            }
            Self::Body => "Error: BODY can only be one of 7BIT, 8BITMIME, BINARYMIME",
            Self::SmtpUtf8Argument => "Error: SMTPUTF8 takes no arguments",
            Self::SmtpUtf8Disabled => "Error: SMTPUTF8 disabled",
            Self::Auth => "Error: AUTH parameter must be <> or an xtext mailbox",
            Self::Ret => "Error: RET can only be one of FULL, HDRS",
            Self::EnvId => "Error: ENVID must be xtext of at most 100 characters",
            Self::Notify => "Error: NOTIFY can only be NEVER or a list of SUCCESS, FAILURE, DELAY",
            Self::Orcpt => "Error: ORCPT must be addr-type;xtext of at most 500 characters",
        };
        Reply::invalid_argument(text)
    }

    /// aiosmtpd checks BODY, then SMTPUTF8, then SIZE, after the shape of every parameter;
    /// when several parameters are wrong, the one earliest in that order is reported.
    fn rank(&self) -> u8 {
        match self {
            Self::Malformed | Self::Duplicate(_) => 0,
            Self::Body => 1,
            Self::SmtpUtf8Argument | Self::SmtpUtf8Disabled => 2,
            Self::Size => 3,
            Self::Auth | Self::Ret | Self::EnvId | Self::Notify | Self::Orcpt => 4,
        }
    }
}

/// Keeps the error of lowest rank.
#[derive(Default)]
struct FirstError(Option<ParamError>);

impl FirstError {
    fn record(&mut self, result: Result<(), ParamError>) {
        if let Err(error) = result {
            match &self.0 {
                Some(kept) if kept.rank() <= error.rank() => {}
                _ => self.0 = Some(error),
            }
        }
    }

    fn into_result(self) -> Result<(), ParamError> {
        self.0.map_or(Ok(()), Err)
    }
}

impl<'a> MailParams<'a> {
    /// Parses the parameter text after the reverse-path (possibly empty).
    pub fn parse(text: &'a str, ctx: &ParseContext) -> Result<Self, ParamError> {
        check_shapes(text)?;
        let mut params = Self::default();
        let mut first_error = FirstError::default();
        for param in split_params(text).filter_map(split_param) {
            first_error.record(params.apply(param, ctx));
        }
        first_error.into_result().map(|()| params)
    }

    /// Whether a DSN parameter (RET, ENVID) was given; the server answers 555 when it does
    /// not offer DSN.
    pub fn has_dsn(&self) -> bool {
        self.ret.is_some() || self.envid.is_some()
    }

    fn apply(&mut self, param: EsmtpParam<'a>, ctx: &ParseContext) -> Result<(), ParamError> {
        let EsmtpParam { keyword, value } = param;
        if keyword.eq_ignore_ascii_case("SIZE") {
            self.size = Some(parse_size(value.ok_or(ParamError::Size)?)?);
        } else if keyword.eq_ignore_ascii_case("BODY") {
            self.body = Some(parse_body(value.ok_or(ParamError::Body)?)?);
        } else if keyword.eq_ignore_ascii_case("SMTPUTF8") {
            if value.is_some() {
                return Err(ParamError::SmtpUtf8Argument);
            }
            if !ctx.smtputf8 {
                return Err(ParamError::SmtpUtf8Disabled);
            }
            self.smtputf8 = true;
        } else if keyword.eq_ignore_ascii_case("AUTH") {
            self.auth = Some(parse_auth(value.ok_or(ParamError::Auth)?, ctx)?);
        } else if keyword.eq_ignore_ascii_case("RET") {
            self.ret = Some(parse_ret(value.ok_or(ParamError::Ret)?)?);
        } else if keyword.eq_ignore_ascii_case("ENVID") {
            self.envid = Some(parse_envid(value.ok_or(ParamError::EnvId)?)?);
        } else {
            self.unknown.push(param);
        }
        Ok(())
    }
}

impl<'a> RcptParams<'a> {
    /// Parses the parameter text after the forward-path (possibly empty).
    pub fn parse(text: &'a str) -> Result<Self, ParamError> {
        check_shapes(text)?;
        let mut params = Self::default();
        let mut first_error = FirstError::default();
        for param in split_params(text).filter_map(split_param) {
            first_error.record(params.apply(param));
        }
        first_error.into_result().map(|()| params)
    }

    /// Whether a DSN parameter (NOTIFY, ORCPT) was given; the server answers 555 when it does
    /// not offer DSN.
    pub fn has_dsn(&self) -> bool {
        self.notify.is_some() || self.orcpt.is_some()
    }

    fn apply(&mut self, param: EsmtpParam<'a>) -> Result<(), ParamError> {
        let EsmtpParam { keyword, value } = param;
        if keyword.eq_ignore_ascii_case("NOTIFY") {
            self.notify = Some(parse_notify(value.ok_or(ParamError::Notify)?)?);
        } else if keyword.eq_ignore_ascii_case("ORCPT") {
            self.orcpt = Some(parse_orcpt(value.ok_or(ParamError::Orcpt)?)?);
        } else {
            self.unknown.push(param);
        }
        Ok(())
    }
}

/// Parameters are separated by whitespace (aiosmtpd splits with `str.split()`).
fn split_params(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| crate::command::is_arg_space(c)).filter(|word| !word.is_empty())
}

/// `KEYWORD` or `KEYWORD=value`, when both parts are well-formed.
fn split_param(word: &str) -> Option<EsmtpParam<'_>> {
    let (keyword, value) = match word.split_once('=') {
        Some((keyword, value)) => (keyword, Some(value)),
        None => (word, None),
    };
    let keyword_ok = keyword.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && keyword.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let value_ok = value.is_none_or(|value| !value.is_empty() && value.chars().all(is_value_char));
    (keyword_ok && value_ok).then_some(EsmtpParam { keyword, value })
}

/// `esmtp-value` characters: `%d33-60 / %d62-126` and UTF-8 non-ASCII (RFC 6531).
fn is_value_char(c: char) -> bool {
    matches!(c, '!'..='<' | '>'..='~') || !c.is_ascii()
}

/// Every parameter well-formed and no keyword twice (aiosmtpd checks the shape of all
/// parameters before any meaning).
fn check_shapes(text: &str) -> Result<(), ParamError> {
    for (index, word) in split_params(text).enumerate() {
        let param = split_param(word).ok_or(ParamError::Malformed)?;
        let repeated = split_params(text)
            .take(index)
            .filter_map(split_param)
            .any(|earlier| earlier.keyword.eq_ignore_ascii_case(param.keyword));
        if repeated {
            return Err(ParamError::Duplicate(param.keyword.to_ascii_uppercase()));
        }
    }
    Ok(())
}

fn parse_size(value: &str) -> Result<u64, ParamError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParamError::Size);
    }
    Ok(value
        .bytes()
        .fold(0u64, |size, digit| size.saturating_mul(10).saturating_add(u64::from(digit - b'0'))))
}

fn parse_body(value: &str) -> Result<Body, ParamError> {
    [("7BIT", Body::SevenBit), ("8BITMIME", Body::EightBitMime), ("BINARYMIME", Body::BinaryMime)]
        .into_iter()
        .find(|(name, _)| value.eq_ignore_ascii_case(name))
        .map(|(_, body)| body)
        .ok_or(ParamError::Body)
}

fn parse_ret(value: &str) -> Result<Ret, ParamError> {
    if value.eq_ignore_ascii_case("FULL") {
        Ok(Ret::Full)
    } else if value.eq_ignore_ascii_case("HDRS") {
        Ok(Ret::Hdrs)
    } else {
        Err(ParamError::Ret)
    }
}

fn parse_envid(value: &str) -> Result<XText<'_>, ParamError> {
    if value.len() > MAX_ENVID_LEN {
        return Err(ParamError::EnvId);
    }
    XText::parse(value).map_err(|_| ParamError::EnvId)
}

fn parse_auth<'a>(value: &'a str, ctx: &ParseContext) -> Result<AuthParam<'a>, ParamError> {
    if value == "<>" {
        return Ok(AuthParam::Unknown);
    }
    let xtext = XText::parse(value).map_err(|_| ParamError::Auth)?;
    let mailbox = match xtext.decode() {
        Cow::Borrowed(text) => address::parse_mailbox(text, &ctx.address_limits),
        Cow::Owned(text) => {
            address::parse_mailbox(&text, &ctx.address_limits).map(Mailbox::into_owned)
        }
    };
    mailbox.map(AuthParam::Mailbox).map_err(|_| ParamError::Auth)
}

fn parse_notify(value: &str) -> Result<Notify, ParamError> {
    if value.eq_ignore_ascii_case("NEVER") {
        return Ok(Notify::Never);
    }
    let mut set: Option<NotifySet> = None;
    for item in value.split(',') {
        let event = if item.eq_ignore_ascii_case("SUCCESS") {
            NotifyEvent::Success
        } else if item.eq_ignore_ascii_case("FAILURE") {
            NotifyEvent::Failure
        } else if item.eq_ignore_ascii_case("DELAY") {
            NotifyEvent::Delay
        } else {
            // Also NEVER in a list, and empty items.
            return Err(ParamError::Notify);
        };
        set = Some(set.map_or(NotifySet::of(event), |set| set.with(event)));
    }
    set.map(Notify::On).ok_or(ParamError::Notify)
}

fn parse_orcpt(value: &str) -> Result<Orcpt<'_>, ParamError> {
    if value.len() > MAX_ORCPT_LEN {
        return Err(ParamError::Orcpt);
    }
    let (addr_type, address) = value.split_once(';').ok_or(ParamError::Orcpt)?;
    let atom_ok = !addr_type.is_empty()
        && addr_type
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/?^_`{|}~".contains(&b));
    if !atom_ok || address.is_empty() {
        return Err(ParamError::Orcpt);
    }
    let address = XText::parse(address).map_err(|_| ParamError::Orcpt)?;
    Ok(Orcpt { addr_type, address })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn esmtp() -> ParseContext {
        ParseContext { extended: true, ..ParseContext::default() }
    }

    fn utf8() -> ParseContext {
        ParseContext { extended: true, smtputf8: true, ..ParseContext::default() }
    }

    fn mail_reply(text: &str, ctx: &ParseContext) -> String {
        match MailParams::parse(text, ctx) {
            Ok(_) => "ok".to_owned(),
            Err(error) => error.into_reply("MAIL FROM: <address>").to_string(),
        }
    }

    #[test]
    fn mail_parameter_errors() {
        let syntax = "501 5.5.4 Syntax: MAIL FROM: <address>";
        let body = "501 5.5.4 Error: BODY can only be one of 7BIT, 8BITMIME, BINARYMIME";
        let cases: &[(&str, &ParseContext, &str)] = &[
            ("", &esmtp(), "ok"),
            ("SIZE=0", &esmtp(), "ok"),
            ("size=100 BODY=8bitmime", &esmtp(), "ok"),
            ("BODY=BINARYMIME", &esmtp(), "ok"),
            ("X-FOO=1", &esmtp(), "ok"),
            ("FOO=BAR", &esmtp(), "ok"),
            ("AUTH=<>", &esmtp(), "ok"),
            ("RET=HDRS ENVID=abc123", &esmtp(), "ok"),
            ("SIZE = 10", &esmtp(), syntax),
            ("#$%=!@#", &esmtp(), syntax),
            ("FOO=", &esmtp(), syntax),
            ("-X=1", &esmtp(), syntax),
            ("X=a=b", &esmtp(), syntax),
            ("X=\u{1}", &esmtp(), syntax),
            ("SIZE", &esmtp(), syntax),
            ("SIZE=abc", &esmtp(), syntax),
            ("SIZE=+5", &esmtp(), syntax),
            ("SIZE=-5", &esmtp(), syntax),
            ("BODY=8BIT", &esmtp(), body),
            ("BODY", &esmtp(), body),
            ("SMTPUTF8=x", &utf8(), "501 5.5.4 Error: SMTPUTF8 takes no arguments"),
            ("SMTPUTF8=x", &esmtp(), "501 5.5.4 Error: SMTPUTF8 takes no arguments"),
            ("SMTPUTF8", &esmtp(), "501 5.5.4 Error: SMTPUTF8 disabled"),
            ("SMTPUTF8", &utf8(), "ok"),
            ("BODY=7BIT body=8BITMIME", &esmtp(), "501 5.5.4 Error: duplicate parameter BODY"),
            ("X-a=1 x-A=2", &esmtp(), "501 5.5.4 Error: duplicate parameter X-A"),
            // aiosmtpd's order: shape first, then BODY, SMTPUTF8, SIZE.
            ("SIZE=abc BODY=X", &esmtp(), body),
            ("SIZE=abc SMTPUTF8", &esmtp(), "501 5.5.4 Error: SMTPUTF8 disabled"),
            ("BODY=X SIZE = 1", &esmtp(), syntax),
            ("RET=ALL", &esmtp(), "501 5.5.4 Error: RET can only be one of FULL, HDRS"),
            (
                "ENVID=a+2",
                &esmtp(),
                "501 5.5.4 Error: ENVID must be xtext of at most 100 characters",
            ),
            (
                "ENVID=a+0D+0A",
                &esmtp(),
                "501 5.5.4 Error: ENVID must be xtext of at most 100 characters",
            ),
            (
                "AUTH=alice",
                &esmtp(),
                "501 5.5.4 Error: AUTH parameter must be <> or an xtext mailbox",
            ),
            ("AUTH", &esmtp(), "501 5.5.4 Error: AUTH parameter must be <> or an xtext mailbox"),
        ];
        for (text, ctx, expected) in cases {
            assert_eq!(mail_reply(text, ctx), *expected, "MAIL params {text:?}");
        }
        let long_envid = format!("ENVID={}", "a".repeat(101));
        assert_eq!(
            mail_reply(&long_envid, &esmtp()),
            "501 5.5.4 Error: ENVID must be xtext of at most 100 characters"
        );
    }

    #[test]
    fn mail_parameters_are_typed() {
        let params = MailParams::parse(
            "SIZE=99999999999999999999999 BODY=7bit SMTPUTF8 AUTH=e+3Dmc2@example.com RET=full ENVID=QQ+2B1 X-FOO=1 BAR",
            &utf8(),
        )
        .unwrap();
        assert_eq!(params.size, Some(u64::MAX));
        assert_eq!(params.body, Some(Body::SevenBit));
        assert!(params.smtputf8);
        match &params.auth {
            Some(AuthParam::Mailbox(mailbox)) => {
                assert_eq!(mailbox.to_string(), "e=mc2@example.com")
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(params.ret, Some(Ret::Full));
        let envid = params.envid.unwrap();
        assert_eq!((envid.as_str(), envid.decode().as_ref()), ("QQ+2B1", "QQ+1"));
        assert!(params.has_dsn());
        assert_eq!(
            params.unknown,
            [
                EsmtpParam { keyword: "X-FOO", value: Some("1") },
                EsmtpParam { keyword: "BAR", value: None }
            ]
        );
        let null_auth = MailParams::parse("AUTH=<>", &esmtp()).unwrap();
        assert!(matches!(null_auth.auth, Some(AuthParam::Unknown)));
        assert!(!null_auth.has_dsn());
    }

    #[test]
    fn rcpt_parameters() {
        let notify = |text: &str| RcptParams::parse(text).map(|p| p.notify);
        let success_delay = NotifySet::of(NotifyEvent::Success).with(NotifyEvent::Delay);
        assert_eq!(notify("NOTIFY=NEVER"), Ok(Some(Notify::Never)));
        assert_eq!(notify("notify=success,DELAY"), Ok(Some(Notify::On(success_delay))));
        assert!(
            success_delay.contains(NotifyEvent::Delay)
                && !success_delay.contains(NotifyEvent::Failure)
        );
        for bad in ["NOTIFY=NEVER,SUCCESS", "NOTIFY=SUCCESS,", "NOTIFY=SOMETIMES", "NOTIFY"] {
            assert_eq!(
                RcptParams::parse(bad).map_err(|e| e.into_reply("RCPT TO: <address>").to_string()),
                Err("501 5.5.4 Error: NOTIFY can only be NEVER or a list of SUCCESS, FAILURE, DELAY".to_owned()),
                "{bad}"
            );
        }
        let params = RcptParams::parse("ORCPT=rfc822;bob+40example.com X-Y").unwrap();
        let orcpt = params.orcpt.unwrap();
        assert_eq!(
            (orcpt.addr_type, orcpt.address.decode().as_ref()),
            ("rfc822", "bob@example.com")
        );
        assert!(params.has_dsn());
        assert_eq!(params.unknown, [EsmtpParam { keyword: "X-Y", value: None }]);
        for bad in ["ORCPT=rfc822", "ORCPT=;a", "ORCPT=rfc822;", "ORCPT=rfc822;a+G0"] {
            assert_eq!(RcptParams::parse(bad).map(|_| ()), Err(ParamError::Orcpt), "{bad}");
        }
        assert_eq!(
            RcptParams::parse("NOTIFY=NEVER notify=NEVER").map(|_| ()),
            Err(ParamError::Duplicate("NOTIFY".into()))
        );
    }

    #[test]
    fn xtext_rules() {
        assert_eq!(XText::parse("abc").map(|x| x.decode().into_owned()), Ok("abc".to_owned()));
        assert_eq!(
            XText::parse("a+2Bb+3d").map(|x| x.decode().into_owned()),
            Ok("a+b=".to_owned())
        );
        assert_eq!(
            XText::parse("j+C3+B6rg").map(|x| x.decode().into_owned()),
            Ok("jörg".to_owned())
        );
        assert_eq!(XText::parse("a b"), Err(XTextError::Syntax));
        assert_eq!(XText::parse("a=b"), Err(XTextError::Syntax));
        assert_eq!(XText::parse("a+"), Err(XTextError::Syntax));
        assert_eq!(XText::parse("jörg"), Err(XTextError::Syntax));
        assert_eq!(XText::parse("+00"), Err(XTextError::Decoded));
        assert_eq!(XText::parse("+C3"), Err(XTextError::Decoded));
    }

    proptest! {
        #[test]
        fn arbitrary_parameter_text_never_panics(text in "[ -~\\PC]{0,80}") {
            let well_formed = |param: &EsmtpParam<'_>| {
                param.keyword.starts_with(|c: char| c.is_ascii_alphanumeric())
                    && param.value.is_none_or(|value| !value.is_empty() && !value.contains(['=', ' ']))
            };
            match MailParams::parse(&text, &utf8()) {
                Ok(params) => prop_assert!(params.unknown.iter().all(well_formed)),
                Err(error) => prop_assert_eq!(error.into_reply("MAIL FROM: <address>").code().get(), 501),
            }
            match RcptParams::parse(&text) {
                Ok(params) => prop_assert!(params.unknown.iter().all(well_formed)),
                Err(error) => prop_assert_eq!(error.into_reply("RCPT TO: <address>").code().get(), 501),
            }
        }

        #[test]
        fn any_valid_xtext_decodes_without_control_characters(text in "[!-~]{0,40}") {
            if let Ok(xtext) = XText::parse(&text) {
                prop_assert!(!xtext.decode().chars().any(char::is_control));
            }
        }
    }
}
