//! The incremental DATA decoder.
