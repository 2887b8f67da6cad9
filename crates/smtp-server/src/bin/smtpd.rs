//! `smtpd`: the command-line SMTP server (the counterpart of `python -m aiosmtpd`).
//!
//! ```text
//! smtpd --listen 127.0.0.1:8025 --handler mailbox:/var/mail/smtpd --auth-user alice:secret
//! ```
//!
//! It prints `smtpd: listening on <address>` for every listener once they are bound, logs to
//! standard error (`-v`, `RUST_LOG`), and shuts down gracefully on SIGINT or SIGTERM. Exit
//! status: 0 after a clean shutdown, 1 when the server cannot start, 2 for a bad command line.

#[path = "smtpd/args.rs"]
mod args;
#[path = "smtpd/plan.rs"]
mod plan;
#[path = "smtpd/run.rs"]
mod run;

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use crate::args::Args;

/// mimalloc instead of the C library's allocator: a session makes a few dozen allocations, and
/// mimalloc's take fewer instructions each (callgrind, the shape of `cargo xtask bench`'s
/// scenario 1: 12 % fewer for a whole session). The library crates leave the choice to the
/// program that uses them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(args.verbose);
    let plan = match plan::plan(&args) {
        Ok(plan) => plan,
        Err(error) => {
            eprintln!("smtpd: error: {error}");
            return ExitCode::from(2);
        }
    };
    match start(plan) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("smtpd: error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Prepares the server, then runs it until a signal stops it: on a multi-threaded tokio
/// runtime (one worker per core) when the process may use several cores, on the current
/// thread when it may use one (`taskset -c 0`, a one-CPU container), where a scheduler made
/// for handing tasks between threads would only add work.
fn start(plan: plan::Plan) -> Result<(), run::RunError> {
    let (server, listen) = run::prepare(plan)?;
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let mut builder = match cores {
        1 => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = builder.enable_all().build()?;
    runtime.block_on(run::serve(server, listen))
}

/// Logs to standard error: `RUST_LOG` when set, else warnings, `-v` info, `-vv` debug,
/// `-vvv` trace; colours only on a terminal.
fn init_logging(verbose: u8) {
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_env_filter(filter)
        .init();
}
