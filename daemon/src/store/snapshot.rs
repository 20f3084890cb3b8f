//! Snapshots of the whole store: what `GET /v1/backup` writes and `ternd restore` reads.
//!
//! A snapshot is every entry of every tree, in tree order and key order, so the same stored
//! state always gives the same bytes: two snapshots can be compared with `cmp` to prove that
//! nothing changed. Values are copied as stored (sealed secrets stay sealed), so a snapshot
//! holds no secret in plain text and needs the installation's `secret.key` to be useful.
//!
//! Format (integers big-endian):
//!
//! ```text
//! magic "TERNSNAP" | format u16 = 1 | schema u32
//! entry*: tree u8 (index into TREES) | key length u32 | key | value length u32 | value
//! end:    0xFF | entry count u64 | CRC-32 of every byte before the CRC
//! ```
//!
//! The trailer makes a truncated or damaged file an error at restore instead of a silently
//! partial store.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::codec;
use super::error::StoreError;
use super::{META_ID_FLOOR, META_ID_RESERVED, SCHEMA_VERSION, Store};
use framing::{Framer, Reader};

/// First bytes of every snapshot.
const MAGIC: &[u8; 8] = b"TERNSNAP";
/// The snapshot format this build writes and reads.
const FORMAT: u16 = 1;
/// Marks the end of the entries.
const END: u8 = 0xFF;
/// Largest key or value a snapshot may claim, so a damaged length cannot make restore
/// allocate gigabytes. Store values are far smaller (records are capped at 16 MiB).
const MAX_LEN: u32 = 32 << 20;
/// The directory, inside the data directory, in which a restore builds the database.
pub const RESTORING: &str = "restoring.partial";
/// Entries written per sled batch during restore.
const BATCH: usize = 10_000;

/// The trees a snapshot holds, in snapshot order. Appending is compatible; reordering or
/// removing a name changes the format.
const TREES: [&str; 9] = [
    "meta",
    "providers",
    "provider_names",
    "campaigns",
    "counters",
    "messages",
    "message_ids",
    "recipients",
    "purge",
];

/// Trees whose keys start with an id (provider, campaign or message) that
/// [`Store::next_id`] handed out. Restore raises the id floor past all of them.
const ID_KEYED: [&str; 5] = ["providers", "campaigns", "counters", "message_ids", "purge"];

/// What a snapshot held: shown to the operator after a backup or restore.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotSummary {
    /// Entries over all trees.
    pub entries: u64,
    /// Bytes of the snapshot file.
    pub bytes: u64,
}

/// Why a snapshot could not be restored. Each message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The target directory has files in it; restoring there could mix two installations.
    #[error(
        "{dir} is not empty: restore only into an empty or new data directory, so no existing \
         data is overwritten or mixed with the snapshot; move its contents away or choose another \
         directory"
    )]
    NotEmpty {
        /// The refused directory.
        dir: PathBuf,
    },

    /// Reading the snapshot or creating the directory failed.
    #[error("cannot {action}: {source}")]
    Io {
        /// What was being done, with the path.
        action: String,
        /// What the operating system reported.
        #[source]
        source: io::Error,
    },

    /// The file is not a snapshot, or it is truncated or damaged.
    #[error(
        "the snapshot is not valid ({0}); it may be truncated or damaged: take a new backup \
         with GET /v1/backup, or use another copy"
    )]
    Invalid(String),

    /// The snapshot was written by a newer ternd.
    #[error(
        "the snapshot has {what} {found}, but this ternd supports only up to {supported}: \
         restore it with the release that wrote it, or a newer one"
    )]
    TooNew {
        /// Which version is too new.
        what: &'static str,
        /// The version in the snapshot.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },

    /// Writing the restored store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    /// Writes a snapshot of the whole store to `out`.
    ///
    /// Every write to the store waits while the entries are read, so the snapshot is one
    /// moment's state: no batch is half in it. Write to a local file, not a slow network
    /// peer, because writers (callbacks included) wait until this returns.
    pub fn write_snapshot(&self, out: impl Write) -> Result<SnapshotSummary, StoreError> {
        let _exclusive = self.exclusive();
        let mut out = Framer::new(out);
        let io = |err: io::Error| StoreError::Db(sled::Error::Io(err));
        out.write(MAGIC).map_err(io)?;
        out.write(&FORMAT.to_be_bytes()).map_err(io)?;
        out.write(&SCHEMA_VERSION.to_be_bytes()).map_err(io)?;
        let mut entries = 0u64;
        for (index, name) in TREES.iter().enumerate() {
            for entry in self.tree(name).iter() {
                let (key, value) = entry?;
                out.write(&[index as u8]).map_err(io)?;
                for part in [&key[..], &value[..]] {
                    out.write(&(part.len() as u32).to_be_bytes()).map_err(io)?;
                    out.write(part).map_err(io)?;
                }
                entries += 1;
            }
        }
        out.write(&[END]).map_err(io)?;
        out.write(&entries.to_be_bytes()).map_err(io)?;
        let crc = out.crc.clone().finalize();
        out.write(&crc.to_be_bytes()).map_err(io)?;
        out.inner.flush().map_err(io)?;
        Ok(SnapshotSummary {
            entries,
            bytes: out.bytes,
        })
    }

    /// The sled tree called `name`; only for the names in [`TREES`].
    fn tree(&self, name: &str) -> &sled::Tree {
        match name {
            "meta" => &self.meta,
            "providers" => &self.providers,
            "provider_names" => &self.provider_names,
            "campaigns" => &self.campaigns,
            "counters" => &self.counters,
            "messages" => &self.messages,
            "message_ids" => &self.message_ids,
            "recipients" => &self.recipients,
            "purge" => &self.purge,
            _ => unreachable!("snapshot tree {name} is not a store tree"),
        }
    }
}

