//! # smtp-auth
//!
//! The SMTP AUTH (RFC 4954) API: SASL server mechanisms as small state machines, a registry of
//! mechanisms, the authenticator that verifies credentials, and credential types that never show
//! their secrets.
//!
//! This crate is being built; see the workspace README for its state.
