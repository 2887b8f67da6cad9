//! `cargo xtask fuzz`: builds and runs the libFuzzer targets of `fuzz/` with `cargo fuzz`, and
//! the corpus replay that `cargo xtask ci` runs.
//!
//! `cargo fuzz` needs nightly features (`-Zsanitizer=address`); the stable toolchain accepts
//! them with `RUSTC_BOOTSTRAP=1`, which every `cargo fuzz` call here sets. Each run starts from
//! the checked-in corpus copied to `target/fuzz-corpus/<target>` (so the fuzzer's new inputs
//! never land in the repository, and accumulate there across runs); crashes are written to
//! `target/fuzz-artifacts/<target>-*`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Seconds per target when `--seconds` is not given.
const DEFAULT_SECONDS: u64 = 60;

/// What `cargo xtask fuzz` was asked to do.
#[derive(Debug, PartialEq, Eq)]
struct FuzzArgs {
    seconds: u64,
    target: Option<String>,
}

fn parse_args(args: &[String]) -> Result<FuzzArgs, String> {
    let mut parsed = FuzzArgs { seconds: DEFAULT_SECONDS, target: None };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                let value = args.next().ok_or("--seconds needs a number")?;
                parsed.seconds =
                    value.parse().map_err(|_| format!("--seconds: not a number: {value}"))?;
            }
            "--target" => {
                parsed.target = Some(args.next().ok_or("--target needs a name")?.clone());
            }
            other => return Err(format!("fuzz: unknown argument `{other}`")),
        }
    }
    Ok(parsed)
}

/// The figures of one finished run, from libFuzzer's output.
#[derive(Debug, Default, PartialEq, Eq)]
struct RunSummary {
    runs: Option<u64>,
    coverage: Option<u64>,
    features: Option<u64>,
    corpus: Option<u64>,
}

impl RunSummary {
    /// Reads the last status line (`#1234 ... cov: 56 ft: 78 corp: 9/...`) and the closing
    /// `Done 1234 runs in 60 second(s)` of libFuzzer's output.
    fn parse(output: &str) -> Self {
        let mut summary = Self::default();
        for line in output.lines() {
            if let Some(rest) = line.strip_prefix("Done ") {
                summary.runs = rest.split(' ').next().and_then(|n| n.parse().ok());
            }
            if let Some(count) = line.strip_prefix('#').and_then(|l| l.split('\t').next()) {
                if let Ok(count) = count.parse() {
                    summary.runs = Some(count);
                }
                summary.coverage = field(line, "cov:").or(summary.coverage);
                summary.features = field(line, "ft:").or(summary.features);
                summary.corpus = field(line, "corp:").or(summary.corpus);
            }
        }
        summary
    }
}

/// The number after `name` in a libFuzzer status line (`corp: 12/3Kb` gives 12).
fn field(line: &str, name: &str) -> Option<u64> {
    let after = line.split(name).nth(1)?.trim_start();
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn show(value: Option<u64>) -> String {
    value.map_or_else(|| "?".to_owned(), |v| v.to_string())
}

/// `cargo xtask fuzz [--seconds N] [--target NAME]`.
pub fn fuzz(root: &Path, args: &[String]) -> Result<(), String> {
    let args = parse_args(args)?;
    let cargo = super::cargo();
    ensure_cargo_fuzz(&cargo)?;
    let all = targets(root)?;
    let chosen: Vec<String> = match &args.target {
        Some(name) if all.contains(name) => vec![name.clone()],
        Some(name) => return Err(format!("no fuzz target `{name}`; targets: {}", all.join(", "))),
        None => all,
    };
    let started = Instant::now();
    println!("xtask fuzz: building the targets (cargo fuzz build, RUSTC_BOOTSTRAP=1)");
    let mut build = cargo_fuzz(&cargo, root, "build");
    if let Some(name) = &args.target {
        build.arg(name);
    }
    run_status(&mut build, "cargo fuzz build")?;
    println!("xtask fuzz: built in {:.1}s", started.elapsed().as_secs_f64());
    for target in &chosen {
        run_target(&cargo, root, target, Budget::Seconds(args.seconds))?;
    }
    Ok(())
}

/// How long a target runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Budget {
    /// For this many seconds, from the corpus kept in `target/fuzz-corpus` (`cargo xtask fuzz`).
    Seconds(u64),
    /// For exactly this many executions with a fixed seed, from the checked-in seeds alone:
    /// the same inputs on every run of the same code, so CI cannot fail by chance.
    Runs(u64),
}

