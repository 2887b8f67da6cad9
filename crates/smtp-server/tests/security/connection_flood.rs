//! Connection floods over real TCP (`Server::start`): past `max_connections` every newcomer is
//! told `421 4.3.2` and closed, the connections being served are unaffected, and a slot freed
//! by a leaving client goes to a new one.

use std::net::SocketAddr;
use std::time::Duration;

use smtp_server::{Listen, Server, ServerConfig};
use tokio::net::TcpStream;

use crate::common::{Recorder, TestClient, config};

const LIMIT: usize = 3;
const FLOOD: usize = 40;

async fn connect(addr: SocketAddr) -> TestClient<TcpStream> {
    TestClient::over(TcpStream::connect(addr).await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_flood_excess_get_421_and_the_server_stays_responsive() {
    let recorder = Recorder::default();
    let config = ServerConfig { max_connections: LIMIT, ..config() };
    let handle = Server::new(config, recorder.clone())
        .start([Listen::Tcp(SocketAddr::from(([127, 0, 0, 1], 0)))])
        .await
        .unwrap();
    let addr = handle.local_addr().unwrap();

    let mut served = Vec::new();
    for _ in 0..LIMIT {
        let mut c = connect(addr).await;
        c.expect(220).await;
        served.push(c);
    }
    // The flood: all connected at once, then each read.
    let mut flood = Vec::new();
    for _ in 0..FLOOD {
        flood.push(connect(addr).await);
    }
    for mut c in flood {
        c.expect_text("421 4.3.2 Too many connections, try again later").await;
        c.expect_close().await;
    }
    // The served ones still work, and deliver.
    for c in &mut served {
        c.cmd("NOOP", 250).await;
    }
    served[0].ehlo().await;
    let reply = served[0].send_message("a@example.com", &["b@example.com"], b"x\r\n").await;
    assert_eq!(&reply[..3], "250");

    // One leaves; a newcomer gets its slot (once the server has noticed the close).
    let mut leaving = served.remove(0);
    leaving.cmd("QUIT", 221).await;
    leaving.expect_close().await;
    let mut newcomer = None;
    for _ in 0..100 {
        let mut c = connect(addr).await;
        let first = c.read_reply().await.expect("a reply, not a silent close");
        if first.starts_with("220 ") {
            newcomer = Some(c);
            break;
        }
        assert_eq!(first, "421 4.3.2 Too many connections, try again later\r\n");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut newcomer = newcomer.expect("a freed slot never became available");
    newcomer.cmd("NOOP", 250).await;
    for c in &mut served {
        c.cmd("NOOP", 250).await;
    }
    assert_eq!(recorder.messages().len(), 1);
    handle.shutdown().await;
}
