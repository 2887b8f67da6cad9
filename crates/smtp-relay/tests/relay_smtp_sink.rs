//! Postfix's `smtp-sink` as the upstream: what the relay delivers arrives unchanged.
//!
//! The helper finds `smtp-sink` under `<target>/tools/postfix`, or fetches it there once with
//! `apt-get download postfix` and `dpkg -x` (saying so). A machine without `apt-get` or
//! `dpkg`, or where the download fails, fails this test with a message: it never skips.
#![allow(clippy::unwrap_used)]

#[path = "../../../test-support/postfix_tools.rs"]
mod postfix_tools;
mod relay_support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use relay_support::{ALICE, Dialogue, LIMIT, PASSWORD, TempDir, free_port, relay_addr};
use relay_support::{relay_cert_path, relay_config, start_relay};

/// `<target>/tools/postfix`, holding `usr/sbin/smtp-sink` (fetched when missing).
fn postfix_root() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    postfix_tools::postfix_root(target, "smtp-sink")
}

/// A running smtp-sink, killed on drop.
struct Sink(Child);

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts smtp-sink on `addr`, dumping every transaction into `dump/`.
fn start_sink(addr: std::net::SocketAddr, dump: &Path) -> Sink {
    let root = postfix_root();
    std::fs::create_dir_all(dump).unwrap();
    let mut command = Command::new(root.join("usr/sbin/smtp-sink"));
    command.env("LD_LIBRARY_PATH", root.join("usr/lib/postfix"));
    let is_root = Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    if is_root {
        // smtp-sink drops root for the user "postfix" unless told otherwise.
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(dump, std::fs::Permissions::from_mode(0o777)).unwrap();
        command.args(["-u", "nobody"]);
    }
    let template = format!("{}/%M.", dump.display());
    let child = command
        .args(["-d", &template, &addr.to_string(), "10"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start smtp-sink: {e}"));
    Sink(child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_reach_postfix_smtp_sink_unchanged() {
    let dir = TempDir::new("smtp-sink");
    let sink_addr = free_port();
    let dump = dir.path().join("dump");
    let _sink = start_sink(sink_addr, &dump);
    let started = tokio::time::Instant::now();
    while tokio::net::TcpStream::connect(sink_addr).await.is_err() {
        assert!(started.elapsed() < LIMIT, "smtp-sink did not start listening");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let relay =
        start_relay(relay_config(&dir.path().join("relay"), &[("example.net", sink_addr)])).await;
    let body = "From: alice@example.com\r\nSubject: to postfix\r\n\r\n.leading dot\r\n..two dots\r\nlast line";
    let mut client =
        Dialogue::authenticated(relay_addr(&relay), &relay_cert_path(&relay), ALICE, PASSWORD)
            .await;
    for (command, expected) in [
        (format!("MAIL FROM:<{ALICE}>"), "250"),
        ("RCPT TO:<one@example.net>".to_owned(), "250"),
        ("RCPT TO:<two@example.net>".to_owned(), "250"),
        ("DATA".to_owned(), "354"),
    ] {
        let reply = client.cmd(&command).await;
        assert!(reply.starts_with(expected), "{command}: {reply}");
    }
    // On the wire the leading dots are doubled.
    let reply = client.cmd(&format!("{}\r\n.", body.replace("\r\n.", "\r\n.."))).await;
    assert!(reply.starts_with("250 2.0.0 OK queued as "), "{reply}");
    let id = reply.rsplit(' ').next().unwrap().to_owned();

    let dumped = loop {
        let files: Vec<PathBuf> =
            std::fs::read_dir(&dump).unwrap().filter_map(Result::ok).map(|e| e.path()).collect();
        if let Some(file) = files.first() {
            let text = std::fs::read_to_string(file).unwrap();
            if text.ends_with("last line\n\n") {
                break text;
            }
        }
        assert!(started.elapsed() < LIMIT, "nothing arrived at smtp-sink: {files:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // smtp-sink writes the envelope as X- lines, its own Received header, then the message
    // with LF line ends and an empty line after it.
    let envelope: Vec<&str> = dumped.lines().take_while(|l| l.starts_with("X-")).collect();
    assert!(envelope.contains(&"X-Mail-Args: <alice@example.com>"), "{dumped}");
    assert!(envelope.contains(&"X-Rcpt-Args: <one@example.net>"), "{dumped}");
    assert!(envelope.contains(&"X-Rcpt-Args: <two@example.net>"), "{dumped}");
    let after_sink_received = dumped.split_once("\n\tby smtp-sink").unwrap().1;
    let message = after_sink_received.split_once("(UTC)\n").unwrap().1;
    let expected_start = format!(
        "Received: from client.test ([127.0.0.1])\n\tby relay.test with ESMTPSA id {id};\n\t"
    );
    assert!(message.starts_with(&expected_start), "{message}");
    let submitted = message.split_once("+0000\n").unwrap().1;
    assert_eq!(
        submitted,
        format!("{}\n\n", body.replace("\r\n", "\n")),
        "unchanged, dots unstuffed"
    );
    assert_eq!(std::fs::read_dir(&dump).unwrap().count(), 1, "one transaction for both recipients");
    relay.shutdown().await;
}
