//! [`MxRouter`]: RFC 5321 §5.1 routing by MX records, with RFC 7505 null MX.
//!
//! The DNS questions go through the small [`MxLookup`] trait so the rules are tested with a
//! fake; [`SystemLookup`] answers them with hickory-resolver.

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use hickory_resolver::config::{ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::{ResolveError, TokioResolver};

use super::domain::{AddressLiteral, normalize_domain};
use super::{Route, RouteError, Router};
use crate::transport::{Destination, TlsPolicy};

/// The SMTP port MX hosts listen on.
const SMTP_PORT: u16 = 25;

/// Why a DNS question got no answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The name does not exist (NXDOMAIN).
    #[error("no such domain")]
    NxDomain,
    /// The name exists but has no records of the type asked for (NODATA).
    #[error("no records")]
    NoRecords,
    /// Anything else (SERVFAIL, timeout, no name server reachable): may work later.
    #[error("{0}")]
    Failed(String),
}

impl From<ResolveError> for LookupError {
    fn from(error: ResolveError) -> Self {
        if error.is_nx_domain() {
            Self::NxDomain
        } else if error.is_no_records_found() {
            Self::NoRecords
        } else {
            Self::Failed(error.to_string())
        }
    }
}

/// The DNS questions MX routing asks.
#[async_trait]
pub trait MxLookup: Send + Sync {
    /// The MX records of `domain` as `(preference, exchange)`; the exchange as written in DNS,
    /// a trailing dot allowed, `.` for a null MX.
    async fn mx(&self, domain: &str) -> Result<Vec<(u16, String)>, LookupError>;
    /// The A and AAAA addresses of `host`.
    async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, LookupError>;
}

/// [`MxLookup`] through hickory-resolver.
#[derive(Clone)]
pub struct SystemLookup {
    resolver: TokioResolver,
}

impl SystemLookup {
    /// A resolver built from the system configuration (`/etc/resolv.conf`).
    pub fn from_system_conf() -> Result<Self, LookupError> {
        let builder = TokioResolver::builder_tokio().map_err(LookupError::from)?;
        Ok(Self { resolver: builder.build() })
    }

    /// A resolver with the given name servers and options (tests point it at a local server).
    pub fn with_config(config: ResolverConfig, options: ResolverOpts) -> Self {
        let builder =
            TokioResolver::builder_with_config(config, TokioConnectionProvider::default());
        Self { resolver: builder.with_options(options).build() }
    }
}

#[async_trait]
impl MxLookup for SystemLookup {
    async fn mx(&self, domain: &str) -> Result<Vec<(u16, String)>, LookupError> {
        let lookup = self.resolver.mx_lookup(domain).await?;
        Ok(lookup.iter().map(|mx| (mx.preference(), mx.exchange().to_ascii())).collect())
    }

    async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, LookupError> {
        let lookup = self.resolver.lookup_ip(host).await?;
        Ok(lookup.iter().collect())
    }
}

/// Routes by MX records: hosts by preference (equal preferences in random order), each on
/// port 25 with opportunistic TLS verified against the exchange name.
///
/// - no MX records: the domain itself when it has an address (the implicit MX), else
///   [`RouteError::NoSuchDomain`];
/// - NXDOMAIN: [`RouteError::NoSuchDomain`];
/// - a lone MX whose exchange is `.` (RFC 7505; the preference is not checked, a `.` host can
///   never receive mail): [`RouteError::NullMx`]. A `.` among other records is skipped;
/// - any other DNS failure: [`RouteError::Temporary`];
/// - address literals (`[192.0.2.1]`, `[IPv6:2001:db8::1]`) route to that address without
///   DNS; a malformed literal is [`RouteError::NoSuchDomain`].
#[derive(Clone)]
pub struct MxRouter {
    lookup: Arc<dyn MxLookup>,
    port: u16,
}

impl MxRouter {
    /// MX routing with the system's resolver configuration.
    pub fn from_system_conf() -> Result<Self, LookupError> {
        Ok(Self::with_lookup(SystemLookup::from_system_conf()?))
    }

    /// MX routing through the given name servers.
    pub fn with_resolver_config(config: ResolverConfig, options: ResolverOpts) -> Self {
        Self::with_lookup(SystemLookup::with_config(config, options))
    }

    /// MX routing with any [`MxLookup`] (a fake in tests).
    pub fn with_lookup(lookup: impl MxLookup + 'static) -> Self {
        Self { lookup: Arc::new(lookup), port: SMTP_PORT }
    }

    /// Connects on `port` instead of 25 (tests).
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    fn destination(&self, host: String) -> Destination {
        Destination { tls_name: host.clone(), host, port: self.port, tls: TlsPolicy::Opportunistic }
    }

