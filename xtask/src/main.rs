//! Project automation, run as `cargo xtask <task>` (the alias lives in `.cargo/config.toml`).
//!
//! - `ci`: everything CI checks, in the order a developer wants the failures: formatting,
//!   clippy with warnings denied, the whole test suite, the documentation with warnings denied,
//!   and the aiosmtpd conformance suite (`../shared/conformance`, recorded conversations) run
//!   against the `smtpd` binary the tests built, the fuzz corpus replay and a libFuzzer smoke
//!   pass (every target, a fixed number of executions with a fixed seed). Before all that it
//!   installs the Debian packages the interop matrix tests need when they are missing
//!   (`packages.rs`).
//! - `bench [--quick] [--scenario NAME]`: `smtpd` measured side by side with aiosmtpd,
//!   Postfix's smtp-sink, mailin-embedded and nodemailer's smtp-server; writes
//!   `target/bench/report.md` and `report.svg`. Not part of `ci`.
//! - `fuzz [--seconds N] [--target NAME]`: runs the libFuzzer targets of `fuzz/` (see
//!   [`fuzz`]).

mod bench;
mod fuzz;
mod packages;

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci(),
        Some("bench") => bench::run(&workspace_root(), args.get(1..).unwrap_or_default()),
        Some("fuzz") => fuzz::fuzz(&workspace_root(), args.get(1..).unwrap_or_default()),
        Some("help") | Some("--help") | Some("-h") | None => {
            print_usage();
            Ok(())
        }
        Some(other) => Err(format!("unknown task `{other}`; run `cargo xtask help`")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn print_usage() {
    println!("usage: cargo xtask <task>");
    println!();
    println!("tasks:");
    println!("  ci     cargo fmt --check, clippy -D warnings, cargo test, cargo doc -D warnings,");
    println!("         the aiosmtpd conformance suite (../shared/conformance) against smtpd,");
    println!("         the fuzz corpus replay and a libFuzzer smoke pass (fixed seed and runs)");
    println!("  bench  [--quick] [--scenario NAME]: smtpd against aiosmtpd, postfix smtp-sink,");
    println!("         mailin-embedded and nodemailer smtp-server; writes target/bench/report.md");
    println!("         and target/bench/report.svg (scenarios: single many pipelined auth large");
    println!("         starttls idle, or their numbers 1 2 2p 3 4 5 6)");
    println!("  fuzz   [--seconds N] [--target NAME]: every fuzz target (or NAME) for N seconds");
    println!("         (default 60) with cargo fuzz; installs cargo-fuzz when missing");
}

/// The workspace root: the parent of this crate's manifest directory.
fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The cargo that runs this task.
fn cargo() -> String {
    env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// One step of a task: a cargo invocation with extra environment.
struct Step {
    name: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
}

fn ci() -> Result<(), String> {
    let steps = [
        Step { name: "format", args: &["fmt", "--all", "--check"], env: &[] },
        Step {
            name: "clippy",
            args: &["clippy", "--workspace", "--all-targets", "--locked", "--", "-D", "warnings"],
            env: &[],
        },
        Step { name: "tests", args: &["test", "--workspace", "--locked"], env: &[] },
        Step {
            name: "docs",
            args: &["doc", "--workspace", "--no-deps", "--locked"],
            env: &[("RUSTDOCFLAGS", "-D warnings")],
        },
    ];
    let root = workspace_root();
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    packages::ensure(
        &env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from),
    )?;
    for step in &steps {
        let started = Instant::now();
        println!("xtask ci: {} (cargo {})", step.name, step.args.join(" "));
        let status = Command::new(&cargo)
            .args(step.args)
            .envs(step.env.iter().copied())
            .current_dir(&root)
            .status()
            .map_err(|error| format!("could not run cargo: {error}"))?;
        if !status.success() {
            return Err(format!("step `{}` failed ({status})", step.name));
        }
        println!("xtask ci: {} passed in {:.1}s", step.name, started.elapsed().as_secs_f64());
    }
    conformance(&root)?;
    fuzz::smoke(&root)?;
    println!("xtask ci: all steps passed");
    Ok(())
}

/// Plays the recorded aiosmtpd conversations of `../shared/conformance` against the `smtpd`
/// binary (the debug build, which the test step has already made). The suite lives beside the
/// repository, not in it: where it is absent (a clone on its own) the step says so and is
/// skipped; where it is present, every case must match.
fn conformance(root: &Path) -> Result<(), String> {
    let runner = root.join("../shared/conformance/run.py");
    if !runner.is_file() {
        println!(
            "xtask ci: conformance skipped: {} not found (the suite is kept beside the repository)",
            runner.display()
        );
        return Ok(());
    }
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let built = Command::new(&cargo)
        // The test step built `smtpd` with the workspace's unified features; asking for the
        // same build again costs nothing, where `cargo build -p smtp-server` would rebuild.
        .args(["test", "--workspace", "--locked", "--no-run"])
        .current_dir(root)
        .status()
        .map_err(|error| format!("could not run cargo: {error}"))?;
    if !built.success() {
        return Err(format!("building smtpd failed ({built})"));
    }
    let target = env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let smtpd = target.join("debug").join("smtpd");
    let started = Instant::now();
    println!("xtask ci: conformance (python3 {} --bin {})", runner.display(), smtpd.display());
    let status = Command::new("python3")
        .arg(&runner)
        .args(["--target", "project", "--bin"])
        .arg(&smtpd)
        .current_dir(root)
        .status()
        .map_err(|error| {
            format!("could not run python3 (needed for the conformance suite): {error}")
        })?;
    if !status.success() {
        return Err(format!("step `conformance` failed ({status})"));
    }
    println!("xtask ci: conformance passed in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}
