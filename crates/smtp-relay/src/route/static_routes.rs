//! [`StaticRouter`]: a fixed `domain -> host:port` map, with an optional router behind it.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::domain::normalize_domain;
use super::{Route, RouteError, Router};
use crate::transport::{Destination, TlsPolicy};

/// Why a `domain=host:port` entry was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StaticRouteError {
    /// No `=` between the domain and the destination.
    #[error("{entry:?}: expected domain=host:port (no '=')")]
    MissingEquals {
        /// The entry.
        entry: String,
    },
    /// Nothing before the `=`.
    #[error("{entry:?}: the domain is empty")]
    EmptyDomain {
        /// The entry.
        entry: String,
    },
    /// Nothing between `=` and `:`.
    #[error("{entry:?}: the host is empty")]
    EmptyHost {
        /// The entry.
        entry: String,
    },
    /// No `:port` after the host (an IPv6 host must be bracketed: `[::1]:25`).
    #[error("{entry:?}: expected host:port (no port)")]
    MissingPort {
        /// The entry.
        entry: String,
    },
    /// The port is not a number from 1 to 65535.
    #[error("{entry:?}: invalid port")]
    InvalidPort {
        /// The entry.
        entry: String,
    },
    /// The same domain is listed twice.
    #[error("{entry:?}: the domain is already routed")]
    Duplicate {
        /// The entry.
        entry: String,
    },
}

/// Parses one `domain=host:port` entry into a normalised domain and a destination with
/// opportunistic TLS verified against the host.
fn parse_entry(entry: &str) -> Result<(String, Destination), StaticRouteError> {
    let error = |make: fn(String) -> StaticRouteError| make(entry.to_owned());
    let (domain, target) = entry
        .split_once('=')
        .ok_or_else(|| error(|entry| StaticRouteError::MissingEquals { entry }))?;
    let domain = normalize_domain(domain.trim());
    if domain.is_empty() {
        return Err(error(|entry| StaticRouteError::EmptyDomain { entry }));
    }
    let (host, port) = target
        .trim()
        .rsplit_once(':')
        .ok_or_else(|| error(|entry| StaticRouteError::MissingPort { entry }))?;
    let host = unbracket(host);
    if host.is_empty() {
        return Err(error(|entry| StaticRouteError::EmptyHost { entry }));
    }
    if host.contains(':') && !target.trim().starts_with('[') {
        return Err(error(|entry| StaticRouteError::MissingPort { entry }));
    }
    let port = match port.parse::<u16>() {
        Ok(port) if port != 0 => port,
        _ => return Err(error(|entry| StaticRouteError::InvalidPort { entry })),
    };
    let destination = Destination {
        host: host.to_owned(),
        port,
        tls_name: host.to_owned(),
        tls: TlsPolicy::Opportunistic,
    };
    Ok((domain, destination))
}

fn unbracket(host: &str) -> &str {
    host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host)
}

/// Routes listed domains (case-insensitive, a trailing dot ignored) to fixed destinations;
/// other domains go to the fallback router, or get [`RouteError::NoSuchDomain`] without one.
#[derive(Clone, Default)]
pub struct StaticRouter {
    routes: HashMap<String, Destination>,
    fallback: Option<Arc<dyn Router>>,
}

impl StaticRouter {
    /// A router over `routes` (keys are normalised here).
    pub fn new(routes: HashMap<String, Destination>) -> Self {
        let routes = routes.into_iter().map(|(d, dest)| (normalize_domain(&d), dest)).collect();
        Self { routes, fallback: None }
    }

    /// A router over `domain=host:port` entries (the command line's `--route`).
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, StaticRouteError> {
        let mut routes = HashMap::new();
        for entry in entries {
            let (domain, destination) = parse_entry(entry)?;
            if routes.insert(domain, destination).is_some() {
                return Err(StaticRouteError::Duplicate { entry: entry.to_owned() });
            }
        }
        Ok(Self { routes, fallback: None })
    }

    /// Sends unlisted domains to `fallback` (e.g. an [`super::MxRouter`]).
    pub fn with_fallback(mut self, fallback: Arc<dyn Router>) -> Self {
        self.fallback = Some(fallback);
        self
    }

