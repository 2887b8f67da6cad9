//! `cargo xtask bench [--quick] [--scenario NAME]`: our server measured side by side with the
//! servers users would pick instead, on this machine, in one run. Builds `smtpd` and
//! `smtp-load` in release, installs the peers under `target/bench/` when missing, runs each
//! scenario against each server in turn (fresh server, same load, pinned cores), and writes
//! `target/bench/report.md` and `target/bench/report.svg`.

mod json;
mod measure;
mod peers;
mod process;
mod procfs;
mod progress;
mod report;
mod results;
mod scenario;
mod svg;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use peers::{Paths, Server};
use process::{Pinning, Running};
use progress::Progress;
use results::{IdleResult, Meta, Outcome, Results, ScenarioResult};
use scenario::{Counts, IDLE_COUNTS, Scenario};

/// The command line of the task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// One short run per point.
    pub quick: bool,
    /// Only these scenarios (all when empty).
    pub scenarios: Vec<Scenario>,
}

/// Parses the arguments after `bench`.
pub fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options { quick: false, scenarios: Vec::new() };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let name = match arg.as_str() {
            "--quick" => {
                options.quick = true;
                continue;
            }
            "--scenario" => args.next().ok_or("--scenario needs a name")?.as_str(),
            other => other
                .strip_prefix("--scenario=")
                .ok_or_else(|| format!("unknown option `{other}`"))?,
        };
        let scenario = Scenario::parse(name).ok_or_else(|| {
            let known: Vec<String> =
                Scenario::ALL.iter().map(|s| format!("{} ({})", s.name(), s.number())).collect();
            format!("unknown scenario `{name}`; known: {}", known.join(", "))
        })?;
        if !options.scenarios.contains(&scenario) {
            options.scenarios.push(scenario);
        }
    }
    options.scenarios.sort();
    Ok(options)
}

/// Runs the benchmark.
pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let options = parse_options(args)?;
    let scenarios = if options.scenarios.is_empty() {
        Scenario::ALL.to_vec()
    } else {
        options.scenarios.clone()
    };
    let counts = if options.quick { Counts::QUICK } else { Counts::FULL };
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let bench = target.join("bench");
    std::fs::create_dir_all(bench.join("logs")).map_err(|e| format!("{}: {e}", bench.display()))?;
    build(root)?;
    let paths = Paths {
        root: root.to_path_buf(),
        bench: bench.clone(),
        smtpd: target.join("release/smtpd"),
        mailin: target.join("release/mailin-sink"),
        cert: peers::make_cert(&bench),
    };
    let load = target.join("release/smtp-load");
    let mut progress = Progress::new();
    let versions: Vec<(Server, Result<String, String>)> = Server::ALL
        .iter()
        .map(|&server| {
            progress.show(&format!("installing / checking {}", server.label()));
            (server, peers::install(server, &paths))
        })
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pin = Pinning::for_cores(cores, Command::new("taskset").arg("-V").output().is_ok());
    let ticks = procfs::clock_ticks();
    let bench_ctx =
        Bench { paths: &paths, load: &load, pin: &pin, counts, ticks, versions: &versions };
    let mut results = Results {
        meta: Meta {
            date: utc_now(),
            cpu_model: cpu_model(),
            cores,
            pinning: pin.describe(),
            load_average: load_average(),
            versions: versions.clone(),
            counts,
            quick: options.quick,
            command: command_line(&options),
        },
        scenarios: Vec::new(),
        idle: Vec::new(),
    };
    let total = scenarios.len() * Server::ALL.len();
    for (i, &scenario) in scenarios.iter().enumerate() {
        let first_step = i * Server::ALL.len() + 1;
        if scenario == Scenario::Idle {
            for (j, &server) in Server::ALL.iter().enumerate() {
                progress.set_step(first_step + j, total);
                results.idle.push(bench_ctx.idle(server, &mut progress));
            }
            continue;
        }
        let rows = bench_ctx.send(scenario, &mut progress, (first_step, total));
        results.scenarios.push(ScenarioResult { scenario, rows });
    }
    progress.finish();
    let report = report::markdown(&results);
    let (md, svg_path) = (bench.join("report.md"), bench.join("report.svg"));
    std::fs::write(&md, &report).map_err(|e| format!("{}: {e}", md.display()))?;
    std::fs::write(&svg_path, svg::chart(&results))
        .map_err(|e| format!("{}: {e}", svg_path.display()))?;
    println!("{report}");
    println!("xtask bench: wrote {} and {}", md.display(), svg_path.display());
    Ok(())
}

