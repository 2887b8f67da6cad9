//! The command line: `serve`, `user …`, `queue …`, each with `--data-dir`.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// An authenticated SMTP submission relay: users log in (AUTH under TLS) and their mail is
/// queued durably, then delivered by MX lookup, a smarthost or static routes.
#[derive(Debug, Parser)]
#[command(name = "authenticated_relayer", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the relay (until SIGINT or SIGTERM).
    Serve(ServeArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Look at and manage the queue (of the running relay when there is one).
    #[command(subcommand)]
    Queue(QueueCommand),
}

/// The data directory, accepted by every subcommand.
#[derive(Clone, Debug, Args)]
pub struct DataDirArg {
    /// Where users, queue, certificate and control socket live.
    #[arg(long, value_name = "DIR", default_value = "./relayer-data")]
    pub data_dir: PathBuf,
}

/// `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The data directory.
    #[command(flatten)]
    pub data: DataDirArg,
    /// The submission listener (STARTTLS).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8587")]
    pub listen: SocketAddr,
    /// An implicit-TLS listener (e.g. 127.0.0.1:8465).
    #[arg(long, value_name = "ADDR")]
    pub smtps_listen: Option<SocketAddr>,
    /// Send all mail (except --route domains) through this host instead of MX lookup.
    #[arg(long, value_name = "HOST:PORT")]
    pub smarthost: Option<String>,
    /// Log in to the smarthost as USER; the password comes from the environment variable
    /// RELAYER_SMARTHOST_PASSWORD or standard input, never the command line.
    #[arg(long, value_name = "USER", requires = "smarthost")]
    pub smarthost_user: Option<String>,
    /// TLS towards the smarthost.
    #[arg(long, value_enum, default_value_t = SmarthostTls::Required, requires = "smarthost")]
    pub smarthost_tls: SmarthostTls,
    /// Deliver mail for DOMAIN to HOST:PORT (repeatable; checked before anything else).
    #[arg(long = "route", value_name = "DOMAIN=HOST:PORT")]
    pub routes: Vec<String>,
    /// The TLS certificate chain (PEM); without it a self-signed one is kept in the data dir.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// This relay's host name (greeting, Received headers, EHLO, DSNs).
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,
    /// Expect a PROXY protocol v1/v2 header on every connection (behind HAProxy).
    #[arg(long)]
    pub proxy_protocol: bool,
    /// First retry after this many seconds (doubling up to an hour).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, hide = true)]
    pub retry_seconds: u64,
}

/// `--smarthost-tls`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SmarthostTls {
    /// STARTTLS must succeed with a valid certificate.
    Required,
    /// STARTTLS when offered.
    Opportunistic,
    /// Plain text (no credentials are ever sent then).
    Off,
    /// TLS from the first byte (port 465).
    Implicit,
}

/// `user …`.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input or a prompt.
    Add {
        /// The login.
        name: String,
        /// An address the user may send as, or `*` for any (repeatable). Without any, the
        /// login itself when it is an address.
        #[arg(long = "sender", value_name = "ADDR")]
        senders: Vec<String>,
        /// The data directory.
        #[command(flatten)]
        data: DataDirArg,
    },
    /// Change a user's password (read from standard input or a prompt).
    Passwd {
        /// The login.
        name: String,
        /// The data directory.
        #[command(flatten)]
        data: DataDirArg,
    },
    /// Delete a user.
    Del {
        /// The login.
        name: String,
        /// The data directory.
        #[command(flatten)]
        data: DataDirArg,
    },
    /// List users and their senders.
    List {
        /// The data directory.
        #[command(flatten)]
        data: DataDirArg,
    },
}

/// `queue …`.
#[derive(Debug, Subcommand)]
pub enum QueueCommand {
    /// List queued messages.
    List {
        /// The data directory.
        #[command(flatten)]
        data: DataDirArg,
    },
    /// Retry every queued message now.
    Flush {
        /// The data directory.
        #[command(flatten)]
        data: DataDirArg,
    },
    /// Remove a message without delivering it.
    Delete {
        /// The queue id (from `queue list`).
        id: String,
        /// The data directory.
        #[command(flatten)]
        data: DataDirArg,
    },
}
