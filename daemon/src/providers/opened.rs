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
use zeroize::Zeroize;

use super::{ProviderError, Providers, parse_id};
use crate::store::{ProviderRecord, StoredProvider};

/// Most providers kept opened; past it the cache starts afresh.
const CACHED: usize = 64;

/// A provider's record with its configuration opened (secrets in the clear), as the plugins
/// are given it. Every text value of the config is wiped from memory when it is dropped.
///
/// No `Debug`: the config holds the provider's credentials.
pub struct Opened {
    /// The stored record.
    pub record: ProviderRecord,
    /// The full config, secrets opened.
    pub config: Config,
}

impl Drop for Opened {
    fn drop(&mut self) {
        for value in self.config.values_mut() {
            if let serde_json::Value::String(text) = value {
                text.zeroize();
            }
        }
    }
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

    /// Drops a provider's entry, so its opened secrets do not outlive an edit, an archive or
    /// a delete.
    pub(super) fn forget(&self, id: u64) {
        self.lock().remove(&id);
    }
}

impl Providers {
    /// The provider with this API id, its config opened: what the send path needs. Current
    /// as of this call, since the stored bytes are checked every time.
    pub fn opened(&self, id: &str) -> Result<Arc<Opened>, ProviderError> {
        self.opened_if(id, |_| true)?
            .ok_or_else(|| ProviderError::NotFound(id.to_owned()))
    }

    /// [`Providers::opened`], but only if `accept` agrees to the record, which it is shown
    /// before any secret is opened: `None` when it refuses. The callback path checks the URL's
    /// token this way, so an unauthenticated request never makes the daemon decrypt anything.
    pub fn opened_if(
        &self,
        id: &str,
        accept: impl Fn(&ProviderRecord) -> bool,
    ) -> Result<Option<Arc<Opened>>, ProviderError> {
        let not_found = || ProviderError::NotFound(id.to_owned());
        let numeric = parse_id(id).ok_or_else(not_found)?;
        let Some(stored) = self
            .store
            .provider_bytes(numeric)
            .map_err(ProviderError::Store)?
        else {
            self.opened.forget(numeric);
            return Err(not_found());
        };
        if let Some((bytes, opened)) = self.opened.lock().get(&numeric) {
            if *bytes == stored {
                return Ok(accept(&opened.record).then(|| opened.clone()));
            }
        }
        let record = stored.decode().map_err(ProviderError::Store)?;
        if !accept(&record) {
            return Ok(None);
        }
        let config = self.open_config(&record)?;
        let opened = Arc::new(Opened { record, config });
        let mut entries = self.opened.lock();
        if entries.len() >= CACHED {
            entries.clear();
        }
        entries.insert(numeric, (stored, opened.clone()));
        Ok(Some(opened))
    }
}
