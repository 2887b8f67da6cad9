//! Turns the [`Args`] into what the server needs — settings, handler, listeners — checking
//! every combination, without touching files or the network.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use smtp_server::handler::ServerMechanism;
use smtp_server::smtp_auth::{CramMd5, MemoryAuthenticator, OAuthBearer, ScramSha256, XOAuth2};
use smtp_server::{CallLimits, ServerConfig};

use crate::args::Args;

/// Where the TLS certificate comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsSource {
    /// PEM files.
    Files {
        /// The certificate chain.
        cert: PathBuf,
        /// The private key.
        key: PathBuf,
    },
    /// Generated at start.
    SelfSigned,
}

/// Where the `debugging` handler prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// The handler chosen with `--handler`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandlerChoice {
    /// Accept and discard.
    Sink,
    /// Print every message.
    Debugging(Output),
    /// Store every message in this Maildir.
    Mailbox(PathBuf),
}

/// One `--listen` address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenAddr {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A Unix socket path.
    #[cfg(unix)]
    Unix(PathBuf),
}

/// Everything the server is started with.
#[derive(Debug)]
pub struct Plan {
    /// The settings, TLS not yet loaded.
    pub config: ServerConfig,
    /// The certificate source, when TLS is on.
    pub tls: Option<TlsSource>,
    /// The handler.
    pub handler: HandlerChoice,
    /// The listeners.
    pub listen: Vec<ListenAddr>,
    /// Implicit TLS on every listener (`--smtps`).
    pub implicit_tls: bool,
}

/// A command line that cannot work.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// `--tls-cert` without `--tls-key`.
    #[error("--tls-cert needs --tls-key (give both or neither)")]
    CertWithoutKey,
    /// `--tls-key` without `--tls-cert`.
    #[error("--tls-key needs --tls-cert (give both or neither)")]
    KeyWithoutCert,
    /// Both certificate sources.
    #[error("--tls-self-signed cannot be combined with --tls-cert/--tls-key")]
    TwoTlsSources,
    /// `--smtps` without a certificate.
    #[error("--smtps needs a certificate: --tls-cert and --tls-key, or --tls-self-signed")]
    SmtpsWithoutTls,
    /// `--require-starttls` without a certificate.
    #[error(
        "--require-starttls needs a certificate: --tls-cert and --tls-key, or --tls-self-signed"
    )]
    StarttlsWithoutTls,
    /// `--smtps` with a Unix socket.
    #[error("--smtps cannot be used with a unix: listener")]
    SmtpsOnUnixSocket,
    /// A malformed `--auth-user` (the value itself is not repeated: it holds a password).
    #[error("bad --auth-user: {0}")]
    BadAuthUser(String),
    /// An `--auth-mechanism` this program does not know.
    #[error(
        "unknown --auth-mechanism '{0}' (known: CRAM-MD5, SCRAM-SHA-256, XOAUTH2, OAUTHBEARER)"
    )]
    UnknownMechanism(String),
    /// A `--handler` this program does not know.
    #[error("unknown --handler '{0}' (expected sink, debugging[:stdout|:stderr] or mailbox:DIR)")]
    UnknownHandler(String),
    /// `mailbox` without a directory.
    #[error("--handler mailbox needs a directory: mailbox:DIR")]
    MailboxWithoutDir,
    /// A `--listen` value that is no address.
    #[error("bad --listen address '{0}': expected HOST:PORT or unix:PATH")]
    BadListen(String),
    /// A zero timeout.
    #[error("--{0} must be at least 1 second")]
    ZeroTimeout(&'static str),
}

/// Checks the command line and builds the plan.
pub fn plan(args: &Args) -> Result<Plan, PlanError> {
    let tls = tls_source(args)?;
    if args.smtps && tls.is_none() {
        return Err(PlanError::SmtpsWithoutTls);
    }
    if args.require_starttls && tls.is_none() {
        return Err(PlanError::StarttlsWithoutTls);
    }
    let listen = args.listen.iter().map(|a| listen_addr(a)).collect::<Result<Vec<_>, _>>()?;
    #[cfg(unix)]
    if args.smtps && listen.iter().any(|a| matches!(a, ListenAddr::Unix(_))) {
        return Err(PlanError::SmtpsOnUnixSocket);
    }
    Ok(Plan {
        config: config(args)?,
        tls,
        handler: handler(&args.handler)?,
        listen,
        implicit_tls: args.smtps,
    })
}

