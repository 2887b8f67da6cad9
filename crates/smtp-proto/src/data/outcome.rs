//! What a finished message amounts to: its statistics, or the reason it is refused.

use crate::reply::Reply;

/// Figures about a message that was received completely and accepted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MessageStats {
    /// Octets of the message as handed out: after unstuffing (and normalising, if configured),
    /// without the end-of-data line.
    pub size: u64,
    /// Octets read from the wire for this message, the end-of-data line included.
    pub wire_size: u64,
    /// Bare CRs and bare LFs seen in the data (kept or normalised, depending on the policy).
    pub bare_line_endings: u64,
}

/// Why a message is refused. The error is deferred: the data is read to its end first, then the
/// [`reply`](DataError::reply) is sent and nothing is delivered.
///
/// The order of the variants breaks ties when two limits trip on the same octet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, thiserror::Error)]
pub enum DataError {
    /// A line was longer than `max_line_len` (aiosmtpd `500 Line too long`).
    #[error("a message line exceeds the line length limit")]
    LineTooLong,
    /// The message passed `max_size` (`552 5.3.4`).
    #[error("the message exceeds the size limit")]
    TooMuchData,
    /// A bare CR or LF arrived under [`BareLineEndingPolicy::Reject`](super::BareLineEndingPolicy::Reject)
    /// (`550 5.5.2`).
    #[error("bare CR or LF in the message data")]
    BareLineEnding,
}

impl DataError {
    /// The reply to send once the end of data has been read.
    pub fn reply(self) -> Reply {
        match self {
            Self::LineTooLong => Reply::data_line_too_long(),
            Self::TooMuchData => Reply::too_much_data(),
            Self::BareLineEnding => Reply::bare_line_ending(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_match_aiosmtpd_and_postfix() {
        let cases = [
            (DataError::LineTooLong, "500 5.5.2 Line too long (see RFC5321 4.5.3.1.6)"),
            (DataError::TooMuchData, "552 5.3.4 Error: Too much mail data"),
            (
                DataError::BareLineEnding,
                "550 5.5.2 Error: bare <CR> or <LF> received in message data",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.reply().to_string(), text);
        }
    }
}
