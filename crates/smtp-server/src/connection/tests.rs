//! Graceful shutdown, driven through the shared shutdown signal (the listener side owns the
//! sender in production).

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::sync::watch;

use super::{Transport, serve};
use crate::ServerConfig;
use crate::handler::Handler;
use crate::session::PeerAddr;
use crate::shared::Shared;

struct Defaults;
impl Handler for Defaults {}

/// Segments the client socket has received so far, as the kernel counts them (`segs_in` of
/// `ss -ti`, iproute2's view of `TCP_INFO`).
pub(super) fn segments_in(client: &std::net::TcpStream) -> u32 {
    tcp_info_count(client, "segs_in:")
}

/// Segments with data in them the client socket has received so far (`data_segs_in`): what
/// the server wrote, without the acknowledgements its kernel sent on its own.
pub(super) fn data_segments_in(client: &std::net::TcpStream) -> u32 {
    tcp_info_count(client, "data_segs_in:")
}

fn tcp_info_count(client: &std::net::TcpStream, field: &str) -> u32 {
    let local = client.local_addr().unwrap();
    let output = std::process::Command::new("ss")
        .args(["-tinH", "state", "all", "src", &local.to_string()])
        .output()
        .expect("ss (iproute2) runs");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("segs_in:"), "no TCP_INFO for {local} in {text:?}");
    // ss leaves out counters that are still zero.
    let value = text.split_whitespace().find_map(|word| word.strip_prefix(field));
    value.map_or(0, |n| n.parse().unwrap())
}

fn start() -> (watch::Sender<bool>, DuplexStream, tokio::task::JoinHandle<()>) {
    let (sender, receiver) = watch::channel(false);
    let config = ServerConfig { hostname: "mx.test".into(), ..ServerConfig::default() };
    let shared = Arc::new(Shared::new(config, Arc::new(Defaults), receiver));
    let (client, server) = tokio::io::duplex(1 << 16);
    let task = tokio::spawn(serve(server, PeerAddr::Memory("t".into()), shared, Transport::Plain));
    (sender, client, task)
}

/// Reads until `count` CRLF-terminated lines have arrived (or EOF).
async fn read_lines(client: &mut DuplexStream, count: usize) -> String {
    let mut seen = Vec::new();
    let mut chunk = [0u8; 4096];
    while seen.iter().filter(|&&b| b == b'\n').count() < count {
        let read = client.read(&mut chunk).await.unwrap();
        if read == 0 {
            break;
        }
        seen.extend_from_slice(&chunk[..read]);
    }
    String::from_utf8(seen).unwrap()
}

#[tokio::test]
async fn an_idle_connection_is_told_and_closed() {
    let (shutdown, mut client, task) = start();
    assert!(read_lines(&mut client, 1).await.starts_with("220 "));
    client.write_all(b"NOOP\r\n").await.unwrap();
    assert_eq!(read_lines(&mut client, 1).await, "250 2.0.0 OK\r\n");
    shutdown.send(true).unwrap();
    assert_eq!(
        read_lines(&mut client, 1).await,
        "421 4.3.2 Service shutting down, closing transmission channel\r\n"
    );
    assert_eq!(read_lines(&mut client, 1).await, "");
    task.await.unwrap();
}

#[tokio::test]
async fn a_message_in_progress_is_finished_first() {
    let (shutdown, mut client, task) = start();
    read_lines(&mut client, 1).await;
    client
        .write_all(b"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n")
        .await
        .unwrap();
    let replies = read_lines(&mut client, 11).await;
    assert!(replies.ends_with("354 End data with <CR><LF>.<CR><LF>\r\n"), "{replies}");
    shutdown.send(true).unwrap();
    tokio::task::yield_now().await;
    client.write_all(b"body\r\n.\r\n").await.unwrap();
    let rest = read_lines(&mut client, 2).await;
    assert_eq!(
        rest,
        "250 2.0.0 OK\r\n421 4.3.2 Service shutting down, closing transmission channel\r\n"
    );
    task.await.unwrap();

    // A connection that arrives during the shutdown is refused at once.
    let (shutdown, mut client, task) = start();
    shutdown.send(true).unwrap();
    assert!(read_lines(&mut client, 1).await.starts_with("421 4.3.2"));
    task.await.unwrap();
}

/// The future of a plain connection (what every idle connection holds) has no room for the TLS
/// continuation or an AUTH or BDAT exchange (boxed when taken) and holds one copy of the
/// session (boxed). Debug build: 14 KiB with the TLS paths inline, 4 KiB with the session
/// copied into each layer, 2.9 KiB now.
#[test]
fn a_plain_connection_future_stays_small() {
    let (_sender, receiver) = watch::channel(false);
    let shared = Arc::new(Shared::new(ServerConfig::default(), Arc::new(Defaults), receiver));
    let (_client, server) = tokio::io::duplex(16);
    let future = serve(server, PeerAddr::Memory("t".into()), shared, Transport::Plain);
    let size = std::mem::size_of_val(&future);
    assert!(size <= 3584, "the connection future takes {size} bytes");
}
