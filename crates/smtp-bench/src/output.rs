//! The one JSON line `smtp-load` prints, written by hand (no serde in this crate).

use std::fmt::Write as _;
use std::time::Duration;

use crate::stats::Percentiles;

/// The result of a send run.
#[derive(Clone, Debug, PartialEq)]
pub struct SendReport {
    /// Messages the server accepted with `250` after the final dot.
    pub ok: u64,
    /// Messages handed to a session that were not accepted.
    pub failed: u64,
    /// Sessions that ended in an error (a wrong reply code, an I/O error, a timeout),
    /// including after all their messages were accepted (e.g. a bad QUIT reply).
    pub session_errors: u64,
    /// From the first connect to the last session's end.
    pub elapsed: Duration,
    /// Latency percentiles of accepted messages (MAIL to the `250` after the dot).
    pub latency: Option<Percentiles>,
    /// CPU time this process used (user + system).
    pub load_cpu: Option<Duration>,
    /// The first error seen, for the operator.
    pub first_error: Option<String>,
}

impl SendReport {
    /// Accepted messages per second.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { self.ok as f64 / secs } else { 0.0 }
    }

    /// The JSON line.
    pub fn to_json(&self) -> String {
        let ms = |d: Option<Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1e3);
        let mut out = String::from("{\"mode\":\"send\"");
        let _ = write!(
            out,
            ",\"ok\":{},\"failed\":{},\"session_errors\":{},\"elapsed_s\":{},\"msgs_per_s\":{},\"p50_ms\":{},\"p99_ms\":{},\"load_cpu_s\":{}",
            self.ok,
            self.failed,
            self.session_errors,
            number(self.elapsed.as_secs_f64()),
            number(self.rate()),
            number(ms(self.latency.map(|l| l.p50))),
            number(ms(self.latency.map(|l| l.p99))),
            number(self.load_cpu.map_or(f64::NAN, |d| d.as_secs_f64())),
        );
        push_error(&mut out, self.first_error.as_deref());
        out.push('}');
        out
    }
}

/// The result of an idle run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdleReport {
    /// Connections asked for.
    pub requested: usize,
    /// Connections that were greeted, answered EHLO and still answered NOOP after the hold.
    pub held: usize,
    /// Connections that failed at any point.
    pub failed: usize,
    /// The first error seen.
    pub first_error: Option<String>,
}

impl IdleReport {
    /// The JSON line; `event` is `holding` (printed when all are open) or `done`.
    pub fn to_json(&self, event: &str) -> String {
        let mut out = format!(
            "{{\"mode\":\"idle\",\"event\":\"{event}\",\"requested\":{},\"held\":{},\"failed\":{}",
            self.requested, self.held, self.failed
        );
        push_error(&mut out, self.first_error.as_deref());
        out.push('}');
        out
    }
}

/// A JSON number, `null` when not finite; three decimals are enough here.
fn number(value: f64) -> String {
    if value.is_finite() { format!("{value:.3}") } else { "null".to_owned() }
}

fn push_error(out: &mut String, error: Option<&str>) {
    out.push_str(",\"first_error\":");
    match error {
        Some(text) => push_string(out, text),
        None => out.push_str("null"),
    }
}

/// A JSON string with the escapes JSON requires.
fn push_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_reports_are_one_json_line() {
        let report = SendReport {
            ok: 1000,
            failed: 2,
            session_errors: 1,
            elapsed: Duration::from_millis(2500),
            latency: Some(Percentiles {
                p50: Duration::from_micros(1250),
                p99: Duration::from_millis(9),
            }),
            load_cpu: Some(Duration::from_millis(800)),
            first_error: Some("RCPT: expected 250, got 550 \"no\"\r\n".to_owned()),
        };
        assert_eq!(
            report.to_json(),
            "{\"mode\":\"send\",\"ok\":1000,\"failed\":2,\"session_errors\":1,\"elapsed_s\":2.500,\"msgs_per_s\":400.000,\"p50_ms\":1.250,\"p99_ms\":9.000,\"load_cpu_s\":0.800,\"first_error\":\"RCPT: expected 250, got 550 \\\"no\\\"\\r\\n\"}"
        );
        let empty = SendReport {
            ok: 0,
            failed: 0,
            session_errors: 0,
            elapsed: Duration::ZERO,
            latency: None,
            load_cpu: None,
            first_error: None,
        };
        assert_eq!(
            empty.to_json(),
            "{\"mode\":\"send\",\"ok\":0,\"failed\":0,\"session_errors\":0,\"elapsed_s\":0.000,\"msgs_per_s\":0.000,\"p50_ms\":null,\"p99_ms\":null,\"load_cpu_s\":null,\"first_error\":null}"
        );
    }

    #[test]
    fn idle_reports_and_control_characters() {
        let report =
            IdleReport { requested: 10, held: 9, failed: 1, first_error: Some("a\u{1}b".into()) };
        assert_eq!(
            report.to_json("done"),
            "{\"mode\":\"idle\",\"event\":\"done\",\"requested\":10,\"held\":9,\"failed\":1,\"first_error\":\"a\\u0001b\"}"
        );
    }
}