/// A server started and warmed up for a scenario, with its port; or the outcome to report
/// for it when it is missing, does not take part, or failed.
type Slot = Result<(Running, u16), Outcome>;

/// What every measurement needs.
struct Bench<'a> {
    paths: &'a Paths,
    load: &'a Path,
    pin: &'a Pinning,
    counts: Counts,
    ticks: u64,
    versions: &'a [(Server, Result<String, String>)],
}

impl Bench<'_> {
    fn missing(&self, server: Server) -> Option<String> {
        self.versions
            .iter()
            .find(|(s, _)| *s == server)
            .and_then(|(_, v)| v.as_ref().err().cloned())
    }

    /// Starts `server` for `scenario` on a free port: `Err` when it does not take part,
    /// `Ok(Err)` when it failed to start.
    fn start(
        &self,
        server: Server,
        scenario: Scenario,
        connections: usize,
    ) -> Result<Result<(Running, u16), String>, String> {
        let port = process::free_port().map_err(|e| format!("no free port: {e}"))?;
        let launch = peers::launch(server, scenario, connections, port, self.paths)?;
        let log = self.paths.bench.join("logs").join(format!(
            "{}-{}.log",
            server.slug(),
            scenario.name()
        ));
        Ok(Running::start(&launch, port, self.pin.server.as_deref(), &log).map(|r| (r, port)))
    }

    /// Measures every server in `scenario`. All of them are started (each on its own port)
    /// and warmed up first; then each round measures each server once, in an order that
    /// rotates from round to round (see [`round_order`]), so that a slow spell of a shared
    /// machine falls on all servers alike instead of on the one whose runs it happened to meet.
    fn send(
        &self,
        scenario: Scenario,
        progress: &mut Progress,
        (first_step, total): (usize, usize),
    ) -> Vec<(Server, Outcome)> {
        let mut started: Vec<(Server, Slot)> = Vec::new();
        for (j, &server) in Server::ALL.iter().enumerate() {
            progress.set_step(first_step + j, total);
            started.push((server, self.start_warm(scenario, server, progress)));
        }
        let mut runs: Vec<Vec<measure::Run>> = vec![Vec::new(); started.len()];
        let args = scenario.load_args(self.counts.seconds, self.counts.messages);
        for round in 0..self.counts.runs {
            for index in round_order(started.len(), round) {
                let (server, slot) = &mut started[index];
                let Ok((running, port)) = slot else { continue };
                progress.set_step(first_step + index, total);
                progress.show(&format!(
                    "scenario {} {}: {} run {}/{}",
                    scenario.number(),
                    scenario.name(),
                    server.label(),
                    round + 1,
                    self.counts.runs
                ));
                match measure::run(self.load, self.pin, *port, &args, running, self.ticks) {
                    Ok(run) => {
                        progress
                            .note(&format!("{:.0} msgs/s, {} failures", run.rate, run.failures));
                        runs[index].push(run);
                    }
                    // The server is dropped (stopped) with its slot.
                    Err(error) => *slot = Err(Outcome::Failed(error)),
                }
            }
        }
        started
            .into_iter()
            .zip(runs)
            .map(|((server, slot), runs)| {
                let outcome = match slot {
                    Err(outcome) => outcome,
                    Ok(_) => measure::median_run(&runs)
                        .map_or_else(|| Outcome::Failed("no runs".into()), Outcome::Measured),
                };
                (server, outcome)
            })
            .collect()
    }

    /// Starts `server` for `scenario` and runs the unmeasured warm-up; `Err` with the outcome
    /// to report when it is missing, does not take part, or fails.
    fn start_warm(&self, scenario: Scenario, server: Server, progress: &mut Progress) -> Slot {
        if let Some(why) = self.missing(server) {
            return Err(Outcome::Missing(why));
        }
        progress.show(&format!(
            "scenario {} {}: starting {}",
            scenario.number(),
            scenario.name(),
            server.label()
        ));
        let (running, port) = match self.start(server, scenario, scenario.connections()) {
            Err(not_applicable) => return Err(Outcome::NotApplicable(not_applicable)),
            Ok(Err(failed)) => return Err(Outcome::Failed(failed)),
            Ok(Ok(started)) => started,
        };
        let warmup = scenario.load_args(self.counts.seconds, self.counts.warmup);
        match measure::run(self.load, self.pin, port, &warmup, &running, self.ticks) {
            Ok(_) => Ok((running, port)),
            Err(error) => Err(Outcome::Failed(format!("warm-up: {error}"))),
        }
    }

    fn idle(&self, server: Server, progress: &mut Progress) -> IdleResult {
        let scenario = Scenario::Idle;
        if let Some(why) = self.missing(server) {
            return IdleResult { server, counts: Err(format!("**MISSING**: {why}")) };
        }
        let mut list = Vec::new();
        for count in IDLE_COUNTS {
            progress.show(&format!("scenario 6 idle: {} with {count} connections", server.label()));
            let running = match self.start(server, scenario, count) {
                Err(why) => {
                    return IdleResult { server, counts: Err(format!("not applicable: {why}")) };
                }
                Ok(Err(why)) => {
                    return IdleResult { server, counts: Err(format!("**FAILED**: {why}")) };
                }
                Ok(Ok(started)) => started,
            };
            let (mut running, port) = running;
            let hold = Duration::from_secs(self.counts.hold_seconds);
            match measure::idle(self.load, self.pin, port, count, hold, &running) {
                Ok(mut idle) => {
                    if !running.alive() {
                        idle.first_error.get_or_insert_with(|| "the server died".into());
                    }
                    progress.note(&format!(
                        "{} held, {:.1} KiB each",
                        idle.held,
                        idle.kib_per_connection()
                    ));
                    list.push(idle);
                }
                Err(why) => {
                    return IdleResult { server, counts: Err(format!("**FAILED**: {why}")) };
                }
            }
        }
        IdleResult { server, counts: Ok(list) }
    }
}

