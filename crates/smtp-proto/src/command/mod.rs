//! SMTP, ESMTP and LMTP commands.
//!
//! Parsing has two levels, because the server checks the session state (greeting first,
//! authentication required, MAIL before RCPT, ...) between them, as aiosmtpd does:
//!
//! 1. [`CommandLine::parse`] splits a framed line into its [`Verb`] and argument
//!    (`500 Error: bad syntax`, `500 Error: strict ASCII mode`);
//! 2. [`CommandLine::command`] parses the argument for the verb into a [`Command`], or gives
//!    the reply to send (`501 Syntax: ...`, `553 5.1.3 ...`, ...).
//!
//! [`Command::parse`] does both at once.
//!
//! ```
//! use smtp_proto::command::{Command, CommandLine, ParseContext, Verb};
//!
//! let ctx = ParseContext { extended: true, size_offered: true, ..ParseContext::default() };
//! let line = CommandLine::parse(b"mail FROM:<alice@example.com> SIZE=1000", &ctx).unwrap();
//! assert_eq!(line.verb, Ok(Verb::Mail));
//! // ... the server checks the session state here ...
//! match line.command(&ctx).unwrap() {
//!     Command::Mail(mail) => assert_eq!(mail.params.size, Some(1000)),
//!     other => panic!("{other:?}"),
//! }
//! let reply = Command::parse(b"DATA now", &ctx).unwrap_err();
//! assert_eq!(reply.to_string(), "501 5.5.4 Syntax: DATA");
//! ```
//!
//! The per-verb line limit (512; MAIL 538 or 548 in extended sessions; AUTH 12,288) is a helper,
//! [`ParseContext::max_line_len`]: the server frames with [`ParseContext::reader_limit`] and
//! compares the framed line with [`CommandLine::max_line_len`].

mod args;
mod command_line;
mod context;
mod help;
mod path;
mod verb;

pub use command_line::CommandLine;
pub use context::{ParseContext, SIZE_LINE_EXTRA, SMTPUTF8_LINE_EXTRA};
pub use help::{help_reply, supported_commands};
pub use verb::{UnknownVerb, Verb};

use crate::address::{ForwardPath, Mailbox, ReversePath};
use crate::params::{MailParams, RcptParams};
use crate::reply::Reply;

/// One parsed command.
#[derive(Clone, Debug)]
pub enum Command<'a> {
    /// `HELO <host>`; the argument as given (it may contain spaces, as aiosmtpd keeps it).
    Helo {
        /// The client's name for itself.
        host: &'a str,
    },
    /// `EHLO <host>`.
    Ehlo {
        /// The client's name for itself.
        host: &'a str,
    },
    /// `LHLO <host>` (LMTP).
    Lhlo {
        /// The client's name for itself.
        host: &'a str,
    },
    /// `MAIL FROM:<path> [params]`.
    Mail(MailFrom<'a>),
    /// `RCPT TO:<path> [params]`.
    Rcpt(RcptTo<'a>),
    /// `DATA`.
    Data,
    /// `BDAT <size> [LAST]`.
    Bdat(BdatChunk),
    /// `RSET`.
    Rset,
    /// `NOOP [text]`; the text is ignored but passed to the handler.
    Noop(Option<&'a str>),
    /// `QUIT`.
    Quit,
    /// `STARTTLS`.
    StartTls,
    /// `VRFY <address>`.
    Vrfy(VrfyTarget<'a>),
    /// `EXPN [list]` (the server answers 502).
    Expn(Option<&'a str>),
    /// `HELP [verb]`; see [`help_reply`].
    Help(Option<HelpTopic<'a>>),
    /// `AUTH <mechanism> [initial-response]`.
    Auth(AuthStart<'a>),
}

/// The argument of `HELP`: a verb, or the unknown word as sent.
pub type HelpTopic<'a> = Result<Verb, UnknownVerb<'a>>;

/// `MAIL FROM`.
#[derive(Clone, Debug)]
pub struct MailFrom<'a> {
    /// The sender, or `<>`.
    pub path: ReversePath<'a>,
    /// The parameters.
    pub params: MailParams<'a>,
}

/// `RCPT TO`.
#[derive(Clone, Debug)]
pub struct RcptTo<'a> {
    /// The recipient.
    pub path: ForwardPath<'a>,
    /// The parameters.
    pub params: RcptParams<'a>,
}

/// `BDAT` (RFC 3030): the chunk that follows the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BdatChunk {
    /// Octets in the chunk.
    pub size: u64,
    /// `LAST`: this chunk ends the message.
    pub last: bool,
}

/// The argument of `VRFY`.
#[derive(Clone, Debug)]
pub enum VrfyTarget<'a> {
    /// A mailbox (angle brackets allowed around it).
    Mailbox(Mailbox<'a>),
    /// Not a mailbox; aiosmtpd answers [`Reply::could_not_vrfy`] with this text.
    Unparsed(&'a str),
}

/// `AUTH`: the mechanism (not validated here; the registry decides) and the initial response
/// as sent (still base64; `=` means an empty response, RFC 4954 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthStart<'a> {
    /// The mechanism name, as sent (compare case-insensitively).
    pub mechanism: &'a str,
    /// The initial response, raw.
    pub initial_response: Option<&'a str>,
}

impl<'a> Command<'a> {
    /// Both levels at once: [`CommandLine::parse`] then [`CommandLine::command`].
    pub fn parse(line: &'a [u8], ctx: &ParseContext) -> Result<Self, Reply> {
        CommandLine::parse(line, ctx)?.command(ctx)
    }

    /// The command's verb.
    pub fn verb(&self) -> Verb {
        match self {
            Command::Helo { .. } => Verb::Helo,
            Command::Ehlo { .. } => Verb::Ehlo,
            Command::Lhlo { .. } => Verb::Lhlo,
            Command::Mail(_) => Verb::Mail,
            Command::Rcpt(_) => Verb::Rcpt,
            Command::Data => Verb::Data,
            Command::Bdat(_) => Verb::Bdat,
            Command::Rset => Verb::Rset,
            Command::Noop(_) => Verb::Noop,
            Command::Quit => Verb::Quit,
            Command::StartTls => Verb::StartTls,
            Command::Vrfy(_) => Verb::Vrfy,
            Command::Expn(_) => Verb::Expn,
            Command::Help(_) => Verb::Help,
            Command::Auth(_) => Verb::Auth,
        }
    }
}

/// The whitespace Python's `str.split()` / `strip()` use on ASCII text.
pub(crate) fn is_arg_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c')
}

#[cfg(test)]
mod tests;
