//! The greeting and EHLO, with the RFC 5321 §3.2 fallback to HELO.

use smtp_proto::ehlo::ServerCapabilities;
use smtp_proto::reply::ReplyCode;

use super::connection::Connection;
use super::stage::Stage;
use crate::transport::DeliveryError;

/// Reads the greeting: anything but 220 refuses the session (a 421 for now, a 554 for good).
pub async fn greeting(conn: &mut Connection) -> Result<(), DeliveryError> {
    let reply = conn.read_reply(Stage::Greeting).await?;
    tracing::debug!(host = %conn.host(), stage = Stage::Greeting.name(), code = %reply.code(), "greeting");
    if reply.code() == ReplyCode::of(220) { Ok(()) } else { Err(DeliveryError::Refused(reply)) }
}

/// Whether an EHLO refusal means "command not recognised" (RFC 5321 §3.2: then try HELO).
fn ehlo_unknown(code: ReplyCode) -> bool {
    code == ReplyCode::of(500) || code == ReplyCode::of(502)
}

/// EHLO, or HELO when the server does not know EHLO; stores the capabilities (none after
/// HELO).
pub async fn hello(conn: &mut Connection, ehlo_name: &str) -> Result<(), DeliveryError> {
    let reply = conn.command(Stage::Hello, &format!("EHLO {ehlo_name}")).await?;
    tracing::debug!(host = %conn.host(), stage = Stage::Hello.name(), code = %reply.code(), "EHLO");
    if let Some(capabilities) = ServerCapabilities::from_reply(&reply) {
        conn.capabilities = capabilities;
        return Ok(());
    }
    if !ehlo_unknown(reply.code()) {
        return Err(DeliveryError::Refused(reply));
    }
    let reply = conn.command(Stage::Hello, &format!("HELO {ehlo_name}")).await?;
    tracing::debug!(host = %conn.host(), stage = "HELO", code = %reply.code(), "HELO fallback");
    if !reply.code().is_positive() {
        return Err(DeliveryError::Refused(reply));
    }
    conn.capabilities =
        ServerCapabilities { domain: reply.text().to_owned(), ..ServerCapabilities::default() };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_500_and_502_fall_back_to_helo() {
        for (code, fallback) in
            [(500, true), (502, true), (501, false), (504, false), (421, false), (554, false)]
        {
            assert_eq!(ehlo_unknown(ReplyCode::of(code)), fallback, "{code}");
        }
    }
}
