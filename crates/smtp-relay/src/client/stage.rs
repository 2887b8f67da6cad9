//! [`Stage`]: the steps of an outbound session, each with its timeout and a name for logs and
//! [`DeliveryError::Timeout`].

use std::time::Duration;

use super::config::Timeouts;
use crate::transport::DeliveryError;

/// One step of a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The TCP connection.
    Connect,
    /// The 220 greeting.
    Greeting,
    /// EHLO or HELO.
    Hello,
    /// STARTTLS and the handshake (or the implicit-TLS handshake).
    Tls,
    /// AUTH.
    Auth,
    /// RSET.
    Reset,
    /// MAIL FROM.
    Mail,
    /// RCPT TO.
    Rcpt,
    /// DATA, until the 354.
    DataInitiation,
    /// Sending the message data.
    DataBlock,
    /// The reply after the final `.`.
    DataTermination,
    /// QUIT.
    Quit,
}

impl Stage {
    /// The name used in logs and in [`DeliveryError::Timeout`].
    pub fn name(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Greeting => "greeting",
            Self::Hello => "EHLO",
            Self::Tls => "STARTTLS",
            Self::Auth => "AUTH",
            Self::Reset => "RSET",
            Self::Mail => "MAIL",
            Self::Rcpt => "RCPT",
            Self::DataInitiation => "DATA initiation",
            Self::DataBlock => "data block",
            Self::DataTermination => "DATA termination",
            Self::Quit => "QUIT",
        }
    }

    /// This step's limit.
    pub fn limit(self, timeouts: &Timeouts) -> Duration {
        match self {
            Self::Connect => timeouts.connect,
            Self::Greeting => timeouts.greeting,
            Self::Hello | Self::Tls | Self::Auth | Self::Reset | Self::Quit => timeouts.command,
            Self::Mail => timeouts.mail,
            Self::Rcpt => timeouts.rcpt,
            Self::DataInitiation => timeouts.data_initiation,
            Self::DataBlock => timeouts.data_block,
            Self::DataTermination => timeouts.data_termination,
        }
    }

    /// The error for this step running out of time.
    pub fn timed_out(self, timeouts: &Timeouts) -> DeliveryError {
        DeliveryError::Timeout { stage: self.name(), after: self.limit(timeouts) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stage_uses_its_own_limit() {
        let secs = Duration::from_secs;
        let timeouts = Timeouts {
            connect: secs(1),
            greeting: secs(2),
            command: secs(3),
            mail: secs(4),
            rcpt: secs(5),
            data_initiation: secs(6),
            data_block: secs(7),
            data_termination: secs(8),
        };
        let table = [
            (Stage::Connect, 1, "connect"),
            (Stage::Greeting, 2, "greeting"),
            (Stage::Hello, 3, "EHLO"),
            (Stage::Tls, 3, "STARTTLS"),
            (Stage::Auth, 3, "AUTH"),
            (Stage::Reset, 3, "RSET"),
            (Stage::Quit, 3, "QUIT"),
            (Stage::Mail, 4, "MAIL"),
            (Stage::Rcpt, 5, "RCPT"),
            (Stage::DataInitiation, 6, "DATA initiation"),
            (Stage::DataBlock, 7, "data block"),
            (Stage::DataTermination, 8, "DATA termination"),
        ];
        for (stage, limit, name) in table {
            assert_eq!(stage.limit(&timeouts), secs(limit), "{stage:?}");
            match stage.timed_out(&timeouts) {
                DeliveryError::Timeout { stage: got, after } => {
                    assert_eq!((got, after), (name, secs(limit)));
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