/// Restores the snapshot read from `input` into `dir`, which must be empty or absent.
///
/// The database is built in `dir/restoring.partial` and renamed to `dir/db` only once the
/// whole snapshot has been read, checked and flushed, so an interrupted restore never leaves a
/// partial database that `ternd serve` would take for a whole one (`Store::open` refuses to
/// start beside the staging directory). On an error this removes what it created, and
/// nothing else, so the operator can fix the cause and run the restore again.
pub fn restore(dir: &Path, input: impl Read) -> Result<SnapshotSummary, RestoreError> {
    let created = prepare_dir(dir)?;
    let staging = dir.join(RESTORING);
    let result =
        create_private_dir(&staging, false, "create the staging directory").and_then(|()| {
            let result = stage(&staging, input).and_then(|summary| {
                std::fs::rename(staging.join("db"), dir.join("db")).map_err(|source| {
                    RestoreError::Io {
                        action: format!("move the restored database into {}", dir.display()),
                        source,
                    }
                })?;
                Ok(summary)
            });
            // Best effort: the restore's own error matters more than a failed clean-up.
            let _ = std::fs::remove_dir_all(&staging);
            result
        });
    if result.is_err() && created {
        // Removes the directory only if it is still empty.
        let _ = std::fs::remove_dir(dir);
    }
    result
}

/// Fills a fresh store in `staging` from `input` and flushes it.
fn stage(staging: &Path, input: impl Read) -> Result<SnapshotSummary, RestoreError> {
    let store = Store::open(staging)?;
    let summary = load(&store, input)?;
    store.flush_blocking()?;
    Ok(summary)
}

/// Creates `dir` with mode 0700, as `ternd serve` does. Without `parents` it fails if `dir`
/// exists, so nothing of another run is reused.
fn create_private_dir(dir: &Path, parents: bool, action: &str) -> Result<(), RestoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(parents);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|source| RestoreError::Io {
        action: format!("{action} {}", dir.display()),
        source,
    })
}

/// Refuses a non-empty `dir` and creates a missing one (mode 0700, like `ternd serve`).
/// Returns whether it created the directory.
fn prepare_dir(dir: &Path) -> Result<bool, RestoreError> {
    let io = |action: &str| {
        let action = format!("{action} {}", dir.display());
        move |source| RestoreError::Io { action, source }
    };
    match std::fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            None => Ok(false),
            Some(_) => Err(RestoreError::NotEmpty {
                dir: dir.to_path_buf(),
            }),
        },
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            create_private_dir(dir, true, "create the data directory")?;
            Ok(true)
        }
        Err(err) => Err(io("read the data directory")(err)),
    }
}