/// libFuzzer's seed for [`Budget::Runs`].
const SMOKE_SEED: u64 = 1;

/// Executions per target in the CI smoke pass.
const SMOKE_RUNS: u64 = 20_000;

/// Runs one target within `budget` and prints its summary line; a crash ends the task.
fn run_target(cargo: &str, root: &Path, target: &str, budget: Budget) -> Result<(), String> {
    let corpus = match budget {
        Budget::Seconds(_) => copy_corpus(root, target, "fuzz-corpus")?,
        Budget::Runs(_) => fresh_corpus(root, target)?,
    };
    let artifacts = root.join("target").join("fuzz-artifacts");
    fs::create_dir_all(&artifacts).map_err(|e| format!("{}: {e}", artifacts.display()))?;
    let limits = match budget {
        Budget::Seconds(seconds) => {
            println!("xtask fuzz: {target} for {seconds}s (corpus {})", corpus.display());
            vec![format!("-max_total_time={seconds}")]
        }
        Budget::Runs(runs) => {
            println!("xtask ci: fuzz smoke: {target}, {runs} executions, seed {SMOKE_SEED}");
            vec![format!("-runs={runs}"), format!("-seed={SMOKE_SEED}")]
        }
    };
    let mut command = cargo_fuzz(cargo, root, "run");
    command
        .arg(target)
        .arg(&corpus)
        .arg("--")
        .args(limits)
        .arg(format!("-artifact_prefix={}/{target}-", artifacts.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = command.output().map_err(|e| format!("could not run cargo fuzz: {e}"))?;
    let text = String::from_utf8_lossy(&output.stderr);
    let summary = RunSummary::parse(&text);
    let result = if output.status.success() { "ok" } else { "CRASH" };
    println!(
        "xtask fuzz: {target}: {} runs, cov {}, ft {}, corpus {}: {result}",
        show(summary.runs),
        show(summary.coverage),
        show(summary.features),
        show(summary.corpus),
    );
    if output.status.success() {
        return Ok(());
    }
    let tail: Vec<&str> = text.lines().rev().take(60).collect();
    for line in tail.iter().rev() {
        eprintln!("{line}");
    }
    Err(format!(
        "fuzz target `{target}` failed ({}); the input is in {}",
        output.status,
        artifacts.display()
    ))
}

/// `cargo fuzz <verb>` for the `fuzz/` directory, building into `target/fuzz`.
fn cargo_fuzz(cargo: &str, root: &Path, verb: &str) -> Command {
    let mut command = Command::new(cargo);
    command
        .args(["fuzz", verb, "--fuzz-dir", "fuzz", "--target-dir"])
        .arg(root.join("target").join("fuzz"))
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir(root);
    command
}

fn run_status(command: &mut Command, what: &str) -> Result<(), String> {
    let status = command.status().map_err(|e| format!("could not run {what}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{what} failed ({status})")) }
}

/// Installs cargo-fuzz when `cargo fuzz` is missing.
fn ensure_cargo_fuzz(cargo: &str) -> Result<(), String> {
    let present = Command::new(cargo)
        .args(["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if present {
        return Ok(());
    }
    println!(
        "xtask fuzz: cargo-fuzz is missing; installing it (cargo install cargo-fuzz --locked)"
    );
    run_status(
        Command::new(cargo).args(["install", "cargo-fuzz", "--locked"]),
        "cargo install cargo-fuzz",
    )
}

/// The targets: the `fuzz/fuzz_targets/*.rs` file names, sorted.
fn targets(root: &Path) -> Result<Vec<String>, String> {
    let dir = root.join("fuzz").join("fuzz_targets");
    let entries = fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            name.strip_suffix(".rs").map(str::to_owned)
        })
        .collect();
    names.sort();
    Ok(names)
}

