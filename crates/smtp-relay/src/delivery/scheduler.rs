//! The scheduler task: keeps every queued message's next turn, runs due turns with bounded
//! concurrency, and answers the handle's commands.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::{mpsc, oneshot};
use tokio::task::{Id, JoinError, JoinSet};

use super::attempt::Transport;
use super::clock::{Clock, SystemClock};
use super::dsn::DsnBuilder;
use super::handle::{AdminError, Command, SchedulerHandle};
use super::policy::RetryPolicy;
use super::schedule::Schedule;
use super::turn::{Next, Shared, TurnResult, take_turn};
use crate::queue::{QueueId, QueueStore};
use crate::route::Router;

/// The longest the scheduler sleeps without looking at the clock again (so a wall-clock jump
/// is noticed).
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// Delivers queued messages: configure it, then [`Scheduler::spawn`] it on a tokio runtime.
///
/// On start it loads every queued message (recovery after a restart) and delivers those due;
/// then it sleeps until the next message is due or a [`SchedulerHandle`] wakes it.
pub struct Scheduler {
    shared: Shared,
    transport: Transport,
    concurrency: usize,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("policy", &self.shared.policy)
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

impl Scheduler {
    /// A scheduler over `store`, routing with `router`, delivering through `transport`, writing
    /// DSNs with `dsn`; default retry policy, 16 messages at a time, the system clock.
    pub fn new(
        store: Arc<dyn QueueStore>,
        router: Arc<dyn Router>,
        transport: Transport,
        dsn: Arc<dyn DsnBuilder>,
    ) -> Self {
        let shared = Shared {
            store,
            router,
            policy: RetryPolicy::default(),
            clock: Arc::new(SystemClock),
            dsn,
        };
        Self { shared, transport, concurrency: 16 }
    }

    /// Sets the retry policy.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.shared.policy = policy;
        self
    }

    /// Sets how many messages are delivered at once (at least 1).
    pub fn concurrency(mut self, messages: usize) -> Self {
        self.concurrency = messages.max(1);
        self
    }

    /// Sets the clock (tests use [`TokioClock`](super::TokioClock) with paused time).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.shared.clock = clock;
        self
    }

    /// Starts the scheduler task on the current tokio runtime.
    pub fn spawn(self) -> SchedulerHandle {
        let (commands, receiver) = mpsc::unbounded_channel();
        let handle = SchedulerHandle { commands, store: Arc::clone(&self.shared.store) };
        let actor = Actor {
            shared: Arc::new(self.shared),
            transport: self.transport,
            concurrency: self.concurrency,
            schedule: Schedule::default(),
            running: JoinSet::new(),
            in_flight: HashMap::new(),
            commands: receiver,
            rescan_at: None,
            stopping: Vec::new(),
            closed: false,
        };
        tokio::spawn(actor.run());
        handle
    }
}

/// The scheduler task's state.
struct Actor {
    shared: Arc<Shared>,
    transport: Transport,
    concurrency: usize,
    schedule: Schedule,
    running: JoinSet<TurnResult>,
    in_flight: HashMap<Id, QueueId>,
    commands: mpsc::UnboundedReceiver<Command>,
    /// When to list the queue again after a listing failed.
    rescan_at: Option<SystemTime>,
    /// Who waits for the shutdown; not empty = stopping.
    stopping: Vec<oneshot::Sender<()>>,
    /// Every handle is gone.
    closed: bool,
}

impl Actor {
    async fn run(mut self) {
        self.rescan(false).await;
        loop {
            let now = self.shared.clock.now();
            if self.rescan_at.is_some_and(|at| at <= now) {
                self.rescan(false).await;
            }
            let stopping = !self.stopping.is_empty() || self.closed;
            if stopping && self.running.is_empty() {
                break;
            }
            if !stopping {
                self.start_due(now);
            }
            let wait = self.wait(now, stopping);
            tokio::select! {
                command = self.commands.recv(), if !self.closed => match command {
                    Some(command) => self.command(command).await,
                    None => self.closed = true,
                },
                Some(joined) = self.running.join_next_with_id(), if !self.running.is_empty() => {
                    self.finish(joined);
                }
                () = tokio::time::sleep(wait) => {}
            }
        }
        for waiter in self.stopping.drain(..) {
            let _ = waiter.send(());
        }
        tracing::info!("delivery scheduler stopped");
    }