/// The order in which round `round` measures `servers` servers: every one once, starting
/// one further along each round (0 1 2, then 1 2 0, then 2 0 1), so no server always runs
/// first or last.
fn round_order(servers: usize, round: usize) -> impl Iterator<Item = usize> {
    (0..servers).map(move |offset| (round + offset) % servers.max(1))
}

/// `cargo build --release` of `smtpd` and `smtp-load`, then of `mailin-sink` (the
/// `mailin-embedded` peer, which needs the system OpenSSL: when it does not build, that peer
/// is reported as missing and the run goes on).
fn build(root: &Path) -> Result<(), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    println!("xtask bench: building smtpd and smtp-load (release)");
    let status = Command::new(&cargo)
        .args(["build", "--release", "--locked", "-p", "smtp-server", "--bin", "smtpd"])
        .args(["-p", "smtp-bench", "--bin", "smtp-load"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("release build failed ({status})"));
    }
    println!("xtask bench: building mailin-sink (release, feature `mailin`)");
    let mailin = Command::new(&cargo)
        .args(["build", "--release", "--locked", "-p", "smtp-bench", "--features", "mailin"])
        .args(["--bin", "mailin-sink"])
        .current_dir(root)
        .status()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !mailin.success() {
        println!("xtask bench: mailin-sink did not build ({mailin}); that peer will be MISSING");
    }
    Ok(())
}

fn cpu_model() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or_else(|| "unknown CPU".to_owned(), |(_, v)| v.trim().to_owned())
}

fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let figures: Vec<&str> = text.split_whitespace().take(3).collect();
    if figures.is_empty() { "unknown".to_owned() } else { figures.join(" ") }
}

fn utc_now() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown date".to_owned(), |s| s.trim().to_owned())
}

fn command_line(options: &Options) -> String {
    let mut text = "cargo xtask bench".to_owned();
    if options.quick {
        text.push_str(" --quick");
    }
    for scenario in &options.scenarios {
        text.push_str(" --scenario ");
        text.push_str(scenario.name());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Options, String> {
        parse_options(&args.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn each_round_measures_every_server_once_starting_one_further_along() {
        let rounds: Vec<Vec<usize>> = (0..4).map(|r| round_order(3, r).collect()).collect();
        assert_eq!(rounds, [[0, 1, 2], [1, 2, 0], [2, 0, 1], [0, 1, 2]]);
        assert_eq!(round_order(0, 2).count(), 0);
    }

    #[test]
    fn options() {
        assert_eq!(parse(&[]).unwrap(), Options { quick: false, scenarios: vec![] });
        let o = parse(&[
            "--scenario",
            "idle",
            "--quick",
            "--scenario=2p",
            "--scenario",
            "1",
            "--scenario=single",
        ])
        .unwrap();
        assert!(o.quick);
        assert_eq!(o.scenarios, [Scenario::OnePerSession, Scenario::ManyPipelined, Scenario::Idle]);
        assert_eq!(
            command_line(&o),
            "cargo xtask bench --quick --scenario single --scenario pipelined --scenario idle"
        );
        assert!(parse(&["--scenario"]).unwrap_err().contains("needs a name"));
        assert!(parse(&["--scenario=9"]).unwrap_err().contains("known: single (1)"));
        assert!(parse(&["--fast"]).unwrap_err().contains("unknown option"));
    }
}
