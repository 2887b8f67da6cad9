//! [`MechanismRegistry`]: the mechanisms a server offers, by case-insensitive name.
//!
//! The registry keeps its names sorted (aiosmtpd sorts its EHLO `AUTH` list the same way), so
//! the advertised list is stable. Registering a mechanism under a name that is already taken
//! replaces the old one: that is how an application overrides the built-in PLAIN or LOGIN.
//! [`MechanismRegistry::exclude`] removes names, built-ins included (aiosmtpd's
//! `auth_exclude_mechanism`, but case-insensitive).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::login::Login;
use crate::mechanism::Mechanism;
use crate::name::{InvalidMechanismName, MechanismName};
use crate::plain::Plain;

/// A registered mechanism, shared between the registry and its users.
pub type SharedMechanism<S = (), E = ()> = Arc<dyn Mechanism<S, E>>;

/// The mechanisms a server offers, keyed by [`MechanismName`].
///
/// ```
/// use smtp_auth::MechanismRegistry;
///
/// let mut registry: MechanismRegistry = MechanismRegistry::with_builtins();
/// assert_eq!(registry.ehlo_keyword().as_deref(), Some("AUTH LOGIN PLAIN"));
/// assert!(registry.get("plain").is_some());
/// registry.exclude("login");
/// assert_eq!(registry.ehlo_keyword().as_deref(), Some("AUTH PLAIN"));
/// ```
pub struct MechanismRegistry<S: ?Sized + Sync = (), E: ?Sized + Sync = ()> {
    mechanisms: BTreeMap<MechanismName, SharedMechanism<S, E>>,
}

impl<S: ?Sized + Sync, E: ?Sized + Sync> MechanismRegistry<S, E> {
    /// An empty registry: no mechanism is offered.
    pub fn new() -> Self {
        Self { mechanisms: BTreeMap::new() }
    }

    /// A registry with the built-in [`Plain`] and [`Login`] mechanisms.
    pub fn with_builtins() -> Self {
        let mut registry = Self::new();
        registry.insert_valid(Arc::new(Plain));
        registry.insert_valid(Arc::new(Login));
        registry
    }

    fn insert_valid(&mut self, mechanism: Arc<dyn Mechanism<S, E>>) {
        // The built-in names are valid; a failure here would only drop a built-in.
        let _ = self.register(mechanism);
    }

    /// Adds `mechanism` under [`Mechanism::name`], replacing (and returning) a mechanism that
    /// was registered under the same name in any case. Fails when the name is not a valid
    /// SASL mechanism name.
    pub fn register(
        &mut self,
        mechanism: Arc<dyn Mechanism<S, E>>,
    ) -> Result<Option<SharedMechanism<S, E>>, InvalidMechanismName> {
        let name = MechanismName::new(mechanism.name())?;
        Ok(self.mechanisms.insert(name, mechanism))
    }

    /// Removes the mechanism named `name` (any case), built-ins included. Returns whether one
    /// was registered.
    pub fn exclude(&mut self, name: &str) -> bool {
        self.mechanisms.remove(name.to_ascii_uppercase().as_str()).is_some()
    }

    /// The mechanism named `name`, in any case.
    pub fn get(&self, name: &str) -> Option<&SharedMechanism<S, E>> {
        self.entry(name).map(|(_, mechanism)| mechanism)
    }

    /// The registered name and the mechanism for `name`, in any case.
    pub fn entry(&self, name: &str) -> Option<(&MechanismName, &SharedMechanism<S, E>)> {
        if name.len() > MechanismName::MAX_LEN {
            return None;
        }
        self.mechanisms.get_key_value(name.to_ascii_uppercase().as_str())
    }

    /// Whether a mechanism named `name` (any case) is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.entry(name).is_some()
    }

    /// The registered names, sorted: the order of the EHLO `AUTH` line.
    pub fn names(&self) -> impl Iterator<Item = &MechanismName> + '_ {
        self.mechanisms.keys()
    }

    /// The EHLO keyword line (`AUTH LOGIN PLAIN`), or `None` when nothing is registered (then
    /// AUTH must not be advertised).
    pub fn ehlo_keyword(&self) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let mut line = String::from("AUTH");
        for name in self.names() {
            line.push(' ');
            line.push_str(name.as_str());
        }
        Some(line)
    }

    /// Whether no mechanism is registered.
    pub fn is_empty(&self) -> bool {
        self.mechanisms.is_empty()
    }

    /// The number of registered mechanisms.
    pub fn len(&self) -> usize {
        self.mechanisms.len()
    }
}

