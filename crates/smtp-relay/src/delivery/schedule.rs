//! Which message is due when: a time-ordered set with one entry per message.

use std::collections::{BTreeSet, HashMap};
use std::time::SystemTime;

use crate::queue::QueueId;

/// The due times of the messages waiting for their next turn.
#[derive(Debug, Default)]
pub(crate) struct Schedule {
    by_time: BTreeSet<(SystemTime, QueueId)>,
    by_id: HashMap<QueueId, SystemTime>,
}

impl Schedule {
    /// Sets `id`'s due time, replacing any earlier entry.
    pub(crate) fn set(&mut self, id: QueueId, when: SystemTime) {
        self.remove(&id);
        self.by_time.insert((when, id.clone()));
        self.by_id.insert(id, when);
    }

    /// Brings `id` forward to `when` (or adds it); a sooner due time is kept.
    pub(crate) fn advance(&mut self, id: QueueId, when: SystemTime) {
        match self.by_id.get(&id) {
            Some(current) if *current <= when => {}
            _ => self.set(id, when),
        }
    }

    /// Makes every entry due at `now` at the latest.
    pub(crate) fn all_due(&mut self, now: SystemTime) {
        let ids: Vec<QueueId> = self.by_id.keys().cloned().collect();
        for id in ids {
            self.advance(id, now);
        }
    }

    /// Drops `id`; whether it was there.
    pub(crate) fn remove(&mut self, id: &QueueId) -> bool {
        match self.by_id.remove(id) {
            Some(when) => self.by_time.remove(&(when, id.clone())),
            None => false,
        }
    }

    /// Takes the earliest entry due at `now`.
    pub(crate) fn pop_due(&mut self, now: SystemTime) -> Option<QueueId> {
        let (when, _) = self.by_time.first()?;
        if *when > now {
            return None;
        }
        let (_, id) = self.by_time.pop_first()?;
        self.by_id.remove(&id);
        Some(id)
    }

    /// The earliest due time.
    pub(crate) fn next_due(&self) -> Option<SystemTime> {
        self.by_time.first().map(|(when, _)| *when)
    }

    /// Whether `id` is waiting.
    pub(crate) fn contains(&self, id: &QueueId) -> bool {
        self.by_id.contains_key(id)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn id(n: u8) -> QueueId {
        QueueId(format!("id{n}"))
    }

    #[test]
    fn entries_come_out_in_due_order_once_each() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut schedule = Schedule::default();
        schedule.set(id(1), at(30));
        schedule.set(id(2), at(10));
        schedule.set(id(3), at(20));
        schedule.set(id(2), at(40)); // replaces
        schedule.advance(id(3), at(25)); // later: ignored
        schedule.advance(id(1), at(5)); // sooner: taken
        assert_eq!(schedule.next_due(), Some(at(5)));
        assert_eq!(schedule.pop_due(at(0)), None);
        assert_eq!(schedule.pop_due(at(20)), Some(id(1)));
        assert_eq!(schedule.pop_due(at(20)), Some(id(3)));
        assert_eq!(schedule.pop_due(at(20)), None);
        assert!(schedule.contains(&id(2)));
        schedule.all_due(at(21));
        assert_eq!(schedule.pop_due(at(21)), Some(id(2)));
        assert_eq!(schedule.next_due(), None);
        schedule.set(id(4), at(1));
        assert!(schedule.remove(&id(4)));
        assert!(!schedule.remove(&id(4)));
        assert_eq!(schedule.pop_due(at(100)), None);
    }
}
