//! Sends in flight, per provider, so a callback that overtakes its own send can wait for it.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

/// Sends in flight per provider, from just before the request goes out until the outcome is
/// recorded.
///
/// A provider may call back about a message before its send is recorded (a gateway that
/// posts the status before answering, or an instant failure). The callback path takes a
/// [`Snapshot`] of the sends in flight and waits for exactly those, not for sends that start
/// later, so a steady stream of sends never holds a callback up for long.
#[derive(Debug, Default)]
pub struct Inflight {
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct State {
    next_ticket: u64,
    /// Provider -> tickets of its sends in flight.
    sends: HashMap<u64, BTreeSet<u64>>,
}

/// The sends of one provider in flight at one moment: every ticket up to `last`.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    provider: u64,
    last: u64,
}

impl Inflight {
    /// The sends of `provider` in flight now, or `None` when there are none.
    pub fn snapshot(&self, provider: u64) -> Option<Snapshot> {
        let state = self.lock();
        let sends = state.sends.get(&provider)?;
        sends.last().map(|&last| Snapshot { provider, last })
    }

    /// Waits until every send in `snapshot` has finished, or `limit` passes.
    pub async fn settle(&self, snapshot: Snapshot, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.changed.notified();
            let done = self
                .lock()
                .sends
                .get(&snapshot.provider)
                .and_then(BTreeSet::first)
                .is_none_or(|&oldest| oldest > snapshot.last);
            if done || tokio::time::timeout_at(deadline, notified).await.is_err() {
                return;
            }
        }
    }

    pub(super) fn start(self: &Arc<Self>, provider: u64) -> InflightGuard {
        let mut state = self.lock();
        state.next_ticket += 1;
        let ticket = state.next_ticket;
        state.sends.entry(provider).or_default().insert(ticket);
        InflightGuard {
            registry: self.clone(),
            provider,
            ticket,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Plain sets of numbers: a panic elsewhere cannot leave them inconsistent.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Marks one send as in flight until dropped.
pub(super) struct InflightGuard {
    registry: Arc<Inflight>,
    provider: u64,
    ticket: u64,
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        let mut state = self.registry.lock();
        if let Some(sends) = state.sends.get_mut(&self.provider) {
            sends.remove(&self.ticket);
            if sends.is_empty() {
                state.sends.remove(&self.provider);
            }
        }
        drop(state);
        self.registry.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_snapshot_waits_for_its_own_sends_only() {
        let registry = Arc::new(Inflight::default());
        assert!(registry.snapshot(1).is_none());
        let first = registry.start(1);
        let snapshot = registry.snapshot(1).unwrap();
        let _later = registry.start(1);
        let _other_provider = registry.start(2);
        let waiting = {
            let registry = registry.clone();
            tokio::spawn(async move { registry.settle(snapshot, Duration::from_secs(60)).await })
        };
        drop(first);
        // Settles although a later send of the same provider is still in flight.
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("settled")
            .unwrap();
    }
}
