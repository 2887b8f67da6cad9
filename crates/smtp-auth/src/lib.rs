//! # smtp-auth
//!
//! The SMTP AUTH (RFC 4954) side of `smtpd`: SASL server mechanisms as small state machines, a
//! registry of mechanisms, the authenticator that verifies credentials, the SMTP exchange that
//! ties them to the wire, and credential types that never show their secrets.
//!
//! | piece | what it does |
//! | --- | --- |
//! | [`Mechanism`] / [`MechanismExchange`] | one SASL mechanism: gets decoded responses (`None` = no initial response, empty = the client sent `=`), answers a challenge or a result; never sees base64 or sockets |
//! | [`Plain`], [`Login`] | the built-in mechanisms (RFC 4616 PLAIN, and LOGIN) |
//! | [`CramMd5`], [`ScramSha256`], [`XOAuth2`], [`OAuthBearer`] | more mechanisms, off until registered: RFC 2195, RFC 5802/7677, Google's XOAUTH2, RFC 7628 |
//! | [`MechanismRegistry`] | mechanisms by case-insensitive [`MechanismName`], sorted for EHLO; register (and override), exclude |
//! | [`Authenticator`] | the application's credential check (aiosmtpd's authenticator), async, returns an [`AuthResult`] |
//! | [`AuthExchange`] | RFC 4954 §4 without I/O: base64, `*`, `=`, line length, `334` challenges, the final reply |
//! | [`MemoryAuthenticator`] | users and passwords in memory, for tests, examples and `smtpd --auth-user` |
//!
//! Differences from aiosmtpd, on purpose: mechanism names are matched in any case; `=` is an
//! empty initial response; responses of up to 12,288 octets are accepted; a PLAIN
//! authorization identity other than the login is refused unless the authenticator handles
//! it; and the authenticator is always awaited.
//!
//! ## Example: a mechanism and an authenticator of one's own
//!
//! `MECH-WITH-DASHES` asks for a name with the challenge `name?`, then lets the authenticator
//! decide. The exchange is driven the way the server drives it, line by line.
//!
//! ```
//! use std::sync::Arc;
//!
//! use async_trait::async_trait;
//! use smtp_auth::{
//!     AuthContext, AuthData, AuthExchange, AuthRequest, AuthResult, Authenticator,
//!     CustomAuthData, ExchangeStep, Mechanism, MechanismExchange, MechanismRegistry, ServerInfo,
//!     Step,
//! };
//!
//! /// Asks for a name, then hands it to the authenticator.
//! struct AskName;
//!
//! struct AskNameExchange;
//!
//! impl Mechanism for AskName {
//!     fn name(&self) -> &str {
//!         "MECH-WITH-DASHES"
//!     }
//!
//!     fn start(&self) -> Box<dyn MechanismExchange> {
//!         Box::new(AskNameExchange)
//!     }
//! }
//!
//! #[async_trait]
//! impl MechanismExchange for AskNameExchange {
//!     async fn step(&mut self, ctx: &AuthContext<'_, (), ()>, response: Option<&[u8]>) -> Step {
//!         let Some(name) = response else {
//!             return Step::Challenge(b"name?".to_vec());
//!         };
//!         let data = AuthData::Custom(CustomAuthData {
//!             mechanism: "MECH-WITH-DASHES".into(),
//!             login: Some(String::from_utf8_lossy(name).into_owned()),
//!             payload: Arc::new(()),
//!         });
//!         Step::Done(ctx.authenticate("MECH-WITH-DASHES", &data, None).await)
//!     }
//! }
//!
//! /// Lets in anyone called "alice".
//! struct OnlyAlice;
//!
//! #[async_trait]
//! impl Authenticator for OnlyAlice {
//!     async fn authenticate(&self, request: &AuthRequest<'_, (), ()>) -> AuthResult {
//!         match request.auth_data.login() {
//!             Some("alice") => AuthResult::success(request.auth_data.clone()),
//!             _ => AuthResult::denied(),
//!         }
//!     }
//! }
//!
//! # fn main() {
//! let mut registry = MechanismRegistry::with_builtins();
//! registry.register(Arc::new(AskName)).unwrap();
//! assert_eq!(registry.ehlo_keyword().as_deref(), Some("AUTH LOGIN MECH-WITH-DASHES PLAIN"));
//!
//! let server = ServerInfo::new("mx.example");
//! let ctx = AuthContext { server: &server, session: &(), envelope: &(), authenticator: &OnlyAlice };
//! let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
//! runtime.block_on(async {
//!     // C: AUTH mech-with-dashes        (mechanism names are case-insensitive)
//!     let mut exchange = AuthExchange::start(&registry, "mech-with-dashes", None).unwrap();
//!     let step = exchange.next(&ctx, None).await;
//!     assert_eq!(step.reply().to_string(), "334 bmFtZT8="); // base64 of "name?"
//!     // C: YWxpY2U=                     (base64 of "alice")
//!     let step = exchange.next(&ctx, Some(b"YWxpY2U=\r\n")).await;
//!     let ExchangeStep::Done { reply, result } = step else { unreachable!() };
//!     assert_eq!(reply.to_string(), "235 2.7.0 Authentication successful");
//!     assert_eq!(result.login(), Some("alice"));
//!
//!     // An unknown mechanism never starts.
//!     let refused = AuthExchange::start(&registry, "CRAM-MD5", None).unwrap_err();
//!     assert_eq!(refused.to_string(), "504 5.5.4 Unrecognized authentication type");
//! });
//! # }
//! ```

pub mod authenticator;
pub mod cram_md5;
pub mod credentials;
pub mod exchange;
pub mod login;
#[cfg(test)]
mod mech_test_support;
pub mod mechanism;
pub mod memory;
pub mod name;
pub mod oauth;
pub mod plain;
pub mod registry;
pub mod result;
pub mod scram;

pub use authenticator::{AuthRequest, Authenticator, SecretLookup, SecretRequest, ServerInfo};
pub use cram_md5::CramMd5;
pub use credentials::{
    AuthData, BearerToken, CustomAuthData, LoginPassword, ScramCredentials, Secret, SecretKind,
    StoredSecret,
};
pub use exchange::{AuthCommand, AuthExchange, ExchangeStep, MAX_RESPONSE_LEN};
pub use login::Login;
pub use mechanism::{AuthContext, Mechanism, MechanismExchange, Step};
pub use memory::MemoryAuthenticator;
pub use name::{InvalidMechanismName, MechanismName};
pub use oauth::{OAuthBearer, XOAuth2};
pub use plain::Plain;
pub use registry::{MechanismRegistry, SharedMechanism};
pub use result::AuthResult;
pub use scram::ScramSha256;
