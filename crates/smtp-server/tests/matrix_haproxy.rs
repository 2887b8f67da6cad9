//! The interop matrix, HAProxy × smtpd: HAProxy (mode tcp) with `send-proxy` and
//! `send-proxy-v2` in front of `smtpd --proxy-protocol`, curl sending through it from a source
//! port the test chose. The Maildir file's `X-Peer:` must name that port (the client's real
//! address, not HAProxy's connection to smtpd), and the message must arrive byte for byte.
#![cfg(all(unix, feature = "cli"))]
#![allow(clippy::unwrap_used)]

mod matrix_support;

use std::net::SocketAddr;
use std::process::{Command, Stdio};

use matrix_support::wait_listening;
use matrix_support::{FROM, MESSAGE, Running, Smtpd, TO, TempDir, free_port, run, tool};

/// HAProxy in front of `backend`, listening on `front`, with `send` (`send-proxy` or
/// `send-proxy-v2`); the configuration is written into `dir`.
fn start_haproxy(dir: &TempDir, front: SocketAddr, backend: SocketAddr, send: &str) -> Running {
    let config = format!(
        "global\n    maxconn 64\n\
         defaults\n    mode tcp\n    timeout connect 10s\n    timeout client 60s\n    timeout server 60s\n\
         frontend matrix\n    bind {front}\n    default_backend smtpd\n\
         backend smtpd\n    server smtpd {backend} {send}\n"
    );
    let config = dir.write("haproxy.cfg", config.as_bytes());
    let mut command = Command::new(tool("haproxy", "haproxy"));
    command.arg("-f").arg(&config).arg("-db").stdin(Stdio::null()).stdout(Stdio::null());
    let haproxy = Running::spawn("haproxy", &mut command);
    wait_listening(front, "haproxy");
    haproxy
}

#[test]
fn x_peer_is_the_client_behind_send_proxy_v1_and_v2() {
    let curl = tool("curl", "curl");
    for send in ["send-proxy", "send-proxy-v2"] {
        let dir = TempDir::new("haproxy");
        let smtpd = Smtpd::start(&dir, &["--proxy-protocol"]);
        let front = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let _haproxy = start_haproxy(&dir, front, smtpd.addr, send);
        // wait_listening's probe connection went through HAProxy too: it sent a PROXY header
        // and closed, delivering nothing.
        let source_port = free_port();
        let message = dir.write("message.eml", MESSAGE);
        let mut command = Command::new(&curl);
        command
            .args(["--verbose", "--show-error", "--silent", "--max-time", "30"])
            .arg(format!("smtp://{front}/client.test"))
            .args(["--local-port", &source_port.to_string()])
            .args(["--mail-from", FROM, "--mail-rcpt", TO])
            .arg("--upload-file")
            .arg(&message);
        let transcript = run(&dir, "curl", &mut command);
        transcript.assert_success(send);
        let stored = smtpd.the_message();
        assert_eq!(stored.peer, format!("127.0.0.1:{source_port}"), "{send}: {stored:?}");
        stored.assert_is(MESSAGE);
    }
}
