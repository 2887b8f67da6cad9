//! # smtp-bench
//!
//! The tools behind `cargo xtask bench`:
//!
//! - `smtp-load`, a load generator: N concurrent connections each running a session script
//!   (one or many messages per session, with or without PIPELINING, AUTH PLAIN, STARTTLS, any
//!   message size), every reply code checked, every per-message latency kept, one JSON line of
//!   results; or an `idle` mode that opens K connections and holds them.
//! - `mailin-sink`, a sink server on the `mailin-embedded` crate, the closest Rust peer.
//!
//! Not published; not part of the server.

pub mod args;
pub mod budget;
pub mod conn;
pub mod cpu;
pub mod idle;
pub mod message;
pub mod output;
pub mod reply;
pub mod run;
pub mod session;
pub mod stats;
pub mod tls;

use std::sync::Arc;

use args::{Mode, Plan};

/// The end of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finished {
    /// The JSON line of results.
    pub line: String,
    /// Nothing failed: every message accepted, every session ended with `221`, or every idle
    /// connection held.
    pub clean: bool,
}

/// Runs a plan on the current runtime. In idle mode, `holding` receives the JSON line to
/// print once every connection is open.
pub async fn execute(plan: Plan, holding: impl FnOnce(String)) -> Result<Finished, rustls::Error> {
    match plan.mode {
        Mode::Send { script, limits } => {
            let body: Arc<[u8]> = message::body(script.size).into();
            let ctx = session::SessionContext::new(plan.target, plan.io_timeout, &script, body)?;
            let report = run::send(ctx, &script, limits, plan.connections).await;
            let clean = report.failed == 0 && report.session_errors == 0;
            Ok(Finished { line: report.to_json(), clean })
        }
        Mode::Idle { hold } => {
            let report = idle::hold(plan.target, plan.io_timeout, plan.connections, hold, |r| {
                holding(r.to_json("holding"))
            })
            .await;
            Ok(Finished { line: report.to_json("done"), clean: report.failed == 0 })
        }
    }
}
