//! `mailin-sink`: a sink SMTP server on the `mailin-embedded` crate, a benchmark peer.
//!
//! ```text
//! mailin-sink --listen 127.0.0.1:2526 --threads 64 [--tls-cert cert.pem --tls-key key.pem]
//! ```
//!
//! mailin-embedded serves each connection on a thread of a fixed pool, so `--threads` is the
//! number of concurrent sessions it can hold.

use std::process::ExitCode;

use clap::Parser;
use mailin_embedded::{Handler, Server, SslConfig};

/// Command line.
#[derive(Debug, Parser)]
#[command(name = "mailin-sink")]
struct Args {
    /// HOST:PORT to listen on.
    #[arg(long, default_value = "127.0.0.1:2526")]
    listen: String,
    /// Thread pool size (the most concurrent sessions).
    #[arg(long, default_value_t = 64)]
    threads: u32,
    /// Certificate (PEM) for STARTTLS.
    #[arg(long, requires = "tls_key")]
    tls_cert: Option<String>,
    /// Private key (PEM) for STARTTLS.
    #[arg(long, requires = "tls_cert")]
    tls_key: Option<String>,
}

/// Accepts every message and drops it (mailin's default hooks answer 250 to everything).
#[derive(Clone, Copy, Debug)]
struct Sink;

impl Handler for Sink {}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut server = Server::new(Sink);
    server.with_name("localhost").with_num_threads(args.threads);
    if let (Some(cert_path), Some(key_path)) = (args.tls_cert, args.tls_key)
        && let Err(error) = server.with_ssl(SslConfig::SelfSigned { cert_path, key_path })
    {
        eprintln!("mailin-sink: error: TLS: {error}");
        return ExitCode::FAILURE;
    }
    if let Err(error) = server.with_addr(&args.listen) {
        eprintln!("mailin-sink: error: {error}");
        return ExitCode::from(2);
    }
    eprintln!("mailin-sink: listening on {}", args.listen);
    match server.serve() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("mailin-sink: error: {error}");
            ExitCode::FAILURE
        }
    }
}
