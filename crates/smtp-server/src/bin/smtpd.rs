//! `smtpd`: the command-line SMTP server (the counterpart of `python -m aiosmtpd`).

fn main() {}