/// Copies `fuzz/corpus/<target>` into `target/<dir>/<target>` (keeping what earlier runs found
/// there) and returns the copy's path.
fn copy_corpus(root: &Path, target: &str, dir: &str) -> Result<PathBuf, String> {
    let from = root.join("fuzz").join("corpus").join(target);
    let to = root.join("target").join(dir).join(target);
    fs::create_dir_all(&to).map_err(|e| format!("{}: {e}", to.display()))?;
    let entries = fs::read_dir(&from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries.filter_map(Result::ok) {
        let destination = to.join(entry.file_name());
        fs::copy(entry.path(), &destination)
            .map_err(|e| format!("{}: {e}", destination.display()))?;
    }
    Ok(to)
}

/// A copy of the checked-in seeds alone in `target/fuzz-smoke/<target>` (what an earlier smoke
/// pass added is removed first).
fn fresh_corpus(root: &Path, target: &str) -> Result<PathBuf, String> {
    let dir = root.join("target").join("fuzz-smoke").join(target);
    if dir.exists() {
        fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    copy_corpus(root, target, "fuzz-smoke")
}

/// The CI's fuzzing step: every checked-in seed replayed through its target function by
/// `cargo test` in `fuzz/` (stable Rust, no sanitizer), then the libFuzzer smoke pass.
pub fn smoke(root: &Path) -> Result<(), String> {
    let started = Instant::now();
    println!("xtask ci: fuzz corpus replay (cargo test --manifest-path fuzz/Cargo.toml)");
    let mut command = Command::new(super::cargo());
    command
        .args(["test", "--locked", "--manifest-path", "fuzz/Cargo.toml", "--target-dir"])
        .arg(root.join("target").join("fuzz-test"))
        .current_dir(root);
    run_status(&mut command, "the fuzz corpus replay")?;
    println!("xtask ci: fuzz corpus replay passed in {:.1}s", started.elapsed().as_secs_f64());
    live_smoke(root)
}

/// The CI's libFuzzer pass: every target built with AddressSanitizer and run for
/// [`SMOKE_RUNS`] executions with a fixed seed from the checked-in seeds (installs cargo-fuzz
/// when it is missing).
fn live_smoke(root: &Path) -> Result<(), String> {
    let started = Instant::now();
    let cargo = super::cargo();
    ensure_cargo_fuzz(&cargo)?;
    println!("xtask ci: fuzz smoke: building the targets (cargo fuzz build, RUSTC_BOOTSTRAP=1)");
    run_status(&mut cargo_fuzz(&cargo, root, "build"), "cargo fuzz build")?;
    for target in targets(root)? {
        run_target(&cargo, root, &target, Budget::Runs(SMOKE_RUNS))?;
    }
    println!("xtask ci: fuzz smoke passed in {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_parse_with_defaults() {
        let args = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let cases: [(&[&str], Result<FuzzArgs, ()>); 5] = [
            (&[], Ok(FuzzArgs { seconds: 60, target: None })),
            (&["--seconds", "10"], Ok(FuzzArgs { seconds: 10, target: None })),
            (&["--target", "data"], Ok(FuzzArgs { seconds: 60, target: Some("data".into()) })),
            (&["--seconds", "ten"], Err(())),
            (&["--bogus"], Err(())),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_args(&args(input)).map_err(|_| ()), expected, "{input:?}");
        }
    }

    #[test]
    fn summary_reads_the_last_status_line() {
        let output = "INFO: seed\n#2\tINITED cov: 10 ft: 11 corp: 3/40b exec/s: 0\n\
                      #4096\tpulse  cov: 300 ft: 1476 corp: 422/57Kb lim: 1650 exec/s: 2\n\
                      Done 5000 runs in 10 second(s)\n";
        let expected = RunSummary {
            runs: Some(5000),
            coverage: Some(300),
            features: Some(1476),
            corpus: Some(422),
        };
        assert_eq!(RunSummary::parse(output), expected);
        assert_eq!(RunSummary::parse(""), RunSummary::default());
    }
}
