//! The limits and the bare line-ending policy a [`DataDecoder`](super::DataDecoder) enforces.

/// What to do with a bare CR (not followed by LF) or a bare LF (not preceded by CR) inside the
/// message data.
///
/// Whatever the policy, a bare CR or LF never ends a line for the purpose of end-of-data
/// detection or dot-unstuffing: only a real CRLF does (see the [module docs](super)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BareLineEndingPolicy {
    /// Keep the byte unchanged in the message (aiosmtpd, go-smtp). The default.
    #[default]
    Keep,
    /// Replace a bare CR or a bare LF by CRLF in the message handed out (Postfix `normalize`).
    Normalize,
    /// Refuse the message with `550 5.5.2` ([`Reply::bare_line_ending`]) once the end of data
    /// has been read (Postfix `reject`).
    ///
    /// [`Reply::bare_line_ending`]: crate::reply::Reply::bare_line_ending
    Reject,
}

/// Limits for one message received with DATA.
///
/// The default has no limits and keeps bare line endings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DataLimits {
    /// The largest message, in octets after dot-unstuffing (RFC 1870 §3: the stuffing dots are
    /// not part of the message). `None`: unlimited.
    pub max_size: Option<u64>,
    /// The longest line, in octets as received: before unstuffing and including the CRLF.
    /// aiosmtpd uses [`DataLimits::AIOSMTPD_MAX_LINE_LEN`]. `None`: unlimited (our default).
    pub max_line_len: Option<usize>,
    /// What to do with bare CR and bare LF.
    pub bare_line_endings: BareLineEndingPolicy,
}

impl DataLimits {
    /// aiosmtpd's data line limit: 999 octets of text plus CRLF are accepted, one more refused.
    pub const AIOSMTPD_MAX_LINE_LEN: usize = 1001;

    /// No limits, bare line endings kept (the same as `DataLimits::default()`).
    pub const fn unlimited() -> Self {
        Self { max_size: None, max_line_len: None, bare_line_endings: BareLineEndingPolicy::Keep }
    }

    /// These limits with `max_size` set.
    #[must_use]
    pub const fn with_max_size(mut self, max_size: u64) -> Self {
        self.max_size = Some(max_size);
        self
    }

    /// These limits with `max_line_len` set.
    #[must_use]
    pub const fn with_max_line_len(mut self, max_line_len: usize) -> Self {
        self.max_line_len = Some(max_line_len);
        self
    }

    /// These limits with another bare line-ending policy.
    #[must_use]
    pub const fn with_bare_line_endings(mut self, policy: BareLineEndingPolicy) -> Self {
        self.bare_line_endings = policy;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_set_exactly_one_field() {
        let base = DataLimits::unlimited();
        assert_eq!(base, DataLimits::default());
        let cases = [
            (base.with_max_size(7), DataLimits { max_size: Some(7), ..base }),
            (base.with_max_line_len(9), DataLimits { max_line_len: Some(9), ..base }),
            (
                base.with_bare_line_endings(BareLineEndingPolicy::Reject),
                DataLimits { bare_line_endings: BareLineEndingPolicy::Reject, ..base },
            ),
        ];
        for (built, expected) in cases {
            assert_eq!(built, expected);
        }
    }
}