    fn route_to(&self, hosts: Vec<String>) -> Route {
        let destinations = hosts.into_iter().map(|host| self.destination(host)).collect();
        Route { destinations, credentials: None }
    }

    /// The implicit MX (RFC 5321 §5.1): the domain itself, if it has an address.
    async fn implicit_mx(&self, domain: &str) -> Result<Route, RouteError> {
        match self.lookup.addresses(domain).await {
            Ok(addresses) if !addresses.is_empty() => Ok(self.route_to(vec![domain.to_owned()])),
            Ok(_) | Err(LookupError::NoRecords | LookupError::NxDomain) => {
                Err(RouteError::NoSuchDomain { domain: domain.to_owned() })
            }
            Err(LookupError::Failed(reason)) => {
                Err(RouteError::Temporary { domain: domain.to_owned(), reason })
            }
        }
    }
}

/// The exchanges to try, in order; `Err(NullMx)` for a null MX.
fn order_exchanges(mut records: Vec<(u16, String)>) -> Result<Vec<String>, NullMx> {
    for (_, exchange) in &mut records {
        *exchange = normalize_domain(exchange);
    }
    if let [(_, exchange)] = records.as_slice()
        && exchange.is_empty()
    {
        return Err(NullMx);
    }
    records.retain(|(_, exchange)| !exchange.is_empty());
    shuffle(&mut records);
    // A stable sort keeps the shuffled order among equal preferences.
    records.sort_by_key(|(preference, _)| *preference);
    Ok(records.into_iter().map(|(_, exchange)| exchange).collect())
}

/// The domain publishes a null MX.
struct NullMx;

/// Fisher–Yates with the system's random numbers; the order stays as is if there are none.
fn shuffle<T>(items: &mut [T]) {
    for last in (1..items.len()).rev() {
        let Ok(random) = getrandom::u64() else { return };
        let bound = u64::try_from(last).unwrap_or(u64::MAX).saturating_add(1);
        let pick = usize::try_from(random % bound).unwrap_or(0);
        items.swap(last, pick);
    }
}

