//! Calling the application's hooks: an `Err` or a panic becomes the handler's exception reply
//! (default `451 4.3.0`), logged at warn level; the session goes on.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;

use futures_util::FutureExt;
use smtp_proto::reply::Reply;

use crate::handler::{Handler, HookError, HookResult};

/// A hook that panicked, as an error for [`Handler::exception`].
#[derive(Debug, thiserror::Error)]
#[error("hook panicked: {0}")]
pub(super) struct HookPanicked(String);

impl HookPanicked {
    fn from_payload(payload: &(dyn Any + Send)) -> Self {
        let text = payload
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_owned());
        Self(text)
    }
}

/// Runs a hook future; on `Err` or panic, returns the reply [`Handler::exception`] gives.
pub(super) async fn guarded<T>(
    handler: &dyn Handler,
    hook: &'static str,
    future: impl Future<Output = HookResult<T>>,
) -> Result<T, Reply> {
    let error: HookError = match AssertUnwindSafe(future).catch_unwind().await {
        Ok(Ok(value)) => return Ok(value),
        Ok(Err(error)) => error,
        Err(payload) => Box::new(HookPanicked::from_payload(payload.as_ref())),
    };
    tracing::warn!(hook, %error, "handler hook failed");
    Err(exception_reply(handler, &error).await)
}

/// Runs a hook that answers yes or no; a panic counts as `no`.
pub(super) async fn guarded_bool(hook: &'static str, future: impl Future<Output = bool>) -> bool {
    match AssertUnwindSafe(future).catch_unwind().await {
        Ok(answer) => answer,
        Err(payload) => {
            let error = HookPanicked::from_payload(payload.as_ref());
            tracing::warn!(hook, %error, "handler hook failed; treated as a refusal");
            false
        }
    }
}

/// The handler's reply for `error`; if the exception hook itself panics, `451 4.3.0`.
async fn exception_reply(handler: &dyn Handler, error: &HookError) -> Reply {
    match AssertUnwindSafe(handler.exception(error)).catch_unwind().await {
        Ok(reply) => reply,
        Err(payload) => {
            let panic = HookPanicked::from_payload(payload.as_ref());
            tracing::warn!(error = %panic, "exception hook panicked");
            Reply::internal_error()
        }
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;

    use super::*;

    struct Plain;
    impl Handler for Plain {}

    struct PanickyException;
    #[async_trait]
    impl Handler for PanickyException {
        async fn exception(&self, _error: &HookError) -> Reply {
            panic!("exception hook broken")
        }
    }

    #[tokio::test]
    async fn errors_and_panics_become_the_exception_reply() {
        let ok = guarded(&Plain, "t", async { Ok::<_, HookError>(7) }).await;
        assert_eq!(ok, Ok(7));
        let failed = guarded(&Plain, "t", async { Err::<u8, HookError>("db down".into()) }).await;
        assert_eq!(failed, Err(Reply::internal_error()));
        let panicked = guarded(&Plain, "t", async {
            if true {
                panic!("boom");
            }
            Ok::<u8, HookError>(1)
        })
        .await;
        assert_eq!(panicked, Err(Reply::internal_error()));
        let worse =
            guarded(&PanickyException, "t", async { Err::<u8, HookError>("x".into()) }).await;
        assert_eq!(worse, Err(Reply::internal_error()));
        assert!(!guarded_bool("t", async { panic!("no") }).await);
        assert!(guarded_bool("t", async { true }).await);
    }
}
