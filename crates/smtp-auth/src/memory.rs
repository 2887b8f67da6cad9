//! [`MemoryAuthenticator`]: users and passwords kept in memory.
//!
//! Meant for tests, examples and `smtpd --auth-user USER:PASS`. It answers every kind of
//! mechanism this crate knows:
//!
//! - PLAIN and LOGIN ([`AuthData::LoginPassword`]): the password is compared in constant time,
//!   and an unknown user costs the same as a wrong password (the presented password is
//!   compared with a dummy);
//! - XOAUTH2 and OAUTHBEARER ([`AuthData::Bearer`]): a user's password also serves as their
//!   bearer token. When the client names a user, the token must be that user's password; when
//!   it names none, the token must be the password of exactly one user, who is then the login;
//! - CRAM-MD5 ([`SecretKind::Password`]): the stored password;
//! - SCRAM-SHA-256 ([`SecretKind::ScramSha256`]): salted keys derived when the user is added
//!   (RFC 5802 §3: PBKDF2-HMAC-SHA-256 with a random 16-byte salt and 4096 iterations). The
//!   password is used as given, without SASLprep.

use std::collections::HashMap;
use std::fmt;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::authenticator::{AuthRequest, Authenticator, SecretLookup, SecretRequest};
use crate::credentials::{
    AuthData, BearerToken, LoginPassword, ScramCredentials, Secret, SecretKind, StoredSecret,
};
use crate::result::AuthResult;

/// A SHA-256 digest of a password, compared in constant time.
type PasswordDigest = Zeroizing<[u8; 32]>;

fn digest(password: &[u8]) -> PasswordDigest {
    Zeroizing::new(Sha256::digest(password).into())
}

/// One user's secrets.
struct User {
    password: Secret,
    digest: PasswordDigest,
    /// `None` only when the system could not provide a random salt.
    scram: Option<ScramCredentials>,
}

impl User {
    fn new(password: Secret) -> Self {
        let scram = crate::scram::generate_credentials(password.expose()).ok();
        if scram.is_none() {
            tracing::warn!("no random salt available: SCRAM-SHA-256 is disabled for a user");
        }
        Self { digest: digest(password.expose()), password, scram }
    }

    /// Constant-time comparison of digests.
    fn password_is(&self, presented: &PasswordDigest) -> bool {
        bool::from(self.digest.ct_eq(presented.as_slice()))
    }
}

/// Why a `USER:PASS` specification was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidUserSpec {
    /// There is no `:` between the user and the password.
    MissingColon,
    /// The user name is empty.
    EmptyLogin,
}

impl fmt::Display for InvalidUserSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MissingColon => "expected USER:PASSWORD (no ':' found)",
            Self::EmptyLogin => "expected USER:PASSWORD (the user name is empty)",
        })
    }
}

impl std::error::Error for InvalidUserSpec {}

/// An [`Authenticator`] with users and passwords in memory.
///
/// ```
/// use smtp_auth::memory::MemoryAuthenticator;
///
/// let users = MemoryAuthenticator::new()
///     .with_user("alice", "wonderland")
///     .with_user_spec("bob:pass:with:colons")
///     .unwrap();
/// assert!(users.contains("bob"));
/// assert_eq!(users.len(), 2);
/// assert!(!format!("{users:?}").contains("wonderland"));
/// ```
#[derive(Default)]
pub struct MemoryAuthenticator {
    users: HashMap<String, User>,
}

impl MemoryAuthenticator {
    /// No users: every attempt is refused.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a user.
    pub fn with_user(mut self, login: impl Into<String>, password: impl Into<Secret>) -> Self {
        self.add_user(login, password);
        self
    }

    /// Adds a user given as `USER:PASSWORD` (the password may contain `:`), as the `smtpd`
    /// command line spells it.
    pub fn with_user_spec(self, spec: &str) -> Result<Self, InvalidUserSpec> {
        let (login, password) = spec.split_once(':').ok_or(InvalidUserSpec::MissingColon)?;
        if login.is_empty() {
            return Err(InvalidUserSpec::EmptyLogin);
        }
        Ok(self.with_user(login, password))
    }

