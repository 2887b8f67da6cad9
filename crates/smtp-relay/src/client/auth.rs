//! AUTH towards a smarthost: PLAIN (RFC 4616, with an initial response) or LOGIN, whichever
//! is offered, PLAIN preferred. Only ever called under TLS. Neither the password nor the
//! base64 blobs are logged; the blobs are wiped from memory after use.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use smtp_proto::reply::{EnhancedStatus, Reply, ReplyCode};
use zeroize::Zeroizing;

use super::connection::Connection;
use super::stage::Stage;
use crate::transport::{DeliveryError, SmarthostCredentials};

/// A mechanism we can use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mechanism {
    /// `PLAIN`.
    Plain,
    /// `LOGIN`.
    Login,
}

/// The mechanism to use with what the server offers: PLAIN when offered, else LOGIN.
pub fn choose(offered: &[String]) -> Option<Mechanism> {
    let has = |name: &str| offered.iter().any(|m| m.eq_ignore_ascii_case(name));
    if has("PLAIN") {
        Some(Mechanism::Plain)
    } else if has("LOGIN") {
        Some(Mechanism::Login)
    } else {
        None
    }
}

/// The reply when the server offers neither PLAIN nor LOGIN (transient: a configuration
/// problem, which the operator can fix before the message expires).
pub fn no_mechanism() -> Reply {
    Reply::new(
        ReplyCode::of(454),
        EnhancedStatus::of(4, 7, 0),
        "The smarthost offers neither AUTH PLAIN nor AUTH LOGIN",
    )
}

/// `base64("" NUL login NUL password)`: the PLAIN response, authorization identity empty.
fn plain_response(credentials: &SmarthostCredentials) -> Zeroizing<String> {
    let password = credentials.password.expose();
    let mut raw = Zeroizing::new(Vec::with_capacity(2 + credentials.login.len() + password.len()));
    raw.push(0);
    raw.extend_from_slice(credentials.login.as_bytes());
    raw.push(0);
    raw.extend_from_slice(password);
    Zeroizing::new(STANDARD.encode(raw.as_slice()))
}

/// Authenticates; a refusal is [`DeliveryError::Refused`] with the server's reply (535 is
/// permanent: the credentials are wrong).
pub async fn authenticate(
    conn: &mut Connection,
    credentials: &SmarthostCredentials,
) -> Result<(), DeliveryError> {
    let Some(mechanism) = choose(&conn.capabilities.auth) else {
        return Err(DeliveryError::Refused(no_mechanism()));
    };
    tracing::debug!(host = %conn.host(), stage = Stage::Auth.name(), ?mechanism, login = %credentials.login, "authenticating");
    let reply = match mechanism {
        Mechanism::Plain => plain(conn, credentials).await?,
        Mechanism::Login => login(conn, credentials).await?,
    };
    tracing::debug!(host = %conn.host(), stage = Stage::Auth.name(), code = %reply.code(), "AUTH done");
    if reply.code().is_positive() { Ok(()) } else { Err(DeliveryError::Refused(reply)) }
}

/// Sends a secret line (CRLF added) from a buffer that is wiped afterwards.
async fn send_secret(conn: &mut Connection, line: &str) -> Result<Reply, DeliveryError> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(line.len() + 2));
    bytes.extend_from_slice(line.as_bytes());
    bytes.extend_from_slice(b"\r\n");
    conn.send(Stage::Auth, &bytes).await?;
    conn.read_reply(Stage::Auth).await
}

async fn plain(
    conn: &mut Connection,
    credentials: &SmarthostCredentials,
) -> Result<Reply, DeliveryError> {
    let response = plain_response(credentials);
    let line = Zeroizing::new(format!("AUTH PLAIN {}", response.as_str()));
    let reply = send_secret(conn, &line).await?;
    if reply.code() == ReplyCode::of(334) {
        // A server that ignored the initial response asks for it again.
        return send_secret(conn, &response).await;
    }
    Ok(reply)
}

async fn login(
    conn: &mut Connection,
    credentials: &SmarthostCredentials,
) -> Result<Reply, DeliveryError> {
    let reply = conn.command(Stage::Auth, "AUTH LOGIN").await?;
    if reply.code() != ReplyCode::of(334) {
        return Ok(reply);
    }
    let user = Zeroizing::new(STANDARD.encode(credentials.login.as_bytes()));
    let reply = send_secret(conn, &user).await?;
    if reply.code() != ReplyCode::of(334) {
        return Ok(reply);
    }
    let password = Zeroizing::new(STANDARD.encode(credentials.password.expose()));
    send_secret(conn, &password).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use smtp_auth::Secret;

    #[test]
    fn plain_is_preferred_then_login() {
        let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let table: [(&[&str], Option<Mechanism>); 5] = [
            (&["LOGIN", "PLAIN"], Some(Mechanism::Plain)),
            (&["login"], Some(Mechanism::Login)),
            (&["CRAM-MD5", "plain"], Some(Mechanism::Plain)),
            (&["CRAM-MD5", "XOAUTH2"], None),
            (&[], None),
        ];
        for (offered, want) in table {
            assert_eq!(choose(&names(offered)), want, "{offered:?}");
        }
    }

    #[test]
    fn plain_response_is_nul_login_nul_password() {
        let credentials =
            SmarthostCredentials { login: "alice".into(), password: Secret::new("wonder land") };
        let decoded = STANDARD.decode(plain_response(&credentials).as_bytes()).unwrap();
        assert_eq!(decoded, b"\0alice\0wonder land");
        assert!(no_mechanism().code().is_transient());
    }
}
