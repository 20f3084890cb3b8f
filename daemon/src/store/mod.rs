//! Durable state of the daemon: providers, campaigns, per-day counters and sent messages,
//! kept in one sled database.
//!
//! This is the only module that names sled, so the engine can be swapped or upgraded in one
//! place; it knows nothing about plugins or HTTP.
//!
//! Layout (one sled tree each):
//!
//! | tree            | key                                   | value                         |
//! |-----------------|---------------------------------------|-------------------------------|
//! | `providers`     | provider id                           | [`ProviderRecord`]            |
//! | `provider_names`| name (UTF-8)                          | provider id (8 bytes)         |
//! | `meta`          | `schema_version`, `default_provider`, `id_floor`, `id_reserved` | u32 / u64 / u64 / u64 |
//! | `campaigns`     | campaign id                           | [`CampaignRecord`]            |
//! | `counters`      | provider id + day (sign bit flipped)  | [`DayCounters`]               |
//! | `messages`      | provider id + provider message id     | [`MessageRecord`]             |
//! | `message_ids`   | message id                            | the message's `messages` key  |
//! | `recipients`    | provider id + phone number            | message id (8 bytes)          |
//! | `purge`         | provider id                           | empty: a purge is pending     |
//!
//! Integers in keys are big-endian so range scans are ordered. Record values are bincode 2
//! behind a format-version byte (see `codec`); index values (`provider_names`,
//! `message_ids`, `recipients`) are raw keys or ids, which have no format to migrate.
//!
//! Snapshots (`snapshot`) copy every tree entry as stored; every write method holds the
//! store's write gate, so a snapshot, which closes the gate, sees no batch half-written.
//!
//! Durability: no write method flushes. Callers write, then call [`Store::flush`] once before
//! acknowledging anything, so one fsync can cover many writes.

mod campaigns;
mod codec;
mod counters;
mod error;
mod ledger;
mod messages;
mod providers;
mod purge;
mod records;
mod snapshot;

#[cfg(test)]
pub(crate) mod test_util;

use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};

use tokio::runtime::RuntimeFlavor;

use sled::transaction::TransactionalTree;

use error::{TxResult, abort};

pub use campaigns::{STOP_PROVIDER_ARCHIVED, STOP_PROVIDER_DELETED};
pub use error::{Entity, StoreError};
pub use ledger::Writes;
pub use providers::StoredProvider;
pub use records::{
    CallbackKinds, CampaignKind, CampaignRecord, CampaignState, DayCounters, EventKind,
    MessageEvent, MessageRecord, ProviderRecord, ProviderState,
};
pub use snapshot::{RestoreError, SnapshotSummary, restore};

/// sled's page cache size. The working set (providers, campaigns, recent messages) is small;
/// a modest cache keeps the daemon's memory footprint predictable on edge machines.
pub const DEFAULT_CACHE_BYTES: u64 = 8 << 20;

/// The schema this build writes. Bump it, and add a migration in [`Store::open`], whenever
/// the tree layout or key format changes.
pub const SCHEMA_VERSION: u32 = 1;

/// `meta` key holding the schema version (a u32 value).
const META_SCHEMA: &[u8] = b"schema_version";
/// `meta` key holding the default provider's id (a u64 value); absent when there is none.
const META_DEFAULT: &[u8] = b"default_provider";
/// `meta` key holding the id floor (a big-endian u64): every id [`Store::next_id`] hands out
/// is above it. A restore sets it past the restored ids, because the fresh database's id
/// generator starts again from zero.
const META_ID_FLOOR: &[u8] = b"id_floor";
/// `meta` key holding the id reservation (a big-endian u64): no id above it has been handed
/// out. [`Store::next_id`] raises it a block at a time, before the id reaches any record, so
/// a snapshot carries it and a restore continues past every id ever issued, including ids
/// of records deleted or pruned before the snapshot and of sends that failed.
const META_ID_RESERVED: &[u8] = b"id_reserved";
/// Ids one reservation covers: one `meta` write per this many ids, and a snapshot of a store
/// that only handed out ids changes once per block.
const ID_BLOCK: u64 = 1024;

