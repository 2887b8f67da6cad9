//! Credential types. None of them shows a secret in `Debug` or `Display`, every secret is
//! zeroised when dropped, and secrets are compared in constant time.

use std::fmt;
use std::sync::Arc;

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// Secret bytes: a password, a token, a key. Zeroised on drop; `Debug` and `Display` print
/// `***`; the bytes are reachable only through [`Secret::expose`].
#[derive(Clone, Default)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Wraps secret bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(Zeroizing::new(bytes.into()))
    }

    /// The secret bytes, for the code that must verify them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Constant-time comparison with `other` (the time depends only on the lengths).
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        bool::from(self.0.as_slice().ct_eq(other))
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Self {
        Self::new(text.as_bytes())
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Self {
        Self::new(text.into_bytes())
    }
}

impl From<Vec<u8>> for Secret {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A login and a password, as PLAIN and LOGIN deliver them (aiosmtpd's `LoginPassword`).
#[derive(Clone)]
pub struct LoginPassword {
    /// The authentication identity (RFC 4616 `authcid`).
    pub login: String,
    /// The password; never shown.
    pub password: Secret,
}

impl LoginPassword {
    /// Makes a login and password pair.
    pub fn new(login: impl Into<String>, password: impl Into<Secret>) -> Self {
        Self { login: login.into(), password: password.into() }
    }
}

impl fmt::Debug for LoginPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginPassword")
            .field("login", &self.login)
            .field("password", &self.password)
            .finish()
    }
}

impl fmt::Display for LoginPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LoginPassword(login={:?}, password=***)", self.login)
    }
}

/// An OAuth 2.0 bearer token, as XOAUTH2 and OAUTHBEARER (RFC 7628) deliver it.
#[derive(Clone)]
pub struct BearerToken {
    /// The user the client names (`user=` / the GS2 authorization identity), when it names one.
    pub user: Option<String>,
    /// The token; never shown.
    pub token: Secret,
    /// The `host=` the client sent (OAUTHBEARER), when present.
    pub host: Option<String>,
    /// The `port=` the client sent (OAUTHBEARER), when present.
    pub port: Option<u16>,
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerToken")
            .field("user", &self.user)
            .field("token", &self.token)
            .field("host", &self.host)
            .field("port", &self.port)
            .finish()
    }
}

impl fmt::Display for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.user {
            Some(user) => write!(f, "BearerToken(user={user:?}, token=***)"),
            None => f.write_str("BearerToken(token=***)"),
        }
    }
}

/// The stored SCRAM credentials of one user (RFC 5802 §3): never the password itself.
#[derive(Clone)]
pub struct ScramCredentials {
    /// The salt used to derive the keys.
    pub salt: Vec<u8>,
    /// The PBKDF2 iteration count.
    pub iterations: u32,
    /// `StoredKey = H(ClientKey)`.
    pub stored_key: Secret,
    /// `ServerKey = HMAC(SaltedPassword, "Server Key")`.
    pub server_key: Secret,
}

impl fmt::Debug for ScramCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramCredentials")
            .field("salt_len", &self.salt.len())
            .field("iterations", &self.iterations)
            .field("stored_key", &self.stored_key)
            .field("server_key", &self.server_key)
            .finish()
    }
}

/// Data a mechanism of the application's own produces, handed to the authenticator and, on
/// success, stored on the session. Its payload is opaque: `Debug` shows only the mechanism and
/// the login.
#[derive(Clone)]
pub struct CustomAuthData {
    /// The mechanism that produced it.
    pub mechanism: String,
    /// The login it claims, when it has one (becomes the session's login data on success).
    pub login: Option<String>,
    /// Anything the mechanism wants to pass on; downcast with `Arc::downcast` or `downcast_ref`.
    pub payload: Arc<dyn std::any::Any + Send + Sync>,
}

impl fmt::Debug for CustomAuthData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomAuthData")
            .field("mechanism", &self.mechanism)
            .field("login", &self.login)
            .finish_non_exhaustive()
    }
}

/// What a mechanism hands to the authenticator, and what a successful authentication stores on
/// the session (aiosmtpd's `auth_data`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AuthData {
    /// PLAIN and LOGIN.
    LoginPassword(LoginPassword),
    /// XOAUTH2 and OAUTHBEARER.
    Bearer(BearerToken),
    /// A login the mechanism verified itself against a stored secret (CRAM-MD5, SCRAM).
    Verified {
        /// The authenticated login.
        login: String,
    },
    /// A mechanism of the application's own.
    Custom(CustomAuthData),
}

impl AuthData {
    /// The login this data names, when it names one (aiosmtpd's `login_data`).
    pub fn login(&self) -> Option<&str> {
        match self {
            Self::LoginPassword(credentials) => Some(&credentials.login),
            Self::Bearer(token) => token.user.as_deref(),
            Self::Verified { login } => Some(login),
            Self::Custom(custom) => custom.login.as_deref(),
        }
    }
}

impl fmt::Display for AuthData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LoginPassword(credentials) => credentials.fmt(f),
            Self::Bearer(token) => token.fmt(f),
            Self::Verified { login } => write!(f, "Verified(login={login:?})"),
            Self::Custom(custom) => {
                write!(f, "Custom(mechanism={:?}, login={:?})", custom.mechanism, custom.login)
            }
        }
    }
}

/// A secret an authenticator keeps for a user, for mechanisms that verify a proof instead of
/// receiving a password.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum StoredSecret {
    /// The plain password (CRAM-MD5 needs it).
    Password(Secret),
    /// Salted SCRAM-SHA-256 keys.
    ScramSha256(ScramCredentials),
}

/// Which kind of stored secret a mechanism asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretKind {
    /// [`StoredSecret::Password`].
    Password,
    /// [`StoredSecret::ScramSha256`].
    ScramSha256,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_or_display() {
        let credentials = LoginPassword::new("alice", "wonderland");
        let token = BearerToken {
            user: Some("alice".into()),
            token: Secret::from("ya29.tok3n"),
            host: None,
            port: None,
        };
        let shown = [
            format!("{credentials:?}"),
            credentials.to_string(),
            format!("{token:?}"),
            token.to_string(),
            format!("{:?}", AuthData::LoginPassword(credentials.clone())),
            AuthData::Bearer(token.clone()).to_string(),
        ];
        for text in shown {
            assert!(text.contains("alice"), "{text}");
            assert!(!text.contains("wonderland"), "{text}");
            assert!(!text.contains("tok3n"), "{text}");
        }
    }

    #[test]
    fn secret_comparison() {
        let secret = Secret::from("pass");
        assert!(secret.ct_eq(b"pass"));
        assert!(!secret.ct_eq(b"pas"));
        assert!(!secret.ct_eq(b"Pass"));
    }
}
