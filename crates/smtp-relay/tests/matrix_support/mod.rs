//! Shared helpers of the relayer's interop matrix (`matrix_*.rs`): real clients (swaks,
//! msmtp, curl) submitting to `Relay::start` in-process (STARTTLS and implicit TLS, a static
//! route to a recording upstream), and checks of what the upstream received.
//!
//! Passwords never go on a client's command line: curl reads it from a netrc file, msmtp
//! from its configuration file, swaks from standard input (its password prompt). A missing
//! client is a failure with the command that installs it, never a skip; every child is killed
//! by PID when its guard drops, and every wait is bounded by [`LIMIT`].
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Read as _;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use smtp_relay::relay::{Relay, RelayHandle};

use crate::relay_support::{Arrived, TempDir, Upstream, relay_config, start_upstream};

#[path = "../../../../test-support/installed_tool.rs"]
mod installed_tool;
pub use installed_tool::tool;

/// The longest any wait in these tests may take.
pub const LIMIT: Duration = Duration::from_secs(60);

/// The relay user (an address, so it may send as itself) and its password.
pub const USER: &str = "alice@example.com";
pub const SECRET: &str = "matrix-secret-7f3a";

/// The recipient: example.net is routed to the recording upstream.
pub const TO: &str = "bob@example.net";

/// The message every client submits: complete headers (msmtp adds a `Date:` where none is),
/// lines that need dot-stuffing (one a lone dot), CRLF line ends, ending in CRLF.
pub const MESSAGE: &[u8] = b"Date: Thu, 01 Jan 2026 12:00:00 +0000\r\n\
From: Alice <alice@example.com>\r\n\
To: Bob <bob@example.net>\r\n\
Subject: interop matrix via the relayer\r\n\
Message-ID: <matrix-relay@example.com>\r\n\
\r\n\
First line.\r\n\
.leading dot\r\n\
..two leading dots\r\n\
.\r\n\
trailing spaces   \r\n\
last line\r\n";

/// Writes `content` to `name` in `dir` with mode 0600 (netrc and msmtp insist on it).
pub fn write_private(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

/// A relay with [`USER`], both listeners, and example.net routed to a recording upstream.
pub struct MatrixRelay {
    pub dir: TempDir,
    pub relay: RelayHandle,
    pub upstream: Upstream,
    pub submission: SocketAddr,
    pub smtps: SocketAddr,
    _upstream_server: smtp_relay::smtp_server::ServerHandle,
}

impl MatrixRelay {
    pub async fn start(name: &str) -> Self {
        let dir = TempDir::new(name);
        let (upstream_server, upstream, upstream_addr) = start_upstream().await;
        let mut config = relay_config(&dir.path().join("relay"), &[("example.net", upstream_addr)]);
        let smtps = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        config.smtps_listen = Some(smtps);
        let relay = Relay::start(config).await.unwrap();
        relay.users().add_user(USER, SECRET.into(), vec![]).await.unwrap();
        let submission = relay.local_addrs()[0].socket_addr().unwrap();
        Self { dir, relay, upstream, submission, smtps, _upstream_server: upstream_server }
    }

    /// The relay's self-signed certificate, for the clients to trust.
    pub fn cert(&self) -> PathBuf {
        self.relay.data_dir().cert()
    }

    /// A netrc file with the user's credentials for `localhost`.
    pub fn netrc(&self) -> PathBuf {
        let text = format!("machine localhost login {USER} password {SECRET}\n");
        write_private(self.dir.path(), ".netrc", text.as_bytes())
    }

    /// Waits until the upstream has received `count` messages and checks the last: the
    /// envelope, one `Received:` field the relay put on top, then [`MESSAGE`] byte for byte.
    pub async fn assert_relayed(&self, count: usize) {
        let arrived = self.upstream.wait_for("the relayed message", |m| m.len() >= count).await;
        assert_eq!(arrived.len(), count, "{arrived:#?}");
        let Arrived { mail_from, rcpt_tos, content } = &arrived[count - 1];
        assert_eq!((mail_from.as_str(), rcpt_tos.as_slice()), (USER, &[TO.to_owned()][..]));
        let text = String::from_utf8_lossy(content);
        let added = content.strip_suffix(MESSAGE).unwrap_or_else(|| {
            panic!("the message arrived changed: {text:?}");
        });
        let added = std::str::from_utf8(added).unwrap();
        assert!(added.starts_with("Received: from "), "{text:?}");
        // One folded field: every line after the first is a continuation.
        assert!(added.ends_with("\r\n"), "{text:?}");
        for line in added.trim_end().split("\r\n").skip(1) {
            assert!(line.starts_with([' ', '\t']), "more than one added field: {text:?}");
        }
    }
}

/// A child process, killed by PID and reaped when dropped.
pub struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What a client printed, and how it ended.
#[derive(Debug)]
pub struct Transcript {
    pub status: ExitStatus,
    pub output: String,
}

impl Transcript {
    /// Asserts the client exited 0 and the relayer's reply to the message says `queued as`.
    pub fn assert_queued(&self, what: &str) {
        assert!(self.status.success(), "{what} failed ({}):\n{}", self.status, self.output);
        assert!(self.output.contains("250 2.0.0 OK queued as "), "{what}:\n{}", self.output);
    }
}

/// Runs a client to completion within [`LIMIT`] (killed by PID otherwise), stdout and stderr
/// captured in one file under `dir`. Blocks: call it from `spawn_blocking`.
pub fn run(dir: &Path, name: &str, mut command: Command) -> Transcript {
    let out_path = dir.join(format!("{name}.out"));
    let out = std::fs::File::create(&out_path).unwrap();
    command.stdout(out.try_clone().unwrap()).stderr(out);
    let mut running =
        Running(command.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}")));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = running.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < LIMIT,
            "{name} did not finish within {LIMIT:?}:\n{}",
            read_lossy(&out_path)
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    Transcript { status, output: read_lossy(&out_path) }
}

/// [`run`] on the blocking pool.
pub async fn run_async(dir: &Path, name: &'static str, command: Command) -> Transcript {
    let dir = dir.to_owned();
    tokio::task::spawn_blocking(move || run(&dir, name, command)).await.unwrap()
}

fn read_lossy(path: &Path) -> String {
    let mut bytes = Vec::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        let _ = file.read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
