//! `target/bench/report.md`: how the run was made, a table per scenario with ratios, and a
//! plain statement per scenario of whether each target is met.

use std::fmt::Write as _;

use super::measure::Run;
use super::peers::Server;
use super::results::{
    Criterion, Outcome, Results, SATURATED, ScenarioResult, TARGET_IDLE_HELD, TARGET_IDLE_KIB,
    TARGET_RATIO, verdict,
};

/// The whole report.
pub fn markdown(results: &Results) -> String {
    let mut out = String::new();
    header(&mut out, results);
    for scenario in &results.scenarios {
        section(&mut out, scenario);
    }
    if !results.idle.is_empty() {
        idle_section(&mut out, results);
    }
    out
}

fn header(out: &mut String, results: &Results) {
    let meta = &results.meta;
    let _ = writeln!(out, "# `cargo xtask bench`: smtpd against its peers\n");
    let kind = if meta.quick { "quick run (`--quick`)" } else { "full run" };
    let _ = writeln!(out, "- {kind}, {} UTC, made with `{}`", meta.date, meta.command);
    let _ =
        writeln!(out, "- machine: {}, {} core(s); {}", meta.cpu_model, meta.cores, meta.pinning);
    let _ = writeln!(
        out,
        "- load average when the run started: {} (with other work on the machine, msgs/s and latency are noisier than CPU time per message)",
        meta.load_average
    );
    let _ = writeln!(
        out,
        "- each point: median of {} run(s) of {} s (cap {} messages) after an unmeasured warm-up of {} messages; a fresh server per scenario; the runs interleaved (each round measures every server once, starting one server further along each round), so a slow spell of the machine falls on all servers alike; all on 127.0.0.1",
        meta.counts.runs, meta.counts.seconds, meta.counts.messages, meta.counts.warmup
    );
    let _ = writeln!(
        out,
        "- load: `smtp-load` (this repository), every reply code checked; latency = MAIL to the `250` after the final dot; 1 KiB messages unless said; failures = messages not accepted + sessions that ended in an error"
    );
    let _ = writeln!(
        out,
        "- server CPU = utime+stime from /proc/PID/stat over the run; RSS = VmRSS after the runs"
    );
    let _ = writeln!(out, "- servers:");
    for (server, version) in &meta.versions {
        match version {
            Ok(v) => {
                let _ = writeln!(out, "  - {}: {v}", server.label());
            }
            Err(why) => {
                let _ = writeln!(out, "  - {}: **MISSING** ({why})", server.label());
            }
        }
    }
    let _ = writeln!(
        out,
        "- targets (from the issue): ours ≥ {TARGET_RATIO}× every peer in msgs/s, or, where the load generator's core is saturated (≥ {:.0} % busy while driving ours: not idle, whether running the load, the kernel's work for it, or taken by the hypervisor), ≥ {TARGET_RATIO}× less server CPU per message; ≤ {TARGET_IDLE_KIB} KiB per idle connection; {TARGET_IDLE_HELD} idle connections held\n",
        SATURATED * 100.0
    );
}

fn section(out: &mut String, result: &ScenarioResult) {
    let s = result.scenario;
    let _ = writeln!(out, "## Scenario {}: {}\n", s.number(), s.title());
    let _ = writeln!(
        out,
        "| server | msgs/s | p50 ms | p99 ms | CPU s | CPU s / 1,000 msgs | RSS MiB | load core busy | failures | ours × msgs/s | ours × less CPU/msg |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let ours = result.rows.iter().find_map(|(server, o)| match (server, o) {
        (Server::Ours, Outcome::Measured(run)) => Some(run.clone()),
        _ => None,
    });
    for (server, outcome) in &result.rows {
        match outcome {
            Outcome::Measured(run) => row(out, *server, run, ours.as_ref()),
            Outcome::NotApplicable(why) => {
                let _ = writeln!(out, "| {} | not applicable: {why} |||||||||||", server.label());
            }
            Outcome::Missing(why) => {
                let _ = writeln!(out, "| {} | **MISSING**: {why} |||||||||||", server.label());
            }
            Outcome::Failed(why) => {
                let _ = writeln!(out, "| {} | **FAILED**: {why} |||||||||||", server.label());
            }
        }
    }
    let _ = writeln!(out);
    verdict_lines(out, result);
    let errors: Vec<String> = result
        .rows
        .iter()
        .filter_map(|(server, o)| match o {
            Outcome::Measured(run) if run.failures > 0 => {
                Some(format!("{}: {}", server.label(), run.first_error.as_deref().unwrap_or("?")))
            }
            _ => None,
        })
        .collect();
    if !errors.is_empty() {
        let _ = writeln!(out, "First errors: {}\n", errors.join("; "));
    }
}

