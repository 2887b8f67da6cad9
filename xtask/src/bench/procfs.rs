//! A server process's CPU time and resident memory, from `/proc/PID/stat` and
//! `/proc/PID/status`, and how busy some cores were, from `/proc/stat`.

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

/// Clock ticks of some cores since boot: all of them, and those they were not idle (running
/// anything, handling interrupts, or taken by the hypervisor: steal).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CoreTicks {
    /// Every tick.
    pub total: u64,
    /// Ticks neither idle nor waiting for I/O.
    pub busy: u64,
}

impl CoreTicks {
    /// The share of the ticks between `earlier` and `self` that were busy (NaN when none
    /// passed).
    pub fn busy_since(self, earlier: CoreTicks) -> f64 {
        let total = self.total.saturating_sub(earlier.total);
        let busy = self.busy.saturating_sub(earlier.busy);
        if total == 0 { f64::NAN } else { busy as f64 / total as f64 }
    }
}

/// The ticks of the cores in `cpus` (a `taskset -c` list such as `1` or `4-7`; all cores
/// when `None`).
pub fn core_ticks(cpus: Option<&str>) -> Option<CoreTicks> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    parse_core_ticks(&stat, cpus)
}

/// [`core_ticks`] from the text of `/proc/stat`.
pub fn parse_core_ticks(stat: &str, cpus: Option<&str>) -> Option<CoreTicks> {
    let wanted = match cpus {
        None => None,
        Some(list) => Some(parse_cpu_list(list)?),
    };
    let mut sum = CoreTicks::default();
    let mut found = false;
    for line in stat.lines() {
        let mut fields = line.split_ascii_whitespace();
        let Some(name) = fields.next() else { continue };
        let selected = match (&wanted, name.strip_prefix("cpu")) {
            (None, Some("")) => true,
            (Some(wanted), Some(number)) => {
                number.parse().is_ok_and(|n: usize| wanted.contains(&n))
            }
            _ => false,
        };
        if !selected {
            continue;
        }
        // user nice system idle iowait irq softirq steal (guest time is already in user).
        let ticks: Vec<u64> = fields.take(8).filter_map(|f| f.parse().ok()).collect();
        let [user, nice, system, idle, iowait, irq, softirq, steal] = ticks[..] else {
            return None;
        };
        let total = user + nice + system + idle + iowait + irq + softirq + steal;
        sum.total += total;
        sum.busy += total - idle - iowait;
        found = true;
    }
    found.then_some(sum)
}

/// `1`, `0-3`, `0,2-3` as core numbers.
fn parse_cpu_list(list: &str) -> Option<Vec<usize>> {
    let mut cpus = Vec::new();
    for part in list.split(',') {
        match part.split_once('-') {
            Some((from, to)) => {
                cpus.extend(from.trim().parse::<usize>().ok()?..=to.trim().parse().ok()?)
            }
            None => cpus.push(part.trim().parse().ok()?),
        }
    }
    Some(cpus)
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

    #[test]
    fn core_ticks_of_chosen_cores() {
        let stat = "cpu  100 0 50 800 10 5 5 30 0 0\n\
                    cpu0 60 0 30 300 5 3 2 0 0 0\n\
                    cpu1 40 0 20 500 5 2 3 30 0 0\n\
                    intr 12345\n";
        let all = parse_core_ticks(stat, None).unwrap();
        assert_eq!(all, CoreTicks { total: 1000, busy: 190 });
        let one = parse_core_ticks(stat, Some("1")).unwrap();
        assert_eq!(one, CoreTicks { total: 600, busy: 95 });
        assert_eq!(
            parse_core_ticks(stat, Some("0-1")).unwrap(),
            CoreTicks { total: 1000, busy: 190 }
        );
        assert_eq!(parse_core_ticks(stat, Some("7")), None);
        assert_eq!(parse_core_ticks(stat, Some("x")), None);
        let later = CoreTicks { total: 700, busy: 185 };
        assert!((later.busy_since(one) - 0.9).abs() < 1e-9);
        assert!(one.busy_since(one).is_nan());
        assert!(core_ticks(None).is_some_and(|t| t.total > 0));
    }
}
