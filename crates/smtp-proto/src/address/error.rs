//! Why an address was refused.

/// Why an address was refused.
///
/// The command layer maps [`Syntax`](Self::Syntax) (and [`Empty`](Self::Empty)) to
/// `501 5.5.4` with its own syntax text, and [`Malformed`](Self::Malformed) and
/// [`TooLong`](Self::TooLong) to `553 5.1.3`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum AddressError {
    /// Nothing where an address should be.
    #[error("no address given")]
    Empty,
    /// Not an address at all: unbalanced angle brackets, a stray `<` or `>`, text glued to the
    /// closing `>`, a display name in front of an address.
    #[error("not an address: unbalanced angle brackets or stray text")]
    Syntax,
    /// Looks like an address but is broken: `alice@`, `<@x>`, `a@@b`, `a@b@c`, a bad domain, a
    /// bad address literal, an unquoted space or control character, a missing domain.
    #[error("malformed address")]
    Malformed,
    /// The local part, the domain or the whole path is longer than its [`AddressLimits`] allow.
    ///
    /// [`AddressLimits`]: super::AddressLimits
    #[error("address too long")]
    TooLong,
}
