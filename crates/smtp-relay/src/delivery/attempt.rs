//! One delivery attempt of one message: route each domain, try its hosts in order, and turn
//! what happened into a verdict per recipient.

use std::path::Path;

use tower::util::BoxCloneService;
use tower::{Service, ServiceExt};

use super::bookkeeping::{Plan, Verdict, plan};
use super::replies::{missing_result, no_destination, no_domain, one_line, route_failure};
use crate::queue::QueuedMessage;
use crate::route::{Route, Router};
use crate::transport::{DeliveryError, DeliveryReport, DeliveryRequest, Destination, MessageBody};

/// The outbound transport the scheduler drives (the SMTP client, or a fake in tests).
pub type Transport = BoxCloneService<DeliveryRequest, DeliveryReport, DeliveryError>;

/// Recipients per transaction: RFC 5321 §4.5.3.1.8 obliges servers to take at least 100.
const MAX_RECIPIENTS: usize = 100;

/// The verdicts for one domain's recipients.
#[derive(Debug)]
pub(crate) struct DomainOutcome {
    /// The domain (empty for recipients without one).
    pub(crate) domain: String,
    /// Each recipient address and its verdict.
    pub(crate) verdicts: Vec<(String, Verdict)>,
}

/// Everything one attempt needs besides the message.
pub(crate) struct AttemptContext<'a> {
    /// Finds the hosts for a domain.
    pub(crate) router: &'a dyn Router,
    /// Delivers to one host.
    pub(crate) transport: &'a mut Transport,
    /// The message's body file.
    pub(crate) body: &'a Path,
}

/// Tries every pending recipient of `meta` once.
pub(crate) async fn attempt(
    meta: &QueuedMessage,
    context: AttemptContext<'_>,
) -> Vec<DomainOutcome> {
    let AttemptContext { router, transport, body } = context;
    let Plan { domains, unroutable } = plan(meta);
    let mut outcomes = Vec::with_capacity(domains.len() + 1);
    if !unroutable.is_empty() {
        let reply = one_line(&no_domain());
        let verdicts =
            unroutable.into_iter().map(|a| (a, Verdict::Failed(reply.clone()))).collect();
        outcomes.push(DomainOutcome { domain: String::new(), verdicts });
    }
    for (domain, recipients) in domains {
        let verdicts = match router.route(&domain).await {
            Ok(route) => deliver_domain(meta, &domain, &recipients, &route, transport, body).await,
            Err(error) => {
                let reply = one_line(&route_failure(&error));
                let verdict = if error.is_transient() {
                    Verdict::Deferred(reply)
                } else {
                    Verdict::Failed(reply)
                };
                every(&recipients, &verdict)
            }
        };
        outcomes.push(DomainOutcome { domain, verdicts });
    }
    outcomes
}

/// Delivers one domain's recipients along its route, at most [`MAX_RECIPIENTS`] at a time.
async fn deliver_domain(
    meta: &QueuedMessage,
    domain: &str,
    recipients: &[String],
    route: &Route,
    transport: &mut Transport,
    body: &Path,
) -> Vec<(String, Verdict)> {
    if route.destinations.is_empty() {
        return every(recipients, &Verdict::Deferred(one_line(&no_destination(domain))));
    }
    let mut verdicts = Vec::with_capacity(recipients.len());
    for chunk in recipients.chunks(MAX_RECIPIENTS) {
        verdicts.extend(try_destinations(meta, chunk, route, transport, body).await);
    }
    verdicts
}

/// Tries the route's hosts in order until one answers for the recipients. A transient
/// failure of the whole session moves on to the next host; a permanent refusal fails them all.
async fn try_destinations(
    meta: &QueuedMessage,
    recipients: &[String],
    route: &Route,
    transport: &mut Transport,
    body: &Path,
) -> Vec<(String, Verdict)> {
    let mut last_error = None;
    for destination in &route.destinations {
        let request = DeliveryRequest {
            destination: destination.clone(),
            credentials: route.credentials.clone(),
            mail_from: meta.mail_from.clone(),
            recipients: recipients.to_vec(),
            body: MessageBody::File(body.to_path_buf()),
            size: meta.size,
            smtputf8: meta.smtputf8,
            eight_bit: meta.eight_bit,
        };
        match send(transport, request).await {
            Ok(report) => return verdicts_from_report(recipients, &report),
            Err(error) if !error.is_transient() => {
                return every(recipients, &Verdict::Failed(error_text(&error)));
            }
            Err(error) => {
                tracing::debug!(
                    id = %meta.id.0, host = %destination.host, port = destination.port, %error,
                    "destination failed, trying the next one"
                );
                last_error = Some(describe(destination, &error));
            }
        }
    }
    let reason = last_error.unwrap_or_default();
    every(recipients, &Verdict::Deferred(reason))
}

/// Waits for the transport to be ready, then sends.
async fn send(
    transport: &mut Transport,
    request: DeliveryRequest,
) -> Result<DeliveryReport, DeliveryError> {
    transport.ready().await?.call(request).await
}

/// One verdict per requested recipient, matched by address (a recipient the report forgot
/// stays pending).
fn verdicts_from_report(recipients: &[String], report: &DeliveryReport) -> Vec<(String, Verdict)> {
    recipients
        .iter()
        .map(|address| {
            let result = report.recipients.iter().find(|result| result.recipient == *address);
            let verdict = match result {
                Some(result) if result.delivered() => Verdict::Delivered(one_line(&result.reply)),
                Some(result) if result.reply.code().is_permanent() => {
                    Verdict::Failed(one_line(&result.reply))
                }
                Some(result) => Verdict::Deferred(one_line(&result.reply)),
                None => Verdict::Deferred(one_line(&missing_result())),
            };
            (address.clone(), verdict)
        })
        .collect()
}

/// The same verdict for every recipient.
fn every(recipients: &[String], verdict: &Verdict) -> Vec<(String, Verdict)> {
    recipients.iter().map(|address| (address.clone(), verdict.clone())).collect()
}

/// An error as the recipient's status text: the server's reply when there is one.
fn error_text(error: &DeliveryError) -> String {
    match error {
        DeliveryError::Refused(reply) => one_line(reply),
        other => other.to_string(),
    }
}

/// An error with the host it came from, for `last_error`.
fn describe(destination: &Destination, error: &DeliveryError) -> String {
    format!("{}:{}: {}", destination.host, destination.port, error_text(error))
}
