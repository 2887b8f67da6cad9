//! The relay's DSN hook: [`crate::dsn::build_dsn`] over the scheduler's [`DsnRequest`].

use async_trait::async_trait;

use crate::delivery::{DsnBuilder, DsnRequest};
use crate::dsn::{DsnAction, DsnInput, DsnRecipient, build_dsn, read_original_headers};
use crate::queue::RecipientStatus;

/// Builds RFC 3464 reports as `hostname`, quoting the original message's header.
#[derive(Clone, Debug)]
pub(crate) struct RelayDsn {
    pub(crate) hostname: String,
}

#[async_trait]
impl DsnBuilder for RelayDsn {
    async fn build(&self, request: &DsnRequest<'_>) -> std::io::Result<Vec<u8>> {
        // An unreadable original still gets its report, without the quoted header.
        let headers = read_original_headers(&request.body).await.unwrap_or_default();
        let failed = request
            .failed
            .iter()
            .map(|recipient| DsnRecipient {
                recipient: recipient.address.clone(),
                reply: match &recipient.status {
                    RecipientStatus::Failed { reply } => reply.clone(),
                    _ => recipient.last_error.clone().unwrap_or_default(),
                },
                action: DsnAction::Failed,
            })
            .collect();
        Ok(build_dsn(&DsnInput {
            reporting_host: &self.hostname,
            original_sender: &request.message.mail_from,
            arrival: request.message.arrived,
            failed,
            original_headers: &headers,
            now: request.reported_at,
        }))
    }
}
