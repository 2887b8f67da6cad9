//! The scenarios of `cargo xtask bench` and the load each one puts on a server.

/// One scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scenario {
    /// (1) One message per session, 50 connections.
    OnePerSession,
    /// (2) 100 messages per session, 10 connections, one command at a time.
    ManyPerSession,
    /// (2p) The same with PIPELINING.
    ManyPipelined,
    /// (3) AUTH PLAIN, then one message per session, 50 connections.
    Auth,
    /// (4) 1 MiB messages, one per session, 10 connections.
    Large,
    /// (5) STARTTLS, then one message per session, 50 connections; the client resumes TLS
    /// sessions with the server's tickets, as mail clients do.
    StartTls,
    /// (5f) The same with a full handshake every time (the client never resumes): what a
    /// handshake costs, whatever a server's resumption does.
    StartTlsFull,
    /// (6) Memory per idle connection, 1,000 and 10,000 connections.
    Idle,
}

/// The credentials every AUTH scenario uses.
pub const AUTH_USER: &str = "bench";
/// See [`AUTH_USER`].
pub const AUTH_PASSWORD: &str = "bench-password";

/// How much of everything: `--quick` or the full run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    /// Measured runs per scenario and server (the median is reported).
    pub runs: usize,
    /// Seconds per run (the message cap usually is not reached).
    pub seconds: u64,
    /// Message cap per run.
    pub messages: u64,
    /// Messages in the unmeasured warm-up run.
    pub warmup: u64,
    /// Seconds idle connections are held.
    pub hold_seconds: u64,
}

impl Counts {
    /// Three runs of five seconds.
    pub const FULL: Counts =
        Counts { runs: 3, seconds: 5, messages: 1_000_000, warmup: 200, hold_seconds: 10 };
    /// One run of two seconds.
    pub const QUICK: Counts =
        Counts { runs: 1, seconds: 2, messages: 1_000_000, warmup: 50, hold_seconds: 3 };
}

/// The idle connection counts of scenario 6.
pub const IDLE_COUNTS: [usize; 2] = [1_000, 10_000];

impl Scenario {
    /// Every scenario in report order.
    pub const ALL: [Scenario; 8] = [
        Scenario::OnePerSession,
        Scenario::ManyPerSession,
        Scenario::ManyPipelined,
        Scenario::Auth,
        Scenario::Large,
        Scenario::StartTls,
        Scenario::StartTlsFull,
        Scenario::Idle,
    ];

    /// The number in the issue.
    pub fn number(self) -> &'static str {
        match self {
            Scenario::OnePerSession => "1",
            Scenario::ManyPerSession => "2",
            Scenario::ManyPipelined => "2p",
            Scenario::Auth => "3",
            Scenario::Large => "4",
            Scenario::StartTls => "5",
            Scenario::StartTlsFull => "5f",
            Scenario::Idle => "6",
        }
    }

    /// The name for `--scenario`.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::OnePerSession => "single",
            Scenario::ManyPerSession => "many",
            Scenario::ManyPipelined => "pipelined",
            Scenario::Auth => "auth",
            Scenario::Large => "large",
            Scenario::StartTls => "starttls",
            Scenario::StartTlsFull => "starttls-full",
            Scenario::Idle => "idle",
        }
    }

    /// A heading for the report.
    pub fn title(self) -> &'static str {
        match self {
            Scenario::OnePerSession => "one 1 KiB message per session, 50 connections",
            Scenario::ManyPerSession => "100 messages per session, 10 connections, no pipelining",
            Scenario::ManyPipelined => "100 messages per session, 10 connections, PIPELINING",
            Scenario::Auth => "AUTH PLAIN, then one message per session, 50 connections",
            Scenario::Large => "one 1 MiB message per session, 10 connections",
            Scenario::StartTls => "STARTTLS, then one message per session, 50 connections",
            Scenario::StartTlsFull => {
                "STARTTLS with a full handshake every time (no resumption), then one message, 50 connections"
            }
            Scenario::Idle => "memory per idle connection (EHLO, then idle)",
        }
    }

    /// By number or name.
    pub fn parse(text: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.number() == text || s.name() == text)
    }

    /// The server must offer AUTH.
    pub fn needs_auth(self) -> bool {
        self == Scenario::Auth
    }

    /// The server must offer STARTTLS.
    pub fn needs_tls(self) -> bool {
        matches!(self, Scenario::StartTls | Scenario::StartTlsFull)
    }

    /// Concurrent connections (not for [`Scenario::Idle`]).
    pub fn connections(self) -> usize {
        match self {
            Scenario::ManyPerSession | Scenario::ManyPipelined | Scenario::Large => 10,
            _ => 50,
        }
    }

    /// The `smtp-load` arguments after `--target` for one send run.
    pub fn load_args(self, seconds: u64, messages: u64) -> Vec<String> {
        let mut args = vec![
            format!("--connections={}", self.connections()),
            format!("--duration={seconds}"),
            format!("--messages={messages}"),
        ];
        let extra: &[&str] = match self {
            Scenario::ManyPerSession => &["--per-session=100"],
            Scenario::ManyPipelined => &["--per-session=100", "--pipelining"],
            Scenario::Large => &["--size=1048576"],
            Scenario::StartTls => &["--starttls"],
            Scenario::StartTlsFull => &["--starttls", "--no-tls-resumption"],
            Scenario::OnePerSession | Scenario::Auth | Scenario::Idle => &[],
        };
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        if self.needs_auth() {
            args.push(format!("--auth={AUTH_USER}:{AUTH_PASSWORD}"));
        }
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_by_number_or_name() {
        for scenario in Scenario::ALL {
            assert_eq!(Scenario::parse(scenario.number()), Some(scenario));
            assert_eq!(Scenario::parse(scenario.name()), Some(scenario));
        }
        assert_eq!(Scenario::parse("7"), None);
    }

    #[test]
    fn load_arguments() {
        assert_eq!(
            Scenario::ManyPipelined.load_args(5, 100),
            [
                "--connections=10",
                "--duration=5",
                "--messages=100",
                "--per-session=100",
                "--pipelining"
            ]
        );
        assert_eq!(
            Scenario::Auth.load_args(2, 9),
            ["--connections=50", "--duration=2", "--messages=9", "--auth=bench:bench-password"]
        );
        assert!(Scenario::Large.load_args(1, 1).contains(&"--size=1048576".to_owned()));
        assert!(Scenario::StartTls.load_args(1, 1).contains(&"--starttls".to_owned()));
        assert!(!Scenario::StartTls.load_args(1, 1).contains(&"--no-tls-resumption".to_owned()));
        let full = Scenario::StartTlsFull.load_args(1, 1);
        assert!(full.contains(&"--starttls".to_owned()));
        assert!(full.contains(&"--no-tls-resumption".to_owned()));
        assert!(Scenario::StartTlsFull.needs_tls());
    }
}