    /// Adds (or replaces) a user.
    pub fn add_user(&mut self, login: impl Into<String>, password: impl Into<Secret>) {
        self.users.insert(login.into(), User::new(password.into()));
    }

    /// Whether `login` is a user.
    pub fn contains(&self, login: &str) -> bool {
        self.users.contains_key(login)
    }

    /// The number of users.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether there are no users.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Whether `password` is `login`'s. Takes the same time for an unknown login.
    fn check_password(&self, login: &str, password: &[u8]) -> bool {
        let presented = digest(password);
        match self.users.get(login) {
            Some(user) => user.password_is(&presented),
            None => {
                let dummy: PasswordDigest = Zeroizing::new([0; 32]);
                let _ = bool::from(dummy.ct_eq(presented.as_slice()));
                false
            }
        }
    }

    /// The single user whose password is `token`, comparing with every user (no early exit).
    fn user_with_token(&self, token: &[u8]) -> Option<&str> {
        let presented = digest(token);
        let mut found = None;
        let mut matches = 0usize;
        for (login, user) in &self.users {
            if user.password_is(&presented) {
                matches += 1;
                found = Some(login.as_str());
            }
        }
        if matches == 1 { found } else { None }
    }

    fn check_bearer(&self, token: &BearerToken) -> AuthResult {
        let login = match &token.user {
            Some(user) => self.check_password(user, token.token.expose()).then_some(user.as_str()),
            None => self.user_with_token(token.token.expose()),
        };
        match login {
            Some(login) => AuthResult::success(AuthData::Bearer(BearerToken {
                user: Some(login.to_owned()),
                ..token.clone()
            })),
            None => AuthResult::denied(),
        }
    }

    fn check_login_password(&self, credentials: &LoginPassword) -> AuthResult {
        if self.check_password(&credentials.login, credentials.password.expose()) {
            AuthResult::success(AuthData::LoginPassword(credentials.clone()))
        } else {
            AuthResult::denied()
        }
    }
}

#[async_trait]
impl<S: ?Sized + Sync, E: ?Sized + Sync> Authenticator<S, E> for MemoryAuthenticator {
    async fn authenticate(&self, request: &AuthRequest<'_, S, E>) -> AuthResult {
        let result = match request.auth_data {
            AuthData::LoginPassword(credentials) => self.check_login_password(credentials),
            AuthData::Bearer(token) => self.check_bearer(token),
            _ => AuthResult::denied(),
        };
        tracing::trace!(
            mechanism = request.mechanism,
            success = result.success,
            "memory authenticator"
        );
        result
    }

    async fn lookup_secret(&self, request: &SecretRequest<'_, S, E>) -> SecretLookup {
        let Some(user) = self.users.get(request.login) else {
            return SecretLookup::NotFound;
        };
        match request.kind {
            SecretKind::Password => {
                SecretLookup::Found(StoredSecret::Password(user.password.clone()))
            }
            SecretKind::ScramSha256 => match &user.scram {
                Some(keys) => SecretLookup::Found(StoredSecret::ScramSha256(keys.clone())),
                None => SecretLookup::NotFound,
            },
        }
    }
}

