//! Shared helpers of the interop matrix (`matrix_*.rs`): real clients (swaks, msmtp, curl,
//! Postfix's smtp-source, HAProxy) against the `smtpd` binary with a Maildir.
//!
//! A missing client is a failure with the command that installs it, never a skip. Every child
//! process is held by a [`Running`] guard that kills it by PID when dropped, and every wait is
//! bounded by [`LIMIT`].
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[path = "../../../../test-support/postfix_tools.rs"]
mod postfix_tools;

#[path = "../../../../test-support/installed_tool.rs"]
mod installed_tool;
pub use installed_tool::tool;

/// The longest any wait in these tests may take.
pub const LIMIT: Duration = Duration::from_secs(60);

/// The user smtpd knows, and the password.
pub const LOGIN: &str = "alice";
pub const PASSWORD: &str = "wonderland";

/// The envelope every case uses.
pub const FROM: &str = "alice@example.com";
pub const TO: &str = "bob@example.net";

/// The message every client sends: complete headers (msmtp adds a `Date:` where none is), CRLF line ends, lines that need dot-stuffing (one of
/// them a lone dot, which would end DATA early if a client forgot), trailing white space
/// and a tab, ending in CRLF.
pub const MESSAGE: &[u8] = b"Date: Thu, 01 Jan 2026 12:00:00 +0000\r\n\
From: Alice <alice@example.com>\r\n\
To: Bob <bob@example.net>\r\n\
Subject: interop matrix\r\n\
Message-ID: <matrix@example.com>\r\n\
\r\n\
First line.\r\n\
.leading dot\r\n\
..two leading dots\r\n\
.\r\n\
trailing spaces   \r\n\
\ttab-indented\r\n\
last line\r\n";

/// swaks, with its TLS support (Net::SSLeay) checked.
pub fn swaks() -> PathBuf {
    let swaks = tool("swaks", "swaks");
    let support = Command::new(&swaks).arg("--support").output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&support.stdout),
        String::from_utf8_lossy(&support.stderr)
    );
    assert!(
        text.contains("=== TLS supported"),
        "swaks has no TLS (Perl's Net::SSLeay is missing): run `cargo xtask ci` (it installs \
         it) or `apt-get install libnet-ssleay-perl`\n{text}"
    );
    swaks
}

/// `<target>/tools/postfix`: Postfix unpacked (not installed) by `cargo xtask ci`, or here on
/// first use (see `test-support/postfix_tools.rs`).
pub fn postfix_root() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    postfix_tools::postfix_root(target, "smtp-source")
}

/// A child process, killed by PID and reaped when dropped.
pub struct Running {
    child: Child,
    name: &'static str,
}

