//! [`AuthExchange`]: the SMTP side of one AUTH exchange (RFC 4954 §4), without I/O.
//!
//! The server parses `AUTH <mechanism> [initial-response]` ([`AuthCommand::parse`]), starts an
//! exchange ([`AuthExchange::start`]), and then feeds it lines: first `None` (the exchange uses
//! the initial response it was started with), then each line the client sends after a `334`.
//! Every call answers with an [`ExchangeStep`]: a `334` challenge to send before reading the
//! next line, or the final reply with its [`AuthResult`].
//!
//! The exchange owns everything between the wire and the mechanism:
//!
//! - line length: a response of up to [`MAX_RESPONSE_LEN`] (12,288) octets, without its line
//!   end, is accepted; a longer one ends the exchange with `500 5.5.6`;
//! - `*` ends the exchange with `501 5.7.0 Auth aborted`;
//! - base64: strict, standard alphabet with padding; anything else ends the exchange with
//!   `501 5.5.2 Can't decode base64`. An empty line is an empty response;
//! - `=` is a zero-length response when it is the client's first response: the initial response
//!   (`AUTH PLAIN =`) or the answer to the first challenge when there was no initial response.
//!   aiosmtpd rejects it as bad base64 (a deliberate difference). Later in an exchange `=` is
//!   not defined by RFC 4954 and is rejected as bad base64;
//! - challenges are base64-encoded into `334 <base64>` (`334 ` for an empty one);
//! - the final [`AuthResult`] becomes the reply through [`AuthResult::reply`]; a failure the
//!   mechanism marked `handled` but without a message still gets the standard 535, because
//!   mechanisms never write to the client.
//!
//! Decoded responses live in zeroising buffers. Nothing here logs a response, a challenge or a
//! credential: the `tracing` events carry the mechanism name, the step number and the outcome.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use smtp_proto::reply::Reply;
use zeroize::Zeroizing;

use crate::mechanism::{AuthContext, MechanismExchange, Step};
use crate::name::MechanismName;
use crate::registry::MechanismRegistry;
use crate::result::AuthResult;

/// The longest client response accepted, in octets, without its line end (RFC 4954 §4).
pub const MAX_RESPONSE_LEN: usize = 12_288;

/// What to do after one step of an exchange.
#[derive(Debug)]
#[must_use]
pub enum ExchangeStep {
    /// Send this `334` challenge and call [`AuthExchange::next`] with the client's next line.
    Challenge(Reply),
    /// The exchange is over: send `reply`. On success, store `result.auth_data` on the session.
    Done {
        /// The reply to send.
        reply: Reply,
        /// The outcome.
        result: AuthResult,
    },
}

impl ExchangeStep {
    /// The reply to send now.
    pub fn reply(&self) -> &Reply {
        match self {
            Self::Challenge(reply) | Self::Done { reply, .. } => reply,
        }
    }

    /// Whether the exchange is over.
    pub fn is_done(&self) -> bool {
        matches!(self, Self::Done { .. })
    }

    /// Whether the exchange ended in a refusal that counts against the client's failure
    /// budget (a permanent, 5xx, refusal: wrong credentials, but also a malformed, aborted or
    /// overlong response). Temporary failures (454) and unfinished exchanges do not count.
    pub fn is_credential_failure(&self) -> bool {
        match self {
            Self::Challenge(_) => false,
            Self::Done { result, .. } => result.is_credential_failure(),
        }
    }
}

/// The arguments of an `AUTH` command: `<mechanism> [initial-response]`.
///
/// `Debug` never shows the initial response.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AuthCommand<'a> {
    /// The mechanism word, as the client wrote it.
    pub mechanism: &'a str,
    /// The initial response, still base64 (`=` for an empty one), when given.
    pub initial_response: Option<&'a str>,
}

impl<'a> AuthCommand<'a> {
    /// Parses the text after `AUTH ` (words separated by whitespace, as aiosmtpd splits them):
    /// no word gives `501 Not enough value`, three or more `501 Too many values`.
    pub fn parse(arguments: &'a str) -> Result<Self, Reply> {
        let mut words = arguments.split_ascii_whitespace();
        let mechanism = words.next().ok_or_else(Reply::auth_not_enough_value)?;
        let initial_response = words.next();
        if words.next().is_some() {
            return Err(Reply::auth_too_many_values());
        }
        Ok(Self { mechanism, initial_response })
    }
}

