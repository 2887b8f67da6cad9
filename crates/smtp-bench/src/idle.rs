//! An idle run: open K connections (greeting and EHLO each), tell the caller they are held,
//! keep them idle, then check each still answers NOOP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::conn::{Conn, Step};
use crate::output::IdleReport;
use crate::session;

/// Connections being opened at the same time (keeps the listen backlog from overflowing).
const OPENING_AT_ONCE: usize = 128;

/// Opening all connections may take this many I/O timeouts in all.
const OPENING_TIMEOUTS: u32 = 3;

/// Opens `count` connections, calls `holding` with the tally once all are open, sleeps
/// `hold`, then checks them with NOOP and reports.
pub async fn hold(
    target: SocketAddr,
    io_timeout: Duration,
    count: usize,
    hold: Duration,
    holding: impl FnOnce(&IdleReport),
) -> IdleReport {
    let mut report = IdleReport { requested: count, held: 0, failed: 0, first_error: None };
    let gate = Arc::new(Semaphore::new(OPENING_AT_ONCE));
    let mut opening = JoinSet::new();
    for _ in 0..count {
        let gate = Arc::clone(&gate);
        opening.spawn(async move {
            let _permit = gate.acquire_owned().await;
            session::open(target, io_timeout).await
        });
    }
    let mut open: Vec<Conn<TcpStream>> = Vec::with_capacity(count);
    // A server that stops accepting must not keep the run waiting a timeout per connection.
    let give_up = tokio::time::Instant::now() + io_timeout * OPENING_TIMEOUTS;
    while let Ok(Some(joined)) = tokio::time::timeout_at(give_up, opening.join_next()).await {
        match joined {
            Ok(Ok(conn)) => open.push(conn),
            Ok(Err(error)) => fail(&mut report, error.to_string()),
            Err(error) => fail(&mut report, error.to_string()),
        }
    }
    if !opening.is_empty() {
        let left = opening.len();
        opening.abort_all();
        report.failed += left;
        report.first_error.get_or_insert_with(|| {
            format!("{left} connections not open after {:?}", io_timeout * OPENING_TIMEOUTS)
        });
    }
    report.held = open.len();
    holding(&report);
    tokio::time::sleep(hold).await;
    let mut checking = JoinSet::new();
    for mut conn in open {
        checking.spawn(async move {
            conn.send(b"NOOP\r\n", Step::Noop).await?;
            conn.expect(250, Step::Noop).await
        });
    }
    report.held = 0;
    while let Some(joined) = checking.join_next().await {
        match joined {
            Ok(Ok(())) => report.held += 1,
            Ok(Err(error)) => fail(&mut report, error.to_string()),
            Err(error) => fail(&mut report, error.to_string()),
        }
    }
    report
}

fn fail(report: &mut IdleReport, error: String) {
    report.failed += 1;
    report.first_error.get_or_insert(error);
}
