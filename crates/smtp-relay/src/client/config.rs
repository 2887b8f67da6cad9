//! [`ClientConfig`]: the outbound client's settings, with RFC 5321 §4.5.3.2 timeouts.

use std::time::Duration;

use rustls::pki_types::CertificateDer;

/// How long each step of a session may take (RFC 5321 §4.5.3.2).
///
/// A step that runs over its limit ends the attempt with
/// [`DeliveryError::Timeout`](crate::transport::DeliveryError::Timeout).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP connection. Not in RFC 5321; default 30 s (long enough for a slow
    /// network, short enough to move on to the next MX quickly).
    pub connect: Duration,
    /// Waiting for the 220 greeting (§4.5.3.2.1): 5 min.
    pub greeting: Duration,
    /// EHLO/HELO, STARTTLS and the TLS handshake, AUTH, RSET and QUIT, which RFC 5321 gives no
    /// limit of their own: 5 min, as for MAIL.
    pub command: Duration,
    /// The reply to MAIL (§4.5.3.2.2): 5 min.
    pub mail: Duration,
    /// The reply to each RCPT (§4.5.3.2.3): 5 min.
    pub rcpt: Duration,
    /// The reply to DATA, the `354` (§4.5.3.2.4): 2 min.
    pub data_initiation: Duration,
    /// Each write of message data (§4.5.3.2.5): 3 min.
    pub data_block: Duration,
    /// The reply after the final `.` (§4.5.3.2.6): 10 min.
    pub data_termination: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        const MINUTE: Duration = Duration::from_secs(60);
        Self {
            connect: Duration::from_secs(30),
            greeting: 5 * MINUTE,
            command: 5 * MINUTE,
            mail: 5 * MINUTE,
            rcpt: 5 * MINUTE,
            data_initiation: 2 * MINUTE,
            data_block: 3 * MINUTE,
            data_termination: 10 * MINUTE,
        }
    }
}

impl Timeouts {
    /// The same limit for every step (tests).
    pub fn uniform(limit: Duration) -> Self {
        Self {
            connect: limit,
            greeting: limit,
            command: limit,
            mail: limit,
            rcpt: limit,
            data_initiation: limit,
            data_block: limit,
            data_termination: limit,
        }
    }
}

/// Connection reuse: idle connections kept per destination after a successful transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    /// How long an idle connection is kept. Default: 30 s (below the 5 min servers wait).
    pub idle_timeout: Duration,
    /// Idle connections kept per destination (and credentials). Default: 4. 0 disables reuse.
    pub max_idle_per_destination: usize,
    /// Idle connections kept in all. Default: 64.
    pub max_idle_total: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(30),
            max_idle_per_destination: 4,
            max_idle_total: 64,
        }
    }
}

impl PoolConfig {
    /// No reuse: every delivery opens its own connection and ends it with QUIT.
    pub fn disabled() -> Self {
        Self { max_idle_per_destination: 0, max_idle_total: 0, ..Self::default() }
    }
}

/// Every setting of the outbound client.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The name presented in EHLO/HELO: this host's fully qualified name.
    pub ehlo_name: String,
    /// Step limits.
    pub timeouts: Timeouts,
    /// Connection reuse.
    pub pool: PoolConfig,
    /// Certificates trusted as roots besides the bundled web PKI roots (`webpki-roots`), e.g.
    /// a private CA for a smarthost, or a test CA.
    pub extra_roots: Vec<CertificateDer<'static>>,
}

impl ClientConfig {
    /// The defaults, presenting `ehlo_name`.
    pub fn new(ehlo_name: impl Into<String>) -> Self {
        Self {
            ehlo_name: ehlo_name.into(),
            timeouts: Timeouts::default(),
            pool: PoolConfig::default(),
            extra_roots: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_rfc_5321_client_timeouts() {
        let config = ClientConfig::new("relay.example");
        let minutes = |m: u64| Duration::from_secs(60 * m);
        let t = config.timeouts;
        let table = [
            (t.connect, Duration::from_secs(30)),
            (t.greeting, minutes(5)),
            (t.command, minutes(5)),
            (t.mail, minutes(5)),
            (t.rcpt, minutes(5)),
            (t.data_initiation, minutes(2)),
            (t.data_block, minutes(3)),
            (t.data_termination, minutes(10)),
        ];
        for (got, want) in table {
            assert_eq!(got, want);
        }
        assert_eq!(config.ehlo_name, "relay.example");
        assert_eq!(config.pool.idle_timeout, Duration::from_secs(30));
        assert_eq!(PoolConfig::disabled().max_idle_per_destination, 0);
    }
}