impl fmt::Debug for AuthCommand<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let initial_response = self.initial_response.map(|_| "***");
        f.debug_struct("AuthCommand")
            .field("mechanism", &self.mechanism)
            .field("initial_response", &initial_response)
            .finish()
    }
}

/// Where an exchange stands.
enum State {
    /// Started; the first call to `next` runs the mechanism on the initial response.
    Start { initial_response: Option<Zeroizing<Vec<u8>>> },
    /// A challenge was sent; the next line answers it.
    AwaitingResponse,
    /// Over; further calls are a caller error.
    Finished,
}

/// Which response of the exchange a line is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    /// The initial response of the AUTH command: `=` means empty; `*` is not special (it is
    /// bad base64, as in aiosmtpd: RFC 4954 defines `*` only as an answer to a challenge).
    Initial,
    /// The answer to the first challenge when there was no initial response: `=` means empty.
    FirstAnswer,
    /// Any later answer.
    Later,
}

impl Position {
    fn equals_is_empty(self) -> bool {
        matches!(self, Self::Initial | Self::FirstAnswer)
    }

    fn star_aborts(self) -> bool {
        matches!(self, Self::FirstAnswer | Self::Later)
    }
}

/// Why a line is not a usable response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LineError {
    TooLong,
    Aborted,
    BadBase64,
}

impl LineError {
    fn reply(self) -> Reply {
        match self {
            Self::TooLong => Reply::auth_line_too_long(),
            Self::Aborted => Reply::auth_aborted(),
            Self::BadBase64 => Reply::auth_bad_base64(),
        }
    }

    fn outcome(self) -> &'static str {
        match self {
            Self::TooLong => "line too long",
            Self::Aborted => "aborted by client",
            Self::BadBase64 => "bad base64",
        }
    }
}

/// One AUTH exchange, from the `AUTH` command to the final reply.
///
/// `Debug` and `Display` show the mechanism and the step number only.
pub struct AuthExchange<S: ?Sized + Sync = (), E: ?Sized + Sync = ()> {
    mechanism: MechanismName,
    inner: Box<dyn MechanismExchange<S, E>>,
    state: State,
    /// Mechanism steps run so far.
    steps: u32,
    /// Whether the client has sent a response yet (`=` is empty only in the first one).
    responded: bool,
}

impl<S: ?Sized + Sync, E: ?Sized + Sync> AuthExchange<S, E> {
    /// Starts an exchange of the mechanism named `mechanism` (any case) with the client's
    /// `initial_response` (still base64; `None` when the command had none). An unknown
    /// mechanism gives `504 5.5.4 Unrecognized authentication type`. The initial response is
    /// only looked at by the first [`AuthExchange::next`].
    pub fn start(
        registry: &MechanismRegistry<S, E>,
        mechanism: &str,
        initial_response: Option<&str>,
    ) -> Result<Self, Reply> {
        let Some((name, found)) = registry.entry(mechanism) else {
            let valid = MechanismName::new(mechanism).ok();
            tracing::debug!(
                mechanism = valid.as_ref().map(MechanismName::as_str),
                "AUTH: unknown mechanism"
            );
            return Err(Reply::auth_unrecognized_mechanism());
        };
        tracing::debug!(mechanism = %name, initial_response = initial_response.is_some(), "AUTH: exchange started");
        let initial_response =
            initial_response.map(|text| Zeroizing::new(text.as_bytes().to_vec()));
        Ok(Self {
            mechanism: name.clone(),
            inner: found.start(),
            state: State::Start { initial_response },
            steps: 0,
            responded: false,
        })
    }

    /// Starts an exchange from a parsed `AUTH` command (see [`AuthExchange::start`]).
    pub fn from_command(
        registry: &MechanismRegistry<S, E>,
        command: &AuthCommand<'_>,
    ) -> Result<Self, Reply> {
        Self::start(registry, command.mechanism, command.initial_response)
    }

    /// The mechanism of this exchange, as registered.
    pub fn mechanism(&self) -> &MechanismName {
        &self.mechanism
    }

