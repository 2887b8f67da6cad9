//! MAIL FROM and RCPT TO: the path and its parameters.

use super::{Command, MailFrom, ParseContext, RcptTo, Verb, is_arg_space};
use crate::address::{self, AddressError, ForwardPath, ReversePath};
use crate::params::{MailParams, RcptParams};
use crate::reply::Reply;

/// `FROM:` / `TO:` (case-insensitive) followed by the path, left spaces stripped; `None` when
/// the prefix is missing or nothing follows it.
fn after_prefix<'a>(arg: Option<&'a str>, prefix: &str) -> Option<&'a str> {
    let arg = arg?;
    let head = arg.as_bytes().get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix.as_bytes()) {
        return None;
    }
    let rest = arg.get(prefix.len()..)?.trim_start_matches(is_arg_space);
    (!rest.is_empty()).then_some(rest)
}

/// Empty or unshaped paths get the syntax reply; malformed or over-long ones 553 5.1.3.
fn address_reply(error: AddressError, syntax: &str) -> Reply {
    match error {
        AddressError::Empty | AddressError::Syntax => Reply::syntax(syntax),
        AddressError::Malformed | AddressError::TooLong => Reply::malformed_address(),
    }
}

/// `MAIL FROM:<path> [params]`.
pub(super) fn mail<'a>(arg: Option<&'a str>, ctx: &ParseContext) -> Result<Command<'a>, Reply> {
    let syntax = Verb::Mail.syntax(ctx.extended);
    let text = after_prefix(arg, "FROM:").ok_or_else(|| Reply::syntax(syntax))?;
    let (path, rest) = address::parse_reverse_path(text, &ctx.address_limits)
        .map_err(|error| address_reply(error, syntax))?;
    if !rest.is_empty() && !ctx.extended {
        return Err(Reply::syntax(syntax));
    }
    let params = MailParams::parse(rest, ctx).map_err(|error| error.into_reply(syntax))?;
    if let ReversePath::Mailbox(mailbox) = &path
        && !mailbox.is_ascii()
        && !params.smtputf8
    {
        return Err(Reply::utf8_address_needs_smtputf8());
    }
    Ok(Command::Mail(MailFrom { path, params }))
}

/// `RCPT TO:<path> [params]`.
pub(super) fn rcpt<'a>(arg: Option<&'a str>, ctx: &ParseContext) -> Result<Command<'a>, Reply> {
    let syntax = Verb::Rcpt.syntax(ctx.extended);
    let text = after_prefix(arg, "TO:").ok_or_else(|| Reply::syntax(syntax))?;
    if text.starts_with("<>") {
        // The null path is only a reverse-path (RFC 5321 §4.1.1.3).
        return Err(Reply::malformed_address());
    }
    let (path, rest) = address::parse_forward_path(text, &ctx.address_limits)
        .map_err(|error| address_reply(error, syntax))?;
    if !rest.is_empty() && !ctx.extended {
        return Err(Reply::syntax(syntax));
    }
    let params = RcptParams::parse(rest).map_err(|error| error.into_reply(syntax))?;
    if let ForwardPath::Mailbox(mailbox) = &path
        && !mailbox.is_ascii()
        && !ctx.utf8_transaction
    {
        return Err(Reply::utf8_address_needs_smtputf8());
    }
    Ok(Command::Rcpt(RcptTo { path, params }))
}
