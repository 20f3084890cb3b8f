//! Background removal of a deleted provider's counters and messages.
//!
//! Deleting a provider only removes its record and leaves a marker in the `purge` tree; the
//! data under its id is removed here in bounded steps, so a provider with millions of
//! messages never holds up other writes, and a restart resumes where the last step stopped
//! because the markers are on disk.

use sled::Transactional;
use sled::transaction::TransactionalTree;

use super::Store;
use super::codec::{self, id_key, read_id};
use super::error::{StoreError, TxResult};
use super::records::MessageRecord;

/// The keys one step removes, gathered before its transaction (sled transactions cannot
/// iterate).
#[derive(Default)]
struct Plan {
    counters: Vec<sled::IVec>,
    recipients: Vec<sled::IVec>,
    /// Message keys, each with our message id when the record could be decoded.
    messages: Vec<(sled::IVec, Option<u64>)>,
    /// Markers whose providers have nothing left once this step is applied.
    finished: Vec<sled::IVec>,
}

impl Plan {
    /// Whether the step found nothing to do, i.e. there were no purge markers at all.
    fn is_empty(&self) -> bool {
        self.counters.is_empty()
            && self.recipients.is_empty()
            && self.messages.is_empty()
            && self.finished.is_empty()
    }
}

impl Store {
    /// Removes up to `max_keys` entries (a message and its by-id index entry count as one)
    /// belonging to deleted providers, and drops the purge marker of each provider that has
    /// nothing left. Returns whether purge work remains, so a background task can loop
    /// (flushing and yielding between steps) until it returns `false`.
    pub fn purge_step(&self, max_keys: usize) -> Result<bool, StoreError> {
        let mut budget = max_keys.max(1);
        let mut plan = Plan::default();
        for marker in self.purge.iter().keys() {
            let marker = marker?;
            let prefix = id_key(read_id("purge marker", &marker)?);
            collect(&self.counters, &prefix, &mut budget, &mut plan.counters)?;
            collect(&self.recipients, &prefix, &mut budget, &mut plan.recipients)?;
            for entry in self.messages.scan_prefix(prefix) {
                if budget == 0 {
                    break;
                }
                let (key, value) = entry?;
                let id = match codec::decode::<MessageRecord>("message record", &value) {
                    Ok(record) => Some(record.id),
                    Err(err) => {
                        // Remove it anyway: a damaged record must not stall the purge. Its
                        // by-id index entry stays behind and resolves to nothing.
                        tracing::warn!(error = %err, "purging an undecodable message record");
                        None
                    }
                };
                plan.messages.push((key, id));
                budget -= 1;
            }
            if budget == 0 {
                // The provider may have more; the next step looks again.
                break;
            }
            plan.finished.push(marker);
        }
        if plan.is_empty() {
            return Ok(false);
        }
        self.apply(&plan)?;
        Ok(!self.purge.is_empty())
    }

    /// How many deleted providers still have data waiting to be purged.
    pub fn pending_purges(&self) -> Result<usize, StoreError> {
        let mut count = 0;
        for key in self.purge.iter().keys() {
            key?;
            count += 1;
        }
        Ok(count)
    }

    /// Removes everything in `plan` in one transaction, so a crash never leaves a message
    /// without its index entry or a marker dropped before its data.
    fn apply(&self, plan: &Plan) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        let trees = (
            &self.counters,
            &self.recipients,
            &self.messages,
            &self.message_ids,
            &self.purge,
        );
        trees.transaction(|(counters, recipients, messages, message_ids, purge)| {
            remove_all(counters, &plan.counters)?;
            remove_all(recipients, &plan.recipients)?;
            for (key, id) in &plan.messages {
                messages.remove(key)?;
                if let Some(id) = id {
                    let id = id_key(*id);
                    if message_ids.get(id)?.as_deref() == Some(&key[..]) {
                        message_ids.remove(&id[..])?;
                    }
                }
            }
            remove_all(purge, &plan.finished)
        })?;
        if !plan.counters.is_empty() {
            self.counter_cache.clear();
        }
        Ok(())
    }
}

/// Adds up to `budget` keys under `prefix` in `tree` to `out`, decrementing the budget.
fn collect(
    tree: &sled::Tree,
    prefix: &[u8],
    budget: &mut usize,
    out: &mut Vec<sled::IVec>,
) -> Result<(), StoreError> {
    for key in tree.scan_prefix(prefix).keys() {
        if *budget == 0 {
            break;
        }
        out.push(key?);
        *budget -= 1;
    }
    Ok(())
}

/// Removes every key in `keys` from `tree` inside a transaction.
fn remove_all(tree: &TransactionalTree, keys: &[sled::IVec]) -> TxResult<()> {
    for key in keys {
        tree.remove(key)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
