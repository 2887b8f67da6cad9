//! [`HandlerError`]: why a built-in handler could not take a message.

/// Why a built-in handler could not take a message; the server answers `451 4.3.0` (through
/// [`Handler::exception`](crate::handler::Handler::exception)) and logs this.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandlerError {
    /// The DATA hook ran without `envelope.content` (the body was streamed elsewhere).
    #[error("the message content is missing from the envelope")]
    NoContent,
    /// The message could not be parsed at all.
    #[error("the message could not be parsed")]
    Unparseable,
    /// Writing the message failed (disk full, permissions, a closed output).
    #[error("writing the message failed: {0}")]
    Io(#[from] std::io::Error),
    /// The blocking task doing the work panicked or was cancelled.
    #[error("the delivery task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}
