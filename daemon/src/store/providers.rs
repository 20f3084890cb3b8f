//! Provider records, their unique-name index and the default-provider pointer.

use sled::Transactional;
use sled::transaction::TransactionalTree;

use super::campaigns::{STOP_PROVIDER_ARCHIVED, STOP_PROVIDER_DELETED, stop_in_tx};
use super::codec::{self, id_key, read_id};
use super::error::{Entity, StoreError, TxResult, abort};
use super::records::{ProviderRecord, ProviderState};
use super::{META_DEFAULT, Store, get_decoded, tx_get_decoded, tx_put};

const WHAT: &str = "provider record";

/// A provider record as stored. Equal bytes decode to equal records, so comparing two of
/// these tells whether a record changed (cheaply: a few hundred bytes) without decoding it.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredProvider(sled::IVec);

impl StoredProvider {
    /// The record.
    pub fn decode(&self) -> Result<ProviderRecord, StoreError> {
        codec::decode(WHAT, &self.0)
    }
}

/// By hand: the bytes hold the callback token and sealed secrets.
impl std::fmt::Debug for StoredProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoredProvider({} bytes)", self.0.len())
    }
}

impl Store {
    /// Stores a new provider. Fails with [`StoreError::NameTaken`] if another provider has
    /// the name, since admins tell providers apart by name.
    pub fn insert_provider(&self, record: &ProviderRecord) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        let bytes = codec::encode(WHAT, record)?;
        let key = id_key(record.id);
        (&self.providers, &self.provider_names).transaction(|(providers, names)| {
            if names.get(record.name.as_bytes())?.is_some() {
                return Err(abort(StoreError::NameTaken {
                    name: record.name.clone(),
                }));
            }
            if providers.get(key)?.is_some() {
                return Err(abort(StoreError::Duplicate {
                    entity: Entity::Provider,
                    id: record.id,
                }));
            }
            providers.insert(&key[..], bytes.as_slice())?;
            names.insert(record.name.as_bytes(), &key[..])?;
            Ok(())
        })?;
        Ok(())
    }

    /// The provider with this id, or `None` if it never existed or was deleted.
    pub fn provider(&self, id: u64) -> Result<Option<ProviderRecord>, StoreError> {
        get_decoded(&self.providers, &id_key(id), WHAT)
    }

    /// The provider with this id as stored, not yet decoded, for a cache of decoded records
    /// that checks each entry against the stored bytes instead of decoding again.
    pub fn provider_bytes(&self, id: u64) -> Result<Option<StoredProvider>, StoreError> {
        Ok(self.providers.get(id_key(id))?.map(StoredProvider))
    }

    /// All providers, active and archived, in id (creation) order.
    pub fn providers(&self) -> Result<Vec<ProviderRecord>, StoreError> {
        self.providers
            .iter()
            .values()
            .map(|bytes| codec::decode(WHAT, &bytes?))
            .collect()
    }

    /// The id of the provider with this name, for lookups by the admin-facing name.
    pub fn provider_id_by_name(&self, name: &str) -> Result<Option<u64>, StoreError> {
        self.provider_names
            .get(name.as_bytes())?
            .map(|bytes| read_id("provider name index entry", &bytes))
            .transpose()
    }

    /// Rewrites a provider (name, plugin, config, secrets, token, timestamps), moving the
    /// name index in the same transaction when the name changed.
    ///
    /// Fails with [`StoreError::NotFound`] if it is gone, [`StoreError::NameTaken`] if
    /// another provider has the new name, and refuses to change the state: archiving goes
    /// through [`Store::archive_provider`] ([`StoreError::StateChange`]), and an archived
    /// provider stays archived ([`StoreError::Archived`]), so a stale read cannot revive it.
    pub fn update_provider(&self, record: &ProviderRecord) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        let bytes = codec::encode(WHAT, record)?;
        let key = id_key(record.id);
        (&self.providers, &self.provider_names).transaction(|(providers, names)| {
            let stored: ProviderRecord =
                tx_get_decoded(providers, &key, WHAT)?.ok_or_else(|| not_found(record.id))?;
            check_state_kept(&stored, record).map_err(abort)?;
            if stored.name != record.name {
                if let Some(owner) = names.get(record.name.as_bytes())? {
                    let owner = read_id("provider name index entry", &owner).map_err(abort)?;
                    if owner != record.id {
                        return Err(abort(StoreError::NameTaken {
                            name: record.name.clone(),
                        }));
                    }
                }
                remove_name_if_owned(names, &stored.name, record.id)?;
                names.insert(record.name.as_bytes(), &key[..])?;
            }
            providers.insert(&key[..], bytes.as_slice())?;
            Ok(())
        })?;
        Ok(())
    }

    /// The default provider's id, used for sends and campaigns that name none.
    pub fn default_provider(&self) -> Result<Option<u64>, StoreError> {
        get_decoded(&self.meta, META_DEFAULT, "default provider id")
    }

    /// Makes `id` the default provider. The default is a single `meta` key, so there is
    /// always exactly one default or none. Fails with [`StoreError::NotFound`] or
    /// [`StoreError::Archived`], checked in the same transaction as the write.
    pub fn set_default(&self, id: u64) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        let value = codec::encode("default provider id", &id)?;
        (&self.providers, &self.meta).transaction(|(providers, meta)| {
            let stored: ProviderRecord =
                tx_get_decoded(providers, &id_key(id), WHAT)?.ok_or_else(|| not_found(id))?;
            if stored.state == ProviderState::Archived {
                return Err(abort(StoreError::Archived { id }));
            }
            meta.insert(META_DEFAULT, value.as_slice())?;
            Ok(())
        })?;
        Ok(())
    }

    /// Leaves no default provider, for admins who want every send to name its provider.
    pub fn clear_default(&self) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        self.meta.remove(META_DEFAULT)?;
        Ok(())
    }

    /// Archives a provider, irreversibly, in one transaction: marks it archived at `now`,
    /// clears the default if it was this one, and stops its active campaigns with reason
    /// [`STOP_PROVIDER_ARCHIVED`]. Returns the new record and the ids of the stopped
    /// campaigns. Fails with [`StoreError::NotFound`] or [`StoreError::AlreadyArchived`].
    pub fn archive_provider(
        &self,
        id: u64,
        now: i64,
    ) -> Result<(ProviderRecord, Vec<u64>), StoreError> {
        let _gate = self.write_gate();
        let _lifecycle = self.lifecycle_lock();
        let candidates = self.active_campaign_ids(id)?;
        let key = id_key(id);
        let result = (&self.providers, &self.meta, &self.campaigns).transaction(
            |(providers, meta, campaigns)| {
                let mut record: ProviderRecord =
                    tx_get_decoded(providers, &key, WHAT)?.ok_or_else(|| not_found(id))?;
                if record.state == ProviderState::Archived {
                    return Err(abort(StoreError::AlreadyArchived { id }));
                }
                record.state = ProviderState::Archived;
                record.archived_at = Some(now);
                record.updated_at = now;
                tx_put(providers, &key, WHAT, &record)?;
                clear_default_if(meta, id)?;
                let stopped = stop_in_tx(campaigns, &candidates, id, STOP_PROVIDER_ARCHIVED)?;
                Ok((record, stopped))
            },
        )?;
        Ok(result)
    }

    /// Deletes a provider in one transaction: removes its record and name, clears the
    /// default if it was this one, stops its active campaigns with reason
    /// [`STOP_PROVIDER_DELETED`] and leaves a purge marker, so [`Store::purge_step`] removes
    /// its counters and messages in the background, also after a restart. Returns the ids of
    /// the stopped campaigns. Fails with [`StoreError::NotFound`].
    pub fn delete_provider(&self, id: u64) -> Result<Vec<u64>, StoreError> {
        let _gate = self.write_gate();
        let _lifecycle = self.lifecycle_lock();
        let candidates = self.active_campaign_ids(id)?;
        let key = id_key(id);
        let stopped = (
            &self.providers,
            &self.provider_names,
            &self.meta,
            &self.campaigns,
            &self.purge,
        )
            .transaction(|(providers, names, meta, campaigns, purge)| {
                let record: ProviderRecord =
                    tx_get_decoded(providers, &key, WHAT)?.ok_or_else(|| not_found(id))?;
                providers.remove(&key[..])?;
                remove_name_if_owned(names, &record.name, id)?;
                clear_default_if(meta, id)?;
                let stopped = stop_in_tx(campaigns, &candidates, id, STOP_PROVIDER_DELETED)?;
                purge.insert(&key[..], Vec::new())?;
                Ok(stopped)
            })?;
        Ok(stopped)
    }
}