fn row(out: &mut String, server: Server, run: &Run, ours: Option<&Run>) {
    let (rate_ratio, cpu_ratio) = match ours {
        Some(ours) if server != Server::Ours => (
            format!("{:.2}×", ours.rate / run.rate),
            format!("{:.2}×", run.cpu_per_1000() / ours.cpu_per_1000()),
        ),
        _ => ("—".to_owned(), "—".to_owned()),
    };
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {:.1} | {:.0} % | {} | {rate_ratio} | {cpu_ratio} |",
        server.label(),
        fixed(run.rate, 0),
        fixed(run.p50_ms, 2),
        fixed(run.p99_ms, 2),
        fixed(run.server_cpu, 2),
        fixed(run.cpu_per_1000(), 3),
        run.rss_kib as f64 / 1024.0,
        run.load_busy * 100.0,
        run.failures,
    );
}

fn fixed(value: f64, decimals: usize) -> String {
    if value.is_finite() { format!("{value:.decimals$}") } else { "—".to_owned() }
}

fn verdict_lines(out: &mut String, result: &ScenarioResult) {
    let Some(v) = verdict(result) else {
        let _ = writeln!(out, "**Target: NOT MET** — ours was not measured.\n");
        return;
    };
    let how = match v.criterion {
        Criterion::Throughput => "messages/s (the load generator had room)",
        Criterion::CpuPerMessage => {
            "server CPU per message (the load generator's core was saturated, so msgs/s cannot tell the servers apart)"
        }
    };
    if v.comparisons.is_empty() {
        let _ = writeln!(out, "**Target: no peer measured** — nothing to compare with.\n");
        return;
    }
    let state = if v.met() { "MET" } else { "NOT MET" };
    let _ = writeln!(out, "**Target ≥ {TARGET_RATIO}× every peer: {state}**, judged by {how}.");
    if v.ours_failed {
        let _ = writeln!(out, "- ours had failures, so the target is not met whatever the ratios");
    }
    for c in &v.comparisons {
        let _ = writeln!(
            out,
            "- vs {}: {:.2}× msgs/s, {:.2}× less CPU per message → {}",
            c.peer.label(),
            c.rate_ratio,
            c.cpu_ratio,
            if c.met { "met" } else { "not met" }
        );
    }
    let _ = writeln!(out);
}