    /// The number of mechanism steps run so far.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// Whether the exchange is over.
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Finished)
    }

    /// Runs the next step. Call it first with `None` (the initial response given to
    /// [`AuthExchange::start`] is used), then, after each [`ExchangeStep::Challenge`], with the
    /// client's line (a trailing CRLF or LF is ignored, and so is surrounding whitespace, as in
    /// aiosmtpd). Calls out of that order, or after the exchange is over, end it with
    /// `451 4.3.0` (a bug in the caller, not the client's fault).
    pub async fn next(
        &mut self,
        ctx: &AuthContext<'_, S, E>,
        client_line: Option<&[u8]>,
    ) -> ExchangeStep {
        match (std::mem::replace(&mut self.state, State::Finished), client_line) {
            (State::Start { initial_response }, None) => self.begin(ctx, initial_response).await,
            (State::AwaitingResponse, Some(line)) => {
                let position = if self.responded { Position::Later } else { Position::FirstAnswer };
                self.respond(ctx, line, position).await
            }
            _ => self.misuse(),
        }
    }

    async fn begin(
        &mut self,
        ctx: &AuthContext<'_, S, E>,
        initial_response: Option<Zeroizing<Vec<u8>>>,
    ) -> ExchangeStep {
        match initial_response {
            None => self.run(ctx, None).await,
            Some(text) => self.respond(ctx, &text, Position::Initial).await,
        }
    }

    async fn respond(
        &mut self,
        ctx: &AuthContext<'_, S, E>,
        line: &[u8],
        position: Position,
    ) -> ExchangeStep {
        self.responded = true;
        match decode_line(line, position) {
            Ok(decoded) => self.run(ctx, Some(&decoded)).await,
            Err(error) => self.finish(AuthResult::denied_with(error.reply()), error.outcome()),
        }
    }

    async fn run(&mut self, ctx: &AuthContext<'_, S, E>, response: Option<&[u8]>) -> ExchangeStep {
        self.steps = self.steps.saturating_add(1);
        match self.inner.step(ctx, response).await {
            Step::Challenge(challenge) => {
                tracing::trace!(mechanism = %self.mechanism, step = self.steps, "AUTH: challenge sent");
                self.state = State::AwaitingResponse;
                ExchangeStep::Challenge(encode_challenge(&challenge))
            }
            Step::Done(result) => {
                let outcome = result_outcome(&result);
                self.finish(result, outcome)
            }
        }
    }

    fn finish(&mut self, result: AuthResult, outcome: &'static str) -> ExchangeStep {
        self.state = State::Finished;
        let reply = result.reply();
        tracing::debug!(
            mechanism = %self.mechanism,
            step = self.steps,
            outcome,
            code = reply.code().get(),
            "AUTH: exchange finished"
        );
        ExchangeStep::Done { reply, result }
    }

    fn misuse(&mut self) -> ExchangeStep {
        tracing::warn!(mechanism = %self.mechanism, step = self.steps, "AUTH: exchange driven out of order");
        self.finish(AuthResult::denied_with(Reply::internal_error()), "caller error")
    }
}

fn result_outcome(result: &AuthResult) -> &'static str {
    match (result.success, result.reply().code().is_permanent()) {
        (true, _) => "success",
        (false, true) => "refused",
        (false, false) => "temporary failure",
    }
}

/// Strips the line end and surrounding whitespace, checks the length, and decodes.
fn decode_line(line: &[u8], position: Position) -> Result<Zeroizing<Vec<u8>>, LineError> {
    let line = strip_line_end(line);
    if line.len() > MAX_RESPONSE_LEN {
        return Err(LineError::TooLong);
    }
    let text = line.trim_ascii();
    match text {
        b"*" if position.star_aborts() => Err(LineError::Aborted),
        b"=" if position.equals_is_empty() => Ok(Zeroizing::new(Vec::new())),
        _ => decode_base64(text),
    }
}

fn strip_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Strict base64 into a zeroising buffer allocated once (no reallocation leaves a copy).
fn decode_base64(text: &[u8]) -> Result<Zeroizing<Vec<u8>>, LineError> {
    let mut decoded = Zeroizing::new(Vec::with_capacity(text.len() / 4 * 3 + 3));
    STANDARD.decode_vec(text, &mut decoded).map_err(|_| LineError::BadBase64)?;
    Ok(decoded)
}

fn encode_challenge(challenge: &[u8]) -> Reply {
    Reply::auth_challenge(STANDARD.encode(challenge))
}

impl<S: ?Sized + Sync, E: ?Sized + Sync> fmt::Debug for AuthExchange<S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthExchange")
            .field("mechanism", &self.mechanism.as_str())
            .field("steps", &self.steps)
            .field("finished", &self.is_finished())
            .finish_non_exhaustive()
    }
}