/// Handle to the database. Cloning is cheap (sled trees are reference-counted) and clones
/// share everything, so each task can hold its own.
///
/// Methods other than [`Store::flush`] are synchronous: they mostly hit sled's cache, but can
/// wait on the disk, so async code should call them from `spawn_blocking` or a writer task.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    providers: sled::Tree,
    provider_names: sled::Tree,
    meta: sled::Tree,
    campaigns: sled::Tree,
    counters: sled::Tree,
    messages: sled::Tree,
    message_ids: sled::Tree,
    recipients: sled::Tree,
    purge: sled::Tree,
    /// Serializes the operations that scan outside a transaction and then write inside one
    /// (campaign inserts versus archive and delete), because sled transactions cannot iterate.
    /// sled's file lock makes this process the only writer, so a process-local lock suffices.
    lifecycle: Arc<Mutex<()>>,
    /// Held shared by every write and exclusively by a snapshot, so a snapshot never sees
    /// part of a write. It guards no data itself, so a poisoned gate is simply taken over.
    gate: Arc<RwLock<()>>,
    /// The id floor read at open (see [`META_ID_FLOOR`]).
    id_floor: u64,
    /// The id reservation as last written (see [`META_ID_RESERVED`]).
    id_reserved: Arc<AtomicU64>,
    /// Decoded counters for statistics reads; every write to `counters` must update it.
    counter_cache: Arc<counters::CounterCache>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database in `dir/db`, creating it if needed, with the default cache size.
    ///
    /// Fails with [`StoreError::Locked`] when another process has it open, and with
    /// [`StoreError::SchemaTooNew`] when a newer ternd wrote it.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_with_cache(dir, DEFAULT_CACHE_BYTES)
    }

    /// Like [`Store::open`] with an explicit page-cache size in bytes, for machines that can
    /// spare more memory (or tests that want less).
    pub fn open_with_cache(dir: &Path, cache_bytes: u64) -> Result<Store, StoreError> {
        let partial = dir.join(snapshot::RESTORING);
        if partial.exists() {
            return Err(StoreError::InterruptedRestore { path: partial });
        }
        let path = dir.join("db");
        let db = sled::Config::new()
            .path(&path)
            .cache_capacity(cache_bytes)
            .open()
            .map_err(|source| {
                if is_lock_error(&source) {
                    StoreError::Locked { path: path.clone() }
                } else {
                    StoreError::Open {
                        path: path.clone(),
                        source,
                    }
                }
            })?;
        let store = Store {
            providers: db.open_tree("providers")?,
            provider_names: db.open_tree("provider_names")?,
            meta: db.open_tree("meta")?,
            campaigns: db.open_tree("campaigns")?,
            counters: db.open_tree("counters")?,
            messages: db.open_tree("messages")?,
            message_ids: db.open_tree("message_ids")?,
            recipients: db.open_tree("recipients")?,
            purge: db.open_tree("purge")?,
            lifecycle: Arc::new(Mutex::new(())),
            gate: Arc::new(RwLock::new(())),
            id_floor: 0,
            id_reserved: Arc::default(),
            counter_cache: Arc::default(),
            db,
        };
        store.check_schema()?;
        let read = |key, what| -> Result<u64, StoreError> {
            match store.meta.get(key)? {
                Some(bytes) => Ok(codec::read_id(what, &bytes)?),
                None => Ok(0),
            }
        };
        let id_floor = read(META_ID_FLOOR, "id floor")?;
        let id_reserved = Arc::new(AtomicU64::new(read(META_ID_RESERVED, "id reservation")?));
        Ok(Store {
            id_floor,
            id_reserved,
            ..store
        })
    }

    /// Records the schema version on first start and refuses a database from a newer build,
    /// which could hold data this one would misread or destroy.
    fn check_schema(&self) -> Result<(), StoreError> {
        let current = codec::encode("schema version", &SCHEMA_VERSION)?;
        match self
            .meta
            .compare_and_swap(META_SCHEMA, None as Option<&[u8]>, Some(current))?
        {
            Ok(()) => {
                self.db.flush()?;
                Ok(())
            }
            Err(existing) => {
                let Some(bytes) = existing.current else {
                    return Ok(());
                };
                let found: u32 = codec::decode("schema version", &bytes)?;
                if found > SCHEMA_VERSION {
                    return Err(StoreError::SchemaTooNew {
                        found,
                        supported: SCHEMA_VERSION,
                    });
                }
                // Older schemas would be migrated here; version 1 is the first.
                Ok(())
            }
        }
    }

    /// Writes everything written so far to disk. Call it before acknowledging a write to
    /// anyone: the write methods never flush, so that one fsync can cover many writes.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.db.flush_async().await?;
        Ok(())
    }

    /// [`Store::flush`] for a thread that is not async: the callback writer's own thread.
    pub fn flush_blocking(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// A new unique id for a provider, campaign or message. Ids only grow, also across
    /// restarts, so a larger id was issued later; they start at 1 so that 0 never names
    /// anything.
    pub fn next_id(&self) -> Result<u64, StoreError> {
        // generate_id starts at 0 and cannot realistically reach u64::MAX.
        let id = self.db.generate_id()? + 1 + self.id_floor;
        if id > self.id_reserved.load(Ordering::Acquire) {
            self.reserve_ids(id)?;
        }
        Ok(id)
    }

    /// Raises the id reservation to cover `id` and the rest of its block. Written before the
    /// id reaches any record, so the flush that makes such a record durable (sled's log is
    /// recovered in order) makes the reservation durable too.
    fn reserve_ids(&self, id: u64) -> Result<(), StoreError> {
        let _gate = self.write_gate();
        let block_end = (id / ID_BLOCK + 1) * ID_BLOCK;
        // Atomic in sled, so concurrent reservations never lower the stored value.
        self.meta.update_and_fetch(META_ID_RESERVED, |current| {
            let current = current.and_then(|bytes| codec::read_id("id reservation", bytes).ok());
            Some(current.unwrap_or(0).max(block_end).to_be_bytes().to_vec())
        })?;
        self.id_reserved.fetch_max(block_end, Ordering::AcqRel);
        Ok(())
    }

    /// Makes every id handed out from the next open on greater than `id`. Restore calls it
    /// on the fresh database it fills.
    fn raise_id_floor(&self, id: u64) -> Result<(), StoreError> {
        if id > self.id_floor {
            self.meta.insert(META_ID_FLOOR, &id.to_be_bytes())?;
        }
        Ok(())
    }

    /// Takes the write gate shared: every method that writes holds it for its whole write.
    ///
    /// The gate is only ever contended while a snapshot is being copied, which can take a
    /// while. Admin requests write from async workers, so a writer that has to wait tells
    /// the runtime first: the worker's other tasks (health checks, reads, callbacks waiting
    /// for the writer) move to another thread instead of stalling behind the snapshot.
    fn write_gate(&self) -> RwLockReadGuard<'_, ()> {
        match self.gate.try_read() {
            Ok(guard) => guard,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => {
                let wait = || {
                    self.gate
                        .read()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                };
                match tokio::runtime::Handle::try_current() {
                    Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
                        tokio::task::block_in_place(wait)
                    }
                    // A plain thread (the ledger's writer) or a test runtime: just wait.
                    _ => wait(),
                }
            }
        }
    }

    /// Takes the write gate exclusively, waiting for the writes in progress and holding off
    /// new ones: a snapshot's view of one moment.
    fn exclusive(&self) -> RwLockWriteGuard<'_, ()> {
        self.gate
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes the lifecycle lock. It guards no data, so a panic while it was held leaves
    /// nothing inconsistent and a poisoned lock is simply taken over.
    fn lifecycle_lock(&self) -> MutexGuard<'_, ()> {
        self.lifecycle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Reads and decodes the value at `key`, if any; `what` names it in errors.
