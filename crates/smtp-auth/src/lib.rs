//! # smtp-auth
//!
//! The SMTP AUTH (RFC 4954) API: SASL server mechanisms as small state machines, a registry of
//! mechanisms, the authenticator that verifies credentials, and credential types that never show
//! their secrets.

pub mod authenticator;
pub mod cram_md5;
pub mod credentials;
#[cfg(test)]
mod mech_test_support;
pub mod mechanism;
pub mod oauth;
pub mod result;
pub mod scram;

pub use authenticator::{AuthRequest, Authenticator, SecretLookup, SecretRequest, ServerInfo};
pub use cram_md5::CramMd5;
pub use credentials::{
    AuthData, BearerToken, CustomAuthData, LoginPassword, ScramCredentials, Secret, SecretKind,
    StoredSecret,
};
pub use mechanism::{AuthContext, Mechanism, MechanismExchange, Step};
pub use oauth::{OAuthBearer, XOAuth2};
pub use result::AuthResult;
pub use scram::ScramSha256;
