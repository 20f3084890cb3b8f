//! Campaign and journey records, and stopping them when their provider goes away.

use sled::Transactional;
use sled::transaction::TransactionalTree;

use super::codec::{self, id_key};
use super::error::{Entity, StoreError, TxResult, abort};
use super::records::{CampaignRecord, CampaignState, ProviderRecord, ProviderState};
use super::{Store, get_decoded, tx_get_decoded, tx_put};

/// `stop_reason` of campaigns stopped because their provider was archived.
pub const STOP_PROVIDER_ARCHIVED: &str = "provider_archived";
/// `stop_reason` of campaigns stopped because their provider was deleted.
pub const STOP_PROVIDER_DELETED: &str = "provider_deleted";

const WHAT: &str = "campaign record";

impl Store {
    /// Stores a new campaign. Its provider must exist and be active, checked in the same
    /// transaction as the write ([`StoreError::NotFound`], [`StoreError::Archived`]), so a
    /// campaign can never be attached to a provider that was archived or deleted meanwhile.
    pub fn insert_campaign(&self, record: &CampaignRecord) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        let _lifecycle = self.lifecycle_lock();
        let bytes = codec::encode(WHAT, record)?;
        let key = id_key(record.id);
        let provider_key = id_key(record.provider_id);
        (&self.providers, &self.campaigns).transaction(|(providers, campaigns)| {
            let provider: ProviderRecord =
                tx_get_decoded(providers, &provider_key, "provider record")?.ok_or_else(|| {
                    abort(StoreError::NotFound {
                        entity: Entity::Provider,
                        id: record.provider_id,
                    })
                })?;
            if provider.state == ProviderState::Archived {
                return Err(abort(StoreError::Archived {
                    id: record.provider_id,
                }));
            }
            if campaigns.get(key)?.is_some() {
                return Err(abort(StoreError::Duplicate {
                    entity: Entity::Campaign,
                    id: record.id,
                }));
            }
            campaigns.insert(&key[..], bytes.as_slice())?;
            Ok(())
        })?;
        Ok(())
    }

    /// The campaign with this id, if it exists.
    pub fn campaign(&self, id: u64) -> Result<Option<CampaignRecord>, StoreError> {
        get_decoded(&self.campaigns, &id_key(id), WHAT)
    }

    /// All campaigns in id order, or only those of one provider. Campaigns are created by
    /// admins and few, so this scans them all rather than keeping a per-provider index.
    pub fn campaigns(&self, provider_id: Option<u64>) -> Result<Vec<CampaignRecord>, StoreError> {
        let mut out = Vec::new();
        for bytes in self.campaigns.iter().values() {
            let record: CampaignRecord = codec::decode(WHAT, &bytes?)?;
            if provider_id.is_none_or(|id| id == record.provider_id) {
                out.push(record);
            }
        }
        Ok(out)
    }

    /// Stops a campaign for good with `reason` and returns the stopped record. Fails with
    /// [`StoreError::NotFound`], or [`StoreError::AlreadyStopped`] so an API can tell the
    /// caller nothing changed.
    pub fn stop_campaign(&self, id: u64, reason: &str) -> Result<CampaignRecord, StoreError> {
        let _gate = self.write_gate();
        let key = id_key(id);
        let record = self.campaigns.transaction(|campaigns| {
            let mut record: CampaignRecord =
                tx_get_decoded(campaigns, &key, WHAT)?.ok_or_else(|| {
                    abort(StoreError::NotFound {
                        entity: Entity::Campaign,
                        id,
                    })
                })?;
            if record.state == CampaignState::Stopped {
                return Err(abort(StoreError::AlreadyStopped { id }));
            }
            record.state = CampaignState::Stopped;
            record.stop_reason = Some(reason.to_owned());
            tx_put(campaigns, &key, WHAT, &record)?;
            Ok(record)
        })?;
        Ok(record)
    }

    /// Ids of the provider's active campaigns. sled transactions cannot iterate, so callers
    /// scan here first, under the lifecycle lock, and re-check each one with [`stop_in_tx`].
    pub(super) fn active_campaign_ids(&self, provider_id: u64) -> Result<Vec<u64>, StoreError> {
        Ok(self
            .campaigns(Some(provider_id))?
            .into_iter()
            .filter(|c| c.state == CampaignState::Active)
            .map(|c| c.id)
            .collect())
    }
}

/// Inside a transaction, stops those of `ids` that still are active campaigns of
/// `provider_id`, with `reason`; returns the ids it stopped.
pub(super) fn stop_in_tx(
    campaigns: &TransactionalTree,
    ids: &[u64],
    provider_id: u64,
    reason: &str,
) -> TxResult<Vec<u64>> {
    let mut stopped = Vec::new();
    for &id in ids {
        let key = id_key(id);
        let Some(mut record) = tx_get_decoded::<CampaignRecord>(campaigns, &key, WHAT)? else {
            continue;
        };
        if record.provider_id != provider_id || record.state != CampaignState::Active {
            continue;
        }
        record.state = CampaignState::Stopped;
        record.stop_reason = Some(reason.to_owned());
        tx_put(campaigns, &key, WHAT, &record)?;
        stopped.push(id);
    }
    Ok(stopped)
}

#[cfg(test)]
mod tests;
