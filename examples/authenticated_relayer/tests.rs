//! The relayer as its users run it: the command line parsed by clap, `serve` over
//! `Relay::start`, lettre submitting over STARTTLS and implicit TLS, the `user` and `queue`
//! subcommands, and a `serve` process killed with SIGKILL in the middle of a burst.
//!
//! Child processes are this test binary itself: it re-runs itself with only the ignored
//! `tests::child_cli` selected and the command line in `RELAYER_CHILD_ARGS`, and that entry
//! runs the real `run(Cli)`. Every wait is bounded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use clap::Parser as _;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use smtpd::auth::ServerInfo;
use smtpd::proto::reply::Reply;
use smtpd::relay::Relay;
use smtpd::relay::users::UserStore;
use smtpd::server::server::{BoundAddr, Listen};
use smtpd::server::{Envelope, Handler, HookResult, Server, ServerConfig, ServerHandle, Session};

use crate::cli::{Cli, Command as CliCommand};

/// The longest any wait may take.
const LIMIT: Duration = Duration::from_secs(90);
/// Separates the child's arguments in `RELAYER_CHILD_ARGS`.
const SEPARATOR: char = '\u{1f}';
const ALICE: &str = "alice@example.com";
const PASSWORD: &str = "lettre and smtplib agree";

/// A message as the upstream received it.
#[derive(Clone, Debug)]
struct Arrived {
    rcpt_tos: Vec<String>,
    content: Vec<u8>,
}

/// An upstream that records every message.
#[derive(Clone, Default)]
struct Upstream(Arc<Mutex<Vec<Arrived>>>);

#[async_trait]
impl Handler for Upstream {
    async fn data(&self, _: &ServerInfo, _: &mut Session, envelope: &mut Envelope) -> HookResult {
        self.0.lock().unwrap().push(Arrived {
            rcpt_tos: envelope.rcpt_tos.iter().map(ToString::to_string).collect(),
            content: envelope.content.as_ref().map(|c| c.to_vec()).unwrap_or_default(),
        });
        Ok(Reply::ok())
    }
}

impl Upstream {
    fn messages(&self) -> Vec<Arrived> {
        self.0.lock().unwrap().clone()
    }