impl fmt::Debug for MemoryAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut logins: Vec<&str> = self.users.keys().map(String::as_str).collect();
        logins.sort_unstable();
        f.debug_struct("MemoryAuthenticator").field("users", &logins).finish()
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::authenticator::ServerInfo;

    fn users() -> MemoryAuthenticator {
        MemoryAuthenticator::new()
            .with_user("alice", "wonderland")
            .with_user("bob", "builder")
            .with_user("twin1", "same")
            .with_user("twin2", "same")
    }

    async fn check(authenticator: &MemoryAuthenticator, data: AuthData) -> AuthResult {
        let server = ServerInfo::new("mx.test");
        let request = AuthRequest {
            server: &server,
            session: &(),
            envelope: &(),
            mechanism: "PLAIN",
            auth_data: &data,
            authzid: None,
        };
        Authenticator::<(), ()>::authenticate(authenticator, &request).await
    }

    async fn lookup(
        authenticator: &MemoryAuthenticator,
        login: &str,
        kind: SecretKind,
    ) -> SecretLookup {
        let server = ServerInfo::new("mx.test");
        let request = SecretRequest {
            server: &server,
            session: &(),
            envelope: &(),
            mechanism: "X",
            login,
            kind,
        };
        Authenticator::<(), ()>::lookup_secret(authenticator, &request).await
    }

    fn bearer(user: Option<&str>, token: &str) -> AuthData {
        AuthData::Bearer(BearerToken {
            user: user.map(str::to_owned),
            token: Secret::from(token),
            host: None,
            port: None,
        })
    }

    #[tokio::test]
    async fn passwords_and_tokens() {
        let authenticator = users();
        let lp = |login: &str, password: &str| {
            AuthData::LoginPassword(LoginPassword::new(login, password))
        };
        let cases = [
            (lp("alice", "wonderland"), Some("alice")),
            (lp("alice", "Wonderland"), None),
            (lp("alice", "wonderlan"), None),
            (lp("alice", ""), None),
            (lp("Alice", "wonderland"), None),
            (lp("carol", "wonderland"), None),
            (lp("", ""), None),
            (bearer(Some("alice"), "wonderland"), Some("alice")),
            (bearer(Some("bob"), "wonderland"), None),
            (bearer(Some("nobody"), "wonderland"), None),
            (bearer(None, "builder"), Some("bob")),
            (bearer(None, "same"), None),
            (bearer(None, "nothing"), None),
            (AuthData::Verified { login: "alice".into() }, None),
        ];
        for (data, login) in cases {
            let shown = data.to_string();
            let result = check(&authenticator, data).await;
            assert_eq!(result.success, login.is_some(), "{shown}");
            assert_eq!(result.login(), login, "{shown}");
            if login.is_none() {
                assert_eq!(
                    result.reply().to_string(),
                    "535 5.7.8 Authentication credentials invalid"
                );
            }
        }
    }

    #[tokio::test]
    async fn secrets_for_proof_mechanisms() {
        let authenticator = users();
        match lookup(&authenticator, "alice", SecretKind::Password).await {
            SecretLookup::Found(StoredSecret::Password(password)) => {
                assert_eq!(password.expose(), b"wonderland");
            }
            other => panic!("{other:?}"),
        }
        let keys = match lookup(&authenticator, "alice", SecretKind::ScramSha256).await {
            SecretLookup::Found(StoredSecret::ScramSha256(keys)) => keys,
            other => panic!("{other:?}"),
        };
        assert_eq!(keys.iterations, crate::scram::MIN_ITERATIONS);
        assert_eq!(keys.salt.len(), crate::scram::SALT_LEN);
        let again = crate::scram::derive_credentials(b"wonderland", &keys.salt, keys.iterations);
        assert_eq!(again.stored_key.expose(), keys.stored_key.expose());
        assert_eq!(again.server_key.expose(), keys.server_key.expose());
        // Another user's salt differs (random), and so do the keys.
        let bob = match lookup(&authenticator, "bob", SecretKind::ScramSha256).await {
            SecretLookup::Found(StoredSecret::ScramSha256(keys)) => keys,
            other => panic!("{other:?}"),
        };
        assert_ne!(bob.salt, keys.salt);
        for kind in [SecretKind::Password, SecretKind::ScramSha256] {
            assert!(matches!(lookup(&authenticator, "carol", kind).await, SecretLookup::NotFound));
        }
    }

    #[test]
    fn user_specs() {
        let authenticator = MemoryAuthenticator::new().with_user_spec("alice:a:b").unwrap();
        assert!(authenticator.check_password("alice", b"a:b"));
        assert!(!authenticator.check_password("alice", b"a"));
        for (spec, error) in [
            ("alice", InvalidUserSpec::MissingColon),
            (":pw", InvalidUserSpec::EmptyLogin),
            ("", InvalidUserSpec::MissingColon),
        ] {
            assert_eq!(
                MemoryAuthenticator::new().with_user_spec(spec).unwrap_err(),
                error,
                "{spec}"
            );
        }
        let shown = format!("{:?}", users());
        assert_eq!(shown, r#"MemoryAuthenticator { users: ["alice", "bob", "twin1", "twin2"] }"#);
    }
}
