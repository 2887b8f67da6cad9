//! What a benchmark run found, and the verdicts against the targets.

use super::measure::{Idle, Run};
use super::peers::Server;
use super::scenario::{Counts, Scenario};

/// Ours must beat every peer by this factor.
pub const TARGET_RATIO: f64 = 1.2;
/// The load generator counts as saturated from this share of its cores.
pub const SATURATED: f64 = 0.9;
/// KiB per idle connection, at most.
pub const TARGET_IDLE_KIB: f64 = 8.0;
/// Idle connections that must be held.
pub const TARGET_IDLE_HELD: usize = 10_000;

/// One server in one scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// Measured (medians).
    Measured(Run),
    /// The server cannot do what the scenario needs.
    NotApplicable(String),
    /// The server could not be installed.
    Missing(String),
    /// It was installed but the run failed (did not start, crashed).
    Failed(String),
}

/// One send scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioResult {
    /// Which.
    pub scenario: Scenario,
    /// Per server, ours first.
    pub rows: Vec<(Server, Outcome)>,
}

/// Scenario 6 for one server.
#[derive(Clone, Debug, PartialEq)]
pub struct IdleResult {
    /// Which server.
    pub server: Server,
    /// One entry per connection count, or why there is none.
    pub counts: Result<Vec<Idle>, String>,
}

/// How the run was made.
#[derive(Clone, Debug, PartialEq)]
pub struct Meta {
    /// UTC date and time.
    pub date: String,
    /// From /proc/cpuinfo.
    pub cpu_model: String,
    /// Cores available.
    pub cores: usize,
    /// Pinning in words.
    pub pinning: String,
    /// /proc/loadavg's 1-, 5- and 15-minute figures when the run started.
    pub load_average: String,
    /// Version (or why missing) of each server.
    pub versions: Vec<(Server, Result<String, String>)>,
    /// The counts used.
    pub counts: Counts,
    /// `--quick`?
    pub quick: bool,
    /// The command that made it.
    pub command: String,
}

/// Everything.
#[derive(Clone, Debug, PartialEq)]
pub struct Results {
    /// How.
    pub meta: Meta,
    /// Scenarios 1-5.
    pub scenarios: Vec<ScenarioResult>,
    /// Scenario 6, when run.
    pub idle: Vec<IdleResult>,
}

/// What decides a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Criterion {
    /// Messages per second.
    Throughput,
    /// Server CPU time per message (the load generator's core was saturated).
    CpuPerMessage,
}

/// Ours against one peer.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The peer.
    pub peer: Server,
    /// Our msgs/s over theirs.
    pub rate_ratio: f64,
    /// Their CPU per message over ours (higher is better for us).
    pub cpu_ratio: f64,
    /// Target met by the applicable criterion.
    pub met: bool,
}

/// A scenario's verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Which criterion applies.
    pub criterion: Criterion,
    /// One per measured peer.
    pub comparisons: Vec<Comparison>,
    /// Ours had failures (the target cannot be met then).
    pub ours_failed: bool,
}

impl Verdict {
    /// Met against every measured peer, with no failure of ours.
    pub fn met(&self) -> bool {
        !self.ours_failed && self.comparisons.iter().all(|c| c.met)
    }
}

/// Compares ours with each measured peer; `None` when ours was not measured.
pub fn verdict(result: &ScenarioResult) -> Option<Verdict> {
    let ours = result.rows.iter().find_map(|(server, outcome)| match (server, outcome) {
        (Server::Ours, Outcome::Measured(run)) => Some(run),
        _ => None,
    })?;
    let criterion =
        if ours.load_busy >= SATURATED { Criterion::CpuPerMessage } else { Criterion::Throughput };
    let comparisons = result
        .rows
        .iter()
        .filter_map(|(server, outcome)| match outcome {
            Outcome::Measured(peer) if *server != Server::Ours => {
                let rate_ratio = ours.rate / peer.rate;
                let cpu_ratio = peer.cpu_per_1000() / ours.cpu_per_1000();
                let deciding = match criterion {
                    Criterion::Throughput => rate_ratio,
                    Criterion::CpuPerMessage => cpu_ratio,
                };
                // A peer that failed everything cannot be beaten by a ratio: ours wins.
                let met = deciding >= TARGET_RATIO || (peer.ok == 0 && ours.ok > 0);
                Some(Comparison { peer: *server, rate_ratio, cpu_ratio, met })
            }
            _ => None,
        })
        .collect();
    Some(Verdict { criterion, comparisons, ours_failed: ours.failures > 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(rate: f64, ok: u64, cpu: f64, busy: f64) -> Run {
        Run { rate, ok, server_cpu: cpu, load_busy: busy, ..Run::default() }
    }

    fn result(ours: Run, peers: Vec<(Server, Outcome)>) -> ScenarioResult {
        let mut rows = vec![(Server::Ours, Outcome::Measured(ours))];
        rows.extend(peers);
        ScenarioResult { scenario: Scenario::OnePerSession, rows }
    }

    #[test]
    fn throughput_decides_when_the_load_generator_has_room() {
        let r = result(
            run(1200.0, 6000, 3.0, 0.5),
            vec![
                (Server::Aiosmtpd, Outcome::Measured(run(1000.0, 5000, 5.0, 0.5))),
                (Server::SmtpSink, Outcome::NotApplicable("no AUTH".into())),
            ],
        );
        let v = verdict(&r).unwrap();
        assert_eq!(v.criterion, Criterion::Throughput);
        assert_eq!(v.comparisons.len(), 1);
        assert!((v.comparisons[0].rate_ratio - 1.2).abs() < 1e-9);
        assert!((v.comparisons[0].cpu_ratio - 2.0).abs() < 1e-9);
        assert!(v.met());

        let slower = result(
            run(1100.0, 6000, 3.0, 0.5),
            vec![(Server::Mailin, Outcome::Measured(run(1000.0, 5000, 5.0, 0.5)))],
        );
        assert!(!verdict(&slower).unwrap().met());
    }

    #[test]
    fn cpu_per_message_decides_when_the_load_generator_is_saturated() {
        let peer = Outcome::Measured(run(1000.0, 1000, 1.3, 0.95));
        let r = result(run(1000.0, 1000, 1.0, 0.95), vec![(Server::Nodemailer, peer)]);
        let v = verdict(&r).unwrap();
        assert_eq!(v.criterion, Criterion::CpuPerMessage);
        assert!(v.met(), "1.3x less CPU per message");
    }

    #[test]
    fn failures_of_ours_fail_the_target_and_no_ours_no_verdict() {
        let mut ours = run(5000.0, 100, 1.0, 0.1);
        ours.failures = 1;
        let r = result(ours, vec![(Server::Aiosmtpd, Outcome::Measured(run(10.0, 100, 9.0, 0.1)))]);
        assert!(!verdict(&r).unwrap().met());
        let missing = ScenarioResult {
            scenario: Scenario::Auth,
            rows: vec![(Server::Ours, Outcome::Failed("x".into()))],
        };
        assert!(verdict(&missing).is_none());
    }
}
