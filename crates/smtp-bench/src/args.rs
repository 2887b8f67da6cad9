//! The `smtp-load` command line and the plan it turns into.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, ValueEnum};

/// `smtp-load`: an SMTP load generator for benchmarks. Prints one JSON line of results.
#[derive(Debug, Parser)]
#[command(name = "smtp-load")]
pub struct Args {
    /// The server, as IP:PORT.
    #[arg(long, value_name = "IP:PORT")]
    pub target: SocketAddr,

    /// `send`: messages; `idle`: open connections, EHLO, then hold them.
    #[arg(long, value_enum, default_value_t = ModeName::Send)]
    pub mode: ModeName,

    /// Concurrent connections (idle mode: connections to hold).
    #[arg(long, default_value_t = 10)]
    pub connections: usize,

    /// Messages per session.
    #[arg(long = "per-session", default_value_t = 1)]
    pub per_session: u32,

    /// Pipeline MAIL/RCPT/DATA, and the body with the next transaction (RFC 2920).
    #[arg(long)]
    pub pipelining: bool,

    /// AUTH PLAIN with these credentials after EHLO.
    #[arg(long, value_name = "USER:PASS")]
    pub auth: Option<String>,

    /// STARTTLS (certificate not verified) before anything else.
    #[arg(long)]
    pub starttls: bool,

    /// With --starttls: never resume a TLS session (every handshake a full one). By default
    /// the client keeps the server's session tickets and resumes, as mail clients do.
    #[arg(long = "no-tls-resumption")]
    pub no_tls_resumption: bool,

    /// Message size in octets (headers included).
    #[arg(long, default_value_t = 1024)]
    pub size: usize,

    /// Stop after this many messages in total...
    #[arg(long, default_value_t = 10_000)]
    pub messages: u64,

    /// ...or after this many seconds, whichever comes first (idle mode: seconds to hold).
    #[arg(long, default_value_t = 30)]
    pub duration: u64,

    /// Timeout for every connect, read and write, in seconds.
    #[arg(long, default_value_t = 10)]
    pub timeout: u64,

    /// Tokio worker threads (default: one per available core).
    #[arg(long)]
    pub workers: Option<usize>,
}

/// The two modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModeName {
    /// Send messages.
    Send,
    /// Hold idle connections.
    Idle,
}

/// A user name and password for AUTH PLAIN.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The login.
    pub user: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("user", &self.user).finish_non_exhaustive()
    }
}

/// What one session does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Script {
    /// Messages per session (at least 1).
    pub per_session: u32,
    /// Pipelining on.
    pub pipelining: bool,
    /// AUTH PLAIN first.
    pub auth: Option<Credentials>,
    /// STARTTLS first.
    pub starttls: bool,
    /// Resume TLS sessions with the tickets the server gave.
    pub tls_resumption: bool,
    /// Message size in octets.
    pub size: usize,
}

/// When to stop sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Messages in total.
    pub messages: u64,
    /// Wall-clock time.
    pub duration: Duration,
}

/// A whole run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The server.
    pub target: SocketAddr,
    /// Connections.
    pub connections: usize,
    /// Send or idle.
    pub mode: Mode,
    /// Per connect, read and write.
    pub io_timeout: Duration,
    /// Tokio workers; `None` for one per core.
    pub workers: Option<usize>,
}

/// The mode with its settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Send messages.
    Send {
        /// The session script.
        script: Script,
        /// When to stop.
        limits: Limits,
    },
    /// Open, EHLO and hold connections for this long.
    Idle {
        /// How long to hold.
        hold: Duration,
    },
}

/// A command line that cannot work.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArgsError {
    /// `--auth` without a colon.
    #[error("--auth needs USER:PASS")]
    BadAuth,
    /// A zero where at least one is needed.
    #[error("--{0} must be at least 1")]
    Zero(&'static str),
}

