//! A server process's CPU time and resident memory, from `/proc/PID/stat` and
//! `/proc/PID/status`.

use std::time::Duration;

/// utime + stime of all threads of `pid`, with `ticks` clock ticks per second.
pub fn cpu_time(pid: u32, ticks: u64) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu(&stat, ticks)
}

/// Resident memory of `pid` in KiB (VmRSS).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_rss(&status)
}

/// Clock ticks per second (`getconf CLK_TCK`, 100 if that fails).
pub fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse().ok())
        .filter(|&ticks| ticks > 0)
        .unwrap_or(100)
}

/// Fields 14 and 15 of a stat line, counted after the `)` closing the command name.
pub fn parse_cpu(stat: &str, ticks: u64) -> Option<Duration> {
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = rest.split_ascii_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_secs_f64((utime + stime) as f64 / ticks.max(1) as f64))
}

/// The `VmRSS:` line of a status file, in KiB.
pub fn parse_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_ascii_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_and_status_fields() {
        let stat = "77 (python3 -m x) S 1 77 77 0 -1 4194304 900 0 0 0 150 50 0 0 20 0 1 0 5 1 2";
        assert_eq!(parse_cpu(stat, 100), Some(Duration::from_secs(2)));
        assert_eq!(parse_cpu(stat, 250), Some(Duration::from_millis(800)));
        assert_eq!(parse_cpu("77 (x) S", 100), None);
        let status = "Name:\tsmtpd\nVmPeak:\t  9000 kB\nVmRSS:\t   12345 kB\nThreads:\t3\n";
        assert_eq!(parse_rss(status), Some(12345));
        assert_eq!(parse_rss("Name: x\n"), None);
        let me = std::process::id();
        assert!(cpu_time(me, clock_ticks()).is_some());
        assert!(rss_kib(me).is_some_and(|kib| kib > 0));
    }
}
