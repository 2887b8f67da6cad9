//! RFC 5321 paths and mailboxes (RFC 6531 UTF-8 addresses), with length limits.