impl Args {
    /// Checks the values and builds the plan.
    pub fn plan(&self) -> Result<Plan, ArgsError> {
        let nonzero = |value: u64, flag: &'static str| {
            if value == 0 { Err(ArgsError::Zero(flag)) } else { Ok(value) }
        };
        nonzero(self.connections as u64, "connections")?;
        nonzero(u64::from(self.per_session), "per-session")?;
        nonzero(self.timeout, "timeout")?;
        nonzero(self.duration, "duration")?;
        if let Some(workers) = self.workers {
            nonzero(workers as u64, "workers")?;
        }
        let auth = match &self.auth {
            Some(spec) => {
                let (user, password) = spec.split_once(':').ok_or(ArgsError::BadAuth)?;
                Some(Credentials { user: user.to_owned(), password: password.to_owned() })
            }
            None => None,
        };
        let mode = match self.mode {
            ModeName::Idle => Mode::Idle { hold: Duration::from_secs(self.duration) },
            ModeName::Send => Mode::Send {
                script: Script {
                    per_session: self.per_session,
                    pipelining: self.pipelining,
                    auth,
                    starttls: self.starttls,
                    tls_resumption: !self.no_tls_resumption,
                    size: self.size,
                },
                limits: Limits {
                    messages: nonzero(self.messages, "messages")?,
                    duration: Duration::from_secs(self.duration),
                },
            },
        };
        Ok(Plan {
            target: self.target,
            connections: self.connections,
            mode,
            io_timeout: Duration::from_secs(self.timeout),
            workers: self.workers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Plan, String> {
        let args = Args::try_parse_from(std::iter::once("smtp-load").chain(args.iter().copied()))
            .map_err(|e| e.kind().to_string())?;
        args.plan().map_err(|e| e.to_string())
    }

    #[test]
    fn command_lines_become_plans() {
        let full = plan(&[
            "--target=127.0.0.1:2525",
            "--connections=50",
            "--per-session=100",
            "--pipelining",
            "--auth=alice:won:der",
            "--starttls",
            "--no-tls-resumption",
            "--size=1048576",
            "--messages=500",
            "--duration=7",
            "--timeout=3",
            "--workers=1",
        ])
        .unwrap();
        assert_eq!(full.target, SocketAddr::from(([127, 0, 0, 1], 2525)));
        assert_eq!(full.connections, 50);
        assert_eq!(full.io_timeout, Duration::from_secs(3));
        assert_eq!(full.workers, Some(1));
        let Mode::Send { script, limits } = full.mode else { panic!("not send") };
        assert_eq!(script.per_session, 100);
        assert!(script.pipelining && script.starttls && !script.tls_resumption);
        assert_eq!(script.size, 1_048_576);
        let auth = script.auth.unwrap();
        assert_eq!((auth.user.as_str(), auth.password.as_str()), ("alice", "won:der"));
        assert!(!format!("{auth:?}").contains("won"), "Debug hides the password");
        assert_eq!(limits, Limits { messages: 500, duration: Duration::from_secs(7) });

        let idle = plan(&["--target=[::1]:25", "--mode=idle", "--connections=3", "--duration=2"]);
        assert_eq!(idle.unwrap().mode, Mode::Idle { hold: Duration::from_secs(2) });
    }

    #[test]
    fn bad_command_lines_are_refused() {
        let cases: &[(&[&str], &str)] = &[
            (&[], "required arguments"),
            (&["--target=localhost:25"], "invalid value"),
            (&["--target=127.0.0.1:25", "--auth=alice"], "--auth needs USER:PASS"),
            (&["--target=127.0.0.1:25", "--connections=0"], "--connections must be at least 1"),
            (&["--target=127.0.0.1:25", "--per-session=0"], "--per-session must be at least 1"),
            (&["--target=127.0.0.1:25", "--messages=0"], "--messages must be at least 1"),
            (&["--target=127.0.0.1:25", "--workers=0"], "--workers must be at least 1"),
            (&["--target=127.0.0.1:25", "--mode=burst"], "isn't valid"),
        ];
        for (args, expected) in cases {
            let error = plan(args).unwrap_err();
            assert!(error.contains(expected), "{args:?}: {error}");
        }
    }
}
