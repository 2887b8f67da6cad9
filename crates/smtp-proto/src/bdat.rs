//! The BDAT (RFC 3030 CHUNKING) chunk reader.
