//! A send run: N tasks, each running sessions back to back until the [`Budget`] is spent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use crate::args::{Limits, Script};
use crate::budget::Budget;
use crate::output::SendReport;
use crate::session::{self, SessionContext};
use crate::stats::Samples;

/// What one task counted.
#[derive(Debug, Default)]
struct Tally {
    ok: u64,
    failed: u64,
    session_errors: u64,
    samples: Samples,
    first_error: Option<String>,
}

impl Tally {
    fn absorb(&mut self, other: Tally) {
        self.ok += other.ok;
        self.failed += other.failed;
        self.session_errors += other.session_errors;
        self.samples.merge(other.samples);
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// Runs `connections` concurrent session loops against `ctx.target` and sums them up.
pub async fn send(
    ctx: SessionContext,
    script: &Script,
    limits: Limits,
    connections: usize,
) -> SendReport {
    let started = Instant::now();
    let budget = Arc::new(Budget::new(limits.messages, started + limits.duration));
    let ctx = Arc::new(ctx);
    let per_session = script.per_session;
    let expected_per_task =
        usize::try_from(limits.messages / connections.max(1) as u64 + 1).unwrap_or(1024);
    let mut tasks = JoinSet::new();
    for _ in 0..connections {
        let (ctx, budget) = (Arc::clone(&ctx), Arc::clone(&budget));
        tasks.spawn(async move {
            let mut tally =
                Tally { samples: Samples::with_capacity(expected_per_task), ..Tally::default() };
            loop {
                let claimed = budget.claim(per_session);
                if claimed == 0 {
                    return tally;
                }
                let outcome = session::run(&ctx, claimed, &mut tally.samples).await;
                tally.ok += u64::from(outcome.ok);
                tally.failed += u64::from(claimed.saturating_sub(outcome.ok));
                if let Some(error) = outcome.error {
                    tally.session_errors += 1;
                    tally.first_error.get_or_insert_with(|| error.to_string());
                    // A server refusing everything must not turn this into a busy loop.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
        });
    }
    let mut total = Tally::default();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(tally) => total.absorb(tally),
            Err(error) => {
                total.session_errors += 1;
                total.first_error.get_or_insert_with(|| format!("task failed: {error}"));
            }
        }
    }
    SendReport {
        ok: total.ok,
        failed: total.failed,
        session_errors: total.session_errors,
        elapsed: started.elapsed(),
        latency: total.samples.summary(),
        load_cpu: crate::cpu::own_cpu_time(),
        first_error: total.first_error,
    }
}
