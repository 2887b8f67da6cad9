//! # authenticated_relayer: the relay of `smtp-relay` as a program
//!
//! The working counterpart of aiosmtpd's `examples/authenticated_relayer` (which stops at
//! once, never offers AUTH and can verify no password): a submission server for your own
//! users that queues their mail durably and delivers it.
//!
//! ```sh
//! cargo run --release --example authenticated_relayer -- serve        # 127.0.0.1:8587, ./relayer-data
//! cargo run --release --example authenticated_relayer -- user add alice@example.com
//! cargo run --release --example authenticated_relayer -- queue list
//! ```
//!
//! - `serve [--listen ADDR] [--smtps-listen ADDR] [--smarthost HOST:PORT [--smarthost-user
//!   USER] [--smarthost-tls required|opportunistic|off|implicit]] [--route DOMAIN=HOST:PORT]…
//!   [--tls-cert FILE --tls-key FILE] [--hostname NAME] [--proxy-protocol]`
//! - `user add NAME [--sender ADDR]…`, `user passwd NAME`, `user del NAME`, `user list`
//! - `queue list`, `queue flush`, `queue delete ID`
//!
//! Every subcommand takes `--data-dir DIR` (default `./relayer-data`). Passwords are read from
//! standard input or a prompt, never from the command line; the smarthost password from
//! `RELAYER_SMARTHOST_PASSWORD` or standard input. SIGINT/SIGTERM stop `serve` gracefully.
//! Delivery is at-least-once: after a crash every accepted message is still queued and is
//! delivered after the restart (a message may then arrive twice, never zero times).

mod cli;
mod password;
mod queue;
mod serve;
mod users;

use std::error::Error;
use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::Parser as _;

use cli::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let colours = std::io::stderr().is_terminal();
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_ansi(colours).init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one command line.
async fn run(cli: Cli) -> Result<(), Box<dyn Error>> {
    match cli.command {
        Command::Serve(args) => serve::serve(args).await,
        Command::User(command) => users::user(command).await,
        Command::Queue(command) => queue::queue(command).await,
    }
}

#[cfg(test)]
mod tests;
