//! One measured load run against a running server, and the medians of several.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use super::json;
use super::process::{self, Pinning, Running};
use super::procfs;

/// The numbers of one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Run {
    /// Accepted messages per second.
    pub rate: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
    /// Messages accepted.
    pub ok: u64,
    /// Messages not accepted plus sessions that ended in an error.
    pub failures: u64,
    /// Server CPU seconds during the run.
    pub server_cpu: f64,
    /// The share of the time the load generator's cores were not idle during the run (its own
    /// work, the kernel's for it, and time the hypervisor took: 1.0 = no room left).
    pub load_busy: f64,
    /// The server's resident memory after the run, KiB.
    pub rss_kib: u64,
    /// The load generator's first error.
    pub first_error: Option<String>,
}

impl Run {
    /// Server CPU seconds per 1,000 accepted messages.
    pub fn cpu_per_1000(&self) -> f64 {
        if self.ok == 0 { f64::NAN } else { self.server_cpu * 1000.0 / self.ok as f64 }
    }
}

/// Runs `smtp-load` with `args` against `port` while measuring the server.
pub fn run(
    load: &Path,
    pin: &Pinning,
    port: u16,
    args: &[String],
    server: &Running,
    ticks: u64,
) -> Result<Run, String> {
    let cpu_before = procfs::cpu_time(server.pid, ticks).ok_or("server gone")?;
    let cores_before = procfs::core_ticks(pin.load.as_deref()).unwrap_or_default();
    let output = run_load(load, pin, port, args)?;
    let cores_after = procfs::core_ticks(pin.load.as_deref()).unwrap_or_default();
    let cpu_after = procfs::cpu_time(server.pid, ticks).ok_or("server gone")?;
    let line = output.lines().rev().find(|l| l.starts_with('{')).ok_or("no JSON from smtp-load")?;
    let object = json::parse(line)?;
    let number = |key: &str| object.number(key).unwrap_or(f64::NAN);
    Ok(Run {
        rate: number("msgs_per_s"),
        p50_ms: number("p50_ms"),
        p99_ms: number("p99_ms"),
        ok: number("ok") as u64,
        failures: (number("failed") + number("session_errors")) as u64,
        server_cpu: cpu_after.saturating_sub(cpu_before).as_secs_f64(),
        load_busy: cores_after.busy_since(cores_before),
        rss_kib: procfs::rss_kib(server.pid).unwrap_or(0),
        first_error: object.text("first_error").map(str::to_owned),
    })
}

fn run_load(load: &Path, pin: &Pinning, port: u16, args: &[String]) -> Result<String, String> {
    let mut argv = vec![
        load.to_string_lossy().into_owned(),
        format!("--target=127.0.0.1:{port}"),
        format!("--workers={}", pin.load_workers),
    ];
    argv.extend(args.iter().cloned());
    let out = process::command(&argv, pin.load.as_deref())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run smtp-load: {e}"))?;
    // Exit status 1 means "some failures": the JSON line says how many.
    if out.status.code() == Some(2) {
        return Err(format!(
            "smtp-load refused its arguments: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The medians of several runs, metric by metric; failures are summed; the first error kept.
pub fn median_run(runs: &[Run]) -> Option<Run> {
    let first = runs.first()?;
    let m = |f: fn(&Run) -> f64| median(runs.iter().map(f).collect());
    Some(Run {
        rate: m(|r| r.rate),
        p50_ms: m(|r| r.p50_ms),
        p99_ms: m(|r| r.p99_ms),
        ok: m(|r| r.ok as f64) as u64,
        failures: runs.iter().map(|r| r.failures).sum(),
        server_cpu: m(|r| r.server_cpu),
        load_busy: m(|r| r.load_busy),
        rss_kib: runs.iter().map(|r| r.rss_kib).max().unwrap_or(0),
        first_error: runs.iter().find_map(|r| r.first_error.clone()).or(first.first_error.clone()),
    })
}

/// The median (the mean of the middle two for an even count); NaN when empty.
pub fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 }
}

/// What scenario 6 measured for one count.
#[derive(Clone, Debug, PartialEq)]
pub struct Idle {
    /// Connections asked for.
    pub requested: usize,
    /// Connections still answering NOOP after the hold.
    pub held: usize,
    /// Server RSS before, KiB.
    pub rss_before_kib: u64,
    /// Server RSS with every connection open, KiB.
    pub rss_held_kib: u64,
    /// The first error.
    pub first_error: Option<String>,
}

impl Idle {
    /// KiB per connection open at the measurement.
    pub fn kib_per_connection(&self) -> f64 {
        let grown = self.rss_held_kib.saturating_sub(self.rss_before_kib) as f64;
        if self.held == 0 { f64::NAN } else { grown / self.held as f64 }
    }
}

/// Opens `count` idle connections, measures RSS once all are open, and waits for the end.
pub fn idle(
    load: &Path,
    pin: &Pinning,
    port: u16,
    count: usize,
    hold: Duration,
    server: &Running,
) -> Result<Idle, String> {
    std::thread::sleep(Duration::from_millis(300));
    let rss_before_kib = procfs::rss_kib(server.pid).ok_or("server gone")?;
    let argv = vec![
        load.to_string_lossy().into_owned(),
        format!("--target=127.0.0.1:{port}"),
        format!("--workers={}", pin.load_workers),
        "--mode=idle".to_owned(),
        format!("--connections={count}"),
        format!("--duration={}", hold.as_secs().max(1)),
    ];
    let mut child = process::command(&argv, pin.load.as_deref())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run smtp-load: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut rss_held_kib = 0;
    let mut last = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| e.to_string())?;
        let Ok(object) = json::parse(&line) else { continue };
        if object.text("event") == Some("holding") {
            // Let the server finish its side of the last EHLOs.
            std::thread::sleep(Duration::from_millis(500));
            rss_held_kib = procfs::rss_kib(server.pid).unwrap_or(0);
        }
        last = Some(object);
    }
    let _ = child.wait();
    let last = last.ok_or("no JSON from smtp-load")?;
    Ok(Idle {
        requested: count,
        held: last.number("held").unwrap_or(0.0) as usize,
        rss_before_kib,
        rss_held_kib,
        first_error: last.text("first_error").map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(median(vec![5.0]), 5.0);
        assert!(median(vec![]).is_nan());
        let runs = [
            Run { rate: 100.0, ok: 10, failures: 1, server_cpu: 1.0, rss_kib: 5, ..Run::default() },
            Run {
                rate: 300.0,
                ok: 30,
                failures: 0,
                server_cpu: 3.0,
                rss_kib: 9,
                first_error: Some("x".into()),
                ..Run::default()
            },
            Run { rate: 200.0, ok: 20, failures: 2, server_cpu: 2.0, rss_kib: 7, ..Run::default() },
        ];
        let m = median_run(&runs).unwrap();
        assert_eq!((m.rate, m.ok, m.failures, m.server_cpu, m.rss_kib), (200.0, 20, 3, 2.0, 9));
        assert_eq!(m.first_error.as_deref(), Some("x"));
        assert_eq!(m.cpu_per_1000(), 100.0);
        assert!(median_run(&[]).is_none());
        let idle = Idle {
            requested: 10,
            held: 10,
            rss_before_kib: 1000,
            rss_held_kib: 1080,
            first_error: None,
        };
        assert_eq!(idle.kib_per_connection(), 8.0);
    }
}