/// Reads every entry into the fresh `store`, checking the structure and the trailer, then
/// raises the id floor so new ids never collide with restored ones.
fn load(store: &Store, input: impl Read) -> Result<SnapshotSummary, RestoreError> {
    let mut input = Reader::new(input);
    let magic: [u8; 8] = input.array()?;
    if &magic != MAGIC {
        return Err(RestoreError::Invalid(
            "it does not start with TERNSNAP, so it is not a Tern snapshot".into(),
        ));
    }
    let format = u16::from_be_bytes(input.array()?);
    if format != FORMAT {
        return Err(RestoreError::TooNew {
            what: "snapshot format",
            found: format.into(),
            supported: FORMAT.into(),
        });
    }
    let schema = u32::from_be_bytes(input.array()?);
    if schema > SCHEMA_VERSION {
        return Err(RestoreError::TooNew {
            what: "schema version",
            found: schema,
            supported: SCHEMA_VERSION,
        });
    }
    let mut entries = 0u64;
    let mut max_id = 0u64;
    // The tree being read, its entries not yet written, and the last key read from it.
    let mut tree: Option<u8> = None;
    let mut batch = sled::Batch::default();
    let mut pending = 0;
    let mut last_key: Option<Vec<u8>> = None;
    loop {
        let [tag] = input.array()?;
        if tree != Some(tag) {
            if let Some(done) = tree {
                apply(store, done, std::mem::take(&mut batch))?;
                pending = 0;
                if tag != END && tag < done {
                    return Err(RestoreError::Invalid("its trees are out of order".into()));
                }
            }
            tree = Some(tag);
            last_key = None;
        }
        if tag == END {
            break;
        }
        let Some(name) = TREES.get(tag as usize) else {
            return Err(RestoreError::Invalid(format!("unknown tree number {tag}")));
        };
        let key = input.chunk()?;
        let value = input.chunk()?;
        if last_key.as_ref().is_some_and(|last| *last >= key) {
            return Err(RestoreError::Invalid(format!(
                "the keys of tree {name} are out of order"
            )));
        }
        if ID_KEYED.contains(name) {
            max_id = max_id.max(codec::read_id(name, &key).map_err(invalid)?);
        }
        // The floor and the reservation bound ids handed out whose records are gone.
        let id_bound = match key.as_slice() {
            k if k == META_ID_FLOOR => Some("id floor"),
            k if k == META_ID_RESERVED => Some("id reservation"),
            _ => None,
        };
        if let Some(what) = id_bound.filter(|_| *name == "meta") {
            max_id = max_id.max(codec::read_id(what, &value).map_err(invalid)?);
        }
        batch.insert(key.as_slice(), value);
        pending += 1;
        if pending >= BATCH {
            apply(store, tag, std::mem::take(&mut batch))?;
            pending = 0;
        }
        last_key = Some(key);
        entries += 1;
    }
    let count = u64::from_be_bytes(input.array()?);
    let expected = input.crc.clone().finalize();
    let crc = u32::from_be_bytes(input.array()?);
    if count != entries || crc != expected {
        return Err(RestoreError::Invalid(
            "its checksum or entry count does not match its contents".into(),
        ));
    }
    let mut rest = [0u8; 1];
    if input.inner.read(&mut rest).map_err(read_error)? != 0 {
        return Err(RestoreError::Invalid(
            "it has bytes after its end marker".into(),
        ));
    }
    store.raise_id_floor(max_id)?;
    Ok(SnapshotSummary {
        entries,
        bytes: input.bytes,
    })
}

/// Writes `batch` into the tree with snapshot number `tree`.
fn apply(store: &Store, tree: u8, batch: sled::Batch) -> Result<(), StoreError> {
    Ok(store.tree(TREES[tree as usize]).apply_batch(batch)?)
}

/// A store value the snapshot carries that cannot be what it claims: a damaged snapshot.
fn invalid(err: StoreError) -> RestoreError {
    RestoreError::Invalid(err.to_string())
}

fn read_error(source: io::Error) -> RestoreError {
    RestoreError::Io {
        action: "read the snapshot".into(),
        source,
    }
}

mod framing;
#[cfg(test)]
mod tests;
