//! [`SmarthostRouter`]: every domain goes to one host.

use async_trait::async_trait;

use super::{Route, RouteError, Router};
use crate::transport::{Destination, SmarthostCredentials};

/// Sends everything to one smarthost, with optional credentials.
#[derive(Clone, Debug)]
pub struct SmarthostRouter {
    /// The smarthost.
    pub destination: Destination,
    /// Credentials to authenticate with (only ever sent under TLS).
    pub credentials: Option<SmarthostCredentials>,
}

impl SmarthostRouter {
    /// Routes everything to `destination`.
    pub fn new(destination: Destination, credentials: Option<SmarthostCredentials>) -> Self {
        Self { destination, credentials }
    }
}

#[async_trait]
impl Router for SmarthostRouter {
    async fn route(&self, _domain: &str) -> Result<Route, RouteError> {
        Ok(Route {
            destinations: vec![self.destination.clone()],
            credentials: self.credentials.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::TlsPolicy;

    #[tokio::test]
    async fn every_domain_gets_the_smarthost_and_its_credentials() {
        let destination = Destination {
            host: "smtp.example.net".into(),
            port: 587,
            tls_name: "smtp.example.net".into(),
            tls: TlsPolicy::Required,
        };
        let credentials = SmarthostCredentials { login: "relay".into(), password: "pw".into() };
        let router = SmarthostRouter::new(destination.clone(), Some(credentials));
        for domain in ["example.com", "[192.0.2.1]", "nowhere.invalid"] {
            let route = router.route(domain).await.unwrap();
            assert_eq!(route.destinations, vec![destination.clone()]);
            let login = route.credentials.map(|c| c.login);
            assert_eq!(login.as_deref(), Some("relay"));
        }
    }
}
