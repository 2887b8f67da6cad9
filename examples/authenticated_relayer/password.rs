//! Reading secrets: from standard input when it is not a terminal (scripts, tests), else a
//! prompt without echo. Never from the command line, where `ps` would show them.

use std::io::{self, BufRead as _, IsTerminal as _};

use smtpd::auth::Secret;

/// Reads one password: a prompt (twice, to confirm) on a terminal, else the first line of
/// standard input.
pub fn read_password(prompt: &str, confirm: bool) -> io::Result<Secret> {
    let password = if io::stdin().is_terminal() {
        let first = rpassword::prompt_password(prompt)?;
        if confirm && rpassword::prompt_password("Again: ")? != first {
            return Err(io::Error::other("the passwords differ"));
        }
        first
    } else {
        let mut line = String::new();
        io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.is_empty() {
        return Err(io::Error::other("empty password"));
    }
    Ok(Secret::from(password))
}
