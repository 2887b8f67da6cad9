//! The second level: each verb's argument, parsed into a [`Command`] or refused with aiosmtpd's
//! reply. MAIL and RCPT live in [`super::path`].

use super::{
    AuthStart, BdatChunk, Command, ParseContext, UnknownVerb, Verb, VrfyTarget, is_arg_space,
};
use crate::address;
use crate::reply::Reply;

/// Dispatches to the verb's argument parser.
pub(super) fn parse<'a>(
    verb: Verb,
    arg: Option<&'a str>,
    ctx: &ParseContext,
) -> Result<Command<'a>, Reply> {
    match verb {
        Verb::Helo => hostname(verb, arg).map(|host| Command::Helo { host }),
        Verb::Ehlo => hostname(verb, arg).map(|host| Command::Ehlo { host }),
        Verb::Lhlo => hostname(verb, arg).map(|host| Command::Lhlo { host }),
        Verb::Mail => super::path::mail(arg, ctx),
        Verb::Rcpt => super::path::rcpt(arg, ctx),
        Verb::Data => no_argument(verb, arg, Command::Data),
        Verb::Rset => no_argument(verb, arg, Command::Rset),
        Verb::Quit => no_argument(verb, arg, Command::Quit),
        Verb::StartTls => no_argument(verb, arg, Command::StartTls),
        Verb::Noop => Ok(Command::Noop(arg)),
        Verb::Expn => Ok(Command::Expn(arg)),
        Verb::Help => Ok(Command::Help(arg.map(help_topic))),
        Verb::Vrfy => vrfy(arg, ctx),
        Verb::Auth => auth(arg),
        Verb::Bdat => bdat(arg),
    }
}

fn syntax_error(verb: Verb) -> Reply {
    Reply::syntax(verb.syntax(false))
}

fn hostname(verb: Verb, arg: Option<&str>) -> Result<&str, Reply> {
    arg.ok_or_else(|| syntax_error(verb))
}

fn no_argument<'a>(
    verb: Verb,
    arg: Option<&str>,
    command: Command<'a>,
) -> Result<Command<'a>, Reply> {
    match arg {
        None => Ok(command),
        Some(_) => Err(syntax_error(verb)),
    }
}

fn help_topic(arg: &str) -> Result<Verb, UnknownVerb<'_>> {
    Verb::parse(arg.as_bytes()).ok_or(UnknownVerb(arg))
}

fn vrfy<'a>(arg: Option<&'a str>, ctx: &ParseContext) -> Result<Command<'a>, Reply> {
    let arg = arg.ok_or_else(|| syntax_error(Verb::Vrfy))?;
    let bare = arg.strip_prefix('<').and_then(|inner| inner.strip_suffix('>')).unwrap_or(arg);
    let target = match address::parse_mailbox(bare, &ctx.address_limits) {
        Ok(mailbox) => VrfyTarget::Mailbox(mailbox),
        Err(_) => VrfyTarget::Unparsed(arg),
    };
    Ok(Command::Vrfy(target))
}

fn words(arg: &str) -> impl Iterator<Item = &str> {
    arg.split(is_arg_space).filter(|word| !word.is_empty())
}

fn auth(arg: Option<&str>) -> Result<Command<'_>, Reply> {
    let mut words = words(arg.ok_or_else(Reply::auth_not_enough_value)?);
    let mechanism = words.next().ok_or_else(Reply::auth_not_enough_value)?;
    let initial_response = words.next();
    if words.next().is_some() {
        return Err(Reply::auth_too_many_values());
    }
    Ok(Command::Auth(AuthStart { mechanism, initial_response }))
}

fn bdat(arg: Option<&str>) -> Result<Command<'_>, Reply> {
    let syntax = || syntax_error(Verb::Bdat);
    let mut words = words(arg.ok_or_else(syntax)?);
    let size = words.next().and_then(parse_chunk_size).ok_or_else(syntax)?;
    let last = match words.next() {
        None => false,
        Some(word) if word.eq_ignore_ascii_case("LAST") => true,
        Some(_) => return Err(syntax()),
    };
    if words.next().is_some() {
        return Err(syntax());
    }
    Ok(Command::Bdat(BdatChunk { size, last }))
}

/// A decimal `u64` without sign; `None` when empty, not all digits, or too big.
fn parse_chunk_size(word: &str) -> Option<u64> {
    if word.is_empty() || !word.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    word.parse().ok()
}
