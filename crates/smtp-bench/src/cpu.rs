//! This process's CPU time, from `/proc/self/stat` (Linux; `None` elsewhere).

use std::time::Duration;

/// Clock ticks per second in `/proc` (USER_HZ, 100 on every Linux architecture).
const USER_HZ: u64 = 100;

/// User plus system CPU time of this process, all threads.
pub fn own_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    parse_stat_cpu(&stat)
}

/// utime + stime (fields 14 and 15) of a `/proc/PID/stat` line. The command name (field 2)
/// is in parentheses and may contain spaces, so fields are counted after the last `)`.
pub fn parse_stat_cpu(stat: &str) -> Option<Duration> {
    let after_name = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = after_name.split_ascii_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 1000 / USER_HZ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines() {
        let line = "4242 (smtp load) S 1 2 3 4 5 6 7 8 9 10 250 75 0 0 20 0 3 0 99 1000 200";
        assert_eq!(parse_stat_cpu(line), Some(Duration::from_millis(3250)));
        assert_eq!(parse_stat_cpu("4242 (x) S 1 2"), None);
        assert_eq!(parse_stat_cpu("no name"), None);
        assert!(own_cpu_time().is_some());
    }
}
