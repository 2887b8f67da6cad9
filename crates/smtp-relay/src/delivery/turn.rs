//! One message's turn: load it, attempt the pending recipients, expire, persist, send the
//! DSN that is due, and remove it once every recipient is final.

use std::sync::Arc;
use std::time::SystemTime;

use super::attempt::{AttemptContext, DomainOutcome, Transport, attempt};
use super::bookkeeping::{Verdict, apply, fail_pending, failed_positions};
use super::clock::Clock;
use super::dsn::{DsnBuilder, enqueue_dsn};
use super::policy::RetryPolicy;
use super::replies::{expired, one_line};
use crate::queue::{QueueError, QueueId, QueueStore, QueuedMessage};
use crate::route::Router;

/// What every turn shares.
pub(crate) struct Shared {
    /// The queue.
    pub(crate) store: Arc<dyn QueueStore>,
    /// Routing.
    pub(crate) router: Arc<dyn Router>,
    /// Backoff and lifetime.
    pub(crate) policy: RetryPolicy,
    /// Now.
    pub(crate) clock: Arc<dyn Clock>,
    /// Writes DSNs.
    pub(crate) dsn: Arc<dyn DsnBuilder>,
}

/// What became of a message after its turn.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Next {
    /// Every recipient is final (and DSNs are queued): removed from the queue.
    Removed,
    /// It is no longer in the queue (deleted meanwhile).
    Gone,
    /// Its next turn is due then.
    At(SystemTime),
}

/// The result of a turn.
#[derive(Debug)]
pub(crate) struct TurnResult {
    /// The message.
    pub(crate) id: QueueId,
    /// Its next turn.
    pub(crate) next: Next,
    /// Messages this turn queued (DSNs), due now.
    pub(crate) queued: Vec<QueueId>,
}

/// Takes one turn for message `id`.
pub(crate) async fn take_turn(
    shared: &Shared,
    mut transport: Transport,
    id: QueueId,
) -> TurnResult {
    let mut queued = Vec::new();
    let next = match shared.store.load(&id).await {
        Ok(meta) => run(shared, &mut transport, meta, &mut queued).await,
        Err(QueueError::NotFound(_)) => Next::Gone,
        Err(error) => {
            tracing::error!(id = %id.0, %error, "cannot read a queued message; will retry");
            Next::At(later(shared, shared.clock.now()))
        }
    };
    TurnResult { id, next, queued }
}

async fn run(
    shared: &Shared,
    transport: &mut Transport,
    mut meta: QueuedMessage,
    queued: &mut Vec<QueueId>,
) -> Next {
    let failed_before = failed_positions(&meta);
    if !meta.is_done() {
        let body = shared.store.body_path(&meta.id);
        let context = AttemptContext { router: shared.router.as_ref(), transport, body: &body };
        let outcomes = attempt(&meta, context).await;
        meta.attempts = meta.attempts.saturating_add(1);
        record(&mut meta, &outcomes);
    }
    let now = shared.clock.now();
    if !meta.is_done() && shared.policy.expired(meta.arrived, now) {
        let count = fail_pending(&mut meta, &one_line(&expired()));
        tracing::info!(id = %meta.id.0, recipients = count, outcome = "expired", "gave up");
    }
    let newly_failed: Vec<usize> =
        failed_positions(&meta).into_iter().filter(|i| !failed_before.contains(i)).collect();
    if !newly_failed.is_empty() {
        // The flag means "every failed recipient is covered by a DSN".
        meta.dsn_sent = false;
    }
    meta.next_attempt = if meta.is_done() {
        now
    } else {
        shared.policy.next_attempt(meta.arrived, meta.attempts, now)
    };
    save(shared, &meta).await;

    if dsn_due(&meta) {
        // After a crash or a failed DSN, every failed recipient is reported again.
        let about = if newly_failed.is_empty() { failed_positions(&meta) } else { newly_failed };
        let built =
            enqueue_dsn(&shared.store, shared.dsn.as_ref(), shared.clock.as_ref(), &meta, &about);
        match built.await {
            Ok(dsn_id) => {
                tracing::info!(id = %meta.id.0, dsn = %dsn_id.0, recipients = about.len(), "DSN queued");
                meta.dsn_sent = true;
                queued.push(dsn_id);
                save(shared, &meta).await;
            }
            Err(error) => {
                tracing::warn!(id = %meta.id.0, %error, "cannot queue the DSN; will retry");
            }
        }
    } else if meta.mail_from.is_empty() && !failed_positions(&meta).is_empty() {
        tracing::info!(id = %meta.id.0, "no DSN for a message from the null sender");
    }

    if meta.is_done() && !dsn_due(&meta) {
        match shared.store.remove(&meta.id).await {
            Ok(()) | Err(QueueError::NotFound(_)) => return Next::Removed,
            Err(error) => {
                tracing::error!(id = %meta.id.0, %error, "cannot remove a finished message")
            }
        }
        return Next::At(later(shared, now));
    }
    if meta.is_done() { Next::At(later(shared, now)) } else { Next::At(meta.next_attempt) }
}

/// Whether a DSN is owed: failed recipients not yet reported, and a sender to report to.
fn dsn_due(meta: &QueuedMessage) -> bool {
    !meta.mail_from.is_empty() && !meta.dsn_sent && !failed_positions(meta).is_empty()
}

/// Applies the verdicts and logs one line per domain and outcome.
fn record(meta: &mut QueuedMessage, outcomes: &[DomainOutcome]) {
    for outcome in outcomes {
        for label in ["delivered", "failed", "deferred"] {
            let mut matching = outcome.verdicts.iter().filter(|(_, v)| v.label() == label);
            let Some((_, first)) = matching.next() else { continue };
            let reply = match first {
                Verdict::Delivered(text) | Verdict::Failed(text) | Verdict::Deferred(text) => text,
            };
            tracing::info!(
                id = %meta.id.0,
                domain = %outcome.domain,
                outcome = label,
                recipients = 1 + matching.count(),
                reply = %reply,
                attempt = meta.attempts,
                "delivery attempt"
            );
        }
        for (address, verdict) in &outcome.verdicts {
            apply(meta, address, verdict);
        }
    }
}

/// Persists the metadata; a failure is logged and the message stays queued as it was.
async fn save(shared: &Shared, meta: &QueuedMessage) {
    if let Err(error) = shared.store.update(meta).await {
        tracing::error!(id = %meta.id.0, %error, "cannot record the delivery state; it will be retried");
    }
}

/// The retry time after a problem that is not the message's fault.
fn later(shared: &Shared, now: SystemTime) -> SystemTime {
    now.checked_add(shared.policy.first_retry).unwrap_or(now)
}
