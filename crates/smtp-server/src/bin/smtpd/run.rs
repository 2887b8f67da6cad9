//! Starting the planned server: certificates, the handler, the listeners, the signals.

use std::io::Write;
use std::sync::Arc;

use smtp_server::handler::Handler;
use smtp_server::handlers::{Debugging, Mailbox, Sink};
use smtp_server::server::{BoundAddr, Listen};
use smtp_server::{Server, tls};

use crate::plan::{HandlerChoice, ListenAddr, Output, Plan, TlsSource};

/// Why the server could not start or run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The certificate could not be loaded or made.
    #[error("TLS: {0}")]
    Tls(#[from] tls::TlsError),
    /// The Maildir could not be created.
    #[error("cannot create the Maildir {dir}: {source}")]
    Maildir {
        /// The directory.
        dir: String,
        /// The error.
        source: std::io::Error,
    },
    /// Binding a listener (or listening for signals) failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The server and its listeners, ready to start (reads certificate files, creates the
/// Maildir: call before serving).
pub fn prepare(plan: Plan) -> Result<(Server, Vec<Listen>), RunError> {
    let mut config = plan.config;
    config.tls = match plan.tls {
        None => None,
        Some(TlsSource::Files { cert, key }) => Some(tls::load_pem_files(&cert, &key)?),
        Some(TlsSource::SelfSigned) => Some(tls::self_signed(&config.hostname)?.config),
    };
    let handler: Arc<dyn Handler> = match plan.handler {
        HandlerChoice::Sink => Arc::new(Sink),
        HandlerChoice::Debugging(Output::Stdout) => Arc::new(Debugging::stdout()),
        HandlerChoice::Debugging(Output::Stderr) => Arc::new(Debugging::stderr()),
        HandlerChoice::Mailbox(dir) => Arc::new(
            Mailbox::new(&dir)
                .map_err(|source| RunError::Maildir { dir: dir.display().to_string(), source })?,
        ),
    };
    let implicit = plan.implicit_tls;
    let listen = plan.listen.into_iter().map(|addr| listen(addr, implicit)).collect();
    Ok((Server::with_shared_handler(config, handler), listen))
}

/// One listener.
fn listen(addr: ListenAddr, implicit_tls: bool) -> Listen {
    match addr {
        ListenAddr::Tcp(addr) if implicit_tls => Listen::ImplicitTls(addr),
        ListenAddr::Tcp(addr) => Listen::Tcp(addr),
        #[cfg(unix)]
        ListenAddr::Unix(path) => Listen::Unix(path),
    }
}

/// Serves until SIGINT or SIGTERM, then shuts down gracefully. Prints one
/// `smtpd: listening on <address>` line per listener on standard output once all are bound
/// (with the real port when the port was 0). The signal handlers are installed before the
/// listeners, so a signal right after the line is printed is never lost.
pub async fn serve(server: Server, listen: Vec<Listen>) -> Result<(), RunError> {
    let mut signals = Signals::install()?;
    let handle = server.start(listen).await?;
    {
        let mut stdout = std::io::stdout().lock();
        for bound in handle.local_addrs() {
            writeln!(stdout, "smtpd: listening on {}", describe(bound))?;
        }
        stdout.flush()?;
    }
    let signal = signals.recv().await;
    tracing::info!(signal, "shutting down");
    handle.shutdown().await;
    Ok(())
}

/// A bound address as printed: `127.0.0.1:8025`, `127.0.0.1:465 (implicit TLS)` or
/// `unix:/path`.
fn describe(bound: &BoundAddr) -> String {
    match bound {
        BoundAddr::Tcp(addr) => addr.to_string(),
        BoundAddr::ImplicitTls(addr) => format!("{addr} (implicit TLS)"),
        #[cfg(unix)]
        BoundAddr::Unix(path) => format!("unix:{}", path.display()),
    }
}

/// The signals that stop the server: SIGINT and SIGTERM.
#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    /// Installs the handlers (from now on the signals no longer kill the process).
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Waits for the first signal; returns its name.
    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }
}

/// The signal that stops the server: Ctrl-C.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    /// Nothing to install ahead of time here.
    fn install() -> std::io::Result<Self> {
        Ok(Self)
    }

    /// Waits for Ctrl-C.
    async fn recv(&mut self) -> &'static str {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
