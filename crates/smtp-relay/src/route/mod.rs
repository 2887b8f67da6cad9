//! Routing: which hosts receive mail for a recipient domain.
//!
//! [`Router`] answers with destinations in the order to try them. The implementations: MX
//! lookup (RFC 5321 §5.1 with RFC 7505 null MX), one smarthost for everything, and a static
//! map (`domain=host:port`, used by tests and small setups), combinable (static map first).

use async_trait::async_trait;

use crate::transport::{Destination, SmarthostCredentials};

/// Why no destination could be found.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// The domain publishes a null MX (RFC 7505): it accepts no mail. Permanent (`556 5.1.10`).
    #[error("{domain} accepts no mail (null MX)")]
    NullMx {
        /// The domain.
        domain: String,
    },
    /// The domain does not exist or has no MX and no address records. Permanent (`5.1.2`).
    #[error("no mail server for {domain}")]
    NoSuchDomain {
        /// The domain.
        domain: String,
    },
    /// DNS failed for now (SERVFAIL, timeout). Retry later.
    #[error("DNS lookup for {domain} failed: {reason}")]
    Temporary {
        /// The domain.
        domain: String,
        /// What went wrong.
        reason: String,
    },
}

impl RouteError {
    /// Whether a later retry may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Temporary { .. })
    }
}

/// Where mail for a domain goes.
#[derive(Clone, Debug)]
pub struct Route {
    /// Hosts to try, in order (MX preference, then address order).
    pub destinations: Vec<Destination>,
    /// Credentials for these hosts (a smarthost with AUTH).
    pub credentials: Option<SmarthostCredentials>,
}

/// Finds the destinations for a recipient domain.
#[async_trait]
pub trait Router: Send + Sync {
    /// The route for `domain` (ASCII or U-label, as in the recipient address; an address
    /// literal such as `[192.0.2.1]` routes to that address).
    async fn route(&self, domain: &str) -> Result<Route, RouteError>;
}

mod domain;
mod mx;
mod smarthost;
mod static_routes;

pub use domain::{AddressLiteral, normalize_domain};
pub use mx::{LookupError, MxLookup, MxRouter, SystemLookup};
pub use smarthost::SmarthostRouter;
pub use static_routes::{StaticRouteError, StaticRouter};