    /// The destination listed for `domain`, if any.
    pub fn get(&self, domain: &str) -> Option<&Destination> {
        self.routes.get(&normalize_domain(domain))
    }
}

impl fmt::Debug for StaticRouter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticRouter")
            .field("routes", &self.routes)
            .field("fallback", &self.fallback.is_some())
            .finish()
    }
}

#[async_trait]
impl Router for StaticRouter {
    async fn route(&self, domain: &str) -> Result<Route, RouteError> {
        if let Some(destination) = self.get(domain) {
            return Ok(Route { destinations: vec![destination.clone()], credentials: None });
        }
        match &self.fallback {
            Some(fallback) => fallback.route(domain).await,
            None => Err(RouteError::NoSuchDomain { domain: domain.to_owned() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::SmarthostRouter;

    fn dest(host: &str, port: u16) -> Destination {
        Destination {
            host: host.into(),
            port,
            tls_name: host.into(),
            tls: TlsPolicy::Opportunistic,
        }
    }

    #[test]
    fn entries_parse_or_say_what_is_wrong() {
        type E = StaticRouteError;
        let err = |make: fn(String) -> E, entry: &str| Err(make(entry.to_owned()));
        type Parsed = Result<(String, Destination), E>;
        let cases: [(&str, Parsed); 12] = [
            ("example.com=127.0.0.1:2525", Ok(("example.com".into(), dest("127.0.0.1", 2525)))),
            (
                "Example.COM.=mx.example.net:25",
                Ok(("example.com".into(), dest("mx.example.net", 25))),
            ),
            (" a.example = [::1]:26 ", Ok(("a.example".into(), dest("::1", 26)))),
            ("example.com", err(|entry| E::MissingEquals { entry }, "example.com")),
            ("=h:25", err(|entry| E::EmptyDomain { entry }, "=h:25")),
            ("d=:25", err(|entry| E::EmptyHost { entry }, "d=:25")),
            ("d=[]:25", err(|entry| E::EmptyHost { entry }, "d=[]:25")),
            ("d=host", err(|entry| E::MissingPort { entry }, "d=host")),
            ("d=::1:25", err(|entry| E::MissingPort { entry }, "d=::1:25")),
            ("d=h:0", err(|entry| E::InvalidPort { entry }, "d=h:0")),
            ("d=h:65536", err(|entry| E::InvalidPort { entry }, "d=h:65536")),
            ("d=h:", err(|entry| E::InvalidPort { entry }, "d=h:")),
        ];
        for (entry, expected) in cases {
            assert_eq!(parse_entry(entry), expected, "{entry}");
        }
        assert_eq!(
            StaticRouter::parse(["a.example=h:1", "A.EXAMPLE=h:2"]).unwrap_err(),
            E::Duplicate { entry: "A.EXAMPLE=h:2".into() }
        );
    }

    #[tokio::test]
    async fn listed_domains_route_case_insensitively_and_others_fall_back() {
        let only = StaticRouter::parse(["example.com=127.0.0.1:2525"]).unwrap();
        let hub = dest("hub.example", 587);
        let with_fallback =
            only.clone().with_fallback(Arc::new(SmarthostRouter::new(hub.clone(), None)));
        for router in [&only, &with_fallback] {
            for domain in ["example.com", "EXAMPLE.com", "example.com."] {
                let route = router.route(domain).await.unwrap();
                assert_eq!(route.destinations, vec![dest("127.0.0.1", 2525)], "{domain}");
            }
        }
        let unknown = only.route("other.example").await.unwrap_err();
        assert!(
            matches!(unknown, RouteError::NoSuchDomain { ref domain } if domain == "other.example")
        );
        let routed = with_fallback.route("other.example").await.unwrap();
        assert_eq!(routed.destinations, vec![hub]);
        // `new` normalises its keys too.
        let built = StaticRouter::new(HashMap::from([("Mixed.Case.".into(), dest("h", 1))]));
        assert_eq!(built.get("mixed.case"), Some(&dest("h", 1)));
    }
}
