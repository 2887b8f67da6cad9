//! The delivery scheduler against a real `DirQueue`, a fake router and a fake transport, in
#![allow(clippy::unwrap_used)] // test helpers may unwrap: a failure is a test failure
//! tokio's paused time (retries days apart run instantly; nothing asserts on real time).

use std::collections::HashMap;
use std::fs;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use smtp_proto::reply::{EnhancedStatus, Reply, ReplyCode};
use smtp_relay::delivery::{
    AdminError, Clock, DsnRequest, RetryPolicy, Scheduler, SchedulerHandle, TokioClock, Transport,
};
use smtp_relay::queue::{
    DirQueue, QueueError, QueueId, QueueStore, QueuedMessage, QueuedRecipient, RecipientStatus,
};
use smtp_relay::route::{Route, RouteError, Router};
use smtp_relay::transport::{
    DeliveryError, DeliveryReport, DeliveryRequest, Destination, MessageBody, RecipientResult,
    TlsPolicy,
};
use tower::util::BoxCloneService;

const RETRY: Duration = Duration::from_secs(10);

// ---------------------------------------------------------------- fixtures

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
        let path = std::env::temp_dir().join(format!(
            "smtp-relay-delivery-{}-{}-{nanos}",
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

fn destination(host: &str) -> Destination {
    Destination { host: host.into(), port: 25, tls_name: host.into(), tls: TlsPolicy::Off }
}

/// Routes `<name>.test` to the hosts listed for it; `gone.test` does not exist, `nullmx.test`
/// has a null MX, `flaky-dns.test` fails temporarily.
struct FakeRouter(HashMap<&'static str, Vec<&'static str>>);

#[async_trait]
impl Router for FakeRouter {
    async fn route(&self, domain: &str) -> Result<Route, RouteError> {
        let domain = domain.to_owned();
        match domain.as_str() {
            "gone.test" => Err(RouteError::NoSuchDomain { domain }),
            "nullmx.test" => Err(RouteError::NullMx { domain }),
            "flaky-dns.test" => Err(RouteError::Temporary { domain, reason: "SERVFAIL".into() }),
            _ => {
                let hosts = self.0.get(domain.as_str()).cloned().unwrap_or_default();
                let destinations = hosts.into_iter().map(destination).collect();
                Ok(Route { destinations, credentials: None })
            }
        }
    }
}

fn router(routes: &[(&'static str, &[&'static str])]) -> Arc<FakeRouter> {
    Arc::new(FakeRouter(routes.iter().map(|(d, hosts)| (*d, hosts.to_vec())).collect()))
}

/// One call the transport received.
#[derive(Clone, Debug)]
struct Call {
    host: String,
    mail_from: String,
    recipients: Vec<String>,
    body_path: Option<PathBuf>,
    body: Vec<u8>,
    at: tokio::time::Instant,
}

type Script =
    dyn Fn(&DeliveryRequest, usize) -> Result<DeliveryReport, DeliveryError> + Send + Sync;

/// A transport that records every request and answers with `script(request, n)`, `n` counting
/// the calls to that host from 0. It also tracks how many calls overlap.
#[derive(Clone)]
struct FakeTransport {
    calls: Arc<Mutex<Vec<Call>>>,
    busy: Arc<AtomicUsize>,
    most_busy: Arc<AtomicUsize>,
}

impl FakeTransport {
    fn new() -> Self {
        Self { calls: Arc::default(), busy: Arc::default(), most_busy: Arc::default() }
    }

    fn service(&self, script: Arc<Script>) -> Transport {
        let this = self.clone();
        BoxCloneService::new(tower::service_fn(move |request: DeliveryRequest| {
            let this = this.clone();
            let script = Arc::clone(&script);
            async move {
                let now = this.busy.fetch_add(1, Ordering::SeqCst) + 1;
                this.most_busy.fetch_max(now, Ordering::SeqCst);
                let (body_path, body) = match &request.body {
                    MessageBody::File(path) => {
                        (Some(path.clone()), tokio::fs::read(path).await.unwrap_or_default())
                    }
                    MessageBody::Memory(bytes) => (None, bytes.to_vec()),
                };
                // Hold the "connection" a little, so overlapping deliveries would show.
                tokio::time::sleep(Duration::from_millis(100)).await;
                let n = {
                    let mut calls = this.calls.lock().unwrap();
                    let n = calls.iter().filter(|c| c.host == request.destination.host).count();
                    calls.push(Call {
                        host: request.destination.host.clone(),
                        mail_from: request.mail_from.clone(),
                        recipients: request.recipients.clone(),
                        body_path,
                        body,
                        at: tokio::time::Instant::now(),
                    });
                    n
                };
                this.busy.fetch_sub(1, Ordering::SeqCst);
                script(&request, n)
            }
        }))
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

fn reply(code: u16, text: &'static str) -> Reply {
    let enhanced = EnhancedStatus::new((code / 100) as u8, 0, 0);
    Reply::new(ReplyCode::of(code), enhanced, text)
}

/// Answers every recipient with `code`, except those listed.
fn answer(
    request: &DeliveryRequest,
    code: u16,
    exceptions: &[(&str, Reply)],
) -> Result<DeliveryReport, DeliveryError> {
    let recipients = request
        .recipients
        .iter()
        .map(|recipient| {
            let special = exceptions.iter().find(|(address, _)| address == recipient);
            let reply = special.map_or_else(|| reply(code, "answer"), |(_, reply)| reply.clone());
            RecipientResult { recipient: recipient.clone(), reply }
        })
        .collect();
    Ok(DeliveryReport { server: request.destination.host.clone(), recipients })
}

/// A failed recipient as a DSN saw it: (address, its reply, its last temporary error).
type FailedSeen = (String, String, Option<String>);
/// What the DSN builder saw: the sender and the failed recipients.
type DsnSeen = (String, Vec<FailedSeen>);
type DsnLog = Arc<Mutex<Vec<DsnSeen>>>;

struct Relay {
    _dir: TempDir,
    store: Arc<DirQueue>,
    clock: TokioClock,
    transport: FakeTransport,
    dsns: DsnLog,
    handle: Option<SchedulerHandle>,
}

impl Relay {
    async fn new() -> Self {
        let dir = TempDir::new();
        let store = Arc::new(DirQueue::open(&dir.0).await.unwrap());
        Self {
            _dir: dir,
            store,
            clock: TokioClock::new(),
            transport: FakeTransport::new(),
            dsns: Arc::default(),
            handle: None,
        }
    }

    fn start(&mut self, router: Arc<FakeRouter>, script: Arc<Script>, policy: RetryPolicy) {
        self.start_with(router, script, policy, 4);
    }

    fn start_with(
        &mut self,
        router: Arc<FakeRouter>,
        script: Arc<Script>,
        policy: RetryPolicy,
        concurrency: usize,
    ) {
        let dsns = Arc::clone(&self.dsns);
        let builder = move |request: &DsnRequest<'_>| -> Vec<u8> {
            let failed = request
                .failed
                .iter()
                .map(|r| {
                    let RecipientStatus::Failed { reply } = &r.status else {
                        panic!("a DSN about a recipient that did not fail: {r:?}")
                    };
                    (r.address.clone(), reply.clone(), r.last_error.clone())
                })
                .collect();
            dsns.lock().unwrap().push((request.message.mail_from.clone(), failed));
            format!("Subject: Undelivered Mail (for {})\r\n\r\nsorry\r\n", request.message.id.0)
                .into_bytes()
        };
        let store: Arc<dyn QueueStore> = self.store.clone();
        let handle =
            Scheduler::new(store, router, self.transport.service(script), Arc::new(builder))
                .retry_policy(policy)
                .concurrency(concurrency)
                .clock(Arc::new(self.clock))
                .spawn();
        self.handle = Some(handle);
    }

    fn handle(&self) -> &SchedulerHandle {
        self.handle.as_ref().unwrap()
    }

    async fn submit(&self, mail_from: &str, recipients: &[&str], body: &[u8]) -> QueueId {
        let now = self.clock.now();
        let meta = QueuedMessage {
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
            client: None,
            size: 0,
            smtputf8: false,
            eight_bit: false,
            arrived: now,
            attempts: 0,
            next_attempt: now,
            dsn_sent: false,
        };
        let (_, mut incoming) = self.store.begin().await.unwrap();
        incoming.write(body).await.unwrap();
        let id = incoming.commit(meta).await.unwrap();
        if let Some(handle) = &self.handle {
            handle.notify(id.clone());
        }
        id
    }

    async fn queued(&self) -> Vec<QueuedMessage> {
        self.store.list().await.unwrap()
    }

    fn dsns(&self) -> Vec<DsnSeen> {
        self.dsns.lock().unwrap().clone()
    }
}

/// Polls `check` every virtual second until it holds (about 12 virtual hours at most).
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..43_200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    panic!("never happened: {what}");
}

fn policy() -> RetryPolicy {
    RetryPolicy {
        first_retry: RETRY,
        factor: 2,
        max_interval: Duration::from_secs(300),
        lifetime: Duration::from_secs(5 * 24 * 3600),
    }
}

fn always(code: u16) -> Arc<Script> {
    Arc::new(move |request: &DeliveryRequest, _| answer(request, code, &[]))
}

// ---------------------------------------------------------------- tests

#[tokio::test(start_paused = true)]
async fn every_recipient_delivered_removes_the_message_and_the_body_is_the_queue_file() {
    let mut relay = Relay::new().await;
    relay.start(router(&[("a.test", &["mx.a"]), ("b.test", &["mx.b"])]), always(250), policy());
    let body = b"Subject: hello\r\n\r\nline one\r\n".to_vec();
    let id = relay.submit("alice@s.test", &["x@a.test", "y@B.test", "z@a.test"], &body).await;
    let body_path = relay.store.body_path(&id);

    eventually("the queue is empty", || async { relay.queued().await.is_empty() }).await;
    let mut calls = relay.transport.calls();
    calls.sort_by(|l, r| l.host.cmp(&r.host));
    let seen: Vec<(&str, &str, Vec<&str>)> = calls
        .iter()
        .map(|c| {
            (
                c.host.as_str(),
                c.mail_from.as_str(),
                c.recipients.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("mx.a", "alice@s.test", vec!["x@a.test", "z@a.test"]),
            ("mx.b", "alice@s.test", vec!["y@B.test"]),
        ]
    );
    for call in &calls {
        assert_eq!(call.body_path.as_ref(), Some(&body_path), "the transport reads the queue file");
        assert_eq!(call.body, body);
    }
    assert!(relay.dsns().is_empty());
    assert!(!body_path.exists());
}

#[tokio::test(start_paused = true)]
async fn a_refused_recipient_fails_with_a_dsn_to_the_sender_and_the_others_are_delivered() {
    let mut relay = Relay::new().await;
    let script: Arc<Script> = Arc::new(|request: &DeliveryRequest, _| {
        let no_user = Reply::new(ReplyCode::of(550), EnhancedStatus::of(5, 1, 1), "no such user");
        answer(request, 250, &[("ghost@a.test", no_user)])
    });
    relay.start(router(&[("a.test", &["mx.a"]), ("s.test", &["mx.s"])]), script, policy());
    let id = relay.submit("alice@s.test", &["bob@a.test", "ghost@a.test"], b"hi\r\n").await;

    eventually("the message and its DSN are gone", || async { relay.queued().await.is_empty() })
        .await;
    assert_eq!(
        relay.dsns(),
        vec![(
            "alice@s.test".to_owned(),
            vec![("ghost@a.test".to_owned(), "550 5.1.1 no such user".to_owned(), None)]
        )]
    );
    let calls = relay.transport.calls();
    let to_sender: Vec<&Call> = calls.iter().filter(|c| c.host == "mx.s").collect();
    assert_eq!(to_sender.len(), 1, "the DSN itself is delivered: {calls:?}");
    assert_eq!(to_sender[0].mail_from, "", "DSNs come from the null sender");
    assert_eq!(to_sender[0].recipients, vec!["alice@s.test".to_owned()]);
    let expected = format!("Subject: Undelivered Mail (for {})\r\n\r\nsorry\r\n", id.0);
    assert_eq!(to_sender[0].body, expected.into_bytes());
    assert_eq!(calls.iter().filter(|c| c.host == "mx.a").count(), 1, "no retry after 2xx/5xx");
}

#[tokio::test(start_paused = true)]
async fn a_temporary_refusal_is_retried_after_the_backoff() {
    let mut relay = Relay::new().await;
    let script: Arc<Script> = Arc::new(|request: &DeliveryRequest, n| {
        if n == 0 {
            let later = Reply::new(ReplyCode::of(451), EnhancedStatus::of(4, 3, 0), "try later");
            answer(request, 250, &[("bob@a.test", later)])
        } else {
            answer(request, 250, &[])
        }
    });
    relay.start(router(&[("a.test", &["mx.a"])]), script, policy());
    let id = relay.submit("alice@s.test", &["bob@a.test", "carol@a.test"], b"hi\r\n").await;

    eventually("the first attempt is recorded", || async {
        relay.store.load(&id).await.is_ok_and(|m| m.attempts == 1)
    })
    .await;
    let after_first = relay.store.load(&id).await.unwrap();
    assert_eq!(after_first.recipients[0].status, RecipientStatus::Pending);
    assert_eq!(after_first.recipients[0].last_error.as_deref(), Some("451 4.3.0 try later"));
    assert!(matches!(after_first.recipients[1].status, RecipientStatus::Delivered { .. }));
    assert!(after_first.next_attempt.duration_since(after_first.arrived).unwrap() >= RETRY);

    eventually("delivered on the second attempt", || async { relay.queued().await.is_empty() })
        .await;
    let calls = relay.transport.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].recipients, vec!["bob@a.test".to_owned()], "only the pending one again");
    assert!(calls[1].at.duration_since(calls[0].at) >= RETRY, "retried only after the backoff");
    assert!(relay.dsns().is_empty());
}