impl<S: ?Sized + Sync, E: ?Sized + Sync> fmt::Display for AuthExchange<S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AUTH {} (step {})", self.mechanism, self.steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_arguments() {
        let ok = [
            ("PLAIN", "PLAIN", None),
            ("plain AGFsaWNlAHdvbmRlcmxhbmQ=", "plain", Some("AGFsaWNlAHdvbmRlcmxhbmQ=")),
            ("  LOGIN \t YWxpY2U=  ", "LOGIN", Some("YWxpY2U=")),
            ("PLAIN =", "PLAIN", Some("=")),
        ];
        for (arguments, mechanism, initial_response) in ok {
            let command = AuthCommand::parse(arguments).unwrap();
            assert_eq!(command, AuthCommand { mechanism, initial_response });
        }
        for (arguments, wire) in [
            ("", "501 5.5.4 Not enough value"),
            ("   ", "501 5.5.4 Not enough value"),
            ("PLAIN a b", "501 5.5.4 Too many values"),
        ] {
            assert_eq!(AuthCommand::parse(arguments).unwrap_err().to_string(), wire);
        }
        let shown = format!("{:?}", AuthCommand::parse("PLAIN c2VjcmV0").unwrap());
        assert!(!shown.contains("c2VjcmV0"), "{shown}");
        assert!(shown.contains("PLAIN"), "{shown}");
    }

    #[test]
    fn lines_are_decoded_strictly() {
        use Position::{FirstAnswer as First, Initial, Later};
        let ok: [(&[u8], Position, &[u8]); 10] = [
            (b"", First, b""),
            (b"", Later, b""),
            (b"\r\n", Later, b""),
            (b"=", First, b""),
            (b"=\r\n", First, b""),
            (b"=", Initial, b""),
            (b"dXNlcg==", Later, b"user"),
            (b"dXNlcg==\r\n", Later, b"user"),
            (b" dXNlcg== \n", Later, b"user"),
            (b"AGFsaWNlAHdvbmRlcmxhbmQ=", First, b"\0alice\0wonderland"),
        ];
        for (line, position, decoded) in ok {
            assert_eq!(decode_line(line, position).unwrap().as_slice(), decoded, "{line:?}");
        }
        let bad: [(&[u8], Position, LineError); 11] = [
            (b"*", First, LineError::Aborted),
            (b"*", Initial, LineError::BadBase64),
            (b"*\r\n", Later, LineError::Aborted),
            (b"=", Later, LineError::BadBase64),
            (b"dXNlcg", Later, LineError::BadBase64),
            (b"dXNlcg=", Later, LineError::BadBase64),
            (b"dXN lcg==", Later, LineError::BadBase64),
            (b"dX\0Nlcg==", Later, LineError::BadBase64),
            (b"dXNlch==", Later, LineError::BadBase64),
            (b"ab@%", First, LineError::BadBase64),
            (b"dXNl_g==", Later, LineError::BadBase64),
        ];
        for (line, position, error) in bad {
            assert_eq!(decode_line(line, position).unwrap_err(), error, "{line:?}");
        }
    }

    #[test]
    fn line_length_limit_excludes_the_line_end() {
        let longest = vec![b'A'; MAX_RESPONSE_LEN];
        assert_eq!(decode_line(&longest, Position::Later).unwrap().len(), MAX_RESPONSE_LEN / 4 * 3);
        let mut with_crlf = longest.clone();
        with_crlf.extend_from_slice(b"\r\n");
        assert!(decode_line(&with_crlf, Position::Later).is_ok());
        let mut too_long = longest;
        too_long.push(b'A');
        assert_eq!(decode_line(&too_long, Position::Later).unwrap_err(), LineError::TooLong);
    }

    #[test]
    fn exchanges_and_their_futures_can_cross_threads() {
        fn assert_send<T: Send>(_: &T) {}
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<MechanismRegistry>();
        let registry = MechanismRegistry::with_builtins();
        let authenticator = crate::memory::MemoryAuthenticator::new();
        let server = crate::authenticator::ServerInfo::new("mx.test");
        let ctx = AuthContext {
            server: &server,
            session: &(),
            envelope: &(),
            authenticator: &authenticator,
        };
        let mut exchange: AuthExchange = AuthExchange::start(&registry, "PLAIN", None).unwrap();
        assert_send(&exchange);
        let future = exchange.next(&ctx, None);
        assert_send(&future);
    }

    #[test]
    fn challenges_are_base64() {
        assert_eq!(encode_challenge(b"").to_string(), "334 ");
        assert_eq!(encode_challenge(b"User Name\0").to_string(), "334 VXNlciBOYW1lAA==");
        assert_eq!(encode_challenge(b"Password\0").to_string(), "334 UGFzc3dvcmQA");
        assert_eq!(encode_challenge(b"hello").to_string(), "334 aGVsbG8=");
    }
}
