//! Backups while the daemon runs: a consistent snapshot of the store, spooled to a file that
//! only this process can see, then streamed to the admin.
//!
//! Spooling first keeps the store's writers (callbacks included) waiting only as long as it
//! takes to copy the entries to local disk, never as long as a slow client takes to download
//! them. The spool file lives in the data directory, which has room for the store and the
//! same permissions, and is unlinked on creation, so a crash leaves nothing behind.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::AsyncReadExt;
use tokio::sync::{Mutex, mpsc};

use crate::store::{SnapshotSummary, Store, StoreError};

/// Bytes per chunk of a streamed snapshot.
const CHUNK: usize = 256 << 10;

/// Why a backup could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The spool file could not be created or written.
    #[error(
        "cannot write the backup's spool file in {dir}: {source}; check free space and \
         permissions in the data directory"
    )]
    Spool {
        /// The data directory.
        dir: PathBuf,
        /// What the operating system reported.
        #[source]
        source: io::Error,
    },
    /// Reading the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Takes snapshots of the store for `GET /v1/backup`.
#[derive(Clone, Debug)]
pub struct Backups {
    store: Store,
    data_dir: PathBuf,
    /// One snapshot is copied at a time: each holds the store's writers and takes the space
    /// of a full copy, so concurrent requests wait for each other instead of multiplying both.
    copying: Arc<Mutex<()>>,
}

/// A snapshot ready to stream: the spool file at its start, and its size.
#[derive(Debug)]
pub struct Snapshot {
    file: File,
    /// What the snapshot holds.
    pub summary: SnapshotSummary,
}

impl Backups {
    /// Backups of `store`, spooled in `data_dir`.
    pub fn new(store: Store, data_dir: PathBuf) -> Backups {
        Backups {
            store,
            data_dir,
            copying: Arc::new(Mutex::new(())),
        }
    }

    /// Takes a snapshot into an anonymous spool file, off the async workers.
    pub async fn take(&self) -> Result<Snapshot, BackupError> {
        let _copying = self.copying.lock().await;
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.take_blocking())
            .await
            .unwrap_or_else(|join| {
                Err(BackupError::Spool {
                    dir: self.data_dir.clone(),
                    source: io::Error::other(join.to_string()),
                })
            })
    }

    fn take_blocking(&self) -> Result<Snapshot, BackupError> {
        let spool = |source| BackupError::Spool {
            dir: self.data_dir.clone(),
            source,
        };
        let file = tempfile::tempfile_in(&self.data_dir).map_err(spool)?;
        let mut writer = BufWriter::with_capacity(CHUNK, file);
        let summary = self.store.write_snapshot(&mut writer)?;
        let mut file = writer.into_inner().map_err(|err| spool(err.into_error()))?;
        file.seek(SeekFrom::Start(0)).map_err(spool)?;
        Ok(Snapshot { file, summary })
    }
}

impl Snapshot {
    /// Sends the snapshot's bytes into `tx`, ending with an error chunk if reading fails so
    /// the client sees a cut-off download, not a short file that looks complete. Stops when
    /// the client goes away. A slow client holds only a task and the spool file, no thread.
    pub fn stream(self, tx: mpsc::Sender<io::Result<Bytes>>) {
        let mut file = tokio::fs::File::from_std(self.file);
        tokio::spawn(async move {
            loop {
                let mut buf = BytesMut::with_capacity(CHUNK);
                let chunk = match file.read_buf(&mut buf).await {
                    Ok(0) => return,
                    Ok(_) => Ok(buf.freeze()),
                    Err(err) => Err(err),
                };
                let failed = chunk.is_err();
                if tx.send(chunk).await.is_err() || failed {
                    return;
                }
            }
        });
    }
}
