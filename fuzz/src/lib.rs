//! Fuzz targets for the smtpd workspace.
//!
//! Each module is one libFuzzer target (`fuzz_targets/<name>.rs` calls its `run`), written as a
//! plain function so that `cargo test` replays the checked-in corpus (`corpus/<name>/`) through
//! exactly the code the fuzzer runs. A target panics when an invariant breaks; the invariants
//! are listed in each module's documentation.
//!
//! Every input starts with two control bytes (see [`knobs::Knobs`]): the first selects options
//! (limits, policies, contexts), the second seeds the split points at which the payload is fed
//! to incremental parsers. The payload is the rest.

pub mod bdat;
pub mod command;
pub mod data;
pub mod knobs;
pub mod proxy;
pub mod reference;
pub mod reply;
pub mod sasl;
pub mod session;

#[cfg(test)]
mod corpus_replay;
