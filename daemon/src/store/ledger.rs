//! The writes of the send and callback paths, applied by one writer in batches.
//!
//! The writer (`crate::ledger`) reads current state with the plain getters, works out every
//! change of a batch of requests in memory, and hands the result to [`Store::commit`], which
//! writes it in one transaction: a crash leaves either all of a batch or none of it, so a
//! message's "already counted" flag and the counter it guards can never disagree.

use sled::Transactional;

use super::codec::{self, counter_key, id_key, provider_key, read_id};
use super::error::StoreError;
use super::messages::{self, MessageTrees, put_in_tx};
use super::records::{DayCounters, MessageRecord};
use super::{Store, get_decoded};

const COUNTERS: &str = "day counters";

/// Everything one batch changes: messages to write (new or updated) and counters to set to
/// their new totals.
#[derive(Debug, Default)]
pub struct Writes {
    /// Messages, each written with its indexes.
    pub messages: Vec<MessageRecord>,
    /// `(provider id, day, new totals)`.
    pub counters: Vec<(u64, i32, DayCounters)>,
}

impl Store {
    /// One provider's counters for one day (zero when there are none).
    pub fn day_counters(&self, provider_id: u64, day: i32) -> Result<DayCounters, StoreError> {
        Ok(
            get_decoded(&self.counters, &counter_key(provider_id, day), COUNTERS)?
                .unwrap_or_default(),
        )
    }

    /// Writes a batch atomically. Writes for a provider that no longer exists are dropped:
    /// its data is being purged, and nothing may be recreated behind the purge.
    ///
    /// Like every write here, it does not flush; the writer flushes once per batch.
    pub fn commit(&self, writes: &Writes) -> Result<(), StoreError> {
        if writes.messages.is_empty() && writes.counters.is_empty() {
            return Ok(());
        }
        let _gate = self.write_gate();
        let encoded_messages = writes
            .messages
            .iter()
            .map(|m| codec::encode(messages::WHAT, m))
            .collect::<Result<Vec<_>, _>>()?;
        let encoded_counters = writes
            .counters
            .iter()
            .map(|(p, d, c)| Ok((*p, counter_key(*p, *d), codec::encode(COUNTERS, c)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let trees = (
            &self.providers,
            &self.messages,
            &self.message_ids,
            &self.recipients,
            &self.counters,
        );
        trees.transaction(|(providers, messages, message_ids, recipients, counters)| {
            let trees = MessageTrees {
                providers,
                messages,
                message_ids,
                recipients,
            };
            for (record, bytes) in writes.messages.iter().zip(&encoded_messages) {
                put_in_tx(&trees, record, bytes)?;
            }
            for (provider, key, bytes) in &encoded_counters {
                if providers.get(id_key(*provider))?.is_some() {
                    counters.insert(&key[..], bytes.as_slice())?;
                }
            }
            Ok(())
        })?;
        self.counter_cache.apply(&writes.counters);
        Ok(())
    }

    /// Removes up to `max` message records sent before `before_ms`, with their index entries,
    /// scanning from `cursor` (a key returned by the previous call; `None` starts over).
    /// Returns the number removed and where to continue, `None` once the scan is complete.
    ///
    /// Pruning bounds the dedup table: a callback for a pruned message counts as unmatched.
    pub fn prune_messages(
        &self,
        before_ms: i64,
        cursor: Option<Vec<u8>>,
        max: usize,
    ) -> Result<(usize, Option<Vec<u8>>), StoreError> {
        let start = cursor.unwrap_or_default();
        let mut removed = 0;
        let mut scanned = 0;
        let mut last = None;
        for entry in self.messages.range(start..) {
            let (key, value) = entry?;
            if last.as_deref() == Some(&key[..]) {
                continue;
            }
            scanned += 1;
            last = Some(key.to_vec());
            let Ok(record) = codec::decode::<MessageRecord>(messages::WHAT, &value) else {
                continue;
            };
            if record.sent_at < before_ms {
                self.remove_message(&key, &record)?;
                removed += 1;
            }
            if scanned >= max.max(1) {
                // Continue after this key next time.
                let mut next = key.to_vec();
                next.push(0);
                return Ok((removed, Some(next)));
            }
        }
        Ok((removed, None))
    }

    fn remove_message(&self, key: &[u8], record: &MessageRecord) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        let id = id_key(record.id);
        let recipient = provider_key(record.provider_id, record.to.as_bytes());
        (&self.messages, &self.message_ids, &self.recipients).transaction(
            |(messages, message_ids, recipients)| {
                messages.remove(key)?;
                message_ids.remove(&id[..])?;
                if let Some(current) = recipients.get(&recipient)? {
                    if read_id("recipient entry", &current).ok() == Some(record.id) {
                        recipients.remove(recipient.as_slice())?;
                    }
                }
                Ok(())
            },
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::test_util::{message, provider, temp_store};
    use crate::store::{DayCounters, Writes};

    #[test]
    fn a_batch_is_written_together_and_skips_deleted_providers() {
        let (_dir, store) = temp_store();
        store.insert_provider(&provider(1, "a")).unwrap();
        let kept = message(10, 1, "+14155550100");
        let orphan = message(11, 2, "+14155550100");
        let totals = DayCounters {
            sent: 2,
            ..DayCounters::default()
        };
        store
            .commit(&Writes {
                messages: vec![kept.clone(), orphan],
                counters: vec![(1, 100, totals), (2, 100, totals)],
            })
            .unwrap();
        assert_eq!(store.message(10).unwrap(), Some(kept.clone()));
        assert_eq!(store.message(11).unwrap(), None);
        assert_eq!(store.day_counters(1, 100).unwrap(), totals);
        assert_eq!(store.day_counters(2, 100).unwrap(), DayCounters::default());
        assert_eq!(
            store.last_message_to(1, "+14155550100").unwrap(),
            Some(kept)
        );
    }

    #[test]
    fn pruning_removes_old_messages_in_bounded_steps() {
        let (_dir, store) = temp_store();
        store.insert_provider(&provider(1, "a")).unwrap();
        let mut messages = Vec::new();
        for id in 1..=5u64 {
            let mut m = message(id, 1, &format!("+1415555010{id}"));
            m.provider_message_id = format!("SM{id}");
            m.sent_at = if id <= 3 { 1_000 } else { 9_000 };
            messages.push(m);
        }
        store
            .commit(&Writes {
                messages,
                counters: vec![],
            })
            .unwrap();
        let mut cursor = None;
        let mut removed = 0;
        let mut steps = 0;
        loop {
            let (n, next) = store.prune_messages(5_000, cursor, 2).unwrap();
            removed += n;
            steps += 1;
            match next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(removed, 3);
        assert!(steps >= 3, "bounded: {steps} steps");
        for id in 1..=3 {
            assert_eq!(store.message(id).unwrap(), None);
            assert_eq!(
                store
                    .last_message_to(1, &format!("+1415555010{id}"))
                    .unwrap(),
                None
            );
        }
        assert!(store.message(4).unwrap().is_some());
    }
}
