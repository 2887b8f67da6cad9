//! Command-line framing with a length limit.