fn get_decoded<T: bincode::Decode<()>>(
    tree: &sled::Tree,
    key: &[u8],
    what: &'static str,
) -> Result<Option<T>, StoreError> {
    tree.get(key)?
        .map(|bytes| codec::decode(what, &bytes))
        .transpose()
}

/// [`get_decoded`] inside a transaction: a decoding error aborts it.
fn tx_get_decoded<T: bincode::Decode<()>>(
    tree: &TransactionalTree,
    key: &[u8],
    what: &'static str,
) -> TxResult<Option<T>> {
    tree.get(key)?
        .map(|bytes| codec::decode(what, &bytes))
        .transpose()
        .map_err(abort)
}

/// Encodes `value` and stores it at `key` inside a transaction.
fn tx_put<T: bincode::Encode>(
    tree: &TransactionalTree,
    key: &[u8],
    what: &'static str,
    value: &T,
) -> TxResult<()> {
    let bytes = codec::encode(what, value).map_err(abort)?;
    tree.insert(key, bytes)?;
    Ok(())
}

/// sled reports a held lock only as an I/O error with this wording (sled 0.34's
/// `Config::try_lock`); a test pins the behaviour so a sled upgrade cannot silently break it.
fn is_lock_error(err: &sled::Error) -> bool {
    matches!(err, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

#[cfg(test)]
mod tests;