/// The settings from the flags.
fn config(args: &Args) -> Result<ServerConfig, PlanError> {
    let mut config = ServerConfig {
        data_size_limit: Some(args.size).filter(|&size| size > 0),
        enable_smtputf8: args.smtputf8,
        auth_require_tls: !args.no_auth_require_tls,
        auth_required: args.auth_required,
        require_starttls: args.require_starttls,
        auth_exclude_mechanism: args.auth_exclude.clone(),
        extra_mechanisms: args
            .auth_mechanism
            .iter()
            .map(|n| mechanism(n))
            .collect::<Result<_, _>>()?,
        command_call_limit: args.command_call_limit.map(CallLimits::uniform),
        lmtp: args.lmtp,
        ..ServerConfig::default()
    };
    if let Some(hostname) = &args.hostname {
        config.hostname.clone_from(hostname);
    }
    if let Some(secs) = args.timeout {
        config.timeout = seconds(secs, "timeout")?;
    }
    if args.proxy_protocol {
        config.proxy_protocol_timeout =
            Some(seconds(args.proxy_protocol_timeout, "proxy-protocol-timeout")?);
    }
    if !args.auth_user.is_empty() {
        let mut users = MemoryAuthenticator::new();
        for spec in &args.auth_user {
            users =
                users.with_user_spec(spec).map_err(|e| PlanError::BadAuthUser(e.to_string()))?;
        }
        config.authenticator = Some(Arc::new(users));
    }
    Ok(config)
}

/// A non-zero number of seconds.
fn seconds(secs: u64, flag: &'static str) -> Result<Duration, PlanError> {
    if secs == 0 { Err(PlanError::ZeroTimeout(flag)) } else { Ok(Duration::from_secs(secs)) }
}

/// The certificate source, when one is given.
fn tls_source(args: &Args) -> Result<Option<TlsSource>, PlanError> {
    match (&args.tls_cert, &args.tls_key, args.tls_self_signed) {
        (Some(_), None, _) => Err(PlanError::CertWithoutKey),
        (None, Some(_), _) => Err(PlanError::KeyWithoutCert),
        (Some(_), Some(_), true) => Err(PlanError::TwoTlsSources),
        (Some(cert), Some(key), false) => {
            Ok(Some(TlsSource::Files { cert: cert.clone(), key: key.clone() }))
        }
        (None, None, true) => Ok(Some(TlsSource::SelfSigned)),
        (None, None, false) => Ok(None),
    }
}

/// An extra mechanism by name, in any letter case.
fn mechanism(name: &str) -> Result<ServerMechanism, PlanError> {
    Ok(match name.to_ascii_uppercase().as_str() {
        "CRAM-MD5" => Arc::new(CramMd5::new()),
        "SCRAM-SHA-256" => Arc::new(ScramSha256::new()),
        "XOAUTH2" => Arc::new(XOAuth2::new()),
        "OAUTHBEARER" => Arc::new(OAuthBearer::new()),
        _ => return Err(PlanError::UnknownMechanism(name.to_owned())),
    })
}

/// The `--handler` value.
fn handler(spec: &str) -> Result<HandlerChoice, PlanError> {
    let (name, argument) = match spec.split_once(':') {
        Some((name, argument)) => (name, Some(argument)),
        None => (spec, None),
    };
    match (name.to_ascii_lowercase().as_str(), argument) {
        ("sink", None) => Ok(HandlerChoice::Sink),
        ("debugging", None | Some("stdout")) => Ok(HandlerChoice::Debugging(Output::Stdout)),
        ("debugging", Some("stderr")) => Ok(HandlerChoice::Debugging(Output::Stderr)),
        ("mailbox", None | Some("")) => Err(PlanError::MailboxWithoutDir),
        ("mailbox", Some(dir)) => Ok(HandlerChoice::Mailbox(PathBuf::from(dir))),
        _ => Err(PlanError::UnknownHandler(spec.to_owned())),
    }
}

