//! Builders shared by the store's tests.

use std::collections::BTreeMap;

use tempfile::TempDir;

use super::{
    CallbackKinds, CampaignKind, CampaignRecord, CampaignState, MessageRecord, ProviderRecord,
    ProviderState, Store,
};

/// A store in a fresh temporary directory; keep the directory alive as long as the store.
pub(crate) fn temp_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open store");
    (dir, store)
}

/// An active provider with some config and one sealed-looking secret.
pub(crate) fn provider(id: u64, name: &str) -> ProviderRecord {
    let mut config = serde_json::Map::new();
    config.insert("account_sid".into(), serde_json::json!("AC123"));
    config.insert(
        "nested".into(),
        serde_json::json!({"a": [1, 2.5, null, true]}),
    );
    ProviderRecord {
        id,
        name: name.into(),
        plugin: "twilio".into(),
        config,
        secrets: BTreeMap::from([("auth_token".to_string(), vec![1, 2, 3, 4])]),
        callbacks: CallbackKinds {
            delivery: true,
            clicks: false,
            replies: true,
        },
        state: ProviderState::Active,
        callback_token: format!("token-{id}"),
        created_at: 1_000,
        updated_at: 1_000,
        archived_at: None,
    }
}

/// An active campaign of `provider_id`.
pub(crate) fn campaign(id: u64, provider_id: u64) -> CampaignRecord {
    CampaignRecord {
        id,
        name: format!("campaign {id}"),
        kind: CampaignKind::Campaign,
        provider_id,
        state: CampaignState::Active,
        stop_reason: None,
        created_at: 2_000,
    }
}

/// A message `id` from `provider_id` to `to`, known to the provider as `pm-{id}`.
pub(crate) fn message(id: u64, provider_id: u64, to: &str) -> MessageRecord {
    MessageRecord {
        id,
        provider_id,
        campaign_id: None,
        to: to.into(),
        provider_message_id: format!("pm-{id}"),
        sent_at: 3_000 + id as i64,
        day: 19_000,
        flags: 0,
        events: Vec::new(),
    }
}

/// Opens the store in `dir` once the previous handle has really let go. sled's background
/// flusher can keep the database (and its file lock) alive for a moment after the last handle
/// is dropped, so a reopen in the same process polls past `Locked`; a real restart is a new
/// process and never sees this.
pub(crate) fn reopen(dir: &std::path::Path) -> Result<Store, super::StoreError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match Store::open(dir) {
            Err(super::StoreError::Locked { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other,
        }
    }
}
