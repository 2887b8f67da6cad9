//! The security suite's "credentials in logs" attack (listed in `security.rs`), in a test
//! binary of its own: tracing caches, per log call site and process-wide, whether anyone
//! listens, so a log capture must not share its process with tests that run without a
//! subscriber — they could make the capture miss events and the test pass or fail by chance.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[path = "security/credentials_in_logs.rs"]
mod credentials_in_logs;
