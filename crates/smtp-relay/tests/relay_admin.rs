//! Queue administration both ways: through the running relay's control socket, and directly
//! on the queue (under the data directory's lock) when no relay runs; and the lock keeping
//! a second owner out either way.
#![allow(clippy::unwrap_used)]

mod relay_support;

use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::time::SystemTime;

use relay_support::{ALICE, Dialogue, PASSWORD, TempDir, free_port, relay_addr, relay_cert_path};
use relay_support::{relay_config, start_relay};
use smtp_relay::relay::{DataDir, LockError, QueueAdmin, Relay, RelayError};

async fn submit(relay: &smtp_relay::RelayHandle) -> String {
    let mut client =
        Dialogue::authenticated(relay_addr(relay), &relay_cert_path(relay), ALICE, PASSWORD).await;
    client.cmd(&format!("MAIL FROM:<{ALICE}>")).await;
    client.cmd("RCPT TO:<bob@example.net>").await;
    client.cmd("DATA").await;
    client.send("Subject: admin\r\n\r\nx\r\n.").await;
    let reply = client.reply().await;
    assert!(reply.starts_with("250"), "{reply}");
    reply.rsplit(' ').next().unwrap().to_owned()
}

fn assert_held(error: RelayError) {
    assert!(
        matches!(error, RelayError::Lock(LockError::Held { pid, .. }) if pid == std::process::id()),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_flush_delete_through_the_running_relay_then_offline() {
    let dir = TempDir::new("admin");
    let data = DataDir(dir.path().to_owned());
    // The upstream is down: messages stay queued.
    let mut config = relay_config(dir.path(), &[("example.net", free_port())]);
    config.retry.first_retry = std::time::Duration::from_secs(3600);
    config.retry.max_interval = config.retry.first_retry;
    let relay = start_relay(config.clone()).await;
    let first = submit(&relay).await;
    let second = submit(&relay).await;

    let socket = std::fs::metadata(data.control_socket()).unwrap();
    assert!(socket.file_type().is_socket());
    assert_eq!(socket.permissions().mode() & 0o777, 0o600, "only the owner may talk to it");
    assert_held(Relay::start(config.clone()).await.unwrap_err());

    // Live: through the control socket.
    let mut live = QueueAdmin::connect(&data).await.unwrap();
    assert!(live.is_live());
    let ids: Vec<String> = live.list().await.unwrap().into_iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![first.clone(), second.clone()]);
    live.delete(&first).await.unwrap();
    assert!(live.delete(&first).await.is_err(), "deleting twice is an error");
    assert!(live.delete("no such id").await.is_err());
    live.flush().await.unwrap();
    let entries = live.list().await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].id, second);
    assert_eq!((entries[0].mail_from.as_str(), entries[0].pending), (ALICE, 1));
    drop(live);
    relay.shutdown().await;
    assert!(!data.control_socket().exists() && !data.lock_file().exists());

    // Offline: the queue directly, holding the lock.
    let mut offline = QueueAdmin::connect(&data).await.unwrap();
    assert!(!offline.is_live());
    assert_held(Relay::start(config.clone()).await.unwrap_err());
    let before_flush = SystemTime::now();
    offline.flush().await.unwrap();
    let entries = offline.list().await.unwrap();
    assert_eq!(entries.len(), 1);
    let flushed_at = before_flush.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
    assert!(entries[0].next_attempt <= flushed_at + 1, "next attempt rewritten to now");
    offline.delete(&second).await.unwrap();
    assert!(offline.list().await.unwrap().is_empty());
    drop(offline);

    // The lock is free again.
    let relay = Relay::start(config).await.unwrap();
    assert!(relay.scheduler().list().await.unwrap().is_empty());
    relay.shutdown().await;
}
