//! `smtp-load`: the benchmark load generator (see the `smtp-bench` crate documentation).
//! Exit status: 0 when every message was accepted (or every idle connection held), 1 when
//! any failed, 2 for a bad command line.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use smtp_bench::args::Args;

fn main() -> ExitCode {
    let args = Args::parse();
    let plan = match args.plan() {
        Ok(plan) => plan,
        Err(error) => {
            eprintln!("smtp-load: error: {error}");
            return ExitCode::from(2);
        }
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = plan.workers {
        builder.worker_threads(workers);
    }
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("smtp-load: error: cannot start the runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(smtp_bench::execute(plan, |line| print_line(&line)));
    match result {
        Ok(finished) => {
            print_line(&finished.line);
            if finished.clean { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(error) => {
            eprintln!("smtp-load: error: TLS client: {error}");
            ExitCode::FAILURE
        }
    }
}

fn print_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
