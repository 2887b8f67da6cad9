//! Which envelope senders (`MAIL FROM`) a user may use.
//!
//! The policy is deliberately conservative:
//!
//! - a user may send as the addresses listed for them ([`AllowedSender::Address`]): the local
//!   part compared exactly, the domain case-insensitively;
//! - [`AllowedSender::Any`] (written `*`) lets a user send as any address, including the null
//!   sender `<>`; it must be granted explicitly, per user;
//! - a user added without a list gets their own login as the only sender when the login looks
//!   like an address (`alice@example.com`), and nothing otherwise: such a user can
//!   authenticate but may not send until a sender is added. An empty list never means "any".

use std::fmt;
use std::str::FromStr;

/// One entry of a user's sender list.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AllowedSender {
    /// Exactly this address (`local@domain`).
    Address(String),
    /// Any address: written `*`.
    Any,
}

/// The stored form of [`AllowedSender::Any`].
const ANY: &str = "*";

/// Why a sender entry was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is neither an address (local@domain) nor *")]
pub struct InvalidSender(pub String);

impl FromStr for AllowedSender {
    type Err = InvalidSender;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == ANY {
            return Ok(Self::Any);
        }
        match split_address(text) {
            Some(_) if !text.chars().any(|c| c.is_control() || c.is_whitespace()) => {
                Ok(Self::Address(text.to_owned()))
            }
            _ => Err(InvalidSender(text.to_owned())),
        }
    }
}

impl fmt::Display for AllowedSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Address(address) => f.write_str(address),
            Self::Any => f.write_str(ANY),
        }
    }
}

impl AllowedSender {
    /// Whether this entry allows `address` (without brackets; empty for the null sender).
    pub fn allows(&self, address: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Address(allowed) => same_address(allowed, address),
        }
    }

    /// The default list for a user added without one: the login if it is an address.
    pub fn defaults_for(login: &str) -> Vec<Self> {
        login.parse().ok().filter(|s| *s != Self::Any).into_iter().collect()
    }
}

/// `local@domain` split at the last `@`, both parts non-empty.
fn split_address(address: &str) -> Option<(&str, &str)> {
    let (local, domain) = address.rsplit_once('@')?;
    (!local.is_empty() && !domain.is_empty()).then_some((local, domain))
}

fn same_address(allowed: &str, address: &str) -> bool {
    match (split_address(allowed), split_address(address)) {
        (Some((l1, d1)), Some((l2, d2))) => l1 == l2 && d1.eq_ignore_ascii_case(d2),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_and_matching() {
        let alice = AllowedSender::Address("alice@Example.com".into());
        assert_eq!("*".parse(), Ok(AllowedSender::Any));
        assert_eq!("alice@Example.com".parse(), Ok(alice.clone()));
        for bad in ["", "alice", "@example.com", "alice@", "a b@example.com", "a@b\r\n"] {
            assert_eq!(bad.parse::<AllowedSender>(), Err(InvalidSender(bad.into())), "{bad:?}");
        }
        let cases = [
            ("alice@example.com", true),
            ("alice@EXAMPLE.COM", true),
            ("Alice@example.com", false),
            ("alice@example.com.evil", false),
            ("bob@example.com", false),
            ("", false),
        ];
        for (address, allowed) in cases {
            assert_eq!(alice.allows(address), allowed, "{address}");
            assert!(AllowedSender::Any.allows(address));
        }
        assert_eq!(alice.to_string(), "alice@Example.com");
        assert_eq!(AllowedSender::Any.to_string(), "*");
    }

    #[test]
    fn defaults_are_the_login_when_it_is_an_address_and_nothing_otherwise() {
        let as_address = AllowedSender::Address("carol@example.com".into());
        assert_eq!(AllowedSender::defaults_for("carol@example.com"), vec![as_address]);
        assert_eq!(AllowedSender::defaults_for("carol"), vec![]);
        assert_eq!(AllowedSender::defaults_for("*"), vec![]);
    }
}
