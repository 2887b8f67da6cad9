//! `smtp-load` against an in-process `smtp_server::Server` with the Sink handler: every
//! scenario of `cargo xtask bench` with tiny counts, and zero failures.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use smtp_bench::args::{Credentials, Limits, Mode, Plan, Script};
use smtp_server::handlers::Sink;
use smtp_server::server::{Listen, ServerHandle};
use smtp_server::smtp_auth::MemoryAuthenticator;
use smtp_server::{Server, ServerConfig};

async fn start_server() -> (ServerHandle, SocketAddr) {
    let mut config = ServerConfig::default();
    config.auth_require_tls = false;
    config.authenticator = Some(Arc::new(MemoryAuthenticator::new().with_user("alice", "secret")));
    config.tls = Some(smtp_server::tls::self_signed("localhost").unwrap().config);
    let server = Server::new(config, Sink);
    let handle = server.start([Listen::Tcp(SocketAddr::from(([127, 0, 0, 1], 0)))]).await.unwrap();
    let addr = handle.local_addr().unwrap();
    (handle, addr)
}

fn script(per_session: u32, pipelining: bool, auth: bool, starttls: bool, size: usize) -> Script {
    let auth = auth.then(|| Credentials { user: "alice".into(), password: "secret".into() });
    Script { per_session, pipelining, auth, starttls, tls_resumption: true, size }
}

fn field(line: &str, name: &str) -> String {
    let key = format!("\"{name}\":");
    let start = line.find(&key).unwrap() + key.len();
    line[start..].split([',', '}']).next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_runs_without_failures() {
    let (handle, target) = start_server().await;
    let scenarios = [
        ("one message per session", script(1, false, false, false, 1024), 8, 40),
        ("many per session", script(10, false, false, false, 1024), 3, 60),
        ("many per session, pipelined", script(10, true, false, false, 1024), 3, 60),
        ("AUTH PLAIN", script(1, false, true, false, 1024), 4, 12),
        ("1 MiB messages", script(1, false, false, false, 1 << 20), 2, 4),
        ("STARTTLS", script(1, false, false, true, 1024), 3, 9),
        ("STARTTLS, AUTH, pipelined", script(3, true, true, true, 1024), 2, 12),
        (
            "STARTTLS, full handshakes",
            Script { tls_resumption: false, ..script(1, false, false, true, 1024) },
            3,
            9,
        ),
    ];
    for (name, script, connections, messages) in scenarios {
        let plan = Plan {
            target,
            connections,
            mode: Mode::Send {
                script,
                limits: Limits { messages, duration: Duration::from_secs(30) },
            },
            io_timeout: Duration::from_secs(10),
            workers: None,
        };
        let finished = smtp_bench::execute(plan, |_| {}).await.unwrap();
        assert!(finished.clean, "{name}: {}", finished.line);
        assert_eq!(field(&finished.line, "ok"), messages.to_string(), "{name}: {}", finished.line);
        assert_eq!(field(&finished.line, "failed"), "0", "{name}");
        assert_ne!(field(&finished.line, "p99_ms"), "null", "{name}");
    }
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_held_and_announced() {
    let (handle, target) = start_server().await;
    let plan = Plan {
        target,
        connections: 20,
        mode: Mode::Idle { hold: Duration::from_millis(200) },
        io_timeout: Duration::from_secs(10),
        workers: None,
    };
    let mut announced = None;
    let finished = smtp_bench::execute(plan, |line| announced = Some(line)).await.unwrap();
    assert!(finished.clean, "{}", finished.line);
    assert_eq!(field(&finished.line, "held"), "20");
    let announced = announced.unwrap();
    assert_eq!(field(&announced, "event"), "\"holding\"");
    assert_eq!(field(&announced, "held"), "20");
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_messages_and_wrong_passwords_are_counted_as_failures() {
    let (handle, target) = start_server().await;
    let mut bad = script(2, false, true, false, 1024);
    bad.auth = Some(Credentials { user: "alice".into(), password: "wrong".into() });
    let plan = Plan {
        target,
        connections: 1,
        mode: Mode::Send {
            script: bad,
            limits: Limits { messages: 2, duration: Duration::from_secs(30) },
        },
        io_timeout: Duration::from_secs(10),
        workers: None,
    };
    let finished = smtp_bench::execute(plan, |_| {}).await.unwrap();
    assert!(!finished.clean);
    assert_eq!(field(&finished.line, "ok"), "0");
    assert_eq!(field(&finished.line, "failed"), "2");
    assert_eq!(field(&finished.line, "session_errors"), "1");
    assert!(finished.line.contains("Auth: expected 235, got 535"), "{}", finished.line);
    handle.shutdown().await;
}