/// The transaction-abort form of "no such provider".
fn not_found(id: u64) -> sled::transaction::ConflictableTransactionError<StoreError> {
    abort(StoreError::NotFound {
        entity: Entity::Provider,
        id,
    })
}

/// Refuses edits that would change the lifecycle state; see [`Store::update_provider`].
fn check_state_kept(stored: &ProviderRecord, new: &ProviderRecord) -> Result<(), StoreError> {
    match (stored.state, new.state) {
        (ProviderState::Archived, ProviderState::Active) => {
            Err(StoreError::Archived { id: stored.id })
        }
        (ProviderState::Active, ProviderState::Archived) => {
            Err(StoreError::StateChange { id: stored.id })
        }
        _ if stored.archived_at != new.archived_at => {
            Err(StoreError::StateChange { id: stored.id })
        }
        _ => Ok(()),
    }
}

/// Removes `name` from the name index only if it points at `id`, so a damaged index never
/// makes one provider's change drop another provider's name.
fn remove_name_if_owned(names: &TransactionalTree, name: &str, id: u64) -> TxResult<()> {
    if let Some(owner) = names.get(name.as_bytes())? {
        if read_id("provider name index entry", &owner).map_err(abort)? == id {
            names.remove(name.as_bytes())?;
        }
    }
    Ok(())
}

/// Clears the default provider pointer if it names `id`.
fn clear_default_if(meta: &TransactionalTree, id: u64) -> TxResult<()> {
    let current: Option<u64> = tx_get_decoded(meta, META_DEFAULT, "default provider id")?;
    if current == Some(id) {
        meta.remove(META_DEFAULT)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