impl Running {
    /// Starts `command` as `name`.
    pub fn spawn(name: &'static str, command: &mut Command) -> Self {
        let child = command.spawn().unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Self { child, name }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Child::kill sends SIGKILL to this child's PID, and nothing else.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh directory under the target's temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "matrix-{name}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `content` to `name` in this directory (mode 0600) and returns the path.
    pub fn write(&self, name: &str, content: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A self-signed certificate for `localhost` (and 127.0.0.1) written as PEM files, for
/// `smtpd --tls-cert/--tls-key` and for the clients to trust.
pub struct Cert {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Cert {
    pub fn write(dir: &TempDir) -> Self {
        let generated = smtp_server::tls::self_signed("localhost").unwrap();
        Self {
            cert: dir.write("cert.pem", generated.cert_pem.as_bytes()),
            key: dir.write("key.pem", generated.key_pem.as_bytes()),
        }
    }
}

/// A port nobody listens on (bound, then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until something accepts connections on `addr`.
pub fn wait_listening(addr: SocketAddr, what: &str) {
    let started = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err() {
        assert!(started.elapsed() < LIMIT, "{what} did not start listening on {addr}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A running `smtpd --handler mailbox:<dir>/maildir` on 127.0.0.1.
pub struct Smtpd {
    pub addr: SocketAddr,
    pub maildir: PathBuf,
    pub cert: Cert,
    running: Running,
}

impl Smtpd {
    /// Starts smtpd on a free port with a generated certificate (STARTTLS, or implicit TLS
    /// with `--smtps` in `extra`), the user alice, and `extra` flags.
    pub fn start(dir: &TempDir, extra: &[&str]) -> Self {
        let cert = Cert::write(dir);
        let maildir = dir.path().join("maildir");
        let mut command = Command::new(env!("CARGO_BIN_EXE_smtpd"));
        command
            .args(["--listen", "127.0.0.1:0", "--hostname", "mx.test"])
            .arg("--handler")
            .arg(format!("mailbox:{}", maildir.display()))
            .arg("--auth-user")
            .arg(format!("{LOGIN}:{PASSWORD}"))
            .arg("--tls-cert")
            .arg(&cert.cert)
            .arg("--tls-key")
            .arg(&cert.key)
            .args(["--timeout", "30"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut running = Running::spawn("smtpd", &mut command);
        let stdout = running.child.stdout.take().unwrap();
        let (lines, first) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = lines.send(line);
            // Keep draining so smtpd never blocks on a full pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        let line = first.recv_timeout(LIMIT).expect("smtpd printed its address in time");
        let addr = line
            .trim()
            .strip_prefix("smtpd: listening on ")
            .and_then(|rest| rest.split(' ').next())
            .unwrap_or_else(|| panic!("smtpd's first line: {line:?}"))
            .parse()
            .unwrap();
        Self { addr, maildir, cert, running }
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Whether smtpd is still running.
    pub fn is_running(&mut self) -> bool {
        self.running.is_running()
    }

    /// Waits for `count` messages in `new/` and returns them, oldest name first.
    pub fn wait_for_messages(&self, count: usize) -> Vec<Vec<u8>> {
        let new = self.maildir.join("new");
        let started = Instant::now();
        loop {
            let mut files: Vec<PathBuf> = std::fs::read_dir(&new)
                .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
                .unwrap_or_default();
            if files.len() >= count {
                assert_eq!(files.len(), count, "more messages than sent: {files:?}");
                files.sort();
                return files.iter().map(|f| std::fs::read(f).unwrap()).collect();
            }
            assert!(
                started.elapsed() < LIMIT,
                "{} of {count} messages arrived in {}",
                files.len(),
                new.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The one message that arrived, split into its envelope lines and the message.
    pub fn the_message(&self) -> Stored {
        let mut messages = self.wait_for_messages(1);
        Stored::split(&messages.remove(0))
    }
}

/// A Maildir file: the three `X-` lines smtpd adds, and the message after them.
#[derive(Debug)]
pub struct Stored {
    pub peer: String,
    pub mail_from: String,
    pub rcpt_to: String,
    pub message: Vec<u8>,
}

impl Stored {
    /// Splits off the `X-Peer`, `X-MailFrom` and `X-RcptTo` lines (CRLF-terminated).
    pub fn split(file: &[u8]) -> Self {
        let mut rest = file;
        let mut field = |name: &str| {
            let end = rest.windows(2).position(|w| w == b"\r\n").expect("a CRLF line");
            let line = std::str::from_utf8(&rest[..end]).unwrap().to_owned();
            rest = &rest[end + 2..];
            line.strip_prefix(name)
                .unwrap_or_else(|| panic!("expected {name} in {line:?}"))
                .to_owned()
        };
        let peer = field("X-Peer: ");
        let mail_from = field("X-MailFrom: ");
        let rcpt_to = field("X-RcptTo: ");
        Self { peer, mail_from, rcpt_to, message: rest.to_vec() }
    }

    /// Asserts the envelope is [`FROM`] → [`TO`] and the message is `sent`, byte for byte.
    pub fn assert_is(&self, sent: &[u8]) {
        assert_eq!(self.mail_from, FROM);
        assert_eq!(self.rcpt_to, TO);
        assert_eq!(
            String::from_utf8_lossy(&self.message),
            String::from_utf8_lossy(sent),
            "the message arrived changed"
        );
        assert_eq!(self.message, sent);
    }
}

/// What a client printed, and how it ended.
#[derive(Debug)]
pub struct Transcript {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Transcript {
    /// Both streams, for failure messages and searching.
    pub fn all(&self) -> String {
        format!("--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr)
    }

    /// Asserts the client exited 0.
    pub fn assert_success(&self, what: &str) -> &Self {
        assert!(self.status.success(), "{what} failed ({}):\n{}", self.status, self.all());
        self
    }
}

/// Runs a client to completion within [`LIMIT`] (killed by PID otherwise), its output
/// captured in files under `dir`.
pub fn run(dir: &TempDir, name: &'static str, command: &mut Command) -> Transcript {
    let out_path = dir.path().join(format!("{name}.stdout"));
    let err_path = dir.path().join(format!("{name}.stderr"));
    command
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap());
    let mut running = Running::spawn(name, command);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = running.child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > LIMIT {
            drop(running);
            panic!(
                "{name} did not finish within {LIMIT:?}:\n{}\n{}",
                read_lossy(&out_path),
                read_lossy(&err_path)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Transcript { status, stdout: read_lossy(&out_path), stderr: read_lossy(&err_path) }
}

fn read_lossy(path: &Path) -> String {
    let mut bytes = Vec::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        let _ = file.read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
