//! The dot-stuffing encoder for outgoing messages.
