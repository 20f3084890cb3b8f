//! Sends in flight, per provider, so a callback that overtakes its own send can wait for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;

/// Sends in flight per provider, from just before the request goes out until the outcome is
/// recorded.
///
/// A provider may call back about a message before its send is recorded (a gateway that
/// posts the status before answering, or an instant failure). The callback path asks this
/// registry and waits for those sends instead of counting the event as unmatched.
#[derive(Debug, Default)]
pub struct Inflight {
    counts: Mutex<HashMap<u64, usize>>,
    changed: Notify,
}

impl Inflight {
    /// How many sends of `provider` are in flight.
    pub fn count(&self, provider: u64) -> usize {
        self.lock().get(&provider).copied().unwrap_or(0)
    }

    /// Waits until `provider` has no send in flight, or `limit` passes.
    pub async fn settle(&self, provider: u64, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.changed.notified();
            if self.count(provider) == 0 {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return;
            }
        }
    }

    pub(super) fn start(self: &Arc<Self>, provider: u64) -> InflightGuard {
        *self.lock().entry(provider).or_insert(0) += 1;
        InflightGuard {
            registry: self.clone(),
            provider,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, usize>> {
        // The map holds plain counts: a panic elsewhere cannot leave it inconsistent.
        self.counts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Marks one send as in flight until dropped.
pub(super) struct InflightGuard {
    registry: Arc<Inflight>,
    provider: u64,
}

impl Drop for InflightGuard {
    fn drop(&mut self) {
        let mut counts = self.registry.lock();
        if let Some(n) = counts.get_mut(&self.provider) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.provider);
            }
        }
        drop(counts);
        self.registry.changed.notify_waiters();
    }
}