impl<S: ?Sized + Sync, E: ?Sized + Sync> Default for MechanismRegistry<S, E> {
    /// The same as [`MechanismRegistry::with_builtins`].
    fn default() -> Self {
        Self::with_builtins()
    }
}

impl<S: ?Sized + Sync, E: ?Sized + Sync> Clone for MechanismRegistry<S, E> {
    fn clone(&self) -> Self {
        Self { mechanisms: self.mechanisms.clone() }
    }
}

impl<S: ?Sized + Sync, E: ?Sized + Sync> fmt::Debug for MechanismRegistry<S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mechanism::{AuthContext, MechanismExchange, Step};
    use crate::result::AuthResult;
    use async_trait::async_trait;

    struct Named(&'static str);

    struct Refuse;

    #[async_trait]
    impl MechanismExchange for Refuse {
        async fn step(&mut self, _: &AuthContext<'_, (), ()>, _: Option<&[u8]>) -> Step {
            Step::Done(AuthResult::denied())
        }
    }

    impl Mechanism for Named {
        fn name(&self) -> &str {
            self.0
        }

        fn start(&self) -> Box<dyn MechanismExchange> {
            Box::new(Refuse)
        }
    }

    fn names(registry: &MechanismRegistry) -> Vec<&str> {
        registry.names().map(MechanismName::as_str).collect()
    }

    #[test]
    fn builtins_and_empty() {
        let empty: MechanismRegistry = MechanismRegistry::new();
        assert!(empty.is_empty());
        assert_eq!(empty.ehlo_keyword(), None);
        let builtins: MechanismRegistry = MechanismRegistry::default();
        assert_eq!(names(&builtins), ["LOGIN", "PLAIN"]);
        assert_eq!(builtins.len(), 2);
    }

    #[test]
    fn names_are_sorted_and_looked_up_in_any_case() {
        let mut registry: MechanismRegistry = MechanismRegistry::with_builtins();
        for name in ["x-dash", "XTEST", "MECH-WITH-DASHES", "WITH_UNDERSCORE"] {
            assert!(registry.register(Arc::new(Named(name))).unwrap().is_none(), "{name}");
        }
        assert_eq!(
            names(&registry),
            ["LOGIN", "MECH-WITH-DASHES", "PLAIN", "WITH_UNDERSCORE", "X-DASH", "XTEST"]
        );
        for (lookup, registered) in [
            ("plain", "PLAIN"),
            ("Mech-With-Dashes", "MECH-WITH-DASHES"),
            ("with_underscore", "WITH_UNDERSCORE"),
            ("X-DASH", "X-DASH"),
        ] {
            let (name, mechanism) = registry.entry(lookup).unwrap();
            assert_eq!(name.as_str(), registered);
            assert!(mechanism.name().eq_ignore_ascii_case(registered));
        }
        for missing in ["CRAM-MD5", "", "PLAI", "PLAIN ", "A-VERY-LONG-MECHANISM-NAME"] {
            assert!(!registry.contains(missing), "{missing:?}");
        }
    }

    #[test]
    fn register_replaces_and_exclude_removes() {
        let mut registry: MechanismRegistry = MechanismRegistry::with_builtins();
        let replaced = registry.register(Arc::new(Named("plain"))).unwrap();
        assert_eq!(replaced.map(|old| old.name().to_owned()).as_deref(), Some("PLAIN"));
        assert_eq!(registry.get("PLAIN").map(|m| m.name()), Some("plain"));
        assert_eq!(registry.len(), 2);

        assert!(registry.exclude("Login"));
        assert!(!registry.exclude("LOGIN"));
        assert!(!registry.exclude("NOPE"));
        assert_eq!(names(&registry), ["PLAIN"]);
        assert_eq!(registry.ehlo_keyword().as_deref(), Some("AUTH PLAIN"));
    }

    #[test]
    fn invalid_names_are_refused() {
        let mut registry: MechanismRegistry = MechanismRegistry::new();
        for name in ["", "X.Y", "ABCDEFGHIJKLMNOPQRSTU", "TWO WORDS"] {
            assert!(registry.register(Arc::new(Named(name))).is_err(), "{name:?}");
        }
        assert!(registry.is_empty());
    }
}
