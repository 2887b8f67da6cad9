//! The command line, as a plain struct (clap derive).

use std::path::PathBuf;

use clap::{ArgAction, Parser};

/// `smtpd`: an SMTP server with SMTP AUTH, the counterpart of `python -m aiosmtpd`.
#[derive(Debug, Parser)]
#[command(name = "smtpd", version)]
pub struct Args {
    /// Address to listen on: HOST:PORT (port 0 picks a free port) or unix:PATH; repeatable.
    #[arg(long = "listen", value_name = "ADDR", default_value = "127.0.0.1:8025")]
    pub listen: Vec<String>,

    /// What to do with messages: sink, debugging[:stdout|:stderr] or mailbox:DIR (a Maildir).
    #[arg(long, value_name = "HANDLER", default_value = "debugging")]
    pub handler: String,

    /// The host name in the greeting and the EHLO reply (default: this machine's name).
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,

    /// The largest message accepted, in octets; 0 means no limit.
    #[arg(long, value_name = "N", default_value_t = 33_554_432)]
    pub size: u64,

    /// Offer SMTPUTF8 (RFC 6531).
    #[arg(long)]
    pub smtputf8: bool,

    /// A user allowed to authenticate, as USER:PASSWORD; repeatable.
    #[arg(long = "auth-user", value_name = "USER:PASS")]
    pub auth_user: Vec<String>,

    /// Offer another AUTH mechanism: CRAM-MD5, SCRAM-SHA-256, XOAUTH2 or OAUTHBEARER; repeatable.
    #[arg(long = "auth-mechanism", value_name = "NAME")]
    pub auth_mechanism: Vec<String>,

    /// Do not offer this AUTH mechanism (built-ins included); repeatable.
    #[arg(long = "auth-exclude", value_name = "NAME")]
    pub auth_exclude: Vec<String>,

    /// Allow AUTH without TLS.
    #[arg(long = "no-auth-require-tls")]
    pub no_auth_require_tls: bool,

    /// Refuse mail from clients that have not authenticated.
    #[arg(long = "auth-required")]
    pub auth_required: bool,

    /// Refuse most commands until the client has started TLS.
    #[arg(long = "require-starttls")]
    pub require_starttls: bool,

    /// The certificate chain (PEM) for STARTTLS and --smtps; needs --tls-key.
    #[arg(long = "tls-cert", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM) of --tls-cert.
    #[arg(long = "tls-key", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,

    /// Generate a self-signed certificate at start (for tests).
    #[arg(long = "tls-self-signed")]
    pub tls_self_signed: bool,

    /// Implicit TLS on every listener (SMTPS); needs --tls-cert/--tls-key or --tls-self-signed.
    #[arg(long)]
    pub smtps: bool,

    /// Speak LMTP (RFC 2033) instead of SMTP.
    #[arg(long)]
    pub lmtp: bool,

    /// Expect a PROXY protocol (v1 or v2) header before the greeting.
    #[arg(long = "proxy-protocol")]
    pub proxy_protocol: bool,

    /// How long to wait for the PROXY header, in seconds.
    #[arg(long = "proxy-protocol-timeout", value_name = "SECS", default_value_t = 10)]
    pub proxy_protocol_timeout: u64,

    /// The idle timeout in seconds (default 300).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,

    /// How often each command may be used on one connection.
    #[arg(long = "command-call-limit", value_name = "N")]
    pub command_call_limit: Option<u32>,

    /// More log output on standard error (-v info, -vv debug, -vvv trace); RUST_LOG overrides.
    #[arg(short, long, action = ArgAction::Count)]
    pub verbose: u8,
}
