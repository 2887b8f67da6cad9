//! `DirQueue`: durability across reopen, cleanup after a crash, corrupt entries, ordering.
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is a test failure

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use smtp_relay::queue::{
    DirQueue, QueueError, QueueId, QueueStore, QueuedMessage, QueuedRecipient, RecipientStatus,
    Recovery,
};

/// A fresh directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
        let path = std::env::temp_dir().join(format!(
            "smtp-relay-queue-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&path).unwrap();
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn meta(mail_from: &str, recipients: &[&str]) -> QueuedMessage {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    QueuedMessage {
        id: QueueId(String::new()),
        mail_from: mail_from.into(),
        recipients: recipients
            .iter()
            .map(|address| QueuedRecipient {
                address: (*address).into(),
                status: RecipientStatus::Pending,
                last_error: None,
            })
            .collect(),
        submitted_by: Some("alice".into()),
        client: Some("192.0.2.7:4000".into()),
        size: 0,
        smtputf8: false,
        eight_bit: true,
        arrived: now,
        attempts: 0,
        next_attempt: now,
        dsn_sent: false,
    }
}

async fn commit(queue: &DirQueue, chunks: &[&[u8]], meta: QueuedMessage) -> QueueId {
    let (id, mut incoming) = queue.begin().await.unwrap();
    for chunk in chunks {
        incoming.write(chunk).await.unwrap();
    }
    let committed = incoming.commit(meta).await.unwrap();
    assert_eq!(committed, id);
    id
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_committed_message_survives_reopen_with_identical_metadata_and_body() {
    let dir = TempDir::new();
    let queue = DirQueue::open(&dir.0).await.unwrap();
    let id = commit(
        &queue,
        &[b"Subject: hi\r\n", b"\r\n", b"body \xc3\xa9\r\n"],
        meta("alice@example.org", &["bob@example.net", "carol@example.com"]),
    )
    .await;
    let stored = queue.load(&id).await.unwrap();
    drop(queue);

    let (reopened, recovery) = DirQueue::open_with_report(&dir.0).await.unwrap();
    assert_eq!(recovery, Recovery::default());
    let listed = reopened.list().await.unwrap();
    assert_eq!(listed, vec![stored.clone()]);
    let mut expected = meta("alice@example.org", &["bob@example.net", "carol@example.com"]);
    expected.id = id.clone();
    expected.size = 24;
    assert_eq!(stored, expected, "the queue fixes the id and the size it counted");
    assert_eq!(
        fs::read(reopened.body_path(&id)).unwrap(),
        b"Subject: hi\r\n\r\nbody \xc3\xa9\r\n".to_vec()
    );
    assert!(names(&dir.0.join("tmp")).is_empty());
}

#[tokio::test]
async fn abort_leaves_nothing() {
    let dir = TempDir::new();
    let queue = DirQueue::open(&dir.0).await.unwrap();
    let (_, mut incoming) = queue.begin().await.unwrap();
    incoming.write(b"half a message").await.unwrap();
    assert_eq!(names(&dir.0.join("tmp")).len(), 1, "the body is written to tmp/");
    incoming.abort().await;
    assert!(names(&dir.0.join("tmp")).is_empty());
    assert!(names(&dir.0.join("msg")).is_empty());
    assert!(queue.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn leftovers_of_a_crash_are_cleaned_at_open() {
    let dir = TempDir::new();
    let queue = DirQueue::open(&dir.0).await.unwrap();
    let kept = commit(&queue, &[b"kept\r\n"], meta("a@example.org", &["b@example.net"])).await;
    // A body still being received when the process died.
    let (_, mut receiving) = queue.begin().await.unwrap();
    receiving.write(b"partial").await.unwrap();
    drop(receiving);
    // A commit interrupted between the body rename and the metadata rename.
    let orphan_body = dir.0.join("msg/0000000000000001-00000000.eml");
    fs::write(&orphan_body, b"no metadata").unwrap();
    // Metadata whose body vanished (removed by hand): kept aside, not deleted.
    let lost = commit(&queue, &[b"x"], meta("a@example.org", &["c@example.net"])).await;
    fs::remove_file(queue.body_path(&lost)).unwrap();
    drop(queue);

    let (queue, recovery) = DirQueue::open_with_report(&dir.0).await.unwrap();
    assert_eq!(
        recovery,
        Recovery { temporary_removed: 1, orphan_bodies_removed: 1, orphan_metadata_quarantined: 1 }
    );
    assert!(names(&dir.0.join("tmp")).is_empty());
    assert!(!orphan_body.exists());
    assert_eq!(names(&dir.0.join("quarantine")), vec![format!("{}.json", lost.0)]);
    let listed: Vec<QueueId> = queue.list().await.unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(listed, vec![kept]);
}

#[tokio::test]
async fn corrupt_metadata_is_skipped_without_failing_the_listing() {
    let dir = TempDir::new();
    let queue = DirQueue::open(&dir.0).await.unwrap();
    let good = commit(&queue, &[b"1"], meta("a@example.org", &["b@example.net"])).await;
    let broken = commit(&queue, &[b"2"], meta("a@example.org", &["b@example.net"])).await;
    let swapped = commit(&queue, &[b"3"], meta("a@example.org", &["b@example.net"])).await;
    fs::write(dir.0.join(format!("msg/{}.json", broken.0)), b"{\"id\": tru").unwrap();
    // Valid JSON that names another message.
    let good_json = fs::read(dir.0.join(format!("msg/{}.json", good.0))).unwrap();
    fs::write(dir.0.join(format!("msg/{}.json", swapped.0)), good_json).unwrap();
    fs::write(dir.0.join("msg/notes.txt"), b"not a queue file").unwrap();

    let listed: Vec<QueueId> = queue.list().await.unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(listed, vec![good]);
    assert!(matches!(queue.load(&broken).await, Err(QueueError::Corrupt { .. })));
    assert!(matches!(queue.load(&swapped).await, Err(QueueError::Corrupt { .. })));
}

#[tokio::test]
async fn an_update_survives_reopen() {
    let dir = TempDir::new();
    let queue = DirQueue::open(&dir.0).await.unwrap();
    let id = commit(&queue, &[b"x"], meta("a@example.org", &["b@example.net", "c@x.org"])).await;
    let mut updated = queue.load(&id).await.unwrap();
    updated.attempts = 3;
    updated.next_attempt += Duration::from_secs(600);
    updated.recipients[0].status = RecipientStatus::Delivered { reply: "250 2.0.0 ok".into() };
    updated.recipients[1].last_error = Some("451 4.3.0 try later".into());
    queue.update(&updated).await.unwrap();
    drop(queue);

    let queue = DirQueue::open(&dir.0).await.unwrap();
    assert_eq!(queue.load(&id).await.unwrap(), updated);
    assert!(names(&dir.0.join("tmp")).is_empty());
}

#[tokio::test]
async fn remove_removes_body_and_metadata_and_updates_cannot_resurrect() {
    let dir = TempDir::new();
    let queue = DirQueue::open(&dir.0).await.unwrap();
    let id = commit(&queue, &[b"x"], meta("a@example.org", &["b@example.net"])).await;
    let stale = queue.load(&id).await.unwrap();
    queue.remove(&id).await.unwrap();
    assert!(names(&dir.0.join("msg")).is_empty());
    assert!(matches!(queue.remove(&id).await, Err(QueueError::NotFound(_))));
    assert!(matches!(queue.load(&id).await, Err(QueueError::NotFound(_))));
    assert!(matches!(queue.update(&stale).await, Err(QueueError::NotFound(_))));
    assert!(names(&dir.0.join("msg")).is_empty());
}

#[tokio::test]
async fn ids_sort_by_arrival_whatever_the_commit_order() {
    let dir = TempDir::new();
    let queue = DirQueue::open(&dir.0).await.unwrap();
    let mut begun = Vec::new();
    for _ in 0..5 {
        begun.push(queue.begin().await.unwrap());
    }
    let ids: Vec<QueueId> = begun.iter().map(|(id, _)| id.clone()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    for (_, incoming) in begun.into_iter().rev() {
        incoming.commit(meta("a@example.org", &["b@example.net"])).await.unwrap();
    }
    let listed: Vec<QueueId> = queue.list().await.unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(listed, ids);
}

#[tokio::test]
async fn foreign_ids_cannot_reach_outside_the_queue() {
    let dir = TempDir::new();
    let outside = dir.0.join("secret.json");
    fs::write(&outside, b"{}").unwrap();
    let queue = DirQueue::open(dir.0.join("q")).await.unwrap();
    for bad in ["../secret", "../../secret", "/etc/passwd", ""] {
        let id = QueueId(bad.into());
        assert!(matches!(queue.load(&id).await, Err(QueueError::NotFound(_))), "{bad}");
        assert!(matches!(queue.remove(&id).await, Err(QueueError::NotFound(_))), "{bad}");
        assert!(queue.body_path(&id).starts_with(dir.0.join("q/msg")), "{bad}");
    }
    assert!(outside.exists());
}