    /// Starts due turns while there is room.
    fn start_due(&mut self, now: SystemTime) {
        while self.running.len() < self.concurrency {
            let Some(id) = self.schedule.pop_due(now) else { break };
            if self.in_flight.values().any(|running| *running == id) {
                continue; // its turn ends soon and schedules the next one
            }
            let shared = Arc::clone(&self.shared);
            let transport = self.transport.clone();
            let turn_id = id.clone();
            let task =
                self.running.spawn(async move { take_turn(&shared, transport, turn_id).await });
            self.in_flight.insert(task.id(), id);
        }
    }

    /// How long to sleep: until the next due turn or rescan (when there is room to start it).
    fn wait(&self, now: SystemTime, stopping: bool) -> Duration {
        let full = self.running.len() >= self.concurrency;
        let next = if stopping || full { None } else { self.schedule.next_due() };
        [next, self.rescan_at]
            .into_iter()
            .flatten()
            .map(|when| when.duration_since(now).unwrap_or(Duration::ZERO))
            .fold(MAX_SLEEP, Duration::min)
    }

    async fn command(&mut self, command: Command) {
        let now = self.shared.clock.now();
        match command {
            Command::Notify(id) => self.schedule.advance(id, now),
            Command::Flush => {
                self.schedule.all_due(now);
                self.rescan(true).await;
            }
            Command::Delete(id, reply) => {
                let _ = reply.send(self.delete(&id).await);
            }
            Command::Shutdown(waiter) => self.stopping.push(waiter),
        }
    }

    async fn delete(&mut self, id: &QueueId) -> Result<(), AdminError> {
        if self.in_flight.values().any(|running| running == id) {
            return Err(AdminError::Busy(id.0.clone()));
        }
        self.schedule.remove(id);
        self.shared.store.remove(id).await?;
        tracing::info!(id = %id.0, "deleted from the queue by the operator");
        Ok(())
    }

    /// Schedules every queued message not known yet: at its own due time, or now (`flush`).
    async fn rescan(&mut self, flush: bool) {
        let now = self.shared.clock.now();
        match self.shared.store.list().await {
            Ok(messages) => {
                self.rescan_at = None;
                for meta in messages {
                    if self.in_flight.values().any(|running| *running == meta.id) {
                        continue;
                    }
                    let when = if flush { now } else { meta.next_attempt };
                    if flush || !self.schedule.contains(&meta.id) {
                        self.schedule.advance(meta.id, when);
                    }
                }
            }
            Err(error) => {
                tracing::error!(%error, "cannot list the queue; will retry");
                self.rescan_at = now.checked_add(self.shared.policy.first_retry);
            }
        }
    }

    /// Books a finished turn: the next one, and the messages it queued.
    fn finish(&mut self, joined: Result<(Id, TurnResult), JoinError>) {
        let now = self.shared.clock.now();
        match joined {
            Ok((task, result)) => {
                self.in_flight.remove(&task);
                match result.next {
                    Next::At(when) => self.schedule.set(result.id, when),
                    Next::Removed | Next::Gone => {}
                }
                for id in result.queued {
                    self.schedule.advance(id, now);
                }
            }
            Err(error) => {
                let id = self.in_flight.remove(&error.id());
                tracing::error!(%error, "a delivery turn failed unexpectedly; will retry");
                if let Some(id) = id {
                    let later = now.checked_add(self.shared.policy.first_retry).unwrap_or(now);
                    self.schedule.set(id, later);
                }
            }
        }
    }
}
