//! # smtp-auth
//!
//! The SMTP AUTH (RFC 4954) API: SASL server mechanisms as small state machines, a registry of
//! mechanisms, the authenticator that verifies credentials, and credential types that never show
//! their secrets.

pub mod authenticator;
pub mod credentials;
pub mod exchange;
pub mod login;
pub mod mechanism;
pub mod memory;
pub mod name;
pub mod plain;
pub mod registry;
pub mod result;

pub use authenticator::{AuthRequest, Authenticator, SecretLookup, SecretRequest, ServerInfo};
pub use credentials::{
    AuthData, BearerToken, CustomAuthData, LoginPassword, ScramCredentials, Secret, SecretKind,
    StoredSecret,
};
pub use exchange::{AuthCommand, AuthExchange, ExchangeStep, MAX_RESPONSE_LEN};
pub use login::Login;
pub use mechanism::{AuthContext, Mechanism, MechanismExchange, Step};
pub use memory::MemoryAuthenticator;
pub use name::{InvalidMechanismName, MechanismName};
pub use plain::Plain;
pub use registry::{MechanismRegistry, SharedMechanism};
pub use result::AuthResult;
