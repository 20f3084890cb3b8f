//! Providers ready for the send and callback paths: the decoded record with its secrets
//! opened, kept between requests.
//!
//! Decoding a record (bincode plus its JSON config) and opening its secrets (an AEAD per
//! secret) cost about 19,000 instructions, a sizeable share of a callback. Each request still
//! reads the stored bytes (a cache hit in sled) and compares them with the bytes the cached
//! entry came from, so an edit, an archive or a delete is seen by the very next request,
//! whoever wrote it, without any invalidation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tern_plugin_api::payload::Config;

use super::{ProviderError, Providers, parse_id};
use crate::store::{ProviderRecord, StoredProvider};

/// Most providers kept opened; past it the cache starts afresh.
const CACHED: usize = 64;

/// A provider's record with its configuration opened (secrets in the clear), as the plugins
/// are given it.
///
/// No `Debug`: the config holds the provider's credentials.
pub struct Opened {
    /// The stored record.
    pub record: ProviderRecord,
    /// The full config, secrets opened.
    pub config: Config,
}

/// The opened providers, each with the stored bytes it was decoded from.
#[derive(Default)]
pub(super) struct OpenedCache {
    entries: Mutex<HashMap<u64, (StoredProvider, Arc<Opened>)>>,
}

impl OpenedCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (StoredProvider, Arc<Opened>)>> {
        // Entries are replaced whole, so a panic elsewhere cannot leave one half written.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Providers {
    /// The provider with this API id, its config opened: what the send and callback paths
    /// need. Current as of this call, since the stored bytes are checked every time.
    pub fn opened(&self, id: &str) -> Result<Arc<Opened>, ProviderError> {
        let not_found = || ProviderError::NotFound(id.to_owned());
        let numeric = parse_id(id).ok_or_else(not_found)?;
        let stored = self
            .store
            .provider_bytes(numeric)
            .map_err(ProviderError::Store)?
            .ok_or_else(not_found)?;
        if let Some((bytes, opened)) = self.opened.lock().get(&numeric) {
            if *bytes == stored {
                return Ok(opened.clone());
            }
        }
        let record = stored.decode().map_err(ProviderError::Store)?;
        let config = self.open_config(&record)?;
        let opened = Arc::new(Opened { record, config });
        let mut entries = self.opened.lock();
        if entries.len() >= CACHED {
            entries.clear();
        }
        entries.insert(numeric, (stored, opened.clone()));
        Ok(opened)
    }
}
