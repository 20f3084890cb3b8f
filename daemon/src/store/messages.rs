//! Sent messages: the dedup record callbacks are matched against, plus two indexes (by our
//! id, and the last message per recipient for attributing replies).

use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};

use super::codec::{self, id_key, provider_key, read_id};
use super::error::{Entity, StoreError, abort};
use super::records::MessageRecord;
use super::{Store, get_decoded};

pub(super) const WHAT: &str = "message record";

impl Store {
    /// Stores a message (new, or an update of its flags and events) and its indexes in one
    /// transaction. The recipients index moves to this message only if it is the newest one
    /// sent to that number (ids grow), so updating an old message never steals a reply
    /// attribution from a later one. If the record's key changed, or another message held
    /// its key, the stale entries are dropped so indexes never point at the wrong message.
    ///
    /// The provider must still exist ([`StoreError::NotFound`]), so nothing is written for a
    /// provider whose data is being purged.
    pub fn put_message(&self, record: &MessageRecord) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        let bytes = codec::encode(WHAT, record)?;
        let trees = (
            &self.providers,
            &self.messages,
            &self.message_ids,
            &self.recipients,
        );
        trees.transaction(|(providers, messages, message_ids, recipients)| {
            let trees = MessageTrees {
                providers,
                messages,
                message_ids,
                recipients,
            };
            if !put_in_tx(&trees, record, &bytes)? {
                return Err(abort(StoreError::NotFound {
                    entity: Entity::Provider,
                    id: record.provider_id,
                }));
            }
            Ok(())
        })?;
        Ok(())
    }

    /// The message the provider knows as `provider_message_id`: how callbacks find theirs.
    pub fn message_by_provider_id(
        &self,
        provider_id: u64,
        provider_message_id: &str,
    ) -> Result<Option<MessageRecord>, StoreError> {
        let key = provider_key(provider_id, provider_message_id.as_bytes());
        get_decoded(&self.messages, &key, WHAT)
    }

    /// The message with our id `id`, through the `message_ids` index.
    pub fn message(&self, id: u64) -> Result<Option<MessageRecord>, StoreError> {
        match self.message_ids.get(id_key(id))? {
            Some(key) => get_decoded(&self.messages, &key, WHAT),
            None => Ok(None),
        }
    }

    /// The last message sent to `to` through this provider, to attribute a reply that
    /// quotes only the sender's number.
    pub fn last_message_to(
        &self,
        provider_id: u64,
        to: &str,
    ) -> Result<Option<MessageRecord>, StoreError> {
        match self
            .recipients
            .get(provider_key(provider_id, to.as_bytes()))?
        {
            Some(id) => self.message(read_id("recipient entry", &id)?),
            None => Ok(None),
        }
    }
}

/// The trees a message write touches, inside one transaction.
pub(super) struct MessageTrees<'a> {
    pub(super) providers: &'a TransactionalTree,
    pub(super) messages: &'a TransactionalTree,
    pub(super) message_ids: &'a TransactionalTree,
    pub(super) recipients: &'a TransactionalTree,
}

/// Writes one encoded message and its indexes inside a transaction (see
/// [`Store::put_message`] for the rules). Returns `false`, writing nothing, when the provider
/// no longer exists.
pub(super) fn put_in_tx(
    trees: &MessageTrees<'_>,
    record: &MessageRecord,
    bytes: &[u8],
) -> Result<bool, ConflictableTransactionError<StoreError>> {
    let key = provider_key(record.provider_id, record.provider_message_id.as_bytes());
    let id = id_key(record.id);
    let recipient = provider_key(record.provider_id, record.to.as_bytes());
    if trees.providers.get(id_key(record.provider_id))?.is_none() {
        return Ok(false);
    }
    // An update of a stored message (a callback's event) finds both index entries already
    // right; rewriting them would only add log records to the commit.
    let indexed = match trees.message_ids.get(id)? {
        Some(old_key) if old_key == key.as_slice() => true,
        Some(old_key) => {
            trees.messages.remove(old_key)?;
            false
        }
        None => false,
    };
    if let Some(previous) = trees.messages.get(&key)? {
        let previous: MessageRecord = codec::decode(WHAT, &previous).map_err(abort)?;
        if previous.id != record.id {
            trees.message_ids.remove(&id_key(previous.id)[..])?;
        }
    }
    trees.messages.insert(key.as_slice(), bytes)?;
    if !indexed {
        trees.message_ids.insert(&id[..], key.as_slice())?;
    }
    let newest = match trees.recipients.get(&recipient)? {
        Some(current) => read_id("recipient entry", &current).map_err(abort)? < record.id,
        None => true,
    };
    if newest {
        trees.recipients.insert(recipient.as_slice(), &id[..])?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests;