/// One `--listen` value: `unix:PATH`, an IP address with port, or a host name with port
/// (resolved once, at start).
fn listen_addr(text: &str) -> Result<ListenAddr, PlanError> {
    let bad = || PlanError::BadListen(text.to_owned());
    if let Some(path) = text.strip_prefix("unix:") {
        #[cfg(unix)]
        if !path.is_empty() {
            return Ok(ListenAddr::Unix(PathBuf::from(path)));
        }
        let _ = path;
        return Err(bad());
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(ListenAddr::Tcp(addr));
    }
    let mut resolved = text.to_socket_addrs().map_err(|_| bad())?;
    resolved.next().map(ListenAddr::Tcp).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn plan_of(flags: &[&str]) -> Result<Plan, PlanError> {
        let args = Args::try_parse_from(std::iter::once("smtpd").chain(flags.iter().copied()))
            .expect("flags parse");
        plan(&args)
    }

    #[test]
    fn defaults() {
        let plan = plan_of(&[]).unwrap();
        assert_eq!(plan.listen, [ListenAddr::Tcp("127.0.0.1:8025".parse().unwrap())]);
        assert_eq!(plan.handler, HandlerChoice::Debugging(Output::Stdout));
        assert_eq!(plan.tls, None);
        assert!(!plan.implicit_tls);
        let config = plan.config;
        assert_eq!(config.data_size_limit, Some(33_554_432));
        assert!(config.auth_require_tls && !config.auth_required && !config.require_starttls);
        assert!(config.authenticator.is_none() && config.extra_mechanisms.is_empty());
        assert!(!config.enable_smtputf8 && !config.lmtp);
        assert_eq!(config.proxy_protocol_timeout, None);
        assert_eq!(config.command_call_limit, None);
        assert_eq!(config.timeout, ServerConfig::default().timeout);
    }

    #[test]
    fn every_flag_reaches_the_settings() {
        let plan = plan_of(&[
            "--listen",
            "127.0.0.1:0",
            "--listen",
            "[::1]:2525",
            "--listen",
            "unix:/tmp/s.sock",
            "--handler",
            "mailbox:/var/mail/x",
            "--hostname",
            "mx.example",
            "--size",
            "0",
            "--smtputf8",
            "--auth-user",
            "alice:wonder:land",
            "--auth-user",
            "bob:b",
            "--auth-mechanism",
            "cram-md5",
            "--auth-mechanism",
            "SCRAM-SHA-256",
            "--auth-mechanism",
            "xoauth2",
            "--auth-mechanism",
            "OAuthBearer",
            "--auth-exclude",
            "LOGIN",
            "--no-auth-require-tls",
            "--auth-required",
            "--require-starttls",
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
            "--lmtp",
            "--proxy-protocol",
            "--proxy-protocol-timeout",
            "5",
            "--timeout",
            "2",
            "--command-call-limit",
            "5",
            "-vv",
        ])
        .unwrap();
        assert_eq!(
            plan.listen,
            [
                ListenAddr::Tcp("127.0.0.1:0".parse().unwrap()),
                ListenAddr::Tcp("[::1]:2525".parse().unwrap()),
                ListenAddr::Unix("/tmp/s.sock".into()),
            ]
        );
        assert_eq!(plan.handler, HandlerChoice::Mailbox("/var/mail/x".into()));
        assert_eq!(plan.tls, Some(TlsSource::Files { cert: "c.pem".into(), key: "k.pem".into() }));
        let config = plan.config;
        assert_eq!(config.hostname, "mx.example");
        assert_eq!(config.data_size_limit, None);
        assert!(config.enable_smtputf8 && config.lmtp);
        assert!(config.authenticator.is_some());
        let names: Vec<String> =
            config.extra_mechanisms.iter().map(|m| m.name().to_owned()).collect();
        assert_eq!(names, ["CRAM-MD5", "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER"]);
        assert_eq!(config.auth_exclude_mechanism, ["LOGIN"]);
        assert!(!config.auth_require_tls && config.auth_required && config.require_starttls);
        assert_eq!(config.proxy_protocol_timeout, Some(Duration::from_secs(5)));
        assert_eq!(config.timeout, Duration::from_secs(2));
        assert_eq!(config.command_call_limit, Some(CallLimits::uniform(5)));
    }

    #[test]
    fn the_conformance_profiles_are_accepted() {
        let profiles: [&[&str]; 6] = [
            &["--auth-user", "alice:wonderland", "--no-auth-require-tls"],
            &["--auth-user", "alice:wonderland", "--tls-self-signed", "--require-starttls"],
            &["--size", "1024"],
            &["--auth-user", "alice:wonderland", "--tls-self-signed", "--smtps"],
            &["--command-call-limit", "5", "--timeout", "2", "--smtputf8"],
            &["--lmtp", "--auth-required"],
        ];
        for flags in profiles {
            let mut all = vec!["--listen", "127.0.0.1:0", "--handler", "mailbox:/tmp/m"];
            all.extend_from_slice(flags);
            let plan = plan_of(&all).unwrap_or_else(|e| panic!("{flags:?}: {e}"));
            assert_eq!(plan.implicit_tls, flags.contains(&"--smtps"));
        }
    }

    #[test]
    fn handler_choices() {
        for (spec, want) in [
            ("sink", HandlerChoice::Sink),
            ("debugging", HandlerChoice::Debugging(Output::Stdout)),
            ("debugging:stdout", HandlerChoice::Debugging(Output::Stdout)),
            ("Debugging:stderr", HandlerChoice::Debugging(Output::Stderr)),
            ("mailbox:dir:with:colons", HandlerChoice::Mailbox("dir:with:colons".into())),
        ] {
            assert_eq!(handler(spec), Ok(want), "{spec}");
        }
    }

    #[test]
    fn every_error_message() {
        let cases: [(&[&str], &str); 14] = [
            (&["--tls-cert", "c.pem"], "--tls-cert needs --tls-key (give both or neither)"),
            (&["--tls-key", "k.pem"], "--tls-key needs --tls-cert (give both or neither)"),
            (
                &["--tls-cert", "c", "--tls-key", "k", "--tls-self-signed"],
                "--tls-self-signed cannot be combined with --tls-cert/--tls-key",
            ),
            (
                &["--smtps"],
                "--smtps needs a certificate: --tls-cert and --tls-key, or --tls-self-signed",
            ),
            (
                &["--require-starttls"],
                "--require-starttls needs a certificate: --tls-cert and --tls-key, or \
                 --tls-self-signed",
            ),
            (
                &["--smtps", "--tls-self-signed", "--listen", "unix:/tmp/x"],
                "--smtps cannot be used with a unix: listener",
            ),
            (&["--auth-user", "alice"], "bad --auth-user: expected USER:PASSWORD (no ':' found)"),
            (
                &["--auth-user", ":secret"],
                "bad --auth-user: expected USER:PASSWORD (the user name is empty)",
            ),
            (
                &["--auth-mechanism", "GSSAPI"],
                "unknown --auth-mechanism 'GSSAPI' (known: CRAM-MD5, SCRAM-SHA-256, XOAUTH2, \
                 OAUTHBEARER)",
            ),
            (
                &["--handler", "proxy:host"],
                "unknown --handler 'proxy:host' (expected sink, debugging[:stdout|:stderr] or \
                 mailbox:DIR)",
            ),
            (
                &["--handler", "sink:x"],
                "unknown --handler 'sink:x' (expected sink, debugging[:stdout|:stderr] or \
                 mailbox:DIR)",
            ),
            (&["--handler", "mailbox"], "--handler mailbox needs a directory: mailbox:DIR"),
            (
                &["--listen", "not an address"],
                "bad --listen address 'not an address': expected HOST:PORT or unix:PATH",
            ),
            (&["--timeout", "0"], "--timeout must be at least 1 second"),
        ];
        for (flags, message) in cases {
            let error = plan_of(flags).expect_err(message);
            assert_eq!(error.to_string(), message, "{flags:?}");
        }
    }

    #[test]
    fn a_bad_auth_user_never_shows_the_password() {
        let error = plan_of(&["--auth-user", "hunter2"]).unwrap_err();
        assert!(!error.to_string().contains("hunter2"));
    }

    #[test]
    fn clap_rejects_unknown_flags_and_bad_numbers() {
        for flags in [&["--nope"][..], &["--size", "-1"], &["--timeout", "x"]] {
            let args = std::iter::once("smtpd").chain(flags.iter().copied());
            assert!(Args::try_parse_from(args).is_err(), "{flags:?}");
        }
    }
}
