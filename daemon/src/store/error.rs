//! The one error type of the storage layer.
//!
//! Every message says what happened and what the operator can do about it, because these
//! messages end up in logs and API answers read by people who cannot see the code.

use std::fmt;
use std::path::PathBuf;

use sled::transaction::{ConflictableTransactionError, TransactionError};

/// What kind of stored thing an error is about, so one `NotFound` serves every record type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    /// A provider record.
    Provider,
    /// A campaign or journey record.
    Campaign,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Entity::Provider => "provider",
            Entity::Campaign => "campaign",
        })
    }
}

/// Everything that can go wrong in [`crate::store`].
///
/// The caller-facing variants (`NotFound`, `NameTaken`, `Archived`, `AlreadyArchived`,
/// `AlreadyStopped`, `StateChange`) describe a request that conflicts with stored state and
/// map to 4xx answers; the others describe a problem with the database itself.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another process holds sled's lock on the database files.
    #[error(
        "the database in {path} is locked: another ternd is probably running on this data \
         directory; stop it, or start this one with a different data directory"
    )]
    Locked {
        /// The database directory that could not be locked.
        path: PathBuf,
    },

    /// A restore into this data directory was interrupted: its staging directory is still
    /// there, so the data directory may not hold what the operator expects.
    #[error(
        "{path} is left from an interrupted `ternd restore`: remove it (and the data directory's \
         db/, if any) and run the restore again, or remove it to start without the snapshot"
    )]
    InterruptedRestore {
        /// The staging directory.
        path: PathBuf,
    },

    /// sled could not open the database for a reason other than the lock.
    #[error(
        "cannot open the database in {path}: {source}; check that the data directory exists, \
         is writable by the ternd user and that the disk is not full"
    )]
    Open {
        /// The database directory.
        path: PathBuf,
        /// What sled reported.
        #[source]
        source: sled::Error,
    },

    /// A read or write failed in sled after the database was opened.
    #[error(
        "database error: {0}; check free disk space and the health of the disk holding the \
         data directory, then restart ternd"
    )]
    Db(#[source] sled::Error),

    /// The data directory was written by a newer ternd with a schema this build cannot read.
    #[error(
        "the database uses schema version {found}, but this ternd supports only up to \
         {supported}: it was written by a newer release; run that release, or restore a backup \
         made by this one"
    )]
    SchemaTooNew {
        /// The schema version recorded in the database.
        found: u32,
        /// The newest schema version this build understands.
        supported: u32,
    },

    /// A stored value carries a format version this build does not know.
    #[error(
        "a stored {what} has format version {version}, which this ternd does not know: it was \
         written by a newer release; run that release, or restore a backup made by this one"
    )]
    UnknownFormat {
        /// What kind of value was being decoded.
        what: &'static str,
        /// The format-version byte found.
        version: u8,
    },

    /// A stored value could not be decoded although its format version is known.
    #[error(
        "a stored {what} cannot be decoded ({detail}); the database may be damaged: restore the \
         data directory from a backup"
    )]
    Corrupt {
        /// What kind of value was being decoded.
        what: &'static str,
        /// Why decoding failed.
        detail: String,
    },

    /// A value could not be encoded; this points at a bug, not at the operator's data.
    #[error(
        "cannot encode a {what} for storage ({detail}); this is a bug in ternd, please report it"
    )]
    Encode {
        /// What kind of value was being encoded.
        what: &'static str,
        /// Why encoding failed.
        detail: String,
    },

    /// The record does not exist (never created, or deleted).
    #[error("{entity} {id} does not exist; list them to find the right id")]
    NotFound {
        /// What kind of record was looked up.
        entity: Entity,
        /// The id that was looked up.
        id: u64,
    },

    /// A record with this id already exists. Ids come from `Store::next_id` and never repeat,
    /// so this means a caller reused one.
    #[error("{entity} {id} already exists; ids must come from next_id, so this is a bug in ternd")]
    Duplicate {
        /// What kind of record was inserted.
        entity: Entity,
        /// The reused id.
        id: u64,
    },

    /// Another provider already uses this name; names are unique so admins can tell them apart.
    #[error("a provider named {name:?} already exists; choose another name")]
    NameTaken {
        /// The requested name.
        name: String,
    },

    /// The provider is archived, so it cannot become the default, get new campaigns or be
    /// made active again.
    #[error(
        "provider {id} is archived, which is irreversible: it cannot be the default, get new \
         campaigns or be reactivated; use an active provider"
    )]
    Archived {
        /// The archived provider.
        id: u64,
    },

    /// The provider was archived before; archiving twice is refused so callers learn it.
    #[error("provider {id} is already archived; nothing to do")]
    AlreadyArchived {
        /// The archived provider.
        id: u64,
    },

    /// The campaign was stopped before; stopping twice is refused so callers learn it.
    #[error("campaign {id} is already stopped; nothing to do")]
    AlreadyStopped {
        /// The stopped campaign.
        id: u64,
    },

    /// An update tried to change a provider's lifecycle state, which only archiving may do.
    #[error(
        "provider {id}: an edit cannot change the provider's state; archive it with the \
         archive operation instead"
    )]
    StateChange {
        /// The provider being edited.
        id: u64,
    },
}

impl From<sled::Error> for StoreError {
    fn from(err: sled::Error) -> Self {
        StoreError::Db(err)
    }
}

impl From<TransactionError<StoreError>> for StoreError {
    fn from(err: TransactionError<StoreError>) -> Self {
        match err {
            TransactionError::Abort(err) => err,
            TransactionError::Storage(err) => StoreError::Db(err),
        }
    }
}

/// What transaction closures return: an abort carries a [`StoreError`] out unchanged.
pub(crate) type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

/// Aborts the surrounding transaction with `err`; sled rolls back everything it staged.
pub(crate) fn abort(err: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(err)
}