#[tokio::test(start_paused = true)]
async fn hosts_are_tried_in_order_until_one_answers() {
    // (first host's error, hosts that get a call, whether the recipient is delivered)
    let cases: Vec<(DeliveryError, Vec<&str>, bool)> = vec![
        (
            DeliveryError::Connect { host: "mx1".into(), reason: "refused".into() },
            vec!["mx1", "mx2"],
            true,
        ),
        (DeliveryError::Tls("handshake".into()), vec!["mx1", "mx2"], true),
        (DeliveryError::Refused(reply(421, "busy")), vec!["mx1", "mx2"], true),
        (DeliveryError::Refused(reply(554, "go away")), vec!["mx1"], false),
    ];
    for (first_error, expected_hosts, delivered) in cases {
        let label = first_error.to_string();
        let first_error = Arc::new(Mutex::new(Some(first_error)));
        let script: Arc<Script> = Arc::new(move |request: &DeliveryRequest, _| {
            if request.destination.host == "mx1"
                && let Some(error) = first_error.lock().unwrap().take()
            {
                return Err(error);
            }
            answer(request, 250, &[])
        });
        let mut relay = Relay::new().await;
        relay.start(
            router(&[("a.test", &["mx1", "mx2"]), ("s.test", &["mx.s"])]),
            script,
            policy(),
        );
        relay.submit("alice@s.test", &["bob@a.test"], b"hi\r\n").await;
        eventually("done", || async { relay.queued().await.is_empty() }).await;
        let hosts: Vec<String> =
            relay.transport.calls().into_iter().map(|c| c.host).filter(|h| h != "mx.s").collect();
        assert_eq!(hosts, expected_hosts, "{label}");
        let dsns = relay.dsns();
        if delivered {
            assert!(dsns.is_empty(), "{label}");
        } else {
            assert_eq!(dsns.len(), 1, "{label}");
            assert_eq!(dsns[0].1[0].1, "554 5.0.0 go away", "{label}");
        }
        relay.handle().shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn recipients_still_pending_at_the_end_of_the_lifetime_expire_with_a_dsn() {
    let mut relay = Relay::new().await;
    let script: Arc<Script> = Arc::new(|request: &DeliveryRequest, _| {
        let code = if request.destination.host == "mx.s" { 250 } else { 451 };
        answer(request, code, &[])
    });
    let short = RetryPolicy { lifetime: Duration::from_secs(600), ..policy() };
    relay.start(router(&[("a.test", &["mx.a"]), ("s.test", &["mx.s"])]), script, short);
    let id = relay.submit("alice@s.test", &["bob@a.test"], b"hi\r\n").await;
    let arrived = relay.store.load(&id).await.unwrap().arrived;

    eventually("expired and bounced", || async { relay.queued().await.is_empty() }).await;
    assert_eq!(
        relay.dsns(),
        vec![(
            "alice@s.test".to_owned(),
            vec![(
                "bob@a.test".to_owned(),
                "554 5.4.7 delivery time expired".to_owned(),
                Some("451 4.0.0 answer".to_owned())
            )]
        )]
    );
    let attempts: Vec<Call> =
        relay.transport.calls().into_iter().filter(|c| c.host == "mx.a").collect();
    // 0, 10, 30, 70, 150, 310 s, then capped at 300 s but not past expiry: 600 s.
    assert_eq!(attempts.len(), 7);
    let first = attempts[0].at;
    let last = attempts[attempts.len() - 1].at.duration_since(first);
    assert!(last >= Duration::from_secs(600) && last < Duration::from_secs(601), "{last:?}");
    assert!(relay.clock.now() >= arrived + Duration::from_secs(600));
}

#[tokio::test(start_paused = true)]
async fn the_null_sender_never_gets_a_dsn() {
    let mut relay = Relay::new().await;
    relay.start(router(&[("a.test", &["mx.a"])]), always(550), policy());
    relay.submit("", &["bob@a.test"], b"a bounce\r\n").await;
    eventually("the message is gone", || async { relay.queued().await.is_empty() }).await;
    assert!(relay.dsns().is_empty());
    assert_eq!(relay.transport.calls().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn routing_failures_fail_or_defer_the_domain() {
    let mut relay = Relay::new().await;
    relay.start(router(&[("a.test", &["mx.a"]), ("s.test", &["mx.s"])]), always(250), policy());
    let id = relay
        .submit(
            "alice@s.test",
            &["x@gone.test", "y@nullmx.test", "z@flaky-dns.test", "w@a.test", "postmaster"],
            b"hi\r\n",
        )
        .await;
    eventually("the first DSN", || async { !relay.dsns().is_empty() }).await;
    let mut failed = relay.dsns()[0].1.clone();
    failed.sort();
    assert_eq!(
        failed,
        vec![
            ("postmaster".to_owned(), "550 5.1.3 recipient address has no domain".to_owned(), None),
            ("x@gone.test".to_owned(), "550 5.1.2 no mail server for gone.test".to_owned(), None),
            (
                "y@nullmx.test".to_owned(),
                "556 5.1.10 nullmx.test does not accept mail (null MX)".to_owned(),
                None
            ),
        ]
    );
    eventually("the first attempt is saved", || async {
        relay.store.load(&id).await.is_ok_and(|m| m.attempts >= 1 && m.dsn_sent)
    })
    .await;
    let meta = relay.store.load(&id).await.unwrap();
    let flaky = &meta.recipients[2];
    assert_eq!(flaky.status, RecipientStatus::Pending, "a DNS failure is temporary");
    assert_eq!(
        flaky.last_error.as_deref(),
        Some("451 4.4.3 DNS lookup for flaky-dns.test failed: SERVFAIL")
    );
    assert!(matches!(meta.recipients[3].status, RecipientStatus::Delivered { .. }));
}

#[tokio::test(start_paused = true)]
async fn messages_queued_before_the_start_are_delivered_after_it() {
    let mut relay = Relay::new().await;
    let first = relay.submit("alice@s.test", &["x@a.test"], b"1\r\n").await;
    let second = relay.submit("alice@s.test", &["y@a.test"], b"2\r\n").await;
    // A restart: a new queue object on the same directory, then the scheduler.
    relay.store = Arc::new(DirQueue::open(relay.store.root()).await.unwrap());
    relay.start(router(&[("a.test", &["mx.a"])]), always(250), policy());

    eventually("both delivered", || async { relay.queued().await.is_empty() }).await;
    let mut bodies: Vec<Vec<u8>> = relay.transport.calls().into_iter().map(|c| c.body).collect();
    bodies.sort();
    assert_eq!(bodies, vec![b"1\r\n".to_vec(), b"2\r\n".to_vec()]);
    assert_ne!(first, second);
}

#[tokio::test(start_paused = true)]
async fn flush_makes_a_waiting_message_go_now() {
    let mut relay = Relay::new().await;
    let id = relay.submit("alice@s.test", &["x@a.test"], b"hi\r\n").await;
    let mut meta = relay.store.load(&id).await.unwrap();
    meta.attempts = 3;
    meta.next_attempt = relay.clock.now() + Duration::from_secs(24 * 3600);
    relay.store.update(&meta).await.unwrap();
    relay.start(router(&[("a.test", &["mx.a"])]), always(250), policy());

    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert!(relay.transport.calls().is_empty(), "not due for a day");
    assert_eq!(relay.queued().await.len(), 1);

    relay.handle().flush();
    eventually("delivered after the flush", || async { relay.queued().await.is_empty() }).await;
    assert_eq!(relay.transport.calls().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_admin_api_lists_and_deletes() {
    let mut relay = Relay::new().await;
    relay.start(router(&[("a.test", &["mx.a"])]), always(451), policy());
    let id = relay.submit("alice@s.test", &["x@a.test", "y@a.test"], b"hello\r\n").await;
    eventually("one attempt made", || async {
        relay.handle().list().await.unwrap().first().is_some_and(|s| s.attempts == 1)
    })
    .await;
    let summary = relay.handle().list().await.unwrap().remove(0);
    assert_eq!((summary.id.clone(), summary.size, summary.pending), (id.clone(), 7, 2));
    assert_eq!((summary.delivered, summary.failed), (0, 0));
    assert_eq!(summary.last_error.as_deref(), Some("451 4.0.0 answer"));

    relay.handle().delete(&id).await.unwrap();
    assert!(relay.handle().list().await.unwrap().is_empty());
    assert!(matches!(
        relay.handle().delete(&id).await,
        Err(AdminError::Queue(QueueError::NotFound(_)))
    ));
    let calls_before = relay.transport.calls().len();
    tokio::time::sleep(Duration::from_secs(3600)).await;
    assert_eq!(relay.transport.calls().len(), calls_before, "a deleted message is not retried");
}

#[tokio::test(start_paused = true)]
async fn concurrency_is_bounded() {
    let mut relay = Relay::new().await;
    for n in 0..5 {
        relay.submit("alice@s.test", &[&format!("r{n}@a.test")], b"hi\r\n").await;
    }
    relay.start_with(router(&[("a.test", &["mx.a"])]), always(250), policy(), 2);
    eventually("all delivered", || async { relay.queued().await.is_empty() }).await;
    assert_eq!(relay.transport.calls().len(), 5);
    assert_eq!(relay.transport.most_busy.load(Ordering::SeqCst), 2);
}

/// A `DirQueue` whose `update` and `remove` fail a given number of times first.
struct FlakyStore {
    inner: Arc<DirQueue>,
    update_failures: AtomicUsize,
    remove_failures: AtomicUsize,
}

fn take_failure(counter: &AtomicUsize) -> bool {
    counter.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
}

#[async_trait]
impl QueueStore for FlakyStore {
    async fn begin(
        &self,
    ) -> Result<(QueueId, Box<dyn smtp_relay::queue::IncomingMessage>), QueueError> {
        self.inner.begin().await
    }
    async fn list(&self) -> Result<Vec<QueuedMessage>, QueueError> {
        self.inner.list().await
    }
    async fn load(&self, id: &QueueId) -> Result<QueuedMessage, QueueError> {
        self.inner.load(id).await
    }
    fn body_path(&self, id: &QueueId) -> PathBuf {
        self.inner.body_path(id)
    }
    async fn update(&self, meta: &QueuedMessage) -> Result<(), QueueError> {
        if take_failure(&self.update_failures) {
            return Err(QueueError::Io(std::io::Error::other("disk full")));
        }
        self.inner.update(meta).await
    }
    async fn remove(&self, id: &QueueId) -> Result<(), QueueError> {
        if take_failure(&self.remove_failures) {
            return Err(QueueError::Io(std::io::Error::other("read-only file system")));
        }
        self.inner.remove(id).await
    }
}

#[tokio::test(start_paused = true)]
async fn errors_saving_the_state_keep_the_message_queued_and_delivery_is_at_least_once() {
    let relay = Relay::new().await;
    let id = relay.submit("alice@s.test", &["x@a.test"], b"hi\r\n").await;
    let store = Arc::new(FlakyStore {
        inner: Arc::clone(&relay.store),
        update_failures: AtomicUsize::new(1),
        remove_failures: AtomicUsize::new(1),
    });
    let dsn = |_: &DsnRequest<'_>| -> Vec<u8> { panic!("no DSN is due") };
    let handle = Scheduler::new(
        store.clone(),
        router(&[("a.test", &["mx.a"])]),
        relay.transport.service(always(250)),
        Arc::new(dsn),
    )
    .retry_policy(policy())
    .clock(Arc::new(relay.clock))
    .spawn();

    eventually("the first delivery", || async { relay.transport.calls().len() == 1 }).await;
    // Neither the delivery nor the removal could be recorded: the message is still there.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(relay.store.load(&id).await.unwrap().recipients[0].status, RecipientStatus::Pending);

    eventually("removed in the end", || async { relay.queued().await.is_empty() }).await;
    assert_eq!(relay.transport.calls().len(), 2, "delivered again: at-least-once");
    assert_eq!(store.update_failures.load(Ordering::SeqCst), 0);
    assert_eq!(store.remove_failures.load(Ordering::SeqCst), 0);
    handle.shutdown().await;
}

/// A DSN builder that fails the first time.
struct FailingOnce {
    calls: AtomicUsize,
    failed: Mutex<Vec<Vec<String>>>,
}

#[async_trait]
impl smtp_relay::delivery::DsnBuilder for FailingOnce {
    async fn build(&self, request: &DsnRequest<'_>) -> std::io::Result<Vec<u8>> {
        let addresses = request.failed.iter().map(|r| r.address.clone()).collect();
        self.failed.lock().unwrap().push(addresses);
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            return Err(std::io::Error::other("cannot read the original header"));
        }
        Ok(b"Subject: failure notice\r\n\r\n.\r\n".to_vec())
    }
}

#[tokio::test(start_paused = true)]
async fn a_dsn_that_could_not_be_queued_is_tried_again_and_sent_once() {
    let relay = Relay::new().await;
    relay.submit("alice@s.test", &["x@a.test"], b"hi\r\n").await;
    let builder = Arc::new(FailingOnce { calls: AtomicUsize::new(0), failed: Mutex::default() });
    let script: Arc<Script> = Arc::new(|request: &DeliveryRequest, _| {
        let code = if request.destination.host == "mx.s" { 250 } else { 550 };
        answer(request, code, &[])
    });
    let handle = Scheduler::new(
        relay.store.clone(),
        router(&[("a.test", &["mx.a"]), ("s.test", &["mx.s"])]),
        relay.transport.service(script),
        builder.clone(),
    )
    .retry_policy(policy())
    .clock(Arc::new(relay.clock))
    .spawn();

    eventually("everything final", || async { relay.queued().await.is_empty() }).await;
    let hosts: Vec<String> = relay.transport.calls().into_iter().map(|c| c.host).collect();
    assert_eq!(hosts, vec!["mx.a", "mx.s"], "one delivery attempt, one DSN delivered");
    let reported = builder.failed.lock().unwrap().clone();
    assert_eq!(reported, vec![vec!["x@a.test".to_owned()], vec!["x@a.test".to_owned()]]);
    handle.shutdown().await;
}
