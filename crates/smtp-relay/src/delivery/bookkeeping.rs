//! Per-recipient bookkeeping: which pending recipients go together, and how an attempt's
//! verdicts change their status. Pure functions over [`QueuedMessage`].

use std::collections::BTreeMap;

use crate::queue::{QueuedMessage, RecipientStatus};

/// What an attempt decided for one recipient (the texts are one-line SMTP replies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Accepted by the next hop.
    Delivered(String),
    /// Refused for good.
    Failed(String),
    /// Not this time: stays pending.
    Deferred(String),
}

impl Verdict {
    /// A short word for the log.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Self::Delivered(_) => "delivered",
            Self::Failed(_) => "failed",
            Self::Deferred(_) => "deferred",
        }
    }
}

/// The pending recipients of a message, grouped by the domain that routes them.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Lower-cased domain (or address literal) -> its distinct pending recipients, in order.
    pub(crate) domains: BTreeMap<String, Vec<String>>,
    /// Pending recipients without a domain part.
    pub(crate) unroutable: Vec<String>,
}

/// The domain of an address: what follows the last `@`, when not empty.
pub(crate) fn domain_of(address: &str) -> Option<&str> {
    address.rsplit_once('@').map(|(_, domain)| domain).filter(|domain| !domain.is_empty())
}

/// Groups the pending recipients by domain (case-insensitively), each address once.
pub(crate) fn plan(meta: &QueuedMessage) -> Plan {
    let mut plan = Plan::default();
    for recipient in meta.pending() {
        let address = &recipient.address;
        let group = match domain_of(address) {
            Some(domain) => plan.domains.entry(domain.to_ascii_lowercase()).or_default(),
            None => &mut plan.unroutable,
        };
        if !group.contains(address) {
            group.push(address.clone());
        }
    }
    plan
}

/// Records a verdict on every pending recipient with this address.
pub(crate) fn apply(meta: &mut QueuedMessage, address: &str, verdict: &Verdict) {
    let pending = meta
        .recipients
        .iter_mut()
        .filter(|r| r.address == address && r.status == RecipientStatus::Pending);
    for recipient in pending {
        match verdict {
            Verdict::Delivered(reply) => {
                recipient.status = RecipientStatus::Delivered { reply: reply.clone() };
            }
            Verdict::Failed(reply) => {
                recipient.status = RecipientStatus::Failed { reply: reply.clone() };
            }
            Verdict::Deferred(reply) => recipient.last_error = Some(reply.clone()),
        }
    }
}

/// Fails every pending recipient with `reply`; returns how many.
pub(crate) fn fail_pending(meta: &mut QueuedMessage, reply: &str) -> usize {
    let mut count = 0;
    for recipient in &mut meta.recipients {
        if recipient.status == RecipientStatus::Pending {
            recipient.status = RecipientStatus::Failed { reply: reply.to_owned() };
            count += 1;
        }
    }
    count
}

/// Positions of the failed recipients.
pub(crate) fn failed_positions(meta: &QueuedMessage) -> Vec<usize> {
    let failed = |(index, recipient): (usize, &crate::queue::QueuedRecipient)| {
        matches!(recipient.status, RecipientStatus::Failed { .. }).then_some(index)
    };
    meta.recipients.iter().enumerate().filter_map(failed).collect()
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::queue::{QueueId, QueuedRecipient};

    fn message(recipients: &[&str]) -> QueuedMessage {
        QueuedMessage {
            id: QueueId("0000000000000001-00000000".into()),
            mail_from: "a@example.org".into(),
            recipients: recipients
                .iter()
                .map(|address| QueuedRecipient {
                    address: (*address).into(),
                    status: RecipientStatus::Pending,
                    last_error: None,
                })
                .collect(),
            submitted_by: None,
            client: None,
            size: 0,
            smtputf8: false,
            eight_bit: false,
            arrived: SystemTime::UNIX_EPOCH,
            attempts: 0,
            next_attempt: SystemTime::UNIX_EPOCH,
            dsn_sent: false,
        }
    }

    #[test]
    fn pending_recipients_group_by_the_domain_after_the_last_at() {
        let mut meta = message(&[
            "b@Example.NET",
            "\"odd@quoted\"@example.net",
            "c@example.net",
            "b@Example.NET",
            "d@[192.0.2.1]",
            "postmaster",
            "trailing@",
            "done@example.com",
        ]);
        meta.recipients[7].status = RecipientStatus::Delivered { reply: "250 ok".into() };
        let plan = plan(&meta);
        let domains: Vec<(&str, Vec<&str>)> = plan
            .domains
            .iter()
            .map(|(domain, list)| (domain.as_str(), list.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            domains,
            vec![
                ("[192.0.2.1]", vec!["d@[192.0.2.1]"]),
                (
                    "example.net",
                    vec!["b@Example.NET", "\"odd@quoted\"@example.net", "c@example.net"]
                ),
            ]
        );
        assert_eq!(plan.unroutable, vec!["postmaster".to_owned(), "trailing@".to_owned()]);
    }

    #[test]
    fn verdicts_change_only_pending_recipients_with_that_address() {
        let mut meta = message(&["a@x.org", "b@x.org", "a@x.org", "c@x.org"]);
        meta.recipients[3].status = RecipientStatus::Delivered { reply: "250 earlier".into() };
        apply(&mut meta, "a@x.org", &Verdict::Failed("550 5.1.1 no".into()));
        apply(&mut meta, "b@x.org", &Verdict::Deferred("451 4.3.0 later".into()));
        apply(&mut meta, "c@x.org", &Verdict::Failed("550 late".into()));
        let failed = RecipientStatus::Failed { reply: "550 5.1.1 no".into() };
        assert_eq!(meta.recipients[0].status, failed);
        assert_eq!(meta.recipients[2].status, failed);
        assert_eq!(meta.recipients[1].status, RecipientStatus::Pending);
        assert_eq!(meta.recipients[1].last_error.as_deref(), Some("451 4.3.0 later"));
        assert_eq!(
            meta.recipients[3].status,
            RecipientStatus::Delivered { reply: "250 earlier".into() }
        );
        assert_eq!(failed_positions(&meta), vec![0, 2]);

        apply(&mut meta, "b@x.org", &Verdict::Delivered("250 2.0.0 ok".into()));
        assert!(meta.is_done());
        assert_eq!(fail_pending(&mut meta, "554 expired"), 0);
    }
}
