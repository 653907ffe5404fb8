//! Group-committed appends to the newest segment, stopping at the first failure.

use std::io;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;

use crate::file::{LogFile, Opener, sync_dir};
use crate::{Error, Result};

struct Pending {
    buf: Vec<u8>,
    /// Bytes appended since the log was created (positions handed to writers).
    appended: u64,
}

struct SyncState {
    file: Box<dyn LogFile>,
    path: PathBuf,
    /// Every position up to this is durable.
    synced: u64,
    /// Bytes in the current segment.
    file_bytes: u64,
    /// The first write or fsync error: the log is stopped.
    failed: Option<(io::ErrorKind, String)>,
}

/// Appends records to the newest segment (see the [crate] docs for the contract).
pub struct Appender {
    name: &'static str,
    fsync: bool,
    opener: Opener,
    pending: Mutex<Pending>,
    sync: Mutex<SyncState>,
}

impl std::fmt::Debug for Appender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Appender")
            .field("name", &self.name)
            .field("path", &self.sync.lock().path)
            .finish_non_exhaustive()
    }
}

impl Appender {
    /// Opens (creating it when missing) the segment at `path` for appending, and makes its
    /// directory entry durable. `name` ("translog", "persisted queue") is used in errors;
    /// without `fsync` records are written but not `fdatasync`ed (ES's `async` durability).
    ///
    /// # Errors
    /// When the file cannot be opened or the directory synced.
    pub fn create(name: &'static str, path: &Path, fsync: bool, opener: Opener) -> Result<Self> {
        let file = opener(path).map_err(|e| Error::io(path, e))?;
        let file_bytes = std::fs::metadata(path).map_or(0, |m| m.len());
        sync_dir(path.parent().unwrap_or_else(|| Path::new(".")))?;
        Ok(Appender {
            name,
            fsync,
            opener,
            pending: Mutex::new(Pending {
                buf: Vec::with_capacity(1 << 20),
                appended: 0,
            }),
            sync: Mutex::new(SyncState {
                file,
                path: path.to_owned(),
                synced: 0,
                file_bytes,
                failed: None,
            }),
        })
    }

    /// Appends records to the in-memory tail: `write` appends them to the buffer (with
    /// [`frame::encode`](crate::frame::encode)). Returns the position to pass to
    /// [`Appender::sync`].
    pub fn append(&self, write: impl FnOnce(&mut Vec<u8>)) -> u64 {
        let mut p = self.pending.lock();
        let before = p.buf.len();
        write(&mut p.buf);
        p.appended += (p.buf.len() - before) as u64;
        p.appended
    }

    /// Makes every record up to `upto` durable (write + fdatasync), batching with other
    /// writers: whoever syncs first writes everything pending, and every writer whose records
    /// were in that batch gets its result.
    ///
    /// # Errors
    /// [`Error::Stopped`] when this batch's write or fsync failed, or an earlier one did and
    /// `upto` was not durable before it.
    pub fn sync(&self, upto: u64) -> Result<()> {
        let mut s = self.sync.lock();
        if s.synced >= upto {
            return Ok(());
        }
        self.flush_locked(&mut s)
    }

    /// Makes everything appended so far durable.
    ///
    /// # Errors
    /// As [`Appender::sync`].
    pub fn flush(&self) -> Result<()> {
        let mut s = self.sync.lock();
        self.flush_locked(&mut s)
    }

    fn flush_locked(&self, s: &mut SyncState) -> Result<()> {
        if let Some((kind, message)) = &s.failed {
            return Err(self.stopped(&s.path, *kind, message));
        }
        let (buf, end) = {
            let mut p = self.pending.lock();
            let cap = p.buf.capacity().min(8 << 20);
            (
                std::mem::replace(&mut p.buf, Vec::with_capacity(cap)),
                p.appended,
            )
        };
        if !buf.is_empty() {
            let mut done = s.file.write_all(&buf);
            if done.is_ok() && self.fsync {
                done = s.file.sync_data();
            }
            if let Err(e) = done {
                // the batch may be partly on disk: nothing after it may be written, and every
                // writer of it (and of anything later) gets this error
                tracing::error!(log = self.name, file = %s.path.display(), error = %e,
                    "write failed; the log takes no more writes until it is reopened");
                s.failed = Some((e.kind(), e.to_string()));
                return Err(self.stopped(&s.path, e.kind(), &e.to_string()));
            }
            s.file_bytes += buf.len() as u64;
        }
        s.synced = end;
        Ok(())
    }

    fn stopped(&self, path: &Path, kind: io::ErrorKind, message: &str) -> Error {
        Error::Stopped {
            name: self.name,
            path: path.to_owned(),
            kind,
            message: message.to_owned(),
        }
    }

    /// Makes everything pending durable in the current segment, then continues in a new one at
    /// `path` (its directory entry made durable). Call it while no writer appends, or accept
    /// that records appended meanwhile land in the new segment.
    ///
    /// # Errors
    /// As [`Appender::sync`], and when the new file cannot be created.
    pub fn roll(&self, path: &Path) -> Result<()> {
        let mut s = self.sync.lock();
        self.flush_locked(&mut s)?;
        s.file = (self.opener)(path).map_err(|e| Error::io(path, e))?;
        s.path = path.to_owned();
        s.file_bytes = 0;
        sync_dir(path.parent().unwrap_or_else(|| Path::new(".")))
    }

    /// True once a write or fsync failed: nothing further can be acknowledged.
    #[must_use]
    pub fn is_stopped(&self) -> bool {
        self.sync.lock().failed.is_some()
    }

    /// Bytes appended and not yet written (for memory accounting).
    #[must_use]
    pub fn pending_bytes(&self) -> usize {
        self.pending.lock().buf.len()
    }

    /// Bytes written to the current segment.
    #[must_use]
    pub fn segment_bytes(&self) -> u64 {
        self.sync.lock().file_bytes
    }
}
