//! [`MechanismName`]: a validated SASL mechanism name (RFC 4422 §3.1).
//!
//! A name is 1 to 20 characters of upper-case letters, digits, `-` and `_`. Input is accepted
//! in any case and stored upper case, so two names compare equal exactly when they are equal
//! ignoring ASCII case (`plain` is `PLAIN`), as RFC 4954 asks of mechanism names.

use std::borrow::Borrow;
use std::fmt;
use std::str::FromStr;

/// A validated SASL mechanism name, stored upper case.
///
/// ```
/// use smtp_auth::MechanismName;
///
/// let name = MechanismName::new("mech-with-dashes").unwrap();
/// assert_eq!(name.as_str(), "MECH-WITH-DASHES");
/// assert_eq!(name, *"Mech-With-Dashes");
/// assert!(MechanismName::new("X.Y").is_err());
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MechanismName(String);

/// Why a string is not a mechanism name.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidMechanismName {
    /// The name is empty.
    Empty,
    /// The name is longer than [`MechanismName::MAX_LEN`] bytes.
    TooLong {
        /// Its length in bytes.
        length: usize,
    },
    /// The name holds a byte other than a letter, a digit, `-` or `_`.
    InvalidByte {
        /// The offending byte.
        byte: u8,
        /// Its position (0-based).
        position: usize,
    },
}

impl fmt::Display for InvalidMechanismName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("invalid SASL mechanism name: empty"),
            Self::TooLong { length } => write!(
                f,
                "invalid SASL mechanism name: {length} characters, at most {} allowed",
                MechanismName::MAX_LEN
            ),
            Self::InvalidByte { byte, position } => write!(
                f,
                "invalid SASL mechanism name: byte 0x{byte:02x} at position {position} \
                 (only A-Z, 0-9, '-' and '_' are allowed)"
            ),
        }
    }
}

impl std::error::Error for InvalidMechanismName {}

impl MechanismName {
    /// The longest name RFC 4422 allows, in characters.
    pub const MAX_LEN: usize = 20;

    /// Validates `name` (any case) and stores it upper case.
    pub fn new(name: &str) -> Result<Self, InvalidMechanismName> {
        validate(name)?;
        Ok(Self(name.to_ascii_uppercase()))
    }

    /// The name, upper case.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` is this name, ignoring ASCII case.
    pub fn matches(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

fn validate(name: &str) -> Result<(), InvalidMechanismName> {
    if name.is_empty() {
        return Err(InvalidMechanismName::Empty);
    }
    if let Some((position, &byte)) =
        name.as_bytes().iter().enumerate().find(|(_, byte)| !is_name_byte(**byte))
    {
        return Err(InvalidMechanismName::InvalidByte { byte, position });
    }
    if name.len() > MechanismName::MAX_LEN {
        return Err(InvalidMechanismName::TooLong { length: name.len() });
    }
    Ok(())
}

fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

impl FromStr for MechanismName {
    type Err = InvalidMechanismName;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::new(name)
    }
}

impl TryFrom<&str> for MechanismName {
    type Error = InvalidMechanismName;

    fn try_from(name: &str) -> Result<Self, Self::Error> {
        Self::new(name)
    }
}

impl AsRef<str> for MechanismName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for MechanismName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for MechanismName {
    fn eq(&self, other: &str) -> bool {
        self.matches(other)
    }
}

impl PartialEq<&str> for MechanismName {
    fn eq(&self, other: &&str) -> bool {
        self.matches(other)
    }
}

impl fmt::Display for MechanismName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MechanismName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MechanismName({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names_are_stored_upper_case() {
        let cases = [
            ("PLAIN", "PLAIN"),
            ("plain", "PLAIN"),
            ("Login", "LOGIN"),
            ("MECH-WITH-DASHES", "MECH-WITH-DASHES"),
            ("with_underscore", "WITH_UNDERSCORE"),
            ("SCRAM-SHA-256", "SCRAM-SHA-256"),
            ("X", "X"),
            ("ABCDEFGHIJKLMNOPQRST", "ABCDEFGHIJKLMNOPQRST"),
        ];
        for (input, stored) in cases {
            let name = MechanismName::new(input).unwrap();
            assert_eq!(name.as_str(), stored, "{input}");
            assert_eq!(name.to_string(), stored, "{input}");
        }
    }

    #[test]
    fn invalid_names_say_why() {
        let cases = [
            ("", InvalidMechanismName::Empty),
            ("ABCDEFGHIJKLMNOPQRSTU", InvalidMechanismName::TooLong { length: 21 }),
            ("X.Y", InvalidMechanismName::InvalidByte { byte: b'.', position: 1 }),
            ("A B", InvalidMechanismName::InvalidByte { byte: b' ', position: 1 }),
            ("PLAIN\0", InvalidMechanismName::InvalidByte { byte: 0, position: 5 }),
            ("É", InvalidMechanismName::InvalidByte { byte: 0xc3, position: 0 }),
            ("*", InvalidMechanismName::InvalidByte { byte: b'*', position: 0 }),
        ];
        for (input, error) in cases {
            assert_eq!(MechanismName::new(input), Err(error.clone()), "{input:?}");
            assert!(error.to_string().starts_with("invalid SASL mechanism name"));
        }
    }

    #[test]
    fn comparison_ignores_case() {
        let name: MechanismName = "x-Dash".parse().unwrap();
        assert_eq!(name, MechanismName::new("X-DASH").unwrap());
        assert_eq!(name, *"x-dash");
        assert_eq!(name, "X-Dash");
        assert_ne!(name, "X-DASH2");
        assert_ne!(name, "X_DASH");
    }
}
