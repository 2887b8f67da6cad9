//! Delivery: the scheduler that takes messages out of the queue and hands them to the
//! transport, per recipient domain, with retries and DSNs.
//!
//! For each due message the [`Scheduler`] groups the pending recipients by domain (what
//! follows the last `@`; address literals included), asks the [`Router`](crate::route::Router)
//! for the domain's hosts and tries them in order until one answers. A transient failure of the
//! whole session (cannot connect, TLS, timeout, 4xx greeting…) moves on to the next host; a
//! permanent refusal fails the recipients. Per recipient, 2xx means delivered, 5xx failed, 4xx
//! stays pending with the reply kept as `last_error`. The metadata is saved after every attempt,
//! the next attempt waits according to the [`RetryPolicy`], and at expiry the recipients still
//! pending fail as `554 5.4.7 delivery time expired`. Failed recipients get one DSN (through a
//! [`DsnBuilder`], queued like any message from `<>` to the sender; never for the null sender),
//! and a message whose recipients are all final leaves the queue.
//!
//! Delivery is at-least-once: if saving the state fails, or the process dies between a
//! delivery and the save, the message is delivered again later (and a DSN may be repeated).
//! A message is never dropped because of such an error.

mod attempt;
mod bookkeeping;
mod clock;
mod dsn;
mod handle;
mod policy;
mod replies;
mod schedule;
mod scheduler;
mod turn;

pub use attempt::Transport;
pub use clock::{Clock, SystemClock, TokioClock};
pub use dsn::{DsnBuilder, DsnError, DsnRequest};
pub use handle::{AdminError, QueueSummary, SchedulerHandle};
pub use policy::RetryPolicy;
pub use scheduler::Scheduler;