    async fn wait_for(&self, what: &str, done: impl Fn(&[Arrived]) -> bool) -> Vec<Arrived> {
        let started = tokio::time::Instant::now();
        loop {
            let messages = self.messages();
            if done(&messages) {
                return messages;
            }
            assert!(started.elapsed() < LIMIT, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn start_upstream() -> (ServerHandle, Upstream, SocketAddr) {
    let upstream = Upstream::default();
    let config = ServerConfig { hostname: "mx.test".into(), ..ServerConfig::default() };
    let handle = Server::new(config, upstream.clone())
        .start([Listen::Tcp(SocketAddr::from(([127, 0, 0, 1], 0)))])
        .await
        .unwrap();
    let addr = handle.local_addr().unwrap();
    (handle, upstream, addr)
}

/// A fresh directory under the target's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let dir =
            std::env::temp_dir().join(format!("relayer-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

/// lettre towards the relay at `port`, trusting its certificate, as alice with PLAIN.
fn lettre(port: u16, cert: &Path, implicit: bool) -> AsyncSmtpTransport<Tokio1Executor> {
    let root = Certificate::from_pem(&std::fs::read(cert).unwrap()).unwrap();
    let parameters =
        TlsParameters::builder("localhost".to_owned()).add_root_certificate(root).build().unwrap();
    let tls = if implicit { Tls::Wrapper(parameters) } else { Tls::Required(parameters) };
    AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(20)))
        .credentials(Credentials::new(ALICE.to_owned(), PASSWORD.to_owned()))
        .authentication(vec![Mechanism::Plain])
        .build()
}

fn message(subject: &str) -> Message {
    Message::builder()
        .from(ALICE.parse().unwrap())
        .to("bob@example.net".parse().unwrap())
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(String::from("Hello through the relay.\r\n.a leading dot\r\n.\r\nbye\r\n"))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lettre_over_starttls_and_implicit_tls_through_the_serve_configuration() {
    let (_upstream_handle, upstream, upstream_addr) = start_upstream().await;
    let dir = TempDir::new("lettre");
    let route = format!("example.net={upstream_addr}");
    let cli = Cli::parse_from([
        "authenticated_relayer",
        "serve",
        "--data-dir",
        dir.0.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--smtps-listen",
        "127.0.0.1:0",
        "--route",
        &route,
        "--hostname",
        "relay.test",
    ]);
    let CliCommand::Serve(args) = cli.command else { panic!("not serve") };
    let relay = Relay::start(crate::serve::config_from(&args).unwrap()).await.unwrap();
    relay.users().add_user(ALICE, PASSWORD.into(), vec![]).await.unwrap();
    let cert = dir.0.join("tls/cert.pem");
    let (BoundAddr::Tcp(submission), BoundAddr::ImplicitTls(smtps)) =
        (&relay.local_addrs()[0], &relay.local_addrs()[1])
    else {
        panic!("listeners: {:?}", relay.local_addrs())
    };

    for (round, (port, implicit)) in
        [(submission.port(), false), (smtps.port(), true)].into_iter().enumerate()
    {
        let message = message(&format!("lettre {round}"));
        let response = lettre(port, &cert, implicit).send(message.clone()).await.unwrap();
        let text = response.message().collect::<Vec<_>>().join(" ");
        assert!(text.starts_with("2.0.0 OK queued as "), "{text}");
        let id = text.rsplit(' ').next().unwrap().to_owned();
        let arrived = upstream.wait_for("the lettre message", |m| m.len() > round).await;
        assert_eq!(arrived[round].rcpt_tos, vec!["<bob@example.net>".to_owned()]);
        let content = &arrived[round].content;
        let header_end = content.windows(7).position(|w| w == b"+0000\r\n").unwrap() + 7;
        let received = String::from_utf8_lossy(&content[..header_end]);
        assert!(
            received.starts_with("Received: from ")
                && received.contains(&format!("by relay.test with ESMTPSA id {id};")),
            "{received}"
        );
        // lettre adds one CRLF after the formatted message.
        let mut expected = message.formatted();
        expected.extend_from_slice(b"\r\n");
        assert_eq!(&content[header_end..], &expected[..], "the message arrives unchanged");
    }
    relay.shutdown().await;
}

/// The entry point of child processes (see the module documentation); does nothing when run
/// by hand.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "entry point for child processes of the other tests"]
async fn child_cli() {
    let Ok(args) = std::env::var("RELAYER_CHILD_ARGS") else { return };
    let argv = std::iter::once("authenticated_relayer".to_owned())
        .chain(args.split(SEPARATOR).map(str::to_owned));
    if let Err(error) = crate::run(Cli::parse_from(argv)).await {
        println!("error: {error}");
        std::process::exit(1);
    }
}

/// Runs the CLI with `args` in a child process; `stdin` goes to its standard input.
fn spawn_cli(args: &[&str], stdin: &[u8]) -> Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "tests::child_cli", "--nocapture", "--test-threads", "1"])
        .env("RELAYER_CHILD_ARGS", args.join(&SEPARATOR.to_string()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child
}

/// Runs the CLI to its end; returns its success and standard output.
async fn run_cli(args: &[&str], stdin: &[u8]) -> (bool, String) {
    let child = spawn_cli(args, stdin);
    let output =
        tokio::time::timeout(LIMIT, tokio::task::spawn_blocking(move || child.wait_with_output()))
            .await
            .expect("the CLI finished in time")
            .unwrap()
            .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.success() && !stdout.contains("error: "), stdout)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_and_queue_commands_work_without_a_running_relay() {
    let dir = TempDir::new("cli");
    let data = dir.0.to_str().unwrap();
    let cases: [(&[&str], &[u8], bool, &str); 9] = [
        (
            &["user", "add", "bob", "--sender", "@example.org", "--data-dir", data],
            b"pw\n",
            false,
            "is neither an address",
        ),
        (
            &[
                "user",
                "add",
                "bob",
                "--sender",
                "bob@example.com",
                "--sender",
                "bob@example.org",
                "--data-dir",
                data,
            ],
            b"pw one\n",
            true,
            "added bob",
        ),
        (&["user", "add", "bob", "--data-dir", data], b"pw\n", false, "exists already"),
        (&["user", "add", "carol", "--data-dir", data], b"\n", false, "empty password"),
        (&["user", "list", "--data-dir", data], b"", true, "bob\tbob@example.com bob@example.org"),
        (
            &["user", "passwd", "bob", "--data-dir", data],
            b"pw two\n",
            true,
            "changed the password of bob",
        ),
        (&["queue", "list", "--data-dir", data], b"", true, "the queue is empty"),
        (
            &["queue", "flush", "--data-dir", data],
            b"",
            true,
            "`serve` delivers them when it starts",
        ),
        (&["user", "del", "bob", "--data-dir", data], b"", true, "deleted bob"),
    ];
    for (args, stdin, success, expected) in cases {
        let (ok, stdout) = run_cli(args, stdin).await;
        assert_eq!(ok, success, "{args:?}: {stdout}");
        assert!(stdout.contains(expected), "{args:?}: {stdout}");
    }
    let store = UserStore::open(dir.0.join("users.sqlite")).await.unwrap();
    assert!(store.list_users().await.unwrap().is_empty());
}

/// The arguments as `&str`s.
fn as_strs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// Waits until something listens on `addr`.
async fn wait_listening(addr: SocketAddr) {
    let started = tokio::time::Instant::now();
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(started.elapsed() < LIMIT, "the relay did not start listening on {addr}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_that_got_a_250_is_delivered_after_a_sigkill_and_a_restart() {
    let (_upstream_handle, upstream, upstream_addr) = start_upstream().await;
    let dir = TempDir::new("crash");
    std::fs::create_dir_all(&dir.0).unwrap();
    let store = UserStore::open(dir.0.join("users.sqlite")).await.unwrap();
    store.add_user(ALICE, PASSWORD.into(), vec![]).await.unwrap();
    drop(store);
    let listen = free_port();
    let listen_text = listen.to_string();
    // The first run's upstream is down, so every accepted message must survive the kill in
    // the queue; the second run routes to the live upstream.
    let (dead, live) =
        (format!("example.net={}", free_port()), format!("example.net={upstream_addr}"));
    let args = |route: &str| -> Vec<String> {
        [
            "serve",
            "--data-dir",
            dir.0.to_str().unwrap(),
            "--listen",
            &listen_text,
            "--route",
            route,
            "--hostname",
            "relay.test",
            "--retry-seconds",
            "1",
        ]
        .map(str::to_owned)
        .to_vec()
    };
    let (first_args, second_args) = (args(&dead), args(&live));

    let mut first = spawn_cli(&as_strs(&first_args), b"");
    wait_listening(listen).await;
    let cert = dir.0.join("tls/cert.pem");
    let accepted = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut workers = Vec::new();
    for worker in 0..3 {
        let (accepted, cert) = (Arc::clone(&accepted), cert.clone());
        workers.push(tokio::spawn(async move {
            let transport = lettre(listen.port(), &cert, false);
            for n in 0..15 {
                let subject = format!("crash-{worker}-{n}");
                if transport.send(message(&subject)).await.is_ok() {
                    accepted.lock().unwrap().push(subject);
                }
            }
        }));
    }
    let started = tokio::time::Instant::now();
    while accepted.lock().unwrap().len() < 10 {
        assert!(started.elapsed() < LIMIT, "the burst did not get going");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill().unwrap(); // SIGKILL, mid-burst
    first.wait().unwrap();
    for worker in workers {
        worker.await.unwrap();
    }
    let accepted = accepted.lock().unwrap().clone();
    assert!(
        accepted.len() >= 10 && accepted.len() < 45,
        "the kill came mid-burst: {}",
        accepted.len()
    );

    // Offline (the killed process's lock is stale): every accepted message is queued.
    let (ok, listing) =
        run_cli(&["queue", "list", "--data-dir", dir.0.to_str().unwrap()], b"").await;
    assert!(ok, "{listing}");
    let queued = listing.lines().filter(|l| l.contains("from <alice@example.com>")).count();
    assert!(queued >= accepted.len(), "{queued} queued < {} accepted:\n{listing}", accepted.len());
    assert!(upstream.messages().is_empty());

    let second = spawn_cli(&as_strs(&second_args), b"");
    wait_listening(listen).await;
    upstream
        .wait_for("every accepted message", |arrived| {
            accepted.iter().all(|subject| {
                let needle = format!("Subject: {subject}\r\n");
                arrived.iter().any(|m| String::from_utf8_lossy(&m.content).contains(&needle))
            })
        })
        .await;
    // SIGTERM: a graceful stop, exit status 0, lock and control socket gone.
    let stopped = Command::new("kill").args(["-TERM", &second.id().to_string()]).status().unwrap();
    assert!(stopped.success());
    let output =
        tokio::time::timeout(LIMIT, tokio::task::spawn_blocking(move || second.wait_with_output()))
            .await
            .expect("serve stopped in time")
            .unwrap()
            .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
    assert!(!dir.0.join("relayer.lock").exists() && !dir.0.join("control.sock").exists());
}
