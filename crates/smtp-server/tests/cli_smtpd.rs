//! End to end: the `smtpd` binary with a Maildir, a message over TCP, then SIGTERM.
//!
//! Needs the real session state machine and listeners (branches `core` and `net`).

#![cfg(all(unix, feature = "cli"))]
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the server if the test fails half-way.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A minimal SMTP client: one reply per call, multi-line aware.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Client {
    fn connect(port: u16) -> Self {
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        Self { reader: BufReader::new(stream.try_clone().unwrap()), writer: stream }
    }

    fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            assert!(self.reader.read_line(&mut line).unwrap() > 0, "server closed early");
            all.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }

    fn send(&mut self, bytes: &str, want_code: &str) -> String {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        let reply = self.reply();
        assert!(reply.starts_with(want_code), "sent {bytes:?}, got {reply:?}");
        reply
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("smtpd-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir).map_or_else(|_| Vec::new(), |d| d.map(|e| e.unwrap().path()).collect())
}

#[test]
fn delivers_into_a_maildir_and_stops_on_sigterm() {
    delivers_and_stops(Command::new(env!("CARGO_BIN_EXE_smtpd")), "any-core", None);
}

/// On one core (`taskset -c 0`) the server runs on its main thread alone, and serves the same.
#[test]
fn on_one_core_runs_on_one_thread() {
    let mut taskset = Command::new("taskset");
    taskset.args(["-c", "0", env!("CARGO_BIN_EXE_smtpd")]);
    delivers_and_stops(taskset, "one-core", Some(1));
}

/// The number of threads of process `pid`.
fn threads(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find_map(|line| line.strip_prefix("Threads:")).unwrap();
    line.trim().parse().unwrap()
}

/// Starts `smtpd` (through `command`), checks its thread count once it listens, delivers a
/// message into a Maildir and stops it with SIGTERM.
fn delivers_and_stops(mut command: Command, name: &str, want_threads: Option<usize>) {
    let maildir = temp_dir(name);
    let child = command
        .args(["--listen", "127.0.0.1:0", "--hostname", "mx.test"])
        .arg("--handler")
        .arg(format!("mailbox:{}", maildir.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut server = Running(child);

    // The first line names the real port.
    let mut stdout = BufReader::new(server.0.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr =
        line.trim().strip_prefix("smtpd: listening on ").unwrap_or_else(|| panic!("{line:?}"));
    let port: u16 = addr.rsplit_once(':').unwrap().1.parse().unwrap();
    assert_ne!(port, 0);
    if let Some(want) = want_threads {
        assert_eq!(threads(server.0.id()), want);
    }

    let mut client = Client::connect(port);
    assert!(client.reply().starts_with("220 mx.test"));
    client.send("EHLO client.test\r\n", "250");
    client.send("MAIL FROM:<alice@example.com>\r\n", "250");
    client.send("RCPT TO:<bob@example.com>\r\n", "250");
    client.send("DATA\r\n", "354");
    client.send("Subject: cli\r\n\r\n..dot-stuffed\r\nbye\r\n.\r\n", "250");
    client.send("QUIT\r\n", "221");

    let stored = files(&maildir.join("new"));
    assert_eq!(stored.len(), 1, "one message in new/");
    let content = std::fs::read_to_string(&stored[0]).unwrap();
    assert!(content.starts_with("X-Peer: 127.0.0.1:"), "{content:?}");
    assert!(
        content.ends_with(
            "\r\nX-MailFrom: alice@example.com\r\nX-RcptTo: bob@example.com\r\n\
             Subject: cli\r\n\r\n.dot-stuffed\r\nbye\r\n"
        ),
        "{content:?}"
    );
    assert!(files(&maildir.join("tmp")).is_empty());

    let status = Command::new("kill").args(["-TERM", &server.0.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = server.0.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "smtpd did not stop after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "clean exit, got {exit}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    std::fs::remove_dir_all(&maildir).unwrap();
}

#[test]
fn a_bad_command_line_exits_with_status_2_and_a_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_smtpd"))
        .args(["--listen", "127.0.0.1:0", "--tls-cert", "cert.pem"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.trim(), "smtpd: error: --tls-cert needs --tls-key (give both or neither)");
}

/// `smtpd` allocates with mimalloc, which introduces itself when `MIMALLOC_VERBOSE` is set.
#[test]
fn allocates_with_mimalloc() {
    let output = Command::new(env!("CARGO_BIN_EXE_smtpd"))
        .arg("--help")
        .env("MIMALLOC_VERBOSE", "1")
        .output()
        .unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("mimalloc: process init"), "{stderr}");
}