#[async_trait]
impl Router for MxRouter {
    async fn route(&self, domain: &str) -> Result<Route, RouteError> {
        if let Some(literal) = AddressLiteral::parse(domain) {
            let Some(literal) = literal else {
                return Err(RouteError::NoSuchDomain { domain: domain.to_owned() });
            };
            return Ok(self.route_to(vec![literal.host()]));
        }
        let name = normalize_domain(domain);
        if name.is_empty() {
            return Err(RouteError::NoSuchDomain { domain: domain.to_owned() });
        }
        match self.lookup.mx(&name).await {
            Ok(records) if records.is_empty() => self.implicit_mx(&name).await,
            Ok(records) => match order_exchanges(records) {
                Ok(hosts) if hosts.is_empty() => self.implicit_mx(&name).await,
                Ok(hosts) => Ok(self.route_to(hosts)),
                Err(NullMx) => Err(RouteError::NullMx { domain: name }),
            },
            Err(LookupError::NoRecords) => self.implicit_mx(&name).await,
            Err(LookupError::NxDomain) => Err(RouteError::NoSuchDomain { domain: name }),
            Err(LookupError::Failed(reason)) => Err(RouteError::Temporary { domain: name, reason }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// Canned DNS answers; a name without an entry is NXDOMAIN.
    #[derive(Default)]
    struct FakeDns {
        mx: HashMap<String, Result<Vec<(u16, String)>, LookupError>>,
        addresses: HashMap<String, Result<Vec<IpAddr>, LookupError>>,
    }

    impl FakeDns {
        fn mx(mut self, domain: &str, answer: Result<Vec<(u16, &str)>, LookupError>) -> Self {
            let answer = answer.map(|r| r.into_iter().map(|(p, h)| (p, h.to_owned())).collect());
            self.mx.insert(domain.to_owned(), answer);
            self
        }

        fn a(mut self, host: &str, answer: Result<Vec<&str>, LookupError>) -> Self {
            let answer = answer.map(|a| a.into_iter().map(|ip| ip.parse().unwrap()).collect());
            self.addresses.insert(host.to_owned(), answer);
            self
        }
    }

    #[async_trait]
    impl MxLookup for FakeDns {
        async fn mx(&self, domain: &str) -> Result<Vec<(u16, String)>, LookupError> {
            self.mx.get(domain).cloned().unwrap_or(Err(LookupError::NxDomain))
        }
        async fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, LookupError> {
            self.addresses.get(host).cloned().unwrap_or(Err(LookupError::NxDomain))
        }
    }

    fn hosts(route: &Route) -> Vec<&str> {
        route.destinations.iter().map(|d| d.host.as_str()).collect()
    }

    fn dns() -> FakeDns {
        let failed = || LookupError::Failed("SERVFAIL".into());
        FakeDns::default()
            .mx(
                "sorted.example",
                Ok(vec![(20, "b.example."), (10, "A.example."), (30, "c.example")]),
            )
            .mx("implicit.example", Err(LookupError::NoRecords))
            .a("implicit.example", Ok(vec!["192.0.2.7"]))
            .mx("empty-answer.example", Ok(vec![]))
            .a("empty-answer.example", Ok(vec!["2001:db8::7"]))
            .mx("bare.example", Err(LookupError::NoRecords))
            .a("bare.example", Err(LookupError::NoRecords))
            .mx("null.example", Ok(vec![(0, ".")]))
            .mx("null-pref.example", Ok(vec![(10, ".")]))
            .mx("null-among.example", Ok(vec![(0, "."), (10, "mx.example")]))
            .mx("servfail.example", Err(failed()))
            .mx("a-servfail.example", Err(LookupError::NoRecords))
            .a("a-servfail.example", Err(failed()))
    }

    #[tokio::test]
    async fn every_rule_of_mx_routing() {
        let router = MxRouter::with_lookup(dns());
        type Expected = Result<Vec<&'static str>, &'static str>;
        let cases: [(&str, Expected); 14] = [
            ("sorted.example", Ok(vec!["a.example", "b.example", "c.example"])),
            ("SORTED.Example.", Ok(vec!["a.example", "b.example", "c.example"])),
            ("implicit.example", Ok(vec!["implicit.example"])),
            ("empty-answer.example", Ok(vec!["empty-answer.example"])),
            ("bare.example", Err("NoSuchDomain")),
            ("nxdomain.example", Err("NoSuchDomain")),
            ("null.example", Err("NullMx")),
            ("null-pref.example", Err("NullMx")),
            ("null-among.example", Ok(vec!["mx.example"])),
            ("servfail.example", Err("Temporary")),
            ("a-servfail.example", Err("Temporary")),
            ("[192.0.2.1]", Ok(vec!["192.0.2.1"])),
            ("[IPv6:2001:db8::1]", Ok(vec!["2001:db8::1"])),
            ("[not-an-address]", Err("NoSuchDomain")),
        ];
        for (domain, expected) in cases {
            let got = router.route(domain).await;
            match (&got, &expected) {
                (Ok(route), Ok(expected)) => {
                    assert_eq!(&hosts(route), expected, "{domain}");
                    assert!(route.credentials.is_none());
                    for d in &route.destinations {
                        assert_eq!((d.port, d.tls), (25, TlsPolicy::Opportunistic), "{domain}");
                        assert_eq!(d.tls_name, d.host, "{domain}");
                    }
                }
                (Err(error), &Err(kind)) => {
                    let name = match error {
                        RouteError::NullMx { .. } => "NullMx",
                        RouteError::NoSuchDomain { .. } => "NoSuchDomain",
                        RouteError::Temporary { .. } => "Temporary",
                    };
                    assert_eq!(name, kind, "{domain}");
                    assert_eq!(error.is_transient(), kind == "Temporary");
                }
                _ => panic!("{domain}: got {got:?}, expected {expected:?}"),
            }
        }
    }

    #[tokio::test]
    async fn the_port_can_be_overridden() {
        let router = MxRouter::with_lookup(dns()).with_port(2525);
        for domain in ["sorted.example", "implicit.example", "[192.0.2.1]"] {
            let route = router.route(domain).await.unwrap();
            assert!(route.destinations.iter().all(|d| d.port == 2525), "{domain}");
        }
    }

    #[tokio::test]
    async fn equal_preferences_are_shuffled_but_stay_behind_better_ones() {
        let records = vec![(5, "first"), (10, "x"), (10, "y"), (10, "z"), (20, "last")];
        let router = MxRouter::with_lookup(FakeDns::default().mx("eq.example", Ok(records)));
        let mut orders = std::collections::HashSet::new();
        for _ in 0..200 {
            let route = router.route("eq.example").await.unwrap();
            let order = hosts(&route);
            assert_eq!((order[0], order[4]), ("first", "last"));
            let mut middle = order[1..4].to_vec();
            orders.insert(middle.join(","));
            middle.sort_unstable();
            assert_eq!(middle, ["x", "y", "z"]);
        }
        // All 6 permutations of three equal hosts turn up (failure chance about 6 * (5/6)^200).
        assert_eq!(orders.len(), 6, "{orders:?}");
    }
}
