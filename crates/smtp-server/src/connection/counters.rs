//! Per-connection budgets that survive STARTTLS (as aiosmtpd's do, the same client task going
//! on): unknown commands, per-verb call limits, failed AUTH attempts.

use std::collections::HashMap;

use crate::config::{CallLimits, ServerConfig};

/// What the client has used up on this connection.
#[derive(Debug, Default)]
pub(super) struct Counters {
    unknown_commands: u32,
    calls: HashMap<String, u32>,
    auth_failures: u32,
}

/// The verdict on one more unknown command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum UnknownVerdict {
    /// Answer it and go on.
    Answer,
    /// The budget is spent: say goodbye and close.
    Disconnect,
}

impl Counters {
    /// Counts a call of `verb` (upper case); `false` when it is over its budget.
    pub(super) fn allow_call(&mut self, limits: Option<&CallLimits>, verb: &str) -> bool {
        let Some(limit) = limits.and_then(|limits| limits.limit_for(verb)) else {
            return true;
        };
        let used = self.calls.entry(verb.to_owned()).or_insert(0);
        if *used >= limit {
            return false;
        }
        *used += 1;
        true
    }

    /// Counts an unknown command.
    pub(super) fn unknown_command(&mut self, config: &ServerConfig) -> UnknownVerdict {
        self.unknown_commands = self.unknown_commands.saturating_add(1);
        if self.unknown_commands >= config.max_unknown_commands {
            UnknownVerdict::Disconnect
        } else {
            UnknownVerdict::Answer
        }
    }

    /// Counts a failed AUTH attempt; returns the failures so far.
    pub(super) fn auth_failed(&mut self) -> u32 {
        self.auth_failures = self.auth_failures.saturating_add(1);
        self.auth_failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets() {
        let mut counters = Counters::default();
        let mut limits = CallLimits::uniform(2);
        limits.per_verb.insert("NOOP".into(), 1);
        let allowed: Vec<bool> = ["NOOP", "NOOP", "RSET", "RSET", "RSET"]
            .iter()
            .map(|v| counters.allow_call(Some(&limits), v))
            .collect();
        assert_eq!(allowed, [true, false, true, true, false]);
        assert!((0..100).all(|_| counters.allow_call(None, "NOOP")));

        let config = ServerConfig { max_unknown_commands: 3, ..ServerConfig::default() };
        let verdicts: Vec<_> = (0..3).map(|_| counters.unknown_command(&config)).collect();
        assert_eq!(
            verdicts,
            [UnknownVerdict::Answer, UnknownVerdict::Answer, UnknownVerdict::Disconnect]
        );
        assert_eq!((counters.auth_failed(), counters.auth_failed()), (1, 2));
    }
}
