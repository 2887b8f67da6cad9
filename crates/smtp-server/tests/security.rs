//! The security suite: one test per attack, each named after it, each asserting on what the
//! server did (replies, closes, deliveries counted and compared). Every attack the server is
//! tested against is listed here; the relayer's are in `smtp-relay/tests/security_relay.rs`.
//!
//! | Module | Attack |
//! | --- | --- |
//! | `smuggling` | SMTP smuggling (peers.md §5.1), in DATA and BDAT |
//! | `starttls` | STARTTLS command injection (CVE-2011-0411), state kept across STARTTLS |
//! | `auth_brute_force` | AUTH brute force, AUTH inside a transaction or before TLS |
//! | `credentials_in_logs` | passwords, tokens and SASL blobs reaching the log (its own test binary, `security_credentials_in_logs.rs`: tracing's interest cache is process-wide, so a log capture must not share its process with tests running without a subscriber) |
//! | `long_lines` | over-long command, SASL and DATA lines (memory exhaustion) |
//! | `resource_limits` | oversize messages, recipients, unknown commands, call limits |
//! | `slowloris` | slow and silent clients |
//! | `connection_flood` | more connections than `max_connections` |
//! | `invalid_bytes` | NUL, invalid UTF-8 and lone CR in every command |
//! | `disconnects` | clients leaving mid-DATA, mid-AUTH, mid-BDAT, mid-PROXY header |
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[path = "security/auth_brute_force.rs"]
mod auth_brute_force;
#[path = "security/connection_flood.rs"]
mod connection_flood;
#[path = "security/disconnects.rs"]
mod disconnects;
#[path = "security/invalid_bytes.rs"]
mod invalid_bytes;
#[path = "security/long_lines.rs"]
mod long_lines;
#[path = "security/memory.rs"]
mod memory;
#[path = "security/resource_limits.rs"]
mod resource_limits;
#[path = "security/slowloris.rs"]
mod slowloris;
#[path = "security/smuggling.rs"]
mod smuggling;
#[path = "security/starttls.rs"]
mod starttls;