fn idle_section(out: &mut String, results: &Results) {
    let _ = writeln!(out, "## Scenario 6: memory per idle connection (EHLO, then idle)\n");
    let _ = writeln!(
        out,
        "RSS = VmRSS of the server before the connections and once all are open; held = still answering NOOP after {} s idle.\n",
        results.meta.counts.hold_seconds
    );
    let _ = writeln!(
        out,
        "| server | connections | held | RSS before MiB | RSS held MiB | KiB per connection | ours × less memory |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    let ours_kib = |count: usize| {
        results
            .idle
            .iter()
            .find(|r| r.server == Server::Ours)
            .and_then(|r| r.counts.as_ref().ok())
            .and_then(|list| {
                list.iter().find(|i| i.requested == count).map(|i| i.kib_per_connection())
            })
    };
    for result in &results.idle {
        match &result.counts {
            Ok(list) => {
                for idle in list {
                    let ratio = match ours_kib(idle.requested) {
                        Some(ours) if result.server != Server::Ours => {
                            format!("{:.1}×", idle.kib_per_connection() / ours)
                        }
                        _ => "—".to_owned(),
                    };
                    let held = if idle.held == idle.requested {
                        format!("{} (held)", idle.held)
                    } else {
                        format!(
                            "{} (**failed**: {})",
                            idle.held,
                            idle.first_error.as_deref().unwrap_or("?")
                        )
                    };
                    let _ = writeln!(
                        out,
                        "| {} | {} | {held} | {:.1} | {:.1} | {} | {ratio} |",
                        result.server.label(),
                        idle.requested,
                        idle.rss_before_kib as f64 / 1024.0,
                        idle.rss_held_kib as f64 / 1024.0,
                        fixed(idle.kib_per_connection(), 1),
                    );
                }
            }
            Err(why) => {
                let _ = writeln!(out, "| {} | {why} ||||||", result.server.label());
            }
        }
    }
    let _ = writeln!(out);
    let ours =
        results.idle.iter().find(|r| r.server == Server::Ours).and_then(|r| r.counts.as_ref().ok());
    let Some(ours) = ours else {
        let _ = writeln!(out, "**Targets: NOT MET** — ours was not measured.\n");
        return;
    };
    let worst = ours.iter().map(|i| i.kib_per_connection()).fold(f64::NAN, f64::max);
    let memory = if worst <= TARGET_IDLE_KIB { "MET" } else { "NOT MET" };
    let _ = writeln!(
        out,
        "- **≤ {TARGET_IDLE_KIB} KiB per idle connection: {memory}** (ours: {} KiB at worst)",
        fixed(worst, 1)
    );
    let big = ours.iter().find(|i| i.requested >= TARGET_IDLE_HELD);
    let held = match big {
        Some(i) if i.held >= TARGET_IDLE_HELD => "MET".to_owned(),
        Some(i) => {
            format!("NOT MET ({} held: {})", i.held, i.first_error.as_deref().unwrap_or("?"))
        }
        None => "NOT MEASURED".to_owned(),
    };
    let _ = writeln!(out, "- **{TARGET_IDLE_HELD} idle connections held: {held}**\n");
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::bench::measure::Idle;
    use crate::bench::results::{IdleResult, Meta};
    use crate::bench::scenario::{Counts, Scenario};

    pub(crate) fn sample() -> Results {
        let run = |rate: f64, cpu: f64| Run {
            rate,
            p50_ms: 1.5,
            p99_ms: 9.25,
            ok: (rate * 5.0) as u64,
            failures: 0,
            server_cpu: cpu,
            load_busy: 0.4,
            rss_kib: 10 * 1024,
            first_error: None,
        };
        Results {
            meta: Meta {
                date: "2026-01-01 00:00".into(),
                cpu_model: "Test CPU".into(),
                cores: 2,
                pinning: "server pinned to CPU 0".into(),
                load_average: "0.10 0.20 0.30".into(),
                versions: vec![
                    (Server::Ours, Ok("smtpd 0.1.0".into())),
                    (Server::Nodemailer, Err("npm failed".into())),
                ],
                counts: Counts::QUICK,
                quick: true,
                command: "cargo xtask bench --quick".into(),
            },
            scenarios: vec![ScenarioResult {
                scenario: Scenario::OnePerSession,
                rows: vec![
                    (Server::Ours, Outcome::Measured(run(3000.0, 2.0))),
                    (Server::Aiosmtpd, Outcome::Measured(run(1000.0, 4.0))),
                    (Server::SmtpSink, Outcome::NotApplicable("no AUTH".into())),
                    (Server::Nodemailer, Outcome::Missing("npm failed".into())),
                ],
            }],
            idle: vec![IdleResult {
                server: Server::Ours,
                counts: Ok(vec![
                    Idle {
                        requested: 1000,
                        held: 1000,
                        rss_before_kib: 4000,
                        rss_held_kib: 10000,
                        first_error: None,
                    },
                    Idle {
                        requested: 10_000,
                        held: 9000,
                        rss_before_kib: 4000,
                        rss_held_kib: 64000,
                        first_error: Some("Connect: refused".into()),
                    },
                ]),
            }],
        }
    }

    #[test]
    fn the_report_states_numbers_ratios_and_verdicts() {
        let md = markdown(&sample());
        for expected in [
            "quick run (`--quick`)",
            "Test CPU, 2 core(s)",
            "load average when the run started: 0.10 0.20 0.30",
            "nodemailer smtp-server: **MISSING** (npm failed)",
            "## Scenario 1: one 1 KiB message per session, 50 connections",
            "| smtpd (ours) | 3000 | 1.50 | 9.25 | 2.00 | 0.133 | 10.0 | 40 % | 0 | — | — |",
            "| aiosmtpd | 1000 | 1.50 | 9.25 | 4.00 | 0.800 | 10.0 | 40 % | 0 | 3.00× | 6.00× |",
            "| postfix smtp-sink | not applicable: no AUTH |",
            "| nodemailer smtp-server | **MISSING**: npm failed |",
            "**Target ≥ 1.2× every peer: MET**, judged by messages/s",
            "- vs aiosmtpd: 3.00× msgs/s, 6.00× less CPU per message → met",
            "| smtpd (ours) | 1000 | 1000 (held) | 3.9 | 9.8 | 6.0 | — |",
            "9000 (**failed**: Connect: refused)",
            "**≤ 8 KiB per idle connection: MET** (ours: 6.7 KiB at worst)",
            "**10000 idle connections held: NOT MET (9000 held: Connect: refused)**",
        ] {
            assert!(md.contains(expected), "missing {expected:?} in\n{md}");
        }
    }
}
