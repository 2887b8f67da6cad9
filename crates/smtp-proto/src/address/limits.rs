//! Length limits applied while parsing addresses (RFC 5321 §4.5.3.1).

/// Limits applied while parsing, in octets (UTF-8 bytes, not characters).
///
/// The defaults are RFC 5321 §4.5.3.1's: a local part of at most 64 octets, a domain of at most
/// 255 and a path of at most 256. The path is measured between the angle brackets, source route
/// included.
///
/// ```
/// use smtp_proto::address::AddressLimits;
///
/// let limits = AddressLimits::default();
/// assert_eq!((limits.max_local_part, limits.max_domain, limits.max_path), (64, 255, 256));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AddressLimits {
    /// The longest local part accepted, as written (quotes and backslashes included).
    pub max_local_part: usize,
    /// The longest domain accepted, as written (an address literal's brackets included).
    pub max_domain: usize,
    /// The longest path accepted: everything between `<` and `>` (or the whole unbracketed
    /// address), source route included.
    pub max_path: usize,
}

impl AddressLimits {
    /// RFC 5321 §4.5.3.1: local part 64, domain 255, path 256 octets.
    pub const RFC5321: Self = Self { max_local_part: 64, max_domain: 255, max_path: 256 };

    /// No length limit at all (aiosmtpd's default). The command line length still bounds the
    /// input.
    pub const UNLIMITED: Self =
        Self { max_local_part: usize::MAX, max_domain: usize::MAX, max_path: usize::MAX };
}

impl Default for AddressLimits {
    fn default() -> Self {
        Self::RFC5321
    }
}
